package bank

import (
	"context"
	"fmt"
)

// ChainProblem is one break of the audit chain found by VerifyEvents.
type ChainProblem struct {
	Seq    int64 // the event at which the chain breaks
	Reason string
}

// VerifySummary is the outcome of VerifyEvents.
type VerifySummary struct {
	Events   int64 // events read
	Problems []ChainProblem
	// Head is the hash of the last event: publish or escrow it, and a
	// later verification proves nothing before it was rewritten.
	Head string
	// HeadSeq is the position of the last event (0 for an empty trail).
	HeadSeq int64
}

// verifyPage is how many events one read transaction checks.
const verifyPage = 5000

// maxChainProblems bounds the problems a verification collects.
const maxChainProblems = 100

// ChainVerifier checks events handed to it in Seq order as one unbroken
// hash chain. VerifyEvents feeds it from the store; a backup's check feeds
// it from the copy. The zero value is ready for the chain's first event.
// It is not safe for concurrent use.
type ChainVerifier struct {
	prev *Event
	sum  VerifySummary
	// checkpoint, when set, is a signed head the chain must still hold;
	// checkpointHash is the hash of its event as the chain has it.
	checkpoint     *Checkpoint
	checkpointHash string
	// streamHeads is the last position seen in each stream.
	streamHeads map[string]int64
}

// Check checks e, the next event of the chain: its position follows the
// previous event's, it links the previous event's hash, its scheme is
// known and never goes back, and its stored hash is the hash of its
// content. An edited event fails its own hash; a removed, inserted or
// reordered one breaks the positions or the links.
func (v *ChainVerifier) Check(e *Event) {
	v.sum.Events++
	wantSeq, wantPrev := int64(1), ""
	if v.prev != nil {
		wantSeq, wantPrev = v.prev.Seq+1, v.prev.Hash
	}
	problem := func(format string, args ...any) {
		if len(v.sum.Problems) < maxChainProblems {
			v.sum.Problems = append(v.sum.Problems, ChainProblem{Seq: e.Seq, Reason: fmt.Sprintf(format, args...)})
		}
	}
	if e.Seq != wantSeq {
		problem("expected event %d here: events are missing or reordered", wantSeq)
	}
	if e.PrevHash != wantPrev {
		problem("does not link to the previous event's hash: an event before it was removed, inserted or altered")
	}
	// Each stream's positions run 1, 2, 3 ... in chain order: a reader of
	// a stream pages and resumes by them.
	if v.streamHeads == nil {
		v.streamHeads = map[string]int64{}
	}
	if want := v.streamHeads[e.Stream] + 1; e.StreamSeq != want {
		problem("is at position %d of its stream, expected %d: stream positions are missing, repeated or reordered", e.StreamSeq, want)
	}
	if e.Stream != PublicStream && e.Stream != e.Bank {
		problem("is in the private stream of bank %q but belongs to bank %q", e.Stream, e.Bank)
	}
	v.streamHeads[e.Stream] = e.StreamSeq
	switch {
	case e.HashScheme != HashSchemeFlat && e.HashScheme != HashSchemeLinked && e.HashScheme != HashSchemeStreamed:
		problem("has unknown hash scheme %d", e.HashScheme)
	case v.prev != nil && e.HashScheme < v.prev.HashScheme:
		// Schemes only move forward; going back would let an
		// altered event dodge the newer scheme's checks.
		problem("uses hash scheme %d after an event of scheme %d", e.HashScheme, v.prev.HashScheme)
	}
	if h := e.ComputeHash(); h != e.Hash {
		problem("content does not match its hash: the event was altered")
	}
	// Only the position and hash of the previous event are needed: keep a
	// copy of those, not the event with its changes.
	if v.checkpoint != nil && e.Seq == v.checkpoint.Seq {
		v.checkpointHash = e.Hash
	}
	v.prev = &Event{Seq: e.Seq, Hash: e.Hash, HashScheme: e.HashScheme}
	v.sum.Head, v.sum.HeadSeq = e.Hash, e.Seq
}

// VerifyEvents reads the whole audit trail in order and checks that it is
// one unbroken hash chain (see ChainVerifier.Check). It stops collecting
// after 100 problems.
func (s *Service) VerifyEvents(ctx context.Context) (VerifySummary, error) {
	var v ChainVerifier
	err := s.feedChain(ctx, &v)
	return v.Finish(), err
}

// feedChain reads the whole trail in pages and checks each event with v.
func (s *Service) feedChain(ctx context.Context, v *ChainVerifier) error {
	for {
		var page []*Event
		err := s.store.Read(ctx, func(tx ReadTx) error {
			var err error
			page, err = tx.ListEvents(ctx, EventQuery{AfterSeq: v.sum.HeadSeq, Limit: verifyPage})
			return err
		})
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		for _, e := range page {
			v.Check(e)
		}
	}
}
