package banktest

import (
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
)

var countTests = []test{
	{"ByBankStatusAndType", countsByBankStatusAndType},
}

// countsByBankStatusAndType: units are counted per bank, status and type;
// open reservations per bank, with the ones lapsing inside the window.
func countsByBankStatusAndType(t *testing.T, e *env) {
	a, b := e.bank("bank-a"), e.bank("bank-b")
	for i := 1; i <= 3; i++ {
		e.unit(ValidUnit(a.ID, DIN(a.FIN, 24, i)))
	}
	auto := ValidUnit(a.ID, DIN(a.FIN, 24, 4))
	auto.Type = bank.UnitTypeAutologous
	e.unit(auto)
	e.unit(ValidUnit(b.ID, DIN(b.FIN, 24, 1)))
	for i := 1; i <= 2; i++ {
		if _, err := e.svc.Transition(e.ctx, bank.TransitionRequest{Bank: a.ID, DIN: DIN(a.FIN, 24, i), Action: bank.ActionRelease}); err != nil {
			t.Fatal(err)
		}
	}
	now := e.clock.Now()
	for i, expire := range []time.Time{now.Add(2 * time.Hour), now.Add(72 * time.Hour)} {
		if _, err := e.svc.ReserveUnit(e.ctx, bank.ReserveRequest{Bank: a.ID, DIN: DIN(a.FIN, 24, i+1), TransplantCenter: "tc-1",
			PatientID: "P-1", ExpireTime: expire}); err != nil {
			t.Fatalf("reserve %d: %v", i, err)
		}
	}
	got, err := e.svc.InventoryCounts(e.ctx, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	want := []bank.UnitCount{
		{Bank: a.ID, Status: bank.StatusQuarantine, Type: bank.UnitTypeAutologous, N: 1},
		{Bank: a.ID, Status: bank.StatusQuarantine, Type: bank.UnitTypePublic, N: 1},
		{Bank: a.ID, Status: bank.StatusReserved, Type: bank.UnitTypePublic, N: 2},
		{Bank: b.ID, Status: bank.StatusQuarantine, Type: bank.UnitTypePublic, N: 1},
	}
	if d := diff(got.Units, want); d != "" {
		t.Errorf("unit counts (-want +got):\n%s", d)
	}
	if d := diff(got.Reservations, []bank.ReservationCount{{Bank: a.ID, Open: 2, ExpiringSoon: 1}}); d != "" {
		t.Errorf("reservation counts (-want +got):\n%s", d)
	}
	if len(got.OpenExcursions) != 0 {
		t.Errorf("open excursions %v, want none", got.OpenExcursions)
	}
}
