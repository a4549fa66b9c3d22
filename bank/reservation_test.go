package bank_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
)

// clock is a test clock advanced by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type resEnv struct {
	svc   *bank.Service
	clock *clock
	rec   *recorder
	fin   string
}

// newResEnv: bank-a with AVAILABLE units 1..n over a fresh SQLite store.
func newResEnv(t *testing.T, n int) *resEnv { return newResEnvB(t, n) }

func newResEnvB(t testing.TB, n int) *resEnv {
	t.Helper()
	store := openStore(t)
	e := &resEnv{clock: &clock{t: banktest.Now}, rec: &recorder{}, fin: banktest.ValidBank("bank-a").FIN}
	e.svc = bank.NewService(store, bank.WithClock(e.clock.now), bank.WithWatcher(e.rec))
	if _, err := e.svc.CreateBank(t.Context(), banktest.ValidBank("bank-a"), ""); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		u := banktest.ValidUnit("bank-a", e.din(i))
		if i == n && n > 3 {
			u.Type = bank.UnitTypeAutologous
		}
		if _, err := e.svc.CreateUnit(t.Context(), u, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Transition(t.Context(), bank.TransitionRequest{Bank: "bank-a", DIN: u.DIN, Action: lifecycle.ActionRelease}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *resEnv) din(i int) unit.DIN { return banktest.DIN(e.fin, 24, i) }

func (e *resEnv) reserve(t *testing.T, i int, patient string) (*bank.Reservation, error) {
	t.Helper()
	return e.svc.ReserveUnit(t.Context(), bank.ReserveRequest{Bank: "bank-a", DIN: e.din(i), TransplantCenter: "tc-1",
		PatientID: patient, ExpireTime: e.clock.now().Add(14 * 24 * time.Hour)})
}

func (e *resEnv) status(t *testing.T, i int) lifecycle.Status {
	t.Helper()
	u, err := e.svc.GetUnit(t.Context(), "bank-a", e.din(i))
	if err != nil {
		t.Fatal(err)
	}
	return u.Status
}

func wantKind(t *testing.T, err error, kind bank.Kind, reason bank.Reason) {
	t.Helper()
	var be *bank.Error
	if !errors.As(err, &be) || be.Kind != kind || (reason != "" && be.Reason != reason) {
		t.Fatalf("err = %v, want %v %s", err, kind, reason)
	}
}

func TestReserveReleaseExtend(t *testing.T) {
	e := newResEnv(t, 4)
	res, err := e.reserve(t, 1, "P-100")
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != lifecycle.ReservationActive || e.status(t, 1) != lifecycle.StatusReserved {
		t.Fatalf("reserve: %+v, unit %s", res, e.status(t, 1))
	}
	// The watcher (the search index) saw the unit leave AVAILABLE.
	last := e.rec.units[len(e.rec.units)-1]
	if last.DIN != e.din(1) || last.Status != lifecycle.StatusReserved {
		t.Fatalf("watcher last saw %s %s", last.DIN, last.Status)
	}
	_, err = e.reserve(t, 1, "P-200")
	wantKind(t, err, bank.KindFailedPrecondition, bank.ReasonUnitNotReservable)
	_, err = e.reserve(t, 4, "P-200") // autologous
	wantKind(t, err, bank.KindFailedPrecondition, bank.ReasonUnitNotReservable)
	_, err = e.svc.ReserveUnit(t.Context(), bank.ReserveRequest{Bank: "bank-a", DIN: e.din(2), TransplantCenter: "tc-1", PatientID: "P-1", ExpireTime: e.clock.now().Add(-time.Hour)})
	wantKind(t, err, bank.KindInvalid, "")
	if e.status(t, 2) != lifecycle.StatusAvailable {
		t.Fatal("refused reservation changed the unit")
	}

	ext, err := e.svc.ChangeReservation(t.Context(), bank.ReservationChange{Bank: "bank-a", DIN: e.din(1), ID: res.ID,
		Action: lifecycle.ReservationExtend, ExpireTime: res.ExpireTime.Add(7 * 24 * time.Hour), Etag: bank.Etag(res.Version)})
	if err != nil || !ext.ExpireTime.Equal(res.ExpireTime.Add(7*24*time.Hour)) {
		t.Fatalf("extend: %+v %v", ext, err)
	}
	_, err = e.svc.ChangeReservation(t.Context(), bank.ReservationChange{Bank: "bank-a", DIN: e.din(1), ID: res.ID,
		Action: lifecycle.ReservationRelease, Etag: bank.Etag(res.Version)})
	wantKind(t, err, bank.KindAborted, bank.ReasonEtagMismatch)
	rel, err := e.svc.ChangeReservation(t.Context(), bank.ReservationChange{Bank: "bank-a", DIN: e.din(1), ID: res.ID, Action: lifecycle.ReservationRelease, Reason: "patient chose another unit"})
	if err != nil || rel.Status != lifecycle.ReservationReleased || e.status(t, 1) != lifecycle.StatusAvailable {
		t.Fatalf("release: %+v %v, unit %s", rel, err, e.status(t, 1))
	}
	_, err = e.svc.ChangeReservation(t.Context(), bank.ReservationChange{Bank: "bank-a", DIN: e.din(1), ID: res.ID, Action: lifecycle.ReservationRelease})
	wantKind(t, err, bank.KindFailedPrecondition, bank.ReasonIllegalTransition)
}

func TestReservationExpiry(t *testing.T) {
	e := newResEnv(t, 3)
	r1, _ := e.reserve(t, 1, "P-1")
	r2, _ := e.reserve(t, 2, "P-2")
	if _, err := e.svc.ChangeReservation(t.Context(), bank.ReservationChange{Bank: "bank-a", DIN: e.din(2), ID: r2.ID,
		Action: lifecycle.ReservationExtend, ExpireTime: r2.ExpireTime.Add(30 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	e.clock.add(15 * 24 * time.Hour) // past r1's expiry, not r2's
	n, err := e.svc.ExpireReservations(t.Context())
	if err != nil || n != 1 {
		t.Fatalf("expired %d, %v", n, err)
	}
	if e.status(t, 1) != lifecycle.StatusAvailable || e.status(t, 2) != lifecycle.StatusReserved {
		t.Fatalf("after sweep: %s, %s", e.status(t, 1), e.status(t, 2))
	}
	got, err := e.svc.GetReservation(t.Context(), "bank-a", e.din(1), r1.ID)
	if err != nil || got.Status != lifecycle.ReservationExpired || got.EndReason == "" {
		t.Fatalf("r1 = %+v, %v", got, err)
	}
	// The history says so, by the system.
	hist := events(t, e.svc, "banks/bank-a/units/"+string(e.din(1)))
	lastEv := hist[len(hist)-1]
	if lastEv.Method != "ExpireReservation" || lastEv.Principal != "system:reservation-expiry" {
		t.Fatalf("last event of the unit = %+v", lastEv)
	}
	// A lapsed but unswept hold does not block a new reservation.
	e.clock.add(31 * 24 * time.Hour)
	if _, err := e.reserve(t, 2, "P-3"); err != nil {
		t.Fatalf("reserve over a lapsed hold: %v", err)
	}
}

func events(t *testing.T, svc *bank.Service, resource string) []*bank.Event {
	t.Helper()
	var out []*bank.Event
	err := svc.Store().Read(t.Context(), func(tx bank.ReadTx) error {
		var err error
		out, err = tx.ListEvents(t.Context(), bank.EventQuery{Resource: resource, Limit: 1000})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestConcurrentReservations: many goroutines reserve the same unit at
// once, many times over; exactly one wins each round.
func TestConcurrentReservations(t *testing.T) {
	e := newResEnv(t, 3)
	for round := range 10 {
		var wins, losses atomic.Int32
		var wg sync.WaitGroup
		for g := range 12 {
			wg.Go(func() {
				_, err := e.reserve(t, 1+round%3, "P-"+string(rune('A'+g)))
				switch bank.KindOf(err) {
				case bank.KindInternal:
					if err == nil {
						wins.Add(1)
						return
					}
					t.Error(err)
				case bank.KindFailedPrecondition, bank.KindAborted:
					losses.Add(1)
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 || losses.Load() != 11 {
			t.Fatalf("round %d: %d wins, %d losses", round, wins.Load(), losses.Load())
		}
		open, err := e.svc.ListReservations(t.Context(), bank.ListReservationsRequest{Bank: "bank-a", DIN: e.din(1 + round%3), OpenOnly: true})
		if err != nil || len(open) != 1 {
			t.Fatalf("round %d: %d open reservations, %v", round, len(open), err)
		}
		if _, err := e.svc.ChangeReservation(t.Context(), bank.ReservationChange{Bank: "bank-a", DIN: open[0].DIN, ID: open[0].ID, Action: lifecycle.ReservationRelease}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestConfirmatoryTypingAndShipment(t *testing.T) {
	e := newResEnv(t, 3)
	ct := func(i int, res *bank.Reservation, typing []bank.LocusTyping) (*bank.Reservation, error) {
		if _, err := e.svc.ChangeReservation(t.Context(), bank.ReservationChange{Bank: "bank-a", DIN: e.din(i), ID: res.ID, Action: lifecycle.ReservationRequestTyping}); err != nil {
			t.Fatal(err)
		}
		return e.svc.ChangeReservation(t.Context(), bank.ReservationChange{Bank: "bank-a", DIN: e.din(i), ID: res.ID, Action: lifecycle.ReservationRecordTyping, Typing: typing})
	}
	// banktest.ValidUnit is typed A*02:01+A*24:02, B*07:02+B*44:02, DRB1*04:01+DRB1*15:01.
	agree := []bank.LocusTyping{{Locus: "A", Text: "A*24:02:01:01+A*02:01:01:01"}, {Locus: "B", Text: "B*07:02+B*44:02"}, {Locus: "DRB1", Text: "DRB1*15:01+DRB1*04:01"}}
	r1, _ := e.reserve(t, 1, "P-1")
	got, err := ct(1, r1, agree)
	if err != nil || got.CT != lifecycle.CTComplete || got.CTCompleteDate != unit.DateOf(banktest.Now) || got.Status != lifecycle.ReservationActive {
		t.Fatalf("agreeing CT: %+v %v", got, err)
	}
	got, err = e.svc.ChangeReservation(t.Context(), bank.ReservationChange{Bank: "bank-a", DIN: e.din(1), ID: r1.ID, Action: lifecycle.ReservationRequestShipment})
	if err != nil || got.Status != lifecycle.ReservationShipmentRequested || e.status(t, 1) != lifecycle.StatusShipmentRequested {
		t.Fatalf("shipment request: %+v %v", got, err)
	}
	if _, err := e.svc.Transition(t.Context(), bank.TransitionRequest{Bank: "bank-a", DIN: e.din(1), Action: lifecycle.ActionShip}); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.svc.GetReservation(t.Context(), "bank-a", e.din(1), r1.ID); got.Status != lifecycle.ReservationFulfilled {
		t.Fatalf("after ship: %+v", got)
	}

	// A discrepancy at B: the reservation is cancelled, the unit withheld.
	r2, _ := e.reserve(t, 2, "P-2")
	bad := []bank.LocusTyping{agree[0], {Locus: "B", Text: "B*08:01+B*44:02"}, agree[2]}
	got, err = ct(2, r2, bad)
	if err != nil || got.CT != lifecycle.CTDiscrepant || got.Status != lifecycle.ReservationCancelled || len(got.CTDiscrepancies) != 1 || got.CTDiscrepancies[0] != "B" {
		t.Fatalf("discrepant CT: %+v %v", got, err)
	}
	u, _ := e.svc.GetUnit(t.Context(), "bank-a", e.din(2))
	if u.Status != lifecycle.StatusTemporarilyUnavailable || u.StatusReason != "AD" {
		t.Fatalf("unit after discrepancy: %s %s", u.Status, u.StatusReason)
	}
	// A CT without DRB1 is refused.
	r3, _ := e.reserve(t, 3, "P-3")
	if _, err := e.svc.ChangeReservation(t.Context(), bank.ReservationChange{Bank: "bank-a", DIN: e.din(3), ID: r3.ID, Action: lifecycle.ReservationRequestTyping}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.ChangeReservation(t.Context(), bank.ReservationChange{Bank: "bank-a", DIN: e.din(3), ID: r3.ID, Action: lifecycle.ReservationRecordTyping, Typing: agree[:2]})
	wantKind(t, err, bank.KindInvalid, "")
	// Discarding a reserved unit cancels its reservation.
	if _, err := e.svc.Transition(t.Context(), bank.TransitionRequest{Bank: "bank-a", DIN: e.din(3), Action: lifecycle.ActionDiscard, Reason: "CD"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.svc.GetReservation(t.Context(), "bank-a", e.din(3), r3.ID); got.Status != lifecycle.ReservationCancelled {
		t.Fatalf("after discard: %+v", got)
	}
}
