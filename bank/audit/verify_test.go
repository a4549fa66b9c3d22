package audit_test

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank/audit"
)

// event is one stored event as the verifier is handed it.
type event struct {
	link    audit.Link
	hash    string
	content audit.Content
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// chain makes n linked events; every third is in bank-a's private stream,
// the first two are of scheme 1, the rest of the current scheme.
func chain(n int) []*event {
	var out []*event
	prev, heads := "", map[string]int64{}
	for i := 1; i <= n; i++ {
		stream, scheme := audit.PublicStream, audit.CurrentHashScheme
		if i%3 == 0 {
			stream = "bank-a"
		}
		if i <= 2 {
			scheme = audit.HashSchemeFlat
		}
		heads[stream]++
		e := &event{link: audit.Link{Scheme: scheme, Seq: int64(i), PrevHash: prev, Stream: stream, StreamSeq: heads[stream]},
			content: audit.Content{Time: t0.Add(time.Duration(i) * time.Second), Principal: "p", Method: "M", Resource: "banks/bank-a", Bank: "bank-a",
				Changes: []audit.FieldChange{{Field: "x", After: "1"}}}}
		e.hash = audit.Hash(&e.link, &e.content)
		prev = e.hash
		out = append(out, e)
	}
	return out
}

func verify(evs []*event, cp *audit.Checkpoint) audit.VerifySummary {
	var v audit.Verifier
	if cp != nil {
		v.ExpectCheckpoint(cp)
	}
	for _, e := range evs {
		v.Check(&e.link, e.hash, &e.content)
	}
	return v.Finish()
}

func reasons(sum audit.VerifySummary) string {
	var out []string
	for _, p := range sum.Problems {
		out = append(out, p.Reason)
	}
	return strings.Join(out, "; ")
}

func TestVerifierAcceptsAGoodChain(t *testing.T) {
	evs := chain(10)
	sum := verify(evs, nil)
	if len(sum.Problems) != 0 || sum.Events != 10 || sum.HeadSeq != 10 || sum.Head != evs[9].hash {
		t.Fatalf("good chain: %+v", sum)
	}
	if sum := verify(nil, nil); len(sum.Problems) != 0 || sum.Events != 0 || sum.HeadSeq != 0 {
		t.Fatalf("empty chain: %+v", sum)
	}
}

// Each tampering is found, and named.
func TestVerifierFindsTampering(t *testing.T) {
	for _, tc := range []struct {
		what   string
		tamper func([]*event) []*event
		want   string
	}{
		{"edited content", func(evs []*event) []*event { evs[4].content.Changes[0].After = "2"; return evs }, "content does not match its hash"},
		{"removed event", func(evs []*event) []*event { return append(evs[:4], evs[5:]...) }, "expected event 5 here"},
		{"swapped events", func(evs []*event) []*event { evs[4], evs[5] = evs[5], evs[4]; return evs }, "does not link to the previous event's hash"},
		{"moved to the public stream", func(evs []*event) []*event {
			evs[5].link.Stream = audit.PublicStream
			return evs
		}, "is at position 2 of its stream, expected 5"},
		{"another bank's private stream", func(evs []*event) []*event {
			evs[5].content.Bank = "bank-b"
			evs[5].hash = audit.Hash(&evs[5].link, &evs[5].content)
			return evs
		}, `is in the private stream of bank "bank-a" but belongs to bank "bank-b"`},
		{"scheme goes back", func(evs []*event) []*event {
			evs[6].link.Scheme = audit.HashSchemeFlat
			evs[6].hash = audit.Hash(&evs[6].link, &evs[6].content)
			return evs
		}, "uses hash scheme 1 after an event of scheme 3"},
		{"unknown scheme", func(evs []*event) []*event { evs[6].link.Scheme = 9; return evs }, "has unknown hash scheme 9"},
	} {
		sum := verify(tc.tamper(chain(10)), nil)
		if got := reasons(sum); !strings.Contains(got, tc.want) {
			t.Errorf("%s: problems %q, want one containing %q", tc.what, got, tc.want)
		}
	}
}

func TestVerifierBoundsProblems(t *testing.T) {
	evs := chain(3 * audit.MaxChainProblems)
	for _, e := range evs {
		e.hash = "bad"
	}
	if sum := verify(evs, nil); len(sum.Problems) != audit.MaxChainProblems || sum.Events != int64(len(evs)) {
		t.Fatalf("%d problems over %d events, want %d over %d", len(sum.Problems), sum.Events, audit.MaxChainProblems, len(evs))
	}
}

func TestCheckpoints(t *testing.T) {
	pub, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	evs := chain(10)
	cp := audit.SignCheckpoint(key, 7, evs[6].hash, t0.In(time.FixedZone("x", 3600)))
	if err := cp.VerifySignature(pub); err != nil {
		t.Fatalf("own signature: %v", err)
	}
	other, _, _ := ed25519.GenerateKey(nil)
	if err := cp.VerifySignature(other); !errors.Is(err, audit.ErrCheckpointSignature) {
		t.Errorf("another key: %v, want ErrCheckpointSignature", err)
	}
	forged := cp
	forged.Seq = 6
	if err := forged.VerifySignature(pub); !errors.Is(err, audit.ErrCheckpointSignature) {
		t.Errorf("a changed position: %v, want ErrCheckpointSignature", err)
	}
	if !cp.Time.Equal(t0) || cp.Time.Location() != time.UTC {
		t.Errorf("checkpoint time %v, want %v in UTC", cp.Time, t0)
	}

	if sum := verify(evs, &cp); len(sum.Problems) != 0 {
		t.Errorf("the chain holds the checkpoint: %s", reasons(sum))
	}
	for _, tc := range []struct {
		what string
		evs  []*event
		want string
	}{
		{"emptied", nil, "the trail is empty but a checkpoint"},
		{"truncated", evs[:5], "the trail ends at event 5 but a checkpoint"},
	} {
		sum := verify(tc.evs, &cp)
		if got := reasons(sum); !strings.Contains(got, tc.want) || sum.Problems[len(sum.Problems)-1].Seq != 7 {
			t.Errorf("%s: problems %q, want the last, at 7, to contain %q", tc.what, got, tc.want)
		}
	}
	rewritten := chain(10)
	rewritten[0].content.Principal = "someone else"
	for i, e := range rewritten { // rehash the whole chain: every link holds, the head does not
		if i > 0 {
			e.link.PrevHash = rewritten[i-1].hash
		}
		e.hash = audit.Hash(&e.link, &e.content)
	}
	if got := reasons(verify(rewritten, &cp)); got != "the hash of event 7 is not the one signed at 2026-03-01T12:00:00Z ("+cp.Head+"): the chain was rewritten" {
		t.Errorf("rewritten chain: problems %q", got)
	}
}
