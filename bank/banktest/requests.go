package banktest

import (
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
)

// The port's request log (bank.RequestReader, bank.RequestWriter) and the
// store's own lifecycle (Ping, Close).
var requestTests = []test{
	{"PutThenGet", requestPutThenGet},
	{"RecordedOnce", requestRecordedOnce},
}

var storeTests = []test{
	{"Ping", storePing},
	{"CloseThenCallsFail", storeCloseThenCallsFail},
}

func (e *env) getRequest(id string) *bank.RequestRecord {
	e.t.Helper()
	return mustRead(e, func(tx bank.ReadTx) (*bank.RequestRecord, error) { return tx.GetRequest(e.ctx, id) })
}

func requestPutThenGet(t *testing.T, e *env) {
	if r := e.getRequest("req-1"); r != nil {
		t.Fatalf("GetRequest of an unknown id = %+v, want nil", r)
	}
	want := &bank.RequestRecord{ID: "req-1", Method: "CreateUnit", Fingerprint: "f00d", Resource: "banks/bank-a/units/X", CreateTime: at(time.Minute)}
	e.write(func(tx bank.Tx) error {
		if err := tx.PutRequest(e.ctx, want); err != nil {
			return err
		}
		// Visible to the rest of its own transaction.
		if got, err := tx.GetRequest(e.ctx, "req-1"); err != nil || got == nil {
			t.Errorf("GetRequest in the recording transaction = %v, %v", got, err)
		}
		return nil
	})
	if d := diff(e.getRequest("req-1"), want); d != "" {
		t.Errorf("request record (-want +got):\n%s", d)
	}
	// Ids are global and exact: another id finds nothing.
	if r := e.getRequest("REQ-1"); r != nil {
		t.Errorf("GetRequest(REQ-1) = %+v, want nil (ids are case-sensitive)", r)
	}
}

// requestRecordedOnce: recording an id twice fails (the caller must look
// it up first) and leaves the first record.
func requestRecordedOnce(t *testing.T, e *env) {
	first := &bank.RequestRecord{ID: "req-1", Method: "CreateBank", Fingerprint: "a", Resource: "banks/a", CreateTime: at(0)}
	e.write(func(tx bank.Tx) error { return tx.PutRequest(e.ctx, first) })
	err := e.tryWrite(func(tx bank.Tx) error {
		return tx.PutRequest(e.ctx, &bank.RequestRecord{ID: "req-1", Method: "CreateUnit", Fingerprint: "b", Resource: "banks/b", CreateTime: at(time.Hour)})
	})
	if err == nil {
		t.Errorf("a second PutRequest of one id succeeded")
	}
	if d := diff(e.getRequest("req-1"), first); d != "" {
		t.Errorf("record after a second PutRequest (-want +got):\n%s", d)
	}
}

func storePing(t *testing.T, e *env) {
	if err := e.store.Ping(e.ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

// storeCloseThenCallsFail: after Close, every call fails as unavailable
// (so health checks and requests report it) and a second Close is a no-op.
func storeCloseThenCallsFail(t *testing.T, e *env) {
	if err := e.store.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := e.store.Ping(e.ctx); bank.KindOf(err) != bank.KindUnavailable {
		t.Errorf("Ping after Close = %v, want KindUnavailable", err)
	}
	if err := e.store.Read(e.ctx, func(bank.ReadTx) error { return nil }); bank.KindOf(err) != bank.KindUnavailable {
		t.Errorf("Read after Close = %v, want KindUnavailable", err)
	}
	ran := false
	if err := e.store.Write(e.ctx, func(bank.Tx) error { ran = true; return nil }); bank.KindOf(err) != bank.KindUnavailable || ran {
		t.Errorf("Write after Close = %v (fn ran: %v), want KindUnavailable without running fn", err, ran)
	}
	if err := e.store.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
