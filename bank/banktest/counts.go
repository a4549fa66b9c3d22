package banktest

import (
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/access"
)

var countTests = []test{
	{"ByBankStatusAndType", countsByBankStatusAndType},
	{"SummaryCountsWhatTheCallerSees", summaryCountsWhatTheCallerSees},
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

// summaryCountsWhatTheCallerSees: SummarizeUnits counts a bank's units by
// status, type, ABO and year and bins available units' TNC; an outsider's
// summary counts public units only.
func summaryCountsWhatTheCallerSees(t *testing.T, e *env) {
	a := e.bank("bank-a")
	for i := 1; i <= 3; i++ {
		e.unit(ValidUnit(a.ID, DIN(a.FIN, 24, i)))
	}
	auto := ValidUnit(a.ID, DIN(a.FIN, 24, 4))
	auto.Type = bank.UnitTypeAutologous
	e.unit(auto)
	for _, din := range []bank.DIN{DIN(a.FIN, 24, 1), DIN(a.FIN, 24, 4)} {
		if _, err := e.svc.Transition(e.ctx, bank.TransitionRequest{Bank: a.ID, DIN: din, Action: bank.ActionRelease}); err != nil {
			t.Fatal(err)
		}
	}
	own, err := e.svc.SummarizeUnits(access.WithPrincipal(e.ctx, access.Principal{Name: "m", Role: access.RoleManager, Org: a.ID}), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if own.Total != 4 || own.ByStatus[bank.StatusAvailable] != 2 || own.ByStatus[bank.StatusQuarantine] != 2 ||
		own.ByType[bank.UnitTypeAutologous] != 1 || own.ByABO[auto.ABO] != 4 {
		t.Errorf("own bank's summary: %+v", own)
	}
	binned := 0
	for _, b := range own.AvailableTNC {
		binned += b.N
	}
	if binned != 2 {
		t.Errorf("%d available units binned by TNC, want 2", binned)
	}
	out, err := e.svc.SummarizeUnits(access.WithPrincipal(e.ctx, access.Principal{Name: "c", Role: access.RoleCoordinator, Org: "tc-1"}), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if out.Total != 3 || out.ByType[bank.UnitTypeAutologous] != 0 || out.ByStatus[bank.StatusAvailable] != 1 {
		t.Errorf("an outsider's summary counts private units: %+v", out)
	}
}
