package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/internal/pgtest"
	"github.com/cordbank/cordbank/internal/store/postgres"
	"github.com/jackc/pgx/v5"
)

// TestTwoStoresOneChain: writers on two Stores over one database (as two
// servers would be) append to one gapless, verifiable audit chain, and
// every unit they registered is there. Without the write lock two writers
// read the same chain head: one fails on the taken Seq or the chain forks.
func TestTwoStoresOneChain(t *testing.T) {
	url := pgtest.NewDatabase(t)
	stores := []*postgres.Store{openURL(t, url), openURL(t, url)}
	svcs := []*bank.Service{bank.NewService(stores[0]), bank.NewService(stores[1])}
	b, err := svcs[0].CreateBank(t.Context(), banktest.ValidBank("bank-a"), "")
	if err != nil {
		t.Fatal(err)
	}
	const perStore, workers, each = 2, 6, 8
	var wg sync.WaitGroup
	var seq atomic.Int64
	for s := range perStore {
		for range workers {
			wg.Go(func() {
				for range each {
					u := banktest.ValidUnit(b.ID, banktest.DIN(b.FIN, 24, int(seq.Add(1))))
					if _, err := svcs[s].CreateUnit(t.Context(), u, ""); err != nil {
						t.Errorf("store %d: CreateUnit %s: %v", s, u.DIN, err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	const units = perStore * workers * each
	var evs []*bank.Event
	err = stores[1].Read(t.Context(), func(tx bank.ReadTx) error {
		var err error
		evs, err = tx.ListEvents(t.Context(), bank.EventQuery{Limit: 10 * units})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != units+1 {
		t.Fatalf("%d events, want %d (the bank and each unit)", len(evs), units+1)
	}
	for i, e := range evs {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d: the sequence has a gap", i, e.Seq)
		}
		if i > 0 && e.PrevHash != evs[i-1].Hash {
			t.Fatalf("event %d does not link event %d", e.Seq, evs[i-1].Seq)
		}
	}
	sum, err := svcs[1].VerifyEvents(t.Context())
	if err != nil || len(sum.Problems) != 0 || sum.Events != units+1 {
		t.Errorf("VerifyEvents: %d events, problems %v, err %v", sum.Events, sum.Problems, err)
	}
	st, err := svcs[0].VerifyState(t.Context())
	if err != nil || len(st.Differences) != 0 || st.Rows.Units != units {
		t.Errorf("VerifyState: rows %+v, differences %v, err %v", st.Rows, st.Differences, err)
	}
}

// TestReservationRaceAcrossStores: of many concurrent reservations of one
// unit through two Stores, exactly one wins, in every round.
func TestReservationRaceAcrossStores(t *testing.T) {
	url := pgtest.NewDatabase(t)
	svcs := []*bank.Service{bank.NewService(openURL(t, url)), bank.NewService(openURL(t, url))}
	ctx := t.Context()
	b, err := svcs[0].CreateBank(ctx, banktest.ValidBank("bank-a"), "")
	if err != nil {
		t.Fatal(err)
	}
	const rounds, clients = 5, 16
	for r := range rounds {
		din := banktest.DIN(b.FIN, 24, r+1)
		if _, err := svcs[0].CreateUnit(ctx, banktest.ValidUnit(b.ID, din), ""); err != nil {
			t.Fatal(err)
		}
		if _, err := svcs[1].Transition(ctx, bank.TransitionRequest{Bank: b.ID, DIN: din, Action: lifecycle.ActionRelease}); err != nil {
			t.Fatal(err)
		}
		var wins atomic.Int32
		var wg sync.WaitGroup
		for c := range clients {
			wg.Go(func() {
				_, err := svcs[c%2].ReserveUnit(ctx, bank.ReserveRequest{Bank: b.ID, DIN: din, TransplantCenter: "tc-1",
					PatientID: fmt.Sprintf("P-%d", c), ExpireTime: time.Now().Add(24 * time.Hour)})
				switch {
				case err == nil:
					wins.Add(1)
				case bank.KindOf(err) != bank.KindFailedPrecondition:
					t.Errorf("round %d client %d: %v, want a win or FAILED_PRECONDITION", r, c, err)
				}
			})
		}
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Errorf("round %d: %d reservations won, want exactly 1", r, n)
		}
	}
}

// TestConcurrentOpenMigratesOnce: servers starting together over an empty
// database migrate it once between them, and a second Open finds it
// current.
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	url := pgtest.NewDatabase(t)
	var wg sync.WaitGroup
	stores := make([]*postgres.Store, 4)
	errs := make([]error, len(stores))
	for i := range stores {
		wg.Go(func() { stores[i], errs[i] = postgres.Open(t.Context(), url) })
	}
	wg.Wait()
	for i, s := range stores {
		if errs[i] != nil {
			t.Errorf("Open %d: %v", i, errs[i])
			continue
		}
		if v, err := s.SchemaVersion(t.Context()); err != nil || v != 1 {
			t.Errorf("store %d: schema version %d, %v; want 1", i, v, err)
		}
		s.Close()
	}
}

// TestWriteCancellation: a Write whose context ends while it waits for
// the write lock, or after its fn ran but before COMMIT, commits nothing
// and returns the context's error; the store keeps working, and a write
// that returned nil is there.
func TestWriteCancellation(t *testing.T) {
	s2url := pgtest.NewDatabase(t)
	s := openURL(t, s2url)
	ctx := t.Context()
	insert := func(ctx context.Context, id string) error {
		return s.Write(ctx, func(tx bank.Tx) error {
			b := banktest.ValidBank(id)
			b.FIN = banktest.FIN(id)
			b.FINs = []string{b.FIN}
			b.CreateTime, b.UpdateTime, b.Version = banktest.Now, banktest.Now, 1
			return tx.InsertBank(ctx, b)
		})
	}
	exists := func(id string) bool {
		t.Helper()
		var found bool
		err := s.Read(ctx, func(tx bank.ReadTx) error {
			_, err := tx.GetBank(ctx, id)
			found = err == nil
			if bank.KindOf(err) == bank.KindNotFound {
				err = nil
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return found
	}

	// Cancelled while waiting for the lock another Write holds.
	holding, release := make(chan struct{}), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		holder <- s.Write(ctx, func(tx bank.Tx) error {
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	waitCtx, cancelWait := context.WithCancel(ctx)
	waiter := make(chan error, 1)
	go func() { waiter <- insert(waitCtx, "waiting") }()
	cancelWait()
	if err := <-waiter; !errors.Is(err, context.Canceled) {
		t.Errorf("Write cancelled while waiting for the lock: %v, want context.Canceled", err)
	}
	close(release)
	if err := <-holder; err != nil {
		t.Fatalf("holding Write: %v", err)
	}
	if exists("waiting") {
		t.Error("a Write cancelled while waiting for the lock was committed")
	}

	// Cancelled while its Store waits for the lock another Store (another
	// server) holds: the caller is not kept waiting for the lock.
	other := openURL(t, s2url)
	holding, release = make(chan struct{}), make(chan struct{})
	go func() {
		holder <- other.Write(ctx, func(tx bank.Tx) error {
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	waitCtx, cancelWait = context.WithCancel(ctx)
	go func() { waiter <- insert(waitCtx, "waiting-2") }()
	waitForLockWaiter(t, s2url)
	cancelWait()
	select {
	case err := <-waiter:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Write cancelled while another store holds the lock: %v, want context.Canceled", err)
		}
		close(release)
	case <-time.After(10 * time.Second):
		t.Error("a Write cancelled while another store holds the lock still waits for the lock")
		close(release)
		<-waiter
	}
	if err := <-holder; err != nil {
		t.Fatalf("holding Write of the other store: %v", err)
	}
	if exists("waiting-2") {
		t.Error("a Write cancelled while another store held the lock was committed")
	}

	// Cancelled during fn: its statements still run (none is interrupted
	// mid-write), and the transaction is rolled back rather than committed.
	fnCtx, cancelFn := context.WithCancel(ctx)
	err := s.Write(fnCtx, func(tx bank.Tx) error {
		b := banktest.ValidBank("mid-fn")
		b.CreateTime, b.UpdateTime, b.Version = banktest.Now, banktest.Now, 1
		cancelFn()
		if err := tx.InsertBank(fnCtx, b); err != nil {
			return fmt.Errorf("a statement after the cancellation failed: %w", err)
		}
		_, err := tx.GetBank(fnCtx, "mid-fn")
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Write cancelled during fn: %v, want context.Canceled", err)
	}
	if exists("mid-fn") {
		t.Error("a Write cancelled before COMMIT was committed")
	}

	// The store goes on; an acknowledged write is there.
	if err := insert(ctx, "after"); err != nil {
		t.Fatalf("Write after the cancellations: %v", err)
	}
	if !exists("after") {
		t.Error("an acknowledged write is missing")
	}
}

// TestConstraintErrorsKeepTheTransaction: a constraint violation the
// store turns into a domain error leaves the write transaction usable
// (PostgreSQL would otherwise abort it whole), as SQLite's adapter does.
func TestConstraintErrorsKeepTheTransaction(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	svc := bank.NewService(s)
	b, err := svc.CreateBank(ctx, banktest.ValidBank("bank-a"), "")
	if err != nil {
		t.Fatal(err)
	}
	u, err := svc.CreateUnit(ctx, banktest.ValidUnit(b.ID, banktest.DIN(b.FIN, 24, 1)), "")
	if err != nil {
		t.Fatal(err)
	}
	err = s.Write(ctx, func(tx bank.Tx) error {
		dup := *b
		dup.ID = "bank-b"
		if err := tx.InsertBank(ctx, &dup); bank.KindOf(err) != bank.KindAlreadyExists {
			return fmt.Errorf("InsertBank with a taken FIN: %v, want ALREADY_EXISTS", err)
		} else if be := new(bank.Error); errors.As(err, &be) && be.Reason != bank.ReasonFINAlreadyRegistered {
			return fmt.Errorf("InsertBank with a taken FIN: reason %s", be.Reason)
		}
		if err := tx.InsertUnit(ctx, u); bank.KindOf(err) != bank.KindAlreadyExists {
			return fmt.Errorf("InsertUnit twice: %v, want ALREADY_EXISTS", err)
		}
		r := &bank.Reservation{ID: "r1", Bank: b.ID, DIN: u.DIN, TransplantCenter: "tc", PatientID: "p", Status: lifecycle.ReservationActive,
			ExpireTime: banktest.Now, CreateTime: banktest.Now, UpdateTime: banktest.Now, Version: 1}
		if err := tx.InsertReservation(ctx, r); err != nil {
			return err
		}
		r2 := *r
		r2.ID = "r2"
		err := tx.InsertReservation(ctx, &r2)
		if be := new(bank.Error); !errors.As(err, &be) || be.Reason != bank.ReasonUnitNotReservable {
			return fmt.Errorf("a second open reservation: %v, want UNIT_NOT_RESERVABLE", err)
		}
		// The transaction still works: its earlier writes are there.
		if _, err := tx.GetReservation(ctx, "r1"); err != nil {
			return fmt.Errorf("after the refusals: %w", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// waitForLockWaiter returns once a session of the database waits for an
// advisory lock (pg_locks shows it not granted).
func waitForLockWaiter(t *testing.T, url string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); <-tick.C {
		var n int
		if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
	}
	t.Fatal("no session waited for the write lock within 30 s")
}

// TestCommitsSignalOtherStores: a commit through one Store reaches another
// Store's Commits (LISTEN/NOTIFY), which is closed when its store is.
func TestCommitsSignalOtherStores(t *testing.T) {
	url := pgtest.NewDatabase(t)
	writer := openURL(t, url)
	listener, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	commits := listener.Commits()
	select { // the signal that it listens
	case <-commits:
	case <-time.After(30 * time.Second):
		t.Fatal("no signal that the listener listens")
	}
	if _, err := bank.NewService(writer).CreateBank(t.Context(), banktest.ValidBank("bank-a"), ""); err != nil {
		t.Fatal(err)
	}
	select {
	case <-commits:
	case <-time.After(10 * time.Second):
		t.Error("another store's commit was not signalled within 10 s")
	}
	listener.Close()
	for range commits { // drains, then ends: closed with the store
	}
}
