package audit

import "fmt"

// ChainProblem is one break of the audit chain found by a Verifier.
type ChainProblem struct {
	Seq    int64 // the event at which the chain breaks
	Reason string
}

// VerifySummary is the outcome of a verification.
type VerifySummary struct {
	Events   int64 // events read
	Problems []ChainProblem
	// Head is the hash of the last event: publish or escrow it, and a
	// later verification proves nothing before it was rewritten.
	Head string
	// HeadSeq is the position of the last event (0 for an empty trail).
	HeadSeq int64
}

// MaxChainProblems bounds the problems a verification collects.
const MaxChainProblems = 100

// Verifier checks events handed to it in Seq order as one unbroken hash
// chain. The zero value is ready for the chain's first event. It is not
// safe for concurrent use.
type Verifier struct {
	// prev and prevHash are the place and hash of the previous event,
	// when started; only those are needed, not its content.
	prev     Link
	prevHash string
	started  bool
	sum      VerifySummary
	// checkpoint, when set, is a signed head the chain must still hold;
	// checkpointHash is the hash of its event as the chain has it.
	checkpoint     *Checkpoint
	checkpointHash string
	// streamHeads is the last position seen in each stream.
	streamHeads map[string]int64
}

// Check checks the next event of the chain, at place l with stored hash
// and content c: its position follows the previous event's, it links the
// previous event's hash, its stream position follows the stream's last,
// a private stream is its own bank's, its scheme is known and never goes
// back, and hash is the hash of its content. An edited event fails its
// own hash; a removed, inserted or reordered one breaks the positions or
// the links. After MaxChainProblems problems it counts on without
// collecting more.
func (v *Verifier) Check(l *Link, hash string, c *Content) {
	v.sum.Events++
	wantSeq, wantPrev := int64(1), ""
	if v.started {
		wantSeq, wantPrev = v.prev.Seq+1, v.prevHash
	}
	problem := func(format string, args ...any) {
		if len(v.sum.Problems) < MaxChainProblems {
			v.sum.Problems = append(v.sum.Problems, ChainProblem{Seq: l.Seq, Reason: fmt.Sprintf(format, args...)})
		}
	}
	if l.Seq != wantSeq {
		problem("expected event %d here: events are missing or reordered", wantSeq)
	}
	if l.PrevHash != wantPrev {
		problem("does not link to the previous event's hash: an event before it was removed, inserted or altered")
	}
	// Each stream's positions run 1, 2, 3 ... in chain order: a reader of
	// a stream pages and resumes by them.
	if v.streamHeads == nil {
		v.streamHeads = map[string]int64{}
	}
	if want := v.streamHeads[l.Stream] + 1; l.StreamSeq != want {
		problem("is at position %d of its stream, expected %d: stream positions are missing, repeated or reordered", l.StreamSeq, want)
	}
	if l.Stream != PublicStream && l.Stream != c.Bank {
		problem("is in the private stream of bank %q but belongs to bank %q", l.Stream, c.Bank)
	}
	v.streamHeads[l.Stream] = l.StreamSeq
	switch {
	case l.Scheme != HashSchemeFlat && l.Scheme != HashSchemeLinked && l.Scheme != HashSchemeStreamed:
		problem("has unknown hash scheme %d", l.Scheme)
	case v.started && l.Scheme < v.prev.Scheme:
		// Schemes only move forward; going back would let an
		// altered event dodge the newer scheme's checks.
		problem("uses hash scheme %d after an event of scheme %d", l.Scheme, v.prev.Scheme)
	}
	if h := Hash(l, c); h != hash {
		problem("content does not match its hash: the event was altered")
	}
	if v.checkpoint != nil && l.Seq == v.checkpoint.Seq {
		v.checkpointHash = hash
	}
	v.prev, v.prevHash, v.started = Link{Seq: l.Seq, Scheme: l.Scheme}, hash, true
	v.sum.Head, v.sum.HeadSeq = hash, l.Seq
}

// Summary returns the outcome so far, without the checkpoint's verdict
// (Finish adds it).
func (v *Verifier) Summary() VerifySummary { return v.sum }

// ExpectCheckpoint makes the verifier note the hash of the checkpoint's
// event as it passes, for Finish to compare. The caller has verified c's
// signature.
func (v *Verifier) ExpectCheckpoint(c *Checkpoint) {
	v.checkpoint, v.checkpointHash = c, ""
}

// checkpointProblem reports how the checked chain fails the checkpoint,
// "" when it holds the checkpoint's event with its hash.
func (v *Verifier) checkpointProblem() string {
	c := v.checkpoint
	switch {
	case c == nil:
		return ""
	case v.sum.HeadSeq < c.Seq && v.sum.Events == 0:
		return fmt.Sprintf("the trail is empty but a checkpoint signed at %s holds event %d: the trail was emptied", c.Time.Format(timeFormat), c.Seq)
	case v.sum.HeadSeq < c.Seq:
		return fmt.Sprintf("the trail ends at event %d but a checkpoint signed at %s holds event %d: the trail was truncated", v.sum.HeadSeq, c.Time.Format(timeFormat), c.Seq)
	case v.checkpointHash != c.Head:
		return fmt.Sprintf("the hash of event %d is not the one signed at %s (%s): the chain was rewritten", c.Seq, c.Time.Format(timeFormat), c.Head)
	}
	return ""
}

// Finish returns the summary with the checkpoint's problem, if any, last.
func (v *Verifier) Finish() VerifySummary {
	sum := v.sum
	if p := v.checkpointProblem(); p != "" {
		sum.Problems = append(append([]ChainProblem(nil), sum.Problems...), ChainProblem{Seq: v.checkpoint.Seq, Reason: p})
	}
	return sum
}
