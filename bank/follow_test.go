package bank_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/bank/unit"
	"github.com/cordbank/cordbank/internal/store/sqlite"
)

// notifyingStore is a real store that also says when another process
// committed, as PostgreSQL's LISTEN/NOTIFY would.
type notifyingStore struct {
	bank.Store
	commits chan struct{}
}

func (s *notifyingStore) Commits() <-chan struct{} { return s.commits }

// TestWatchFollowsCommitSignals: with polling off, a watch delivers an
// event another service (another process) committed as soon as the store
// signals the commit.
func TestWatchFollowsCommitSignals(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	store, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	ns := &notifyingStore{Store: store, commits: make(chan struct{}, 1)}
	defer close(ns.commits)
	watcher := bank.NewService(ns, bank.WithClock(banktest.Clock), bank.WithEventPoll(0))
	other := bank.NewService(store, bank.WithClock(banktest.Clock))
	if _, err := other.CreateBank(t.Context(), banktest.ValidBank("bank-a"), ""); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	got := make(chan *bank.Event, 8)
	go func() {
		_ = watcher.WatchEvents(ctx, "", bank.EventPosition{}, func(e *bank.Event) error { got <- e; return nil })
	}()
	if e := <-got; e.Method != "CreateBank" {
		t.Fatalf("first event %s", e.Method)
	}
	fin := banktest.ValidBank("bank-a").FIN
	if _, err := other.CreateUnit(t.Context(), banktest.ValidUnit("bank-a", banktest.DIN(fin, 24, 1)), ""); err != nil {
		t.Fatal(err)
	}
	ns.commits <- struct{}{} // the other process's commit, signalled
	select {
	case e := <-got:
		if e.Method != "CreateUnit" {
			t.Fatalf("second event %s", e.Method)
		}
	case <-time.After(30 * time.Second): // a bound on failure, not a wait for success
		t.Fatal("the signalled commit was not delivered")
	}
}

// unitWatcher notes the DINs the service hands its watchers.
type unitWatcher struct{ dins []unit.DIN }

func (w *unitWatcher) UnitsChanged(units []*bank.Unit) {
	for _, u := range units {
		w.dins = append(w.dins, u.DIN)
	}
}

func (w *unitWatcher) BankChanged(*bank.Bank) {}

// TestCatchUpFollowsFromWhereTheLoadBegan: before FollowFrom a service
// reads nothing of the trail; after it, CatchUp hands over exactly the
// units changed after that event, by another service on the same store,
// once each.
func TestCatchUpFollowsFromWhereTheLoadBegan(t *testing.T) {
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	w := &unitWatcher{}
	follower := bank.NewService(store, bank.WithClock(banktest.Clock), bank.WithWatcher(w))
	other := bank.NewService(store, bank.WithClock(banktest.Clock))
	if _, err := other.CreateBank(t.Context(), banktest.ValidBank("bank-a"), ""); err != nil {
		t.Fatal(err)
	}
	fin := banktest.ValidBank("bank-a").FIN
	create := func(n int) unit.DIN {
		t.Helper()
		u, err := other.CreateUnit(t.Context(), banktest.ValidUnit("bank-a", banktest.DIN(fin, 24, n)), "")
		if err != nil {
			t.Fatal(err)
		}
		return u.DIN
	}
	create(1)
	if err := follower.CatchUp(t.Context()); err != nil || len(w.dins) != 0 || follower.Following() != -1 {
		t.Fatalf("before FollowFrom: %v, handed %v, following %d", err, w.dins, follower.Following())
	}
	head, _, err := follower.ChainHead(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	follower.FollowFrom(head)
	want := []unit.DIN{create(2), create(3)}
	for range 2 { // a second catch-up finds nothing new
		if err := follower.CatchUp(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(w.dins, want) || follower.Following() != head+2 {
		t.Fatalf("handed %v, want %v; following %d, want %d", w.dins, want, follower.Following(), head+2)
	}
}
