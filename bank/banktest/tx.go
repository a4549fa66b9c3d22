package banktest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/unit"
)

var importTests = []test{
	{"MixedGoodAndBad", importMixedGoodAndBad},
	{"UnknownBank", importUnknownBank},
}

var txTests = []test{
	{"RollbackOnError", txRollbackOnError},
	{"ConcurrentWritesSerializable", txConcurrentWritesSerializable},
	{"ReadSeesOneSnapshot", txReadSeesOneSnapshot},
}

func importMixedGoodAndBad(t *testing.T, e *env) {
	a := e.bank("bank-a")
	b := e.bank("bank-b")
	din := func(seq int) unit.DIN { return DIN(a.FIN, 24, seq) }
	existing := e.unit(ValidUnit("bank-a", din(1)))
	otherBanks := e.unit(ValidUnit("bank-b", DIN(b.FIN, 24, 9)))

	invalid := ValidUnit("bank-a", din(3))
	invalid.Cells.PostProcessingTNC = 120 // typed in x10^7
	invalid.ABO = "Q"
	dupInBatch := ValidUnit("bank-a", din(2))
	dupInBatch.LocalID = "second copy"
	batch := []*bank.Unit{
		ValidUnit("bank-a", din(2)),             // 0 good
		invalid,                                 // 1 invalid
		ValidUnit("bank-a", din(1)),             // 2 the stored unit again: already present
		ValidUnit("bank-a", din(4)),             // 3 good
		dupInBatch,                              // 4 duplicate of row 0
		ValidUnit("bank-a", otherBanks.DIN),     // 5 another bank's unit, under its FIN
		ValidUnit("ignored-bank", din(5)),       // 6 good: the batch's bank wins
		ValidUnit("bank-a", DIN(b.FIN, 24, 10)), // 7 unused DIN under another bank's FIN
	}
	res, err := e.svc.ImportUnits(e.ctx, "bank-a", batch)
	if err != nil {
		t.Fatalf("ImportUnits: %v", err)
	}
	if len(res) != len(batch) {
		t.Fatalf("ImportUnits returned %d results for %d units", len(res), len(batch))
	}
	for _, i := range []int{0, 3, 6} {
		if res[i].Err != nil || res[i].Unit == nil {
			t.Errorf("row %d: unit %v, err %v; want stored", i, res[i].Unit, res[i].Err)
			continue
		}
		got, err := e.svc.GetUnit(e.ctx, "bank-a", res[i].Unit.DIN)
		if err != nil {
			t.Errorf("row %d: GetUnit: %v", i, err)
		} else if d := diff(got, res[i].Unit); d != "" {
			t.Errorf("row %d: stored unit differs from result (-want +got):\n%s", i, d)
		}
	}
	if res[0].Unit != nil && res[0].Unit.LocalID == "second copy" {
		t.Errorf("row 0 stored with the duplicate's content")
	}
	be := wantErr(t, res[1].Err, bank.KindInvalid, bank.ReasonInvalidArgument)
	wantViolation(t, be, "unit.cells.post_processing_tnc")
	wantViolation(t, be, "unit.abo")
	if r := res[2]; r.Err != nil || !r.AlreadyPresent || r.Unit == nil || r.Unit.Name() != existing.Name() {
		t.Errorf("row 2 (the stored unit sent again): %+v; want already present", r)
	}
	if r := res[4]; r.AlreadyPresent || r.Unit != nil {
		t.Errorf("row 4 (duplicate with other content): %+v; want refused", r)
	}
	be = wantErr(t, res[4].Err, bank.KindAlreadyExists, bank.ReasonUnitAlreadyExists)
	wantMeta(t, be, "din", string(batch[4].DIN))
	// Under another bank's FIN: refused the same way whether or not the
	// DIN is registered there.
	for _, i := range []int{5, 7} {
		if r := res[i]; r.AlreadyPresent || r.Unit != nil {
			t.Errorf("row %d (another bank's FIN): %+v; want refused", i, r)
		}
		be := wantErr(t, res[i].Err, bank.KindInvalid, bank.ReasonFINNotOwned)
		wantViolation(t, be, "unit.din")
		wantMeta(t, be, "fin", b.FIN)
	}
	if res[5].Err.Error() != res[7].Err.Error() {
		t.Errorf("refusals differ with the DIN's existence:\n%v\n%v", res[5].Err, res[7].Err)
	}

	want := []unit.DIN{din(1), din(2), din(4), din(5)}
	if d := diff(e.listAll(bank.ListUnitsRequest{Bank: "bank-a"}), want); d != "" {
		t.Errorf("bank-a units after import (-want +got):\n%s", d)
	}
	for _, u := range []*bank.Unit{existing, otherBanks} {
		got, err := e.getUnit(u.Bank, u.DIN)
		if err != nil {
			t.Fatalf("GetUnit: %v", err)
		}
		if d := diff(got, u); d != "" {
			t.Errorf("unit %s changed by import (-want +got):\n%s", u.DIN, d)
		}
	}

	// One audit event per stored unit, in batch order, none for refused
	// rows, and the chain still verifies.
	evs, _, err := e.svc.ListEvents(e.ctx, bank.ListEventsRequest{Methods: []string{"ImportUnits"}, PageSize: 100})
	if err != nil {
		t.Fatalf("ListEvents: %v", err)
	}
	var got []string
	for _, ev := range evs {
		got = append(got, ev.Resource)
	}
	var wantRes []string
	for _, i := range []int{0, 3, 6} {
		if res[i].Unit != nil {
			wantRes = append(wantRes, res[i].Unit.Name())
		}
	}
	if d := diff(got, wantRes); d != "" {
		t.Errorf("import events (-want +got):\n%s", d)
	}
	sum, err := e.svc.VerifyEvents(e.ctx)
	if err != nil || len(sum.Problems) != 0 {
		t.Errorf("VerifyEvents after import: %+v, %v", sum.Problems, err)
	}
}

func importUnknownBank(t *testing.T, e *env) {
	_, err := e.svc.ImportUnits(e.ctx, "no-bank", []*bank.Unit{ValidUnit("no-bank", DIN("B1234", 24, 1))})
	wantErr(t, err, bank.KindInvalid, bank.ReasonBankNotFound)
}

// txRollbackOnError: a Write whose fn fails leaves nothing behind, returns
// fn's error unchanged, and the store keeps working.
func txRollbackOnError(t *testing.T, e *env) {
	boom := errors.New("boom")
	b := ValidBank("bank-a")
	b.CreateTime, b.UpdateTime, b.Version = Now, Now, 1
	u := ValidUnit("bank-a", DIN(b.FIN, 24, 1))
	u.CreateTime, u.UpdateTime, u.Version = Now, Now, 1
	err := e.store.Write(e.ctx, func(tx bank.Tx) error {
		if err := tx.InsertBank(e.ctx, b); err != nil {
			return err
		}
		if err := tx.InsertUnit(e.ctx, u); err != nil {
			return err
		}
		if err := tx.PutRequest(e.ctx, &bank.RequestRecord{ID: "r1", Method: "CreateUnit", Fingerprint: "x", Resource: u.Name(), CreateTime: Now}); err != nil {
			return err
		}
		// The transaction sees its own writes.
		if _, err := tx.GetUnit(e.ctx, "bank-a", u.DIN); err != nil {
			return fmt.Errorf("read own write: %w", err)
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Write returned %v, want fn's error unchanged", err)
	}
	err = e.store.Read(e.ctx, func(tx bank.ReadTx) error {
		if _, err := tx.GetBank(e.ctx, "bank-a"); bank.KindOf(err) != bank.KindNotFound {
			t.Errorf("GetBank after rollback: err = %v, want not found", err)
		}
		if _, err := tx.GetUnit(e.ctx, "bank-a", u.DIN); bank.KindOf(err) != bank.KindNotFound {
			t.Errorf("GetUnit after rollback: err = %v, want not found", err)
		}
		if rec, err := tx.GetRequest(e.ctx, "r1"); rec != nil || err != nil {
			t.Errorf("GetRequest after rollback = %v, %v; want nil, nil", rec, err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	// The same writes succeed afterwards: the failed transaction is gone.
	e.bank("bank-a")
	e.unit(ValidUnit("bank-a", u.DIN))
}

// txConcurrentWritesSerializable runs read-modify-write transactions from
// many goroutines; a lost update would leave the version short.
func txConcurrentWritesSerializable(t *testing.T, e *env) {
	e.bank("bank-a")
	const workers, rounds = 8, 10
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				err := e.store.Write(e.ctx, func(tx bank.Tx) error {
					b, err := tx.GetBank(e.ctx, "bank-a")
					if err != nil {
						return err
					}
					b.Version++
					b.DisplayName = fmt.Sprintf("worker %d round %d", w, r)
					return tx.UpdateBank(e.ctx, b)
				})
				if err != nil {
					t.Errorf("worker %d round %d: %v", w, r, err)
					return
				}
			}
		})
	}
	wg.Wait()
	got, err := e.svc.GetBank(e.ctx, "bank-a")
	if err != nil {
		t.Fatalf("GetBank: %v", err)
	}
	if want := int64(1 + workers*rounds); got.Version != want {
		t.Errorf("version = %d after %d increments from 1, want %d (lost updates)", got.Version, workers*rounds, want)
	}
}

// txReadSeesOneSnapshot: while Writes each add a unit and its event, every
// statement of one Read sees the same moment, so the unit count, the unit
// list and the trail's head agree (a store reading each statement at its
// own moment, as READ COMMITTED does, would not).
func txReadSeesOneSnapshot(t *testing.T, e *env) {
	b, _ := e.seed("bank-a", 0)
	const writes = 20
	done := make(chan error, 1)
	go func() {
		for i := 1; i <= writes; i++ {
			u := ValidUnit("bank-a", DIN(b.FIN, 24, i))
			u.CreateTime, u.UpdateTime, u.Version = Now, Now, 1
			err := e.tryWrite(func(tx bank.Tx) error {
				if err := tx.InsertUnit(e.ctx, u); err != nil {
					return err
				}
				return tx.AppendEvent(e.ctx, event(int64(i), u.Name(), "bank-a", "CreateUnit", i))
			})
			if err != nil {
				done <- fmt.Errorf("write %d: %w", i, err)
				return
			}
		}
		done <- nil
	}()
	for reads, finished := 0, false; !finished || reads == 0; reads++ {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			finished = true
		default:
		}
		err := e.store.Read(e.ctx, func(tx bank.ReadTx) error {
			counts, err := tx.CountResources(e.ctx)
			if err != nil {
				return err
			}
			units, err := tx.ListUnits(e.ctx, bank.UnitQuery{Bank: "bank-a", Limit: writes + 1})
			if err != nil {
				return err
			}
			head, err := tx.LastEvent(e.ctx)
			if err != nil {
				return err
			}
			var seq int64
			if head != nil {
				seq = head.Seq
			}
			if counts.Units != int64(len(units)) || seq != counts.Units {
				return fmt.Errorf("one Read saw %d units counted, %d listed and the trail at %d", counts.Units, len(units), seq)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("read %d: %v", reads, err)
		}
	}
}
