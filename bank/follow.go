package bank

import (
	"cmp"
	"context"
	"slices"
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
// handed twice, or after a newer one, changes nothing. The events of a
// use case that hands over all its changes itself (handOver) are not read
// back: following moves past them as they commit.

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
	// handed holds, in Seq order and apart, the events after applied
	// whose changes this process's own use cases handed the watchers as
	// they committed them (handOver): CatchUp does not read their units
	// back, and applied moves past them as soon as nothing before them is
	// missing. Without it a server under a steady load of writes read
	// every one of them back (a tenth of its CPU).
	handed []span
}

// maxHanded bounds the spans kept while an older event is missing (an
// event of another process, or of a use case that leaves its changes to
// CatchUp): past it, CatchUp reads the newer ones back as well.
const maxHanded = 1 << 14

// span is the Seqs first..last of the events one write appended, none
// when empty.
type span struct{ first, last int64 }

func (sp span) empty() bool { return sp.first <= 0 || sp.last < sp.first }

// add extends sp by events first..last, which must follow it; anything
// else empties sp for good (first = -1), so a span never claims an event
// it does not hold.
func (sp *span) add(first, last int64) {
	switch {
	case sp.first < 0:
	case sp.first == 0:
		*sp = span{first, last}
	case first == sp.last+1:
		sp.last = last
	default:
		*sp = span{first: -1}
	}
}

func (sp span) holds(seq int64) bool { return !sp.empty() && sp.first <= seq && seq <= sp.last }

// FollowFrom starts following the trail after event seq: read the head
// (ChainHead) before loading the watchers from the store, then call this,
// so every change committed while they loaded is handed to them again by
// the next CatchUp.
func (s *Service) FollowFrom(seq int64) {
	s.follow.mu.Lock()
	defer s.follow.mu.Unlock()
	s.follow.handed = nil
	s.follow.applied.Store(seq)
}

// writeHandOver is Store.Write for a use case that hands the watchers,
// after it commits, every unit and bank its events changed (handOver): it
// also returns those events' Seqs.
func (s *Service) writeHandOver(ctx context.Context, fn func(tx Tx) error) (span, error) {
	return s.feedStore.write(ctx, fn)
}

// handOver gives the watchers the units and banks a write of this service
// committed, which must be everything its events (appended) changed, and
// then lets the follower count those events as handled: CatchUp will not
// read them back.
func (s *Service) handOver(appended span, units []*Unit, banks []*Bank) {
	for _, b := range banks {
		s.bankChanged(b)
	}
	s.unitsChanged(units)
	if appended.empty() {
		return
	}
	f := &s.follow
	f.mu.Lock()
	defer f.mu.Unlock()
	if applied := f.applied.Load(); applied < 0 || appended.last <= applied || len(f.handed) >= maxHanded {
		return
	}
	i, _ := slices.BinarySearchFunc(f.handed, appended.first, func(h span, first int64) int { return cmp.Compare(h.first, first) })
	f.handed = slices.Insert(f.handed, i, appended)
	f.advanceLocked()
}

// advanceLocked moves applied past the handed spans that now follow it.
func (f *follower) advanceLocked() {
	applied, k := f.applied.Load(), 0
	for ; k < len(f.handed) && f.handed[k].first <= applied+1; k++ {
		applied = max(applied, f.handed[k].last)
	}
	f.handed = slices.Delete(f.handed, 0, k)
	f.applied.Store(applied)
}

// handedSince returns the spans handed over after applied, for CatchUp to
// skip.
func (f *follower) handedSince() []span {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.handed)
}

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
		units, banks, last, err := s.changedAfter(ctx, after, s.follow.handedSince())
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
			s.follow.advanceLocked()
		}
		s.follow.mu.Unlock()
	}
}

// changedAfter reads one page of events after Seq after and returns the
// current state of the units and banks they name, but for the events of
// handed (already handed to the watchers), and the Seq of the last event
// read (after itself when there is none).
func (s *Service) changedAfter(ctx context.Context, after int64, handed []span) (units []*Unit, banks []*Bank, last int64, err error) {
	last = after
	err = s.store.Read(ctx, func(tx ReadTx) error {
		evs, err := tx.ListEvents(ctx, EventQuery{AfterSeq: after, Limit: followPage})
		if err != nil {
			return err
		}
		seenUnit, seenBank := map[unit.DIN]bool{}, map[string]bool{}
		for _, e := range evs {
			last = e.Seq
			for len(handed) > 0 && handed[0].last < e.Seq {
				handed = handed[1:]
			}
			if len(handed) > 0 && handed[0].holds(e.Seq) {
				continue
			}
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
