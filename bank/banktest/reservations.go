package banktest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
)

// The port's reservations (bank.ReservationReader, bank.ReservationWriter).
var reservationTests = []test{
	{"InsertThenGet", reservationInsertThenGet},
	{"UpdateThenGet", reservationUpdateThenGet},
	{"OpenReservation", reservationOpen},
	{"OneOpenHoldPerUnit", reservationOneOpenHold},
	{"OneOpenHoldUnderConcurrentInserts", reservationOneOpenHoldConcurrently},
	{"ListQueries", reservationListQueries},
	{"Due", reservationDue},
	{"PagingUnderConcurrentInserts", reservationPagingUnderInserts},
}

// hold is a new ACTIVE reservation id of u for centre tc, expiring at
// expire.
func hold(id string, u *bank.Unit, tc string, expire time.Time) *bank.Reservation {
	return &bank.Reservation{ID: id, Bank: u.Bank, DIN: u.DIN, TransplantCenter: tc, PatientID: "P-" + id,
		Status: lifecycle.ReservationActive, ExpireTime: expire, CreateTime: at(0), UpdateTime: at(0), Version: 1}
}

func (e *env) insertReservations(rs ...*bank.Reservation) {
	e.t.Helper()
	e.write(func(tx bank.Tx) error {
		for _, r := range rs {
			if err := tx.InsertReservation(e.ctx, r); err != nil {
				return fmt.Errorf("insert %s: %w", r.ID, err)
			}
		}
		return nil
	})
}

func (e *env) getReservation(id string) (*bank.Reservation, error) {
	return readValue(e, func(tx bank.ReadTx) (*bank.Reservation, error) { return tx.GetReservation(e.ctx, id) })
}

func reservationID(r *bank.Reservation) string { return r.ID }

// fullReservation sets every field of r, as a reservation that went
// through confirmatory typing, a shipment request and its end has them.
func fullReservation(r *bank.Reservation, u *bank.Unit) *bank.Reservation {
	r.Status = lifecycle.ReservationFulfilled
	r.CT, r.CTRequestTime, r.CTCompleteDate = lifecycle.CTDiscrepant, at(time.Hour), date(2026, time.June, 20)
	// Confirmatory typings are kept as submitted (locus and text).
	r.CTTyping = []bank.LocusTyping{{Locus: u.HLA[0].Locus, Text: u.HLA[0].Text}, {Locus: "B", Text: "B*07:02+B*08:01"}}
	r.CTDiscrepancies = []string{"B"}
	r.ShipmentRequestTime = at(2 * time.Hour)
	r.EndTime, r.EndReason = at(3*time.Hour), "shipped to centre tc-1; ünïcode"
	r.UpdateTime, r.Version = at(3*time.Hour), 4
	return r
}

func reservationInsertThenGet(t *testing.T, e *env) {
	_, us := e.seed("bank-a", 2)
	plain := hold("r1", us[0], "tc-1", at(72*time.Hour))
	full := fullReservation(hold("r2", us[1], "tc-2", at(24*time.Hour)), us[1])
	e.insertReservations(plain, full)
	for _, want := range []*bank.Reservation{plain, full} {
		got, err := e.getReservation(want.ID)
		if err != nil {
			t.Fatalf("GetReservation(%s): %v", want.ID, err)
		}
		if d := diff(got, want); d != "" {
			t.Errorf("reservation %s as stored (-want +got):\n%s", want.ID, d)
		}
	}
	_, err := e.getReservation("r-none")
	wantErr(t, err, bank.KindNotFound, bank.ReasonReservationNotFound)
}

func reservationUpdateThenGet(t *testing.T, e *env) {
	_, us := e.seed("bank-a", 1)
	r := hold("r1", us[0], "tc-1", at(72*time.Hour))
	e.insertReservations(r)
	want := fullReservation(hold("r1", us[0], "tc-1", at(96*time.Hour)), us[0])
	e.write(func(tx bank.Tx) error { return tx.UpdateReservation(e.ctx, want) })
	got, err := e.getReservation("r1")
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(got, want); d != "" {
		t.Errorf("reservation after update (-want +got):\n%s", d)
	}
	err = e.tryWrite(func(tx bank.Tx) error { return tx.UpdateReservation(e.ctx, hold("r-none", us[0], "tc-1", at(0))) })
	wantErr(t, err, bank.KindNotFound, bank.ReasonReservationNotFound)
}

// reservationOpen: OpenReservation finds the ACTIVE or SHIPMENT_REQUESTED
// reservation of a unit, and nothing once it ended.
func reservationOpen(t *testing.T, e *env) {
	_, us := e.seed("bank-a", 2)
	open := func(d unit.DIN) *bank.Reservation {
		t.Helper()
		return mustRead(e, func(tx bank.ReadTx) (*bank.Reservation, error) { return tx.OpenReservation(e.ctx, d) })
	}
	if r := open(us[0].DIN); r != nil {
		t.Fatalf("OpenReservation of an unreserved unit = %+v, want nil", r)
	}
	r := hold("r1", us[0], "tc-1", at(time.Hour))
	e.insertReservations(r, hold("r2", us[1], "tc-1", at(time.Hour)))
	for _, st := range []lifecycle.ReservationStatus{lifecycle.ReservationActive, lifecycle.ReservationShipmentRequested} {
		r.Status = st
		e.write(func(tx bank.Tx) error { return tx.UpdateReservation(e.ctx, r) })
		if got := open(us[0].DIN); got == nil || got.ID != "r1" || got.Status != st {
			t.Errorf("OpenReservation of a %s hold = %+v, want r1", st, got)
		}
	}
	r.Status, r.EndTime, r.EndReason = lifecycle.ReservationReleased, at(time.Hour), "released"
	e.write(func(tx bank.Tx) error { return tx.UpdateReservation(e.ctx, r) })
	if got := open(us[0].DIN); got != nil {
		t.Errorf("OpenReservation after release = %+v, want nil", got)
	}
	if got := open(us[1].DIN); got == nil || got.ID != "r2" {
		t.Errorf("OpenReservation of the other unit = %+v, want r2", got)
	}
}

// reservationOneOpenHold: a second open hold of a unit is refused, on
// insert and on an update that would reopen one; once the first ended, a
// new one is accepted.
func reservationOneOpenHold(t *testing.T, e *env) {
	_, us := e.seed("bank-a", 1)
	first := hold("r1", us[0], "tc-1", at(time.Hour))
	e.insertReservations(first)
	err := e.tryWrite(func(tx bank.Tx) error { return tx.InsertReservation(e.ctx, hold("r2", us[0], "tc-2", at(time.Hour))) })
	wantErr(t, err, bank.KindFailedPrecondition, bank.ReasonUnitNotReservable)
	if _, err := e.getReservation("r2"); bank.KindOf(err) != bank.KindNotFound {
		t.Errorf("refused reservation r2 stored: GetReservation err = %v", err)
	}

	first.Status, first.EndTime = lifecycle.ReservationReleased, at(time.Hour)
	e.write(func(tx bank.Tx) error { return tx.UpdateReservation(e.ctx, first) })
	e.insertReservations(hold("r3", us[0], "tc-2", at(time.Hour)))
	first.Status, first.EndTime = lifecycle.ReservationActive, time.Time{}
	err = e.tryWrite(func(tx bank.Tx) error { return tx.UpdateReservation(e.ctx, first) })
	wantErr(t, err, bank.KindFailedPrecondition, bank.ReasonUnitNotReservable)
}

// reservationOneOpenHoldConcurrently: many transactions insert a hold of
// the same unit at once, none reading first (so only the store's own
// constraint can decide): exactly one commits.
func reservationOneOpenHoldConcurrently(t *testing.T, e *env) {
	_, us := e.seed("bank-a", 1)
	oneWinner(t, "holds of one unit", func(i int) error {
		return e.tryWrite(func(tx bank.Tx) error {
			return tx.InsertReservation(e.ctx, hold(fmt.Sprintf("r%02d", i), us[0], "tc-1", at(time.Hour)))
		})
	})
	open := mustRead(e, func(tx bank.ReadTx) ([]*bank.Reservation, error) {
		return tx.ListReservations(e.ctx, bank.ReservationQuery{DIN: us[0].DIN, OpenOnly: true, Limit: racers + 1})
	})
	if len(open) != 1 {
		t.Errorf("%d open reservations of the unit stored, want 1", len(open))
	}
}

// reservationListQueries: every ReservationQuery field selects, results
// come in id order after AfterID, and Limit caps them (0 returns none).
func reservationListQueries(t *testing.T, e *env) {
	_, as := e.seed("bank-a", 4)
	_, bs := e.seed("bank-b", 1)
	auto := as[3]
	auto.Type = bank.UnitTypeAutologous
	auto.Version++
	e.write(func(tx bank.Tx) error { return tx.UpdateUnit(e.ctx, auto) })
	ended := hold("r2", as[0], "tc-1", at(time.Hour))
	ended.Status, ended.EndTime = lifecycle.ReservationExpired, at(time.Hour)
	e.insertReservations(
		hold("r1", as[0], "tc-1", at(time.Hour)), // open; r2, of the same unit, has ended
		ended,
		hold("r3", as[1], "tc-2", at(time.Hour)),
		hold("r4", as[2], "tc-1", at(time.Hour)),
		hold("r5", auto, "tc-1", at(time.Hour)),
		hold("r6", bs[0], "tc-1", at(time.Hour)),
	)
	list := func(q bank.ReservationQuery) []string {
		t.Helper()
		return keys(e, func(tx bank.ReadTx) ([]*bank.Reservation, error) { return tx.ListReservations(e.ctx, q) }, reservationID)
	}
	for _, c := range []struct {
		name string
		q    bank.ReservationQuery
		want []string
	}{
		{"all", bank.ReservationQuery{Limit: 10}, []string{"r1", "r2", "r3", "r4", "r5", "r6"}},
		{"bank", bank.ReservationQuery{Bank: "bank-a", Limit: 10}, []string{"r1", "r2", "r3", "r4", "r5"}},
		{"unit", bank.ReservationQuery{DIN: as[0].DIN, Limit: 10}, []string{"r1", "r2"}},
		{"centre", bank.ReservationQuery{TransplantCenter: "tc-2", Limit: 10}, []string{"r3"}},
		{"open only", bank.ReservationQuery{DIN: as[0].DIN, OpenOnly: true, Limit: 10}, []string{"r1"}},
		{"public units only", bank.ReservationQuery{Bank: "bank-a", PublicUnitsOnly: true, Limit: 10}, []string{"r1", "r2", "r3", "r4"}},
		{"combined", bank.ReservationQuery{Bank: "bank-a", TransplantCenter: "tc-1", OpenOnly: true, PublicUnitsOnly: true, Limit: 10}, []string{"r1", "r4"}},
		{"after", bank.ReservationQuery{AfterID: "r3", Limit: 10}, []string{"r4", "r5", "r6"}},
		{"limit", bank.ReservationQuery{AfterID: "r1", Limit: 2}, []string{"r2", "r3"}},
		{"zero limit", bank.ReservationQuery{}, nil},
	} {
		if d := diff(list(c.q), c.want); d != "" {
			t.Errorf("%s: %+v (-want +got):\n%s", c.name, c.q, d)
		}
	}
}

// reservationDue: only ACTIVE holds expiring at or before now, oldest
// expiry first, up to limit.
func reservationDue(t *testing.T, e *env) {
	_, us := e.seed("bank-a", 5)
	shipping := hold("r4", us[3], "tc-1", at(-3*time.Hour))
	shipping.Status = lifecycle.ReservationShipmentRequested
	released := hold("r5", us[4], "tc-1", at(-4*time.Hour))
	released.Status, released.EndTime = lifecycle.ReservationReleased, at(-5*time.Hour)
	e.insertReservations(
		hold("r1", us[0], "tc-1", at(-time.Hour)),
		hold("r2", us[1], "tc-1", at(-2*time.Hour)),
		hold("r3", us[2], "tc-1", at(time.Hour)), // not yet due
		shipping, released,
	)
	due := func(now time.Time, limit int) []string {
		t.Helper()
		return keys(e, func(tx bank.ReadTx) ([]*bank.Reservation, error) { return tx.DueReservations(e.ctx, now, limit) }, reservationID)
	}
	if d := diff(due(at(0), 10), []string{"r2", "r1"}); d != "" {
		t.Errorf("due now (-want +got):\n%s", d)
	}
	if d := diff(due(at(-time.Hour), 10), []string{"r2", "r1"}); d != "" {
		t.Errorf("due at r1's expiry exactly (-want +got):\n%s", d)
	}
	if d := diff(due(at(2*time.Hour), 1), []string{"r2"}); d != "" {
		t.Errorf("due later, limit 1 (-want +got):\n%s", d)
	}
}

// reservationPagingUnderInserts pages ListReservations while another
// goroutine inserts reservations: every reservation that existed before
// paging began is listed once, in id order.
func reservationPagingUnderInserts(t *testing.T, e *env) {
	_, us := e.seed("bank-a", 80)
	var before []*bank.Reservation
	for i := range 40 {
		before = append(before, hold(fmt.Sprintf("r%03d", 2*i+1), us[i], "tc-1", at(time.Hour)))
	}
	e.insertReservations(before...)
	var want []string
	for _, r := range before {
		want = append(want, r.ID)
	}
	pageUnderInserts(t, want, func(i int) error {
		if i >= 40 {
			return nil
		}
		return e.tryWrite(func(tx bank.Tx) error {
			return tx.InsertReservation(e.ctx, hold(fmt.Sprintf("r%03d", 2*i), us[40+i], "tc-1", at(time.Hour)))
		})
	}, func(after string) ([]string, error) {
		rs, err := readValue(e, func(tx bank.ReadTx) ([]*bank.Reservation, error) {
			return tx.ListReservations(e.ctx, bank.ReservationQuery{AfterID: after, Limit: 6})
		})
		return mapped(rs, reservationID), err
	})
}

// pageUnderInserts pages list (keyset: the last id of a page is the next
// cursor) to the end while insert(0), insert(1), ... run on another
// goroutine, one between each two pages and the rest freely after them.
// Every id of want must be listed exactly once, and ids must strictly
// increase.
func pageUnderInserts(t *testing.T, want []string, insert func(i int) error, list func(after string) ([]string, error)) {
	t.Helper()
	turns := make(chan int)
	var wg sync.WaitGroup
	var insertErr error
	wg.Go(func() {
		for i := range turns {
			if err := insert(i); err != nil && insertErr == nil {
				insertErr = err
			}
		}
	})
	stop := sync.OnceFunc(func() { close(turns); wg.Wait() })
	defer stop() // also when a check below fails
	var seen []string
	after := ""
	for page := 0; ; page++ {
		ids, err := list(after)
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		for _, id := range ids {
			// Also a cursor that does not advance, which would page forever.
			if len(seen) > 0 && id <= seen[len(seen)-1] {
				t.Fatalf("page %d: %s after %s: listed twice or out of order", page, id, seen[len(seen)-1])
			}
			seen = append(seen, id)
		}
		if len(ids) == 0 {
			break
		}
		after = ids[len(ids)-1]
		turns <- page // an insert races the next page
	}
	stop()
	if insertErr != nil {
		t.Errorf("concurrent insert: %v", insertErr)
	}
	listed := map[string]int{}
	for _, id := range seen {
		listed[id]++
	}
	for _, id := range want {
		if listed[id] != 1 {
			t.Errorf("%s existed before paging began and was listed %d times, want once", id, listed[id])
		}
	}
}

// racers is how many transactions race for one thing in the concurrency
// tests.
const racers = 16

// oneWinner runs race(0) .. race(racers-1) at once and fails t unless
// exactly one returns nil and every other KindFailedPrecondition: a
// constraint of the store, not a check of the domain, decided.
func oneWinner(t *testing.T, what string, race func(i int) error) {
	t.Helper()
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() { errs[i] = race(i) })
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case bank.KindOf(err) != bank.KindFailedPrecondition:
			t.Errorf("racer %d: %v, want KindFailedPrecondition", i, err)
		}
	}
	if won != 1 {
		t.Fatalf("%d of %d concurrent %s committed, want exactly 1", won, racers, what)
	}
}
