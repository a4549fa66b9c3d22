package banktest

import (
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
)

var idempotencyTests = []test{
	{"Replay", idemReplay},
	{"ReplayBank", idemReplayBank},
	{"DifferentContent", idemDifferentContent},
}

// idemReplay: a retry with the same request_id and content returns the
// first result and stores one unit, even after the unit changed.
func idemReplay(t *testing.T, e *env) {
	a := e.bank("bank-a")
	in := ValidUnit("bank-a", DIN(a.FIN, 24, 1))
	first, err := e.svc.CreateUnit(e.ctx, in, "8f14e45f-ceea-467a-9af0-2b1a6e4d1c01")
	if err != nil {
		t.Fatalf("CreateUnit: %v", err)
	}
	e.clock.Advance(time.Minute)
	again, err := e.svc.CreateUnit(e.ctx, ValidUnit("bank-a", in.DIN), "8f14e45f-ceea-467a-9af0-2b1a6e4d1c01")
	if err != nil {
		t.Fatalf("CreateUnit replay: %v", err)
	}
	if d := diff(again, first); d != "" {
		t.Errorf("replay returned (-want +got):\n%s", d)
	}
	units, _, err := e.svc.ListUnits(e.ctx, bank.ListUnitsRequest{Bank: "bank-a"})
	if err != nil || len(units) != 1 {
		t.Errorf("after a replay: %d units, err %v; want 1 unit", len(units), err)
	}

	var rec *bank.RequestRecord
	err = e.store.Read(e.ctx, func(tx bank.ReadTx) error {
		var err error
		rec, err = tx.GetRequest(e.ctx, "8f14e45f-ceea-467a-9af0-2b1a6e4d1c01")
		return err
	})
	if err != nil || rec == nil {
		t.Fatalf("GetRequest = %v, %v; want the record", rec, err)
	}
	if rec.Method != "CreateUnit" || rec.Resource != first.Name() || rec.Fingerprint == "" || !rec.CreateTime.Equal(Now) {
		t.Errorf("request record = %+v", rec)
	}
	err = e.store.Read(e.ctx, func(tx bank.ReadTx) error {
		var err error
		rec, err = tx.GetRequest(e.ctx, "never-used")
		return err
	})
	if err != nil || rec != nil {
		t.Errorf("GetRequest(unknown id) = %v, %v; want nil, nil", rec, err)
	}
}

func idemReplayBank(t *testing.T, e *env) {
	first, err := e.svc.CreateBank(e.ctx, ValidBank("bank-a"), "req-bank-1")
	if err != nil {
		t.Fatalf("CreateBank: %v", err)
	}
	e.clock.Advance(time.Minute)
	again, err := e.svc.CreateBank(e.ctx, ValidBank("bank-a"), "req-bank-1")
	if err != nil {
		t.Fatalf("CreateBank replay: %v", err)
	}
	if d := diff(again, first); d != "" {
		t.Errorf("replay returned (-want +got):\n%s", d)
	}
	// Without a request id, the same create is a duplicate.
	_, err = e.svc.CreateBank(e.ctx, ValidBank("bank-a"), "")
	wantErr(t, err, bank.KindAlreadyExists, bank.ReasonBankAlreadyExists)
}

// idemDifferentContent: the same request_id with another payload (or for
// another method) is refused and stores nothing.
func idemDifferentContent(t *testing.T, e *env) {
	a := e.bank("bank-a")
	in := ValidUnit("bank-a", DIN(a.FIN, 24, 1))
	if _, err := e.svc.CreateUnit(e.ctx, in, "req-1"); err != nil {
		t.Fatalf("CreateUnit: %v", err)
	}
	other := ValidUnit("bank-a", in.DIN)
	other.LocalID = "changed"
	_, err := e.svc.CreateUnit(e.ctx, other, "req-1")
	be := wantErr(t, err, bank.KindInvalid, bank.ReasonRequestIDReused)
	wantViolation(t, be, "request_id")
	wantMeta(t, be, "request_id", "req-1")

	second := ValidUnit("bank-a", DIN(a.FIN, 24, 2))
	_, err = e.svc.CreateUnit(e.ctx, second, "req-1")
	wantErr(t, err, bank.KindInvalid, bank.ReasonRequestIDReused)
	if _, err := e.svc.GetUnit(e.ctx, "bank-a", second.DIN); bank.KindOf(err) != bank.KindNotFound {
		t.Errorf("unit created under a reused request id: err = %v", err)
	}
	_, err = e.svc.CreateBank(e.ctx, ValidBank("bank-b"), "req-1")
	wantErr(t, err, bank.KindInvalid, bank.ReasonRequestIDReused)

	got, err := e.svc.GetUnit(e.ctx, "bank-a", in.DIN)
	if err != nil || got.LocalID != in.LocalID {
		t.Errorf("first unit after refused reuse: %v, %v; want local_id %q", got, err, in.LocalID)
	}
}
