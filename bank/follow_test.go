package bank_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/bank/lifecycle"
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

// followingService returns a service over a fresh SQLite store that
// follows the trail from its head, with a watcher, a second service on
// the same store (another process), and a bank the first one created.
func followingService(t *testing.T) (svc, other *bank.Service, w *unitWatcher, b *bank.Bank) {
	t.Helper()
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	w = &unitWatcher{}
	svc = bank.NewService(store, bank.WithClock(banktest.Clock), bank.WithWatcher(w))
	other = bank.NewService(store, bank.WithClock(banktest.Clock))
	head, _, err := svc.ChainHead(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	svc.FollowFrom(head)
	if b, err = svc.CreateBank(t.Context(), banktest.ValidBank("bank-a"), ""); err != nil {
		t.Fatal(err)
	}
	return svc, other, w, b
}

// TestOwnWritesNeedNoCatchUp: what a service's own use cases commit they
// hand the watchers themselves, so following moves past their events at
// once and a CatchUp after them reads nothing back (it used to hand every
// unit again, a tenth of a busy server's CPU).
func TestOwnWritesNeedNoCatchUp(t *testing.T) {
	svc, _, w, b := followingService(t)
	ctx := t.Context()
	u, err := svc.CreateUnit(ctx, banktest.ValidUnit(b.ID, banktest.DIN(b.FIN, 24, 1)), "")
	if err != nil {
		t.Fatal(err)
	}
	u.LocalID = "renamed"
	if _, err := svc.UpdateUnit(ctx, u, []string{"local_id"}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Transition(ctx, bank.TransitionRequest{Bank: b.ID, DIN: u.DIN, Action: lifecycle.ActionRelease}); err != nil {
		t.Fatal(err)
	}
	imported := []*bank.Unit{banktest.ValidUnit(b.ID, banktest.DIN(b.FIN, 24, 2)), banktest.ValidUnit(b.ID, banktest.DIN(b.FIN, 24, 3))}
	if res, err := svc.ImportUnits(ctx, b.ID, imported); err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("import: %v %+v", err, res)
	}
	head, _, err := svc.ChainHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := svc.Following(); got != head {
		t.Errorf("following %d after the service's own writes, want the head %d", got, head)
	}
	w.dins = nil
	if err := svc.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if len(w.dins) != 0 {
		t.Errorf("CatchUp handed %v again", w.dins)
	}
}

// TestCatchUpReadsWhatOthersWrote: an event of another process between a
// service's own writes holds following back until CatchUp, which hands
// over that process's unit alone (the service's own are not read back)
// and then moves past everything.
func TestCatchUpReadsWhatOthersWrote(t *testing.T) {
	svc, other, w, b := followingService(t)
	ctx := t.Context()
	create := func(s *bank.Service, n int) unit.DIN {
		t.Helper()
		u, err := s.CreateUnit(ctx, banktest.ValidUnit(b.ID, banktest.DIN(b.FIN, 24, n)), "")
		if err != nil {
			t.Fatal(err)
		}
		return u.DIN
	}
	create(svc, 1)
	before := svc.Following()
	othersUnit := create(other, 2)
	create(svc, 3)
	if got := svc.Following(); got != before {
		t.Errorf("following %d past another process's event (was %d)", got, before)
	}
	w.dins = nil
	if err := svc.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(w.dins, []unit.DIN{othersUnit}) {
		t.Errorf("CatchUp handed %v, want the other process's unit %s alone", w.dins, othersUnit)
	}
	head, _, err := svc.ChainHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := svc.Following(); got != head {
		t.Errorf("following %d after CatchUp, want the head %d", got, head)
	}
}

// versionWatcher keeps the highest Version it was handed of each unit, as
// the search index does.
type versionWatcher struct{ versions map[unit.DIN]int64 }

func (w *versionWatcher) UnitsChanged(units []*bank.Unit) {
	for _, u := range units {
		w.versions[u.DIN] = max(w.versions[u.DIN], u.Version)
	}
}

func (w *versionWatcher) BankChanged(*bank.Bank) {}

// TestHandedOverAndCaughtUpIsTheStore: CatchUp skips the events of use
// cases that hand their changes over themselves (handOver), so a unit
// such a use case changed but did not hand over would stay stale in the
// index for good. After a mix of this service's writes (handed over or
// not), another process's, and a CatchUp, the watcher must hold every
// stored unit at its stored Version.
func TestHandedOverAndCaughtUpIsTheStore(t *testing.T) {
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	w := &versionWatcher{versions: map[unit.DIN]int64{}}
	svc := bank.NewService(store, bank.WithClock(banktest.Clock), bank.WithWatcher(w))
	other := bank.NewService(store, bank.WithClock(banktest.Clock))
	ctx := t.Context()
	head, _, err := svc.ChainHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	svc.FollowFrom(head)
	b, err := svc.CreateBank(ctx, banktest.ValidBank("bank-a"), "")
	if err != nil {
		t.Fatal(err)
	}
	din := func(n int) unit.DIN { return banktest.DIN(b.FIN, 24, n) }
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for n := 1; n <= 4; n++ {
		must(svc.CreateUnit(ctx, banktest.ValidUnit(b.ID, din(n)), ""))
	}
	u, err := svc.GetUnit(ctx, b.ID, din(1))
	must(u, err)
	u.LocalID = "renamed"
	must(svc.UpdateUnit(ctx, u, []string{"local_id"}, ""))
	for _, n := range []int{1, 2} {
		must(svc.Transition(ctx, bank.TransitionRequest{Bank: b.ID, DIN: din(n), Action: lifecycle.ActionRelease}))
	}
	must(svc.ReserveUnit(ctx, bank.ReserveRequest{Bank: b.ID, DIN: din(2), TransplantCenter: "tc-1", PatientID: "p-1",
		ExpireTime: banktest.Now.Add(14 * 24 * time.Hour)})) // leaves its events to CatchUp
	must(svc.Transition(ctx, bank.TransitionRequest{Bank: b.ID, DIN: din(3), Action: lifecycle.ActionDiscard, Reason: "CD"}))
	must(other.CreateUnit(ctx, banktest.ValidUnit(b.ID, din(7)), "")) // another process
	must(svc.ImportUnits(ctx, b.ID, []*bank.Unit{banktest.ValidUnit(b.ID, din(5)), banktest.ValidUnit(b.ID, din(6)), banktest.ValidUnit(b.ID, din(4))}))
	must(other.Transition(ctx, bank.TransitionRequest{Bank: b.ID, DIN: din(5), Action: lifecycle.ActionRelease}))
	if err := svc.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	stored, _, err := svc.ListUnits(ctx, bank.ListUnitsRequest{Bank: b.ID, PageSize: 100})
	must(stored, err)
	if len(stored) != 7 {
		t.Fatalf("%d units stored, want 7", len(stored))
	}
	for _, u := range stored {
		if got := w.versions[u.DIN]; got != u.Version {
			t.Errorf("unit %s: the watcher holds version %d, the store %d", u.DIN, got, u.Version)
		}
	}
	if head, _, err := svc.ChainHead(ctx); err != nil || svc.Following() != head {
		t.Errorf("following %d after CatchUp, want the head %d (%v)", svc.Following(), head, err)
	}
}
