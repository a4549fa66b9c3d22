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
}

// verifyPage is how many events one read transaction checks.
const verifyPage = 5000

// VerifyEvents reads the whole audit trail in order and checks that it is
// one unbroken hash chain: positions 1, 2, 3 ... without gaps, each event
// linking the previous event's hash, and each event's stored hash equal
// to the hash of its content. An edited event fails its own hash; a
// removed, inserted or reordered one breaks the positions or the links.
// It stops collecting after 100 problems.
func (s *Service) VerifyEvents(ctx context.Context) (VerifySummary, error) {
	var sum VerifySummary
	var prev *Event
	for {
		var page []*Event
		err := s.store.Read(ctx, func(tx ReadTx) error {
			var err error
			after := int64(0)
			if prev != nil {
				after = prev.Seq
			}
			page, err = tx.ListEvents(ctx, EventQuery{AfterSeq: after, Limit: verifyPage})
			return err
		})
		if err != nil {
			return sum, err
		}
		if len(page) == 0 {
			return sum, nil
		}
		for _, e := range page {
			sum.Events++
			wantSeq, wantPrev := int64(1), ""
			if prev != nil {
				wantSeq, wantPrev = prev.Seq+1, prev.Hash
			}
			problem := func(format string, args ...any) {
				if len(sum.Problems) < 100 {
					sum.Problems = append(sum.Problems, ChainProblem{Seq: e.Seq, Reason: fmt.Sprintf(format, args...)})
				}
			}
			if e.Seq != wantSeq {
				problem("expected event %d here: events are missing or reordered", wantSeq)
			}
			if e.PrevHash != wantPrev {
				problem("does not link to the previous event's hash: an event before it was removed, inserted or altered")
			}
			switch {
			case e.HashScheme != HashSchemeFlat && e.HashScheme != HashSchemeLinked:
				problem("has unknown hash scheme %d", e.HashScheme)
			case prev != nil && e.HashScheme < prev.HashScheme:
				// Schemes only move forward; going back would let an
				// altered event dodge the newer scheme's checks.
				problem("uses hash scheme %d after an event of scheme %d", e.HashScheme, prev.HashScheme)
			}
			if h := e.ComputeHash(); h != e.Hash {
				problem("content does not match its hash: the event was altered")
			}
			prev = e
			sum.Head = e.Hash
		}
	}
}
