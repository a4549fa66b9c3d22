package bank_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
)

// recorder is a Watcher that remembers the units it was told about.
type recorder struct {
	mu    sync.Mutex
	units []*bank.Unit
}

func (r *recorder) UnitsChanged(us []*bank.Unit) {
	r.mu.Lock()
	r.units = append(r.units, us...)
	r.mu.Unlock()
}
func (r *recorder) BankChanged(*bank.Bank) {}

// lifecycleEnv is a service over a fresh SQLite store with banks bank-a
// and bank-b.
type lifecycleEnv struct {
	store bank.Store
	svc   *bank.Service
	rec   *recorder
}

func newLifecycleEnv(t *testing.T) *lifecycleEnv {
	t.Helper()
	store := openStore(t)
	e := &lifecycleEnv{store: store, rec: &recorder{}}
	e.svc = bank.NewService(e.store, bank.WithClock(banktest.Clock), bank.WithWatcher(e.rec))
	for _, id := range []string{"bank-a", "bank-b"} {
		if _, err := e.svc.CreateBank(t.Context(), banktest.ValidBank(id), ""); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// unitIn stores a unit of bank-a in status st, as if earlier lifecycle
// calls had brought it there, and returns it.
func (e *lifecycleEnv) unitIn(t *testing.T, seq int, st lifecycle.Status) *bank.Unit {
	t.Helper()
	u := banktest.ValidUnit("bank-a", banktest.DIN(banktest.FIN("bank-a"), 24, seq))
	u.Status = st
	u.CreateTime, u.UpdateTime, u.Version = banktest.Now.Add(-time.Hour), banktest.Now.Add(-time.Hour), 3
	if err := e.store.Write(t.Context(), func(tx bank.Tx) error { return tx.InsertUnit(t.Context(), u) }); err != nil {
		t.Fatal(err)
	}
	return u
}

var today = unit.DateOf(banktest.Now)

// validRequest is a request for action a that passes validation.
func validRequest(u *bank.Unit, a lifecycle.Action) bank.TransitionRequest {
	r := bank.TransitionRequest{Bank: u.Bank, DIN: u.DIN, Action: a, Etag: bank.Etag(u.Version), Note: "by " + string(a)}
	switch a {
	case lifecycle.ActionMakeUnavailable:
		r.Reason, r.Until = "AD", today.AddDays(30)
	case lifecycle.ActionDiscard:
		r.Reason = "CD"
	case lifecycle.ActionWithdraw:
		r.Reason = "MR"
	case lifecycle.ActionTransfer:
		r.Note, r.DistributingBank = "", "bank-b"
	}
	return r
}

// legal is the state machine of domain.md §2.2 written out independently
// of the service's table: action -> from-state -> (to-state, EMDIS status,
// EMDIS reason recorded by validRequest).
var legal = map[lifecycle.Action]map[lifecycle.Status][3]string{
	lifecycle.ActionRelease: {lifecycle.StatusQuarantine: {"AVAILABLE", "AV", ""}},
	lifecycle.ActionMakeUnavailable: {
		lifecycle.StatusAvailable:              {"TEMPORARILY_UNAVAILABLE", "TU", "AD"},
		lifecycle.StatusTemporarilyUnavailable: {"TEMPORARILY_UNAVAILABLE", "TU", "AD"},
	},
	lifecycle.ActionMakeAvailable: {lifecycle.StatusTemporarilyUnavailable: {"AVAILABLE", "AV", ""}},
	lifecycle.ActionDiscard:       toAll("DISCARDED", "DE", "CD"),
	lifecycle.ActionExpire:        toAll("EXPIRED", "DE", "XP"),
	lifecycle.ActionWithdraw:      toAll("WITHDRAWN", "DE", "MR"),
	lifecycle.ActionShip:          {lifecycle.StatusShipmentRequested: {"SHIPPED", "DE", "DS"}},
	lifecycle.ActionRecordInfusion: {
		lifecycle.StatusShipped: {"INFUSED", "DE", "DS"},
	},
	// A transfer keeps the status (filled in by the test).
	lifecycle.ActionTransfer: {lifecycle.StatusQuarantine: {}, lifecycle.StatusAvailable: {}, lifecycle.StatusTemporarilyUnavailable: {}},
}

func toAll(to, emdis, reason string) map[lifecycle.Status][3]string {
	m := map[lifecycle.Status][3]string{}
	for _, s := range []lifecycle.Status{lifecycle.StatusQuarantine, lifecycle.StatusAvailable, lifecycle.StatusTemporarilyUnavailable, lifecycle.StatusReserved, lifecycle.StatusShipmentRequested} {
		m[s] = [3]string{to, emdis, reason}
	}
	return m
}

// TestLifecycleEveryPair tries every action on a unit in every state.
// Legal pairs reach the right state with the right EMDIS codes, record
// the reason, end date, note and time, bump the version and notify the
// watcher; illegal pairs are FAILED_PRECONDITION naming the current state
// and change nothing.
func TestLifecycleEveryPair(t *testing.T) {
	if len(lifecycle.Actions()) != len(legal) || len(lifecycle.Statuses()) != 10 {
		t.Fatalf("the test covers %d actions, the service has %d; statuses %d", len(legal), len(lifecycle.Actions()), len(lifecycle.Statuses()))
	}
	for _, a := range lifecycle.Actions() {
		for _, st := range lifecycle.Statuses() {
			t.Run(fmt.Sprintf("%s/%s", a, st), func(t *testing.T) {
				e := newLifecycleEnv(t)
				u := e.unitIn(t, 1, st)
				req := validRequest(u, a)
				got, err := e.svc.Transition(t.Context(), req)
				stored, gerr := e.svc.GetUnit(t.Context(), u.Bank, u.DIN)
				if gerr != nil {
					t.Fatal(gerr)
				}
				want, ok := legal[a][st]
				if ok != a.Allows(st) {
					t.Errorf("Allows = %v, the state machine says %v", a.Allows(st), ok)
				}
				if !ok {
					var be *bank.Error
					if !errors.As(err, &be) || be.Kind != bank.KindFailedPrecondition || be.Reason != bank.ReasonIllegalTransition {
						t.Fatalf("err = %v, want FAILED_PRECONDITION ILLEGAL_TRANSITION", err)
					}
					if be.Metadata["status"] != string(st) || be.Metadata["action"] != string(a) || !strings.Contains(be.Message, string(st)) {
						t.Errorf("error %q metadata %v does not name status %s and action %s", be.Message, be.Metadata, st, a)
					}
					if d := cmp.Diff(u, stored); d != "" {
						t.Errorf("refused %s changed the unit (-before +after):\n%s", a, d)
					}
					if len(e.rec.units) != 0 {
						t.Errorf("watcher told about a refused change")
					}
					return
				}
				if err != nil {
					t.Fatalf("%s from %s: %v", a, st, err)
				}
				exp := *u
				exp.Version, exp.UpdateTime = u.Version+1, banktest.Now
				if a == lifecycle.ActionTransfer {
					exp.DistributingBank = "bank-b"
				} else {
					exp.Status, exp.StatusReason, exp.StatusNote, exp.StatusTime = lifecycle.Status(want[0]), want[2], req.Note, banktest.Now
					exp.StatusEndDate = req.Until
				}
				if d := cmp.Diff(&exp, got); d != "" {
					t.Errorf("returned unit (-want +got):\n%s", d)
				}
				if d := cmp.Diff(got, stored); d != "" {
					t.Errorf("stored unit differs from returned (-returned +stored):\n%s", d)
				}
				emdis, reason := got.EMDIS()
				if a != lifecycle.ActionTransfer && (emdis != want[1] || reason != want[2]) {
					t.Errorf("EMDIS = %s/%s, want %s/%s", emdis, reason, want[1], want[2])
				}
				if len(e.rec.units) != 1 || e.rec.units[0].Version != got.Version {
					t.Errorf("watcher saw %d units, want the new version once", len(e.rec.units))
				}
			})
		}
	}
}

// TestLifecycleRequestRules: bad input is INVALID_ARGUMENT naming every
// violated field, before anything is read or written.
func TestLifecycleRequestRules(t *testing.T) {
	u := banktest.ValidUnit("bank-a", banktest.DIN(banktest.FIN("bank-a"), 24, 1))
	u.Status, u.Version = lifecycle.StatusAvailable, 1
	for _, tc := range []struct {
		name   string
		action lifecycle.Action
		mutate func(r *bank.TransitionRequest)
		fields []string
	}{
		{"release", lifecycle.ActionRelease, func(*bank.TransitionRequest) {}, nil},
		{"release NS lower case", lifecycle.ActionRelease, func(r *bank.TransitionRequest) { r.Reason = " ns" }, nil},
		{"release bad reason", lifecycle.ActionRelease, func(r *bank.TransitionRequest) { r.Reason = "QR" }, []string{"reason"}},
		{"release with until", lifecycle.ActionRelease, func(r *bank.TransitionRequest) { r.Until = today.AddDays(3) }, []string{"until"}},
		{"unavailable", lifecycle.ActionMakeUnavailable, func(*bank.TransitionRequest) {}, nil},
		{"unavailable QR", lifecycle.ActionMakeUnavailable, func(r *bank.TransitionRequest) { r.Reason = "QR" }, nil},
		{"unavailable until tomorrow", lifecycle.ActionMakeUnavailable, func(r *bank.TransitionRequest) { r.Until = today.AddDays(1) }, nil},
		{"unavailable until today", lifecycle.ActionMakeUnavailable, func(r *bank.TransitionRequest) { r.Until = today }, []string{"until"}},
		{"unavailable until past", lifecycle.ActionMakeUnavailable, func(r *bank.TransitionRequest) { r.Until = today.AddDays(-1) }, []string{"until"}},
		{"unavailable no until", lifecycle.ActionMakeUnavailable, func(r *bank.TransitionRequest) { r.Until = unit.Date{} }, []string{"until"}},
		{"unavailable no reason", lifecycle.ActionMakeUnavailable, func(r *bank.TransitionRequest) { r.Reason = "" }, []string{"reason"}},
		{"unavailable reason CD", lifecycle.ActionMakeUnavailable, func(r *bank.TransitionRequest) { r.Reason = "CD" }, []string{"reason"}},
		{"unavailable everything wrong", lifecycle.ActionMakeUnavailable, func(r *bank.TransitionRequest) {
			r.Reason, r.Until, r.Note, r.RequestID, r.DistributingBank = "XX", today.AddDays(-9), strings.Repeat("n", 2001), "a b", "bank-b"
		}, []string{"distributing_bank", "note", "reason", "request_id", "until"}},
		{"discard no reason", lifecycle.ActionDiscard, func(r *bank.TransitionRequest) { r.Reason = "" }, []string{"reason"}},
		{"discard MR", lifecycle.ActionDiscard, func(r *bank.TransitionRequest) { r.Reason = "MR" }, nil},
		{"discard XP", lifecycle.ActionDiscard, func(r *bank.TransitionRequest) { r.Reason = "XP" }, []string{"reason"}},
		{"discard note 2000", lifecycle.ActionDiscard, func(r *bank.TransitionRequest) { r.Note = strings.Repeat("ü", 2000) }, nil},
		{"discard note 2001", lifecycle.ActionDiscard, func(r *bank.TransitionRequest) { r.Note = strings.Repeat("ü", 2001) }, []string{"note"}},
		{"expire default XP", lifecycle.ActionExpire, func(*bank.TransitionRequest) {}, nil},
		{"expire OT", lifecycle.ActionExpire, func(r *bank.TransitionRequest) { r.Reason = "OT" }, []string{"reason"}},
		{"withdraw OT", lifecycle.ActionWithdraw, func(r *bank.TransitionRequest) { r.Reason = "OT" }, nil},
		{"withdraw CD", lifecycle.ActionWithdraw, func(r *bank.TransitionRequest) { r.Reason = "CD" }, []string{"reason"}},
		{"withdraw no reason", lifecycle.ActionWithdraw, func(r *bank.TransitionRequest) { r.Reason = "" }, []string{"reason"}},
		{"ship", lifecycle.ActionShip, func(*bank.TransitionRequest) {}, nil},
		{"ship MR", lifecycle.ActionShip, func(r *bank.TransitionRequest) { r.Reason = "MR" }, []string{"reason"}},
		{"infusion DS", lifecycle.ActionRecordInfusion, func(r *bank.TransitionRequest) { r.Reason = "DS" }, nil},
		{"transfer", lifecycle.ActionTransfer, func(*bank.TransitionRequest) {}, nil},
		{"transfer no bank", lifecycle.ActionTransfer, func(r *bank.TransitionRequest) { r.DistributingBank = "" }, []string{"distributing_bank"}},
		{"transfer bad bank id", lifecycle.ActionTransfer, func(r *bank.TransitionRequest) { r.DistributingBank = "Bank B" }, []string{"distributing_bank"}},
		{"transfer with reason and note", lifecycle.ActionTransfer, func(r *bank.TransitionRequest) { r.Reason, r.Note = "OT", "x" }, []string{"note", "reason"}},
		{"unknown action", "destroy", func(*bank.TransitionRequest) {}, []string{"action"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := validRequest(u, tc.action)
			tc.mutate(&r)
			_, err := newService().Transition(t.Context(), r)
			if got := invalidFields(t, err); !slices.Equal(got, tc.fields) {
				t.Errorf("violations %v, want %v (err %v)", got, tc.fields, err)
			}
		})
	}
}

func TestLifecycleEtagAndIdempotency(t *testing.T) {
	e := newLifecycleEnv(t)
	u := e.unitIn(t, 1, lifecycle.StatusQuarantine)
	ctx := t.Context()

	stale := validRequest(u, lifecycle.ActionRelease)
	stale.Etag = bank.Etag(u.Version - 1)
	_, err := e.svc.Transition(ctx, stale)
	if bank.KindOf(err) != bank.KindAborted {
		t.Fatalf("stale etag: %v, want aborted", err)
	}

	req := validRequest(u, lifecycle.ActionRelease)
	req.RequestID = "6f1c0d1e-1111-4a4a-9b9b-000000000001"
	first, err := e.svc.Transition(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	// A retry (its etag is stale now) returns the unit without applying
	// the action again.
	again, err := e.svc.Transition(ctx, req)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if d := cmp.Diff(first, again); d != "" {
		t.Errorf("retry returned another unit (-first +retry):\n%s", d)
	}
	if len(e.rec.units) != 1 {
		t.Errorf("watcher notified %d times, want once", len(e.rec.units))
	}
	// The same id for other content is refused.
	other := req
	other.Note = "different"
	_, err = e.svc.Transition(ctx, other)
	var be *bank.Error
	if !errors.As(err, &be) || be.Reason != bank.ReasonRequestIDReused {
		t.Fatalf("reused id: %v", err)
	}
	// Without a request id, repeating a release is an illegal transition.
	req.RequestID, req.Etag = "", ""
	if _, err := e.svc.Transition(ctx, req); bank.KindOf(err) != bank.KindFailedPrecondition {
		t.Fatalf("second release: %v", err)
	}
	// An unknown unit is not found.
	missing := validRequest(banktest.ValidUnit("bank-a", banktest.DIN(banktest.FIN("bank-a"), 24, 99)), lifecycle.ActionRelease)
	missing.Etag = ""
	if _, err := e.svc.Transition(ctx, missing); bank.KindOf(err) != bank.KindNotFound {
		t.Fatalf("missing unit: %v", err)
	}
}

func TestLifecycleTransfer(t *testing.T) {
	e := newLifecycleEnv(t)
	u := e.unitIn(t, 1, lifecycle.StatusAvailable)
	ctx := t.Context()
	transfer := func(to string) (*bank.Unit, error) {
		return e.svc.Transition(ctx, bank.TransitionRequest{Bank: u.Bank, DIN: u.DIN, Action: lifecycle.ActionTransfer, DistributingBank: to})
	}
	_, err := transfer("bank-z")
	var be *bank.Error
	if !errors.As(err, &be) || be.Kind != bank.KindInvalid || be.Reason != bank.ReasonBankNotFound || be.Violations[0].Field != "distributing_bank" {
		t.Fatalf("unknown target: %v", err)
	}
	_, err = transfer("bank-a")
	if bank.KindOf(err) != bank.KindInvalid {
		t.Fatalf("transfer to the current distributor: %v", err)
	}
	got, err := transfer("bank-b")
	if err != nil {
		t.Fatal(err)
	}
	if got.Distributor() != "bank-b" || got.Name() != u.Name() || got.Status != lifecycle.StatusAvailable {
		t.Fatalf("after transfer: distributor %s, name %s, status %s", got.Distributor(), got.Name(), got.Status)
	}
	// Back to the parent bank: the default representation again.
	got, err = transfer("bank-a")
	if err != nil {
		t.Fatal(err)
	}
	if got.DistributingBank != "" || got.Distributor() != "bank-a" {
		t.Fatalf("after transfer back: DistributingBank %q", got.DistributingBank)
	}
}

// TestLifecycleUnavailableRoundTrip: the EMDIS codes follow the recorded
// reason, and making a unit available again clears the end date.
func TestLifecycleUnavailableRoundTrip(t *testing.T) {
	e := newLifecycleEnv(t)
	u := e.unitIn(t, 1, lifecycle.StatusAvailable)
	ctx := t.Context()
	r := validRequest(u, lifecycle.ActionMakeUnavailable)
	r.Reason, r.Etag = "qr", ""
	got, err := e.svc.Transition(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if s, reason := got.EMDIS(); s != "TU" || reason != "QR" || got.StatusEndDate != r.Until {
		t.Fatalf("unavailable: %s/%s until %s", s, reason, got.StatusEndDate)
	}
	got, err = e.svc.Transition(ctx, bank.TransitionRequest{Bank: u.Bank, DIN: u.DIN, Action: lifecycle.ActionMakeAvailable})
	if err != nil {
		t.Fatal(err)
	}
	if s, reason := got.EMDIS(); s != "AV" || reason != "" || !got.StatusEndDate.IsZero() || got.StatusNote != "" {
		t.Fatalf("available: %s/%s until %s note %q", s, reason, got.StatusEndDate, got.StatusNote)
	}
	// UpdateUnit cannot write lifecycle fields.
	for _, p := range []string{"status_reason", "status_end_date", "status_note", "status_time", "distributing_bank"} {
		_, err := e.svc.UpdateUnit(ctx, got, []string{p}, "")
		if f := invalidFields(t, err); !slices.Equal(f, []string{"update_mask"}) {
			t.Errorf("update of %s: violations %v", p, f)
		}
	}
}
