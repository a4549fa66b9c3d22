package bank

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cordbank/cordbank/bank/audit"
)

// Checkpoints (audit.Checkpoint) are signed outside the database; these
// use cases hold the trail against one.

// VerifyEventsAgainst is VerifyEvents that also checks the chain against a
// checkpoint whose signature the caller has verified: the trail must
// reach event c.Seq and that event must have hash c.Head. A truncated,
// emptied or rebuilt (rehashed) chain is reported as a problem at c.Seq.
func (s *Service) VerifyEventsAgainst(ctx context.Context, c *audit.Checkpoint) (audit.VerifySummary, error) {
	var v ChainVerifier
	v.v.ExpectCheckpoint(c)
	if err := s.feedChain(ctx, &v); err != nil {
		return v.v.Summary(), err
	}
	return v.Finish(), nil
}

// ChainHead returns the position and hash of the trail's last event
// (0, "" for an empty trail).
func (s *Service) ChainHead(ctx context.Context) (seq int64, hash string, err error) {
	err = s.store.Read(ctx, func(tx ReadTx) error {
		e, err := tx.LastEvent(ctx)
		if e != nil {
			seq, hash = e.Seq, e.Hash
		}
		return err
	})
	return seq, hash, err
}

// ErrCheckpointNotHeld is returned by HoldsCheckpoint for a trail that no
// longer holds a signed head: it was truncated, emptied, rolled back or
// rewritten since the checkpoint was signed.
var ErrCheckpointNotHeld = errors.New("the audit trail does not hold the last signed checkpoint")

// HoldsCheckpoint checks, by reading one event, that the trail still has
// event c.Seq with hash c.Head. It is the quick check a service makes at
// start; VerifyEventsAgainst also checks every link up to it.
func (s *Service) HoldsCheckpoint(ctx context.Context, c *audit.Checkpoint) error {
	var got *Event
	err := s.store.Read(ctx, func(tx ReadTx) error {
		evs, err := tx.ListEvents(ctx, EventQuery{AfterSeq: c.Seq - 1, Limit: 1})
		if len(evs) == 1 && evs[0].Seq == c.Seq {
			got = evs[0]
		}
		return err
	})
	switch {
	case err != nil:
		return err
	case c.Seq == 0:
		return nil
	case got == nil:
		return fmt.Errorf("%w: event %d, signed at %s, is gone", ErrCheckpointNotHeld, c.Seq, c.Time.Format(time.RFC3339))
	case got.Hash != c.Head:
		return fmt.Errorf("%w: event %d has hash %s, the checkpoint signed at %s says %s", ErrCheckpointNotHeld, c.Seq, got.Hash, c.Time.Format(time.RFC3339), c.Head)
	}
	return nil
}
