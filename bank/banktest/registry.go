package banktest

import (
	"testing"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
)

// The port's banks and units (bank.RegistryReader, bank.RegistryWriter)
// where the service-driven groups Banks, Units and Import do not reach
// a method directly.
var registryTests = []test{
	{"ListBanks", registryListBanks},
	{"InsertUnits", registryInsertUnits},
	{"NoSharedMemory", registryNoSharedMemory},
}

func registryListBanks(t *testing.T, e *env) {
	for _, id := range []string{"bank-c", "bank-a", "bank-b"} {
		e.seed(id, 0)
	}
	list := func(after string, limit int) []string {
		t.Helper()
		return keys(e, func(tx bank.ReadTx) ([]*bank.Bank, error) { return tx.ListBanks(e.ctx, after, limit) },
			func(b *bank.Bank) string { return b.ID })
	}
	if d := diff(list("", 10), []string{"bank-a", "bank-b", "bank-c"}); d != "" {
		t.Errorf("ListBanks (-want +got):\n%s", d)
	}
	if d := diff(list("bank-a", 1), []string{"bank-b"}); d != "" {
		t.Errorf("ListBanks after bank-a, limit 1 (-want +got):\n%s", d)
	}
	if d := diff(list("bank-c", 10), []string(nil)); d != "" {
		t.Errorf("ListBanks after the last (-want +got):\n%s", d)
	}
}

// registryInsertUnits: one error slot per unit, KindAlreadyExists for a
// DIN registered before or earlier in the same call, the others stored.
func registryInsertUnits(t *testing.T, e *env) {
	b, existing := e.seed("bank-a", 1)
	unit := func(seq int, localID string) *bank.Unit {
		u := ValidUnit("bank-a", DIN(b.FIN, 24, seq))
		u.LocalID, u.CreateTime, u.UpdateTime, u.Version = localID, Now, Now, 1
		return u
	}
	batch := []*bank.Unit{unit(2, "first"), unit(1, "again"), unit(3, "third"), unit(2, "duplicate")}
	var errs []error
	e.write(func(tx bank.Tx) error {
		var err error
		errs, err = tx.InsertUnits(e.ctx, batch)
		return err
	})
	if len(errs) != len(batch) {
		t.Fatalf("InsertUnits returned %d errors for %d units", len(errs), len(batch))
	}
	for i, want := range []bool{false, true, false, true} {
		switch {
		case !want && errs[i] != nil:
			t.Errorf("unit %d: %v, want stored", i, errs[i])
		case want && bank.KindOf(errs[i]) != bank.KindAlreadyExists:
			t.Errorf("unit %d: %v, want KindAlreadyExists", i, errs[i])
		}
	}
	for _, want := range []*bank.Unit{existing[0], batch[0], batch[2]} {
		got, err := e.getUnit("bank-a", want.DIN)
		if err != nil {
			t.Fatalf("GetUnit(%s): %v", want.DIN, err)
		}
		if d := diff(got, want); d != "" {
			t.Errorf("unit %s (-want +got):\n%s", want.DIN, d)
		}
	}
}

// registryNoSharedMemory: the store keeps no reference to a unit it was
// given or returned, so changing one later (slices included) changes
// nothing stored.
func registryNoSharedMemory(t *testing.T, e *env) {
	_, us := e.seed("bank-a", 1)
	want := FullUnit("bank-a", us[0].DIN)
	want.Status, want.StatusReason, want.StatusEndDate, want.StatusNote = lifecycle.StatusQuarantine, "", unit.Date{}, ""
	given := FullUnit("bank-a", us[0].DIN)
	given.Status, given.StatusReason, given.StatusEndDate, given.StatusNote = want.Status, "", unit.Date{}, ""
	e.write(func(tx bank.Tx) error { return tx.UpdateUnit(e.ctx, given) })
	given.HLA[0].Text, given.Private.MaternalHLA[0].Text, given.LocalID = "changed", "changed", "changed"
	first, err := e.getUnit("bank-a", us[0].DIN)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(first, want); d != "" {
		t.Fatalf("stored unit changed with the caller's copy (-want +got):\n%s", d)
	}
	first.HLA[0].Text, first.Private.MaternalHLA[0].Text, *first.Cells.CFU = "changed", "changed", 1
	again, err := e.getUnit("bank-a", us[0].DIN)
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(again, want); d != "" {
		t.Errorf("stored unit changed with a returned copy (-want +got):\n%s", d)
	}
}
