package banktest

import (
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
)

var lifecycleTests = []test{
	{"TransitionsPersist", lifecycleTransitionsPersist},
	{"IllegalChangesNothing", lifecycleIllegalChangesNothing},
	{"StoreRefusesUnknownDistributor", lifecycleStoreRefusesUnknownDistributor},
}

// lifecycleTransitionsPersist runs a unit through release, make
// unavailable and transfer: what each call returns is what the store keeps.
func lifecycleTransitionsPersist(t *testing.T, e *env) {
	a := e.bank("bank-a")
	e.bank("bank-b")
	u := e.unit(ValidUnit("bank-a", DIN(a.FIN, 24, 1)))
	e.clock.Advance(time.Hour)
	step := func(r bank.TransitionRequest) *bank.Unit {
		t.Helper()
		r.Bank, r.DIN = u.Bank, u.DIN
		got, err := e.svc.Transition(e.ctx, r)
		if err != nil {
			t.Fatalf("%s: %v", r.Action, err)
		}
		stored, err := e.getUnit(u.Bank, u.DIN)
		if err != nil {
			t.Fatalf("GetUnit after %s: %v", r.Action, err)
		}
		if d := diff(stored, got); d != "" {
			t.Errorf("after %s, stored unit (-returned +stored):\n%s", r.Action, d)
		}
		return got
	}
	rel := step(bank.TransitionRequest{Action: lifecycle.ActionRelease, Etag: bank.Etag(u.Version), Note: "tests passed"})
	if rel.Status != lifecycle.StatusAvailable || !rel.StatusTime.Equal(Now.Add(time.Hour)) || rel.Version != 2 {
		t.Errorf("released: status %s, status time %v, version %d", rel.Status, rel.StatusTime, rel.Version)
	}
	until := unit.DateOf(Now).AddDays(10)
	tu := step(bank.TransitionRequest{Action: lifecycle.ActionMakeUnavailable, Reason: "QR", Until: until, Note: "recheck ünïcode"})
	if tu.StatusReason != "QR" || tu.StatusEndDate != until || tu.StatusNote != "recheck ünïcode" {
		t.Errorf("unavailable: reason %q, end %s, note %q", tu.StatusReason, tu.StatusEndDate, tu.StatusNote)
	}
	moved := step(bank.TransitionRequest{Action: lifecycle.ActionTransfer, DistributingBank: "bank-b", RequestID: "c1b5a4e2-0d1f-4f0e-8a7b-5d6c7e8f9a01"})
	if moved.DistributingBank != "bank-b" || moved.Status != lifecycle.StatusTemporarilyUnavailable || moved.StatusEndDate != until {
		t.Errorf("transferred: distributor %q, status %s, end %s", moved.DistributingBank, moved.Status, moved.StatusEndDate)
	}
	back := step(bank.TransitionRequest{Action: lifecycle.ActionTransfer, DistributingBank: "bank-a"})
	if back.DistributingBank != "" || back.Distributor() != "bank-a" {
		t.Errorf("transferred back: DistributingBank %q", back.DistributingBank)
	}
	// The transfer's request id was recorded with the change.
	_, err := e.svc.Transition(e.ctx, bank.TransitionRequest{Bank: u.Bank, DIN: u.DIN, Action: lifecycle.ActionTransfer,
		DistributingBank: "bank-a", RequestID: "c1b5a4e2-0d1f-4f0e-8a7b-5d6c7e8f9a01"})
	wantErr(t, err, bank.KindInvalid, bank.ReasonRequestIDReused)
}

// lifecycleIllegalChangesNothing: a refused transition writes nothing.
func lifecycleIllegalChangesNothing(t *testing.T, e *env) {
	a := e.bank("bank-a")
	u := e.unit(ValidUnit("bank-a", DIN(a.FIN, 24, 1)))
	_, err := e.svc.Transition(e.ctx, bank.TransitionRequest{Bank: u.Bank, DIN: u.DIN, Action: lifecycle.ActionShip, RequestID: "c1b5a4e2-0d1f-4f0e-8a7b-5d6c7e8f9a02"})
	be := wantErr(t, err, bank.KindFailedPrecondition, bank.ReasonIllegalTransition)
	wantMeta(t, be, "status", string(lifecycle.StatusQuarantine))
	got, err := e.getUnit(u.Bank, u.DIN)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(got, u); d != "" {
		t.Errorf("refused transition changed the unit (-before +after):\n%s", d)
	}
	// The refused call's request id was not recorded: it can be used again.
	if _, err := e.svc.Transition(e.ctx, bank.TransitionRequest{Bank: u.Bank, DIN: u.DIN, Action: lifecycle.ActionRelease, RequestID: "c1b5a4e2-0d1f-4f0e-8a7b-5d6c7e8f9a02"}); err != nil {
		t.Errorf("release with the refused call's request id: %v", err)
	}
}

// lifecycleStoreRefusesUnknownDistributor: the store itself keeps the
// distributing bank pointing at a bank that exists.
func lifecycleStoreRefusesUnknownDistributor(t *testing.T, e *env) {
	a := e.bank("bank-a")
	u := e.unit(ValidUnit("bank-a", DIN(a.FIN, 24, 1)))
	u.DistributingBank, u.Version = "no-bank", u.Version+1
	if err := e.store.Write(e.ctx, func(tx bank.Tx) error { return tx.UpdateUnit(e.ctx, u) }); err == nil {
		t.Fatal("UpdateUnit with an unknown distributing bank succeeded")
	}
}
