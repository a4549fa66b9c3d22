package banktest

import (
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/access"
	"github.com/cordbank/cordbank/bank/inventory"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
)

var countTests = []test{
	{"ByBankStatusAndType", countsByBankStatusAndType},
	{"SummaryCountsWhatTheCallerSees", summaryCountsWhatTheCallerSees},
	{"Resources", countResources},
	{"InventoryAtThePort", countInventoryAtThePort},
	{"SummaryAtThePort", summaryAtThePort},
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
		if _, err := e.svc.Transition(e.ctx, bank.TransitionRequest{Bank: a.ID, DIN: DIN(a.FIN, 24, i), Action: lifecycle.ActionRelease}); err != nil {
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
		{Bank: a.ID, Status: lifecycle.StatusQuarantine, Type: bank.UnitTypeAutologous, N: 1},
		{Bank: a.ID, Status: lifecycle.StatusQuarantine, Type: bank.UnitTypePublic, N: 1},
		{Bank: a.ID, Status: lifecycle.StatusReserved, Type: bank.UnitTypePublic, N: 2},
		{Bank: b.ID, Status: lifecycle.StatusQuarantine, Type: bank.UnitTypePublic, N: 1},
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
	for _, din := range []unit.DIN{DIN(a.FIN, 24, 1), DIN(a.FIN, 24, 4)} {
		if _, err := e.svc.Transition(e.ctx, bank.TransitionRequest{Bank: a.ID, DIN: din, Action: lifecycle.ActionRelease}); err != nil {
			t.Fatal(err)
		}
	}
	own, err := e.svc.SummarizeUnits(access.WithPrincipal(e.ctx, access.Principal{Name: "m", Role: access.RoleManager, Org: a.ID}), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if own.Total != 4 || own.ByStatus[lifecycle.StatusAvailable] != 2 || own.ByStatus[lifecycle.StatusQuarantine] != 2 ||
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
	if out.Total != 3 || out.ByType[bank.UnitTypeAutologous] != 0 || out.ByStatus[lifecycle.StatusAvailable] != 1 {
		t.Errorf("an outsider's summary counts private units: %+v", out)
	}
}

// countResources: CountResources counts every bank, unit, reservation
// (open or not), container and placement row.
func countResources(t *testing.T, e *env) {
	count := func() bank.ResourceCounts {
		t.Helper()
		return mustRead(e, func(tx bank.ReadTx) (bank.ResourceCounts, error) { return tx.CountResources(e.ctx) })
	}
	if c := count(); c != (bank.ResourceCounts{}) {
		t.Fatalf("counts of an empty store: %+v", c)
	}
	_, as := e.seed("bank-a", 3)
	_, bs := e.seed("bank-b", 1)
	ended := hold("r2", as[1], "tc-1", at(time.Hour))
	ended.Status, ended.EndTime = lifecycle.ReservationReleased, at(time.Hour)
	e.insertReservations(hold("r1", as[0], "tc-1", at(time.Hour)), ended)
	tank, box, rack := freezer("bank-a")
	otherTank, _, _ := freezer("bank-b")
	e.insertContainers(tank, box, rack, otherTank)
	if err := e.put(&bank.Placement{Bank: "bank-a", DIN: as[0].DIN, Container: "box-1", Position: "A1", Since: at(0)},
		&bank.Placement{Bank: "bank-b", DIN: bs[0].DIN, Container: "tank-1", Position: "1", Since: at(0)}); err != nil {
		t.Fatal(err)
	}
	if d := diff(count(), bank.ResourceCounts{Banks: 2, Units: 4, Reservations: 2, Containers: 4, Placements: 2}); d != "" {
		t.Errorf("CountResources (-want +got):\n%s", d)
	}
}

// countInventoryAtThePort: CountInventory's groups, the expiry window's
// boundary (strictly before), shipment requests open but never expiring,
// and open excursions only.
func countInventoryAtThePort(t *testing.T, e *env) {
	_, as := e.seed("bank-a", 4)
	_, bs := e.seed("bank-b", 2)
	bs[1].Type, bs[1].Status = bank.UnitTypeDirected, lifecycle.StatusAvailable
	e.write(func(tx bank.Tx) error { return tx.UpdateUnit(e.ctx, bs[1]) })
	window := at(24 * time.Hour)
	shipping := hold("r3", as[2], "tc-1", at(time.Hour))
	shipping.Status = lifecycle.ReservationShipmentRequested
	ended := hold("r4", as[3], "tc-1", at(time.Hour))
	ended.Status, ended.EndTime = lifecycle.ReservationFulfilled, at(time.Hour)
	e.insertReservations(
		hold("r1", as[0], "tc-1", at(time.Hour)), // expiring soon
		hold("r2", as[1], "tc-1", window),        // at the window's end: not before it
		shipping, ended,
		hold("r5", bs[0], "tc-1", at(48*time.Hour)),
	)
	tank, _, _ := freezer("bank-a")
	tank2 := *tank
	tank2.ID, tank2.Label = "tank-2", "LN2 dewar 2"
	e.insertContainers(tank, &tank2)
	e.write(func(tx bank.Tx) error {
		for _, x := range []*inventory.Excursion{
			{Bank: "bank-a", Container: "tank-1", StartTime: at(0), Readings: 1},
			{Bank: "bank-a", Container: "tank-2", StartTime: at(0), EndTime: at(time.Minute), Readings: 1},
		} {
			if err := tx.InsertExcursion(e.ctx, x); err != nil {
				return err
			}
		}
		return nil
	})
	got := mustRead(e, func(tx bank.ReadTx) (*bank.InventoryCounts, error) { return tx.CountInventory(e.ctx, window) })
	want := &bank.InventoryCounts{
		Units: []bank.UnitCount{
			{Bank: "bank-a", Status: lifecycle.StatusQuarantine, Type: bank.UnitTypePublic, N: 4},
			{Bank: "bank-b", Status: lifecycle.StatusAvailable, Type: bank.UnitTypeDirected, N: 1},
			{Bank: "bank-b", Status: lifecycle.StatusQuarantine, Type: bank.UnitTypePublic, N: 1},
		},
		Reservations:   []bank.ReservationCount{{Bank: "bank-a", Open: 3, ExpiringSoon: 1}, {Bank: "bank-b", Open: 1}},
		OpenExcursions: map[string]int{"bank-a": 1},
	}
	if d := diff(got, want); d != "" {
		t.Errorf("CountInventory (-want +got):\n%s", d)
	}
}

// summaryAtThePort: SummarizeUnits adds every unit of the bank (public
// ones only when asked) as NewUnitSummary's Add and AddAvailableTNC would.
func summaryAtThePort(t *testing.T, e *env) {
	_, as := e.seed("bank-a", 5)
	e.seed("bank-b", 2) // never counted for bank-a
	as[0].Status, as[0].Cells.PostProcessingTNC = lifecycle.StatusAvailable, 2.5e9
	as[1].Status, as[1].Cells.PostProcessingTNC = lifecycle.StatusAvailable, 5e7 // below the first bin
	as[2].Type, as[2].Status = bank.UnitTypeAutologous, lifecycle.StatusAvailable
	as[3].ABO, as[3].CollectionDate = bank.ABOA, date(2019, time.December, 31)
	e.write(func(tx bank.Tx) error {
		for _, u := range as[:4] {
			if err := tx.UpdateUnit(e.ctx, u); err != nil {
				return err
			}
		}
		return nil
	})
	summarize := func(publicOnly bool) *bank.UnitSummary {
		t.Helper()
		return mustRead(e, func(tx bank.ReadTx) (*bank.UnitSummary, error) { return tx.SummarizeUnits(e.ctx, "bank-a", publicOnly) })
	}
	for _, publicOnly := range []bool{false, true} {
		want := bank.NewUnitSummary()
		for _, u := range as {
			if publicOnly && u.IsPrivate() {
				continue
			}
			want.Add(u.Status, u.Type, u.ABO, u.CollectionDate.Year, 1)
			if u.Status == lifecycle.StatusAvailable {
				want.AddAvailableTNC(u.Cells.PostProcessingTNC)
			}
		}
		if d := diff(summarize(publicOnly), want); d != "" {
			t.Errorf("SummarizeUnits(publicOnly %v) (-want +got):\n%s", publicOnly, d)
		}
	}
}
