package bank_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
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
