package bank

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cordbank/cordbank/bank/unit"
)

// Following the committed trail. A Service tells its watchers (the search
// index) about the changes its own use cases commit, at once. Changes
// committed by other processes writing the same store (another cordbank
// server over one PostgreSQL database, an operator's import over the same
// SQLite file) reach it only through the store: every change has an audit
// event, appended in the change's own transaction, so reading the trail
// after the last event handled, in Seq order, finds every unit and bank
// changed since. CatchUp reads them back and hands their current state to
// the watchers; watchers keep the highest Version of a unit, so a state
// handed twice, or after a newer one, changes nothing.

// CommitNotifier is a Store that can tell this process when another one
// committed to the same database (PostgreSQL's LISTEN/NOTIFY): watches
// (WatchEvents) then deliver other servers' events at once rather than at
// their next poll. Commits returns a channel that receives after such
// commits (signals may coalesce) and is closed when the store is.
// Searches need no signal: they catch up before they run.
type CommitNotifier interface {
	Commits() <-chan struct{}
}

// relayCommits passes a notifying store's signals to the watches.
func (s *Service) relayCommits(n CommitNotifier) {
	ch := n.Commits()
	go func() {
		for range ch {
			s.feed.notify()
		}
	}()
}

// followPage is how many events CatchUp reads per transaction.
const followPage = 2048

// follower remembers how far the watchers have been brought along the
// trail.
type follower struct {
	mu sync.Mutex // one hand-over to the watchers at a time
	// applied is the Seq of the last event whose changes the watchers
	// have; -1 until FollowFrom.
	applied atomic.Int64
}

// FollowFrom starts following the trail after event seq: read the head
// (ChainHead) before loading the watchers from the store, then call this,
// so every change committed while they loaded is handed to them again by
// the next CatchUp.
func (s *Service) FollowFrom(seq int64) { s.follow.applied.Store(seq) }

// Following reports the Seq of the last event whose changes the watchers
// have been given by CatchUp (-1 before FollowFrom).
func (s *Service) Following() int64 { return s.follow.applied.Load() }

// CatchUp hands the watchers the current state of every unit and bank
// changed by events committed after the last one handled, by any process.
// When it returns nil, every change committed before it was called is in
// the watchers: a search that catches up first sees every write
// acknowledged before it began, whichever server made it. When nothing is
// new it costs one indexed read that returns no row. Before FollowFrom it
// does nothing.
func (s *Service) CatchUp(ctx context.Context) error {
	if len(s.watchers) == 0 || s.follow.applied.Load() < 0 {
		return nil
	}
	for {
		after := s.follow.applied.Load()
		units, banks, last, err := s.changedAfter(ctx, after)
		if err != nil || last == after {
			return err // nothing committed after the last event handled
		}
		s.follow.mu.Lock()
		if s.follow.applied.Load() == after { // no other caller handed these meanwhile
			// Banks first: a watcher takes units only of banks it knows.
			for _, b := range banks {
				s.bankChanged(b)
			}
			s.unitsChanged(units)
			s.follow.applied.Store(last)
		}
		s.follow.mu.Unlock()
	}
}

// changedAfter reads one page of events after Seq after and returns the
// current state of the units and banks they name, and the Seq of the last
// event read (after itself when there is none).
func (s *Service) changedAfter(ctx context.Context, after int64) (units []*Unit, banks []*Bank, last int64, err error) {
	last = after
	err = s.store.Read(ctx, func(tx ReadTx) error {
		evs, err := tx.ListEvents(ctx, EventQuery{AfterSeq: after, Limit: followPage})
		if err != nil {
			return err
		}
		seenUnit, seenBank := map[unit.DIN]bool{}, map[string]bool{}
		for _, e := range evs {
			last = e.Seq
			if bankID, din, ok := unitOfResource(e.Resource); ok {
				if seenUnit[din] {
					continue
				}
				seenUnit[din] = true
				u, err := tx.GetUnit(ctx, bankID, din)
				if KindOf(err) == KindNotFound {
					continue // the event names the unit under a bank it has left
				}
				if err != nil {
					return err
				}
				units = append(units, u)
			} else if bankID, ok := bankOfResource(e.Resource); ok && !seenBank[bankID] {
				seenBank[bankID] = true
				b, err := tx.GetBank(ctx, bankID)
				if err != nil {
					return err
				}
				banks = append(banks, b)
			}
		}
		return nil
	})
	return units, banks, last, err
}

// bankOfResource returns the bank id of a bank's own name ("banks/b1").
func bankOfResource(name string) (string, bool) {
	id, ok := strings.CutPrefix(name, "banks/")
	if !ok || !ValidBankID(id) {
		return "", false
	}
	return id, true
}
