package sqlite_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/bank/inventory"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
)

// workflow runs most of the audited use cases on l's bank: registration
// (one by one and by import), an update, lifecycle steps, a reservation
// and its end, containers, placement, moves and a discard that frees a
// position. It returns a unit still in storage.
func workflow(t *testing.T, l *liveDB) unit.DIN {
	t.Helper()
	ctx, svc := t.Context(), l.svc
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	dins := make([]unit.DIN, 6)
	for i := range dins {
		dins[i] = banktest.DIN(l.fin, 25, i+1)
	}
	for _, din := range dins[:3] {
		_, err := svc.CreateUnit(ctx, banktest.ValidUnit("live", din), "")
		must(err)
	}
	var imported []*bank.Unit
	for _, din := range dins[3:] {
		imported = append(imported, banktest.ValidUnit("live", din))
	}
	res, err := svc.ImportUnits(ctx, "live", imported)
	must(err)
	for _, r := range res {
		must(r.Err)
	}
	u, err := svc.GetUnit(ctx, "live", dins[0])
	must(err)
	u.LocalID, u.Cells.PostProcessingTNC = "CB-NEW", 1.3e9
	_, err = svc.UpdateUnit(ctx, u, []string{"local_id", "cells.post_processing_tnc"}, "")
	must(err)
	for _, din := range dins {
		_, err := svc.Transition(ctx, bank.TransitionRequest{Bank: "live", DIN: din, Action: lifecycle.ActionRelease})
		must(err)
	}
	resv, err := svc.ReserveUnit(ctx, bank.ReserveRequest{Bank: "live", DIN: dins[1], TransplantCenter: "tc-1", PatientID: "P-1", ExpireTime: time.Now().Add(72 * time.Hour)})
	must(err)
	_, err = svc.ChangeReservation(ctx, bank.ReservationChange{Bank: "live", DIN: dins[1], ID: resv.ID, Action: lifecycle.ReservationExtend, ExpireTime: time.Now().Add(96 * time.Hour)})
	must(err)
	_, err = svc.ChangeReservation(ctx, bank.ReservationChange{Bank: "live", DIN: dins[1], ID: resv.ID, Action: lifecycle.ReservationRelease})
	must(err)
	_, err = svc.CreateContainers(ctx, "live", []*inventory.Container{
		{Bank: "live", ID: "tank-1", Kind: inventory.KindTank, Label: "LN2-1", Layout: inventory.Layout{Kind: inventory.LayoutSlots, Slots: 4}},
		{Bank: "live", ID: "tank-2", Kind: inventory.KindTank, Label: "LN2-2", Layout: inventory.Layout{Kind: inventory.LayoutSlots, Slots: 4}},
		{Bank: "live", ID: "box-1", Kind: inventory.KindBox, Label: "BOX-1", Parent: "tank-1", Layout: inventory.Layout{Kind: inventory.LayoutGrid, Rows: 3, Columns: 3}},
	}, "")
	must(err)
	for i, din := range dins[:4] {
		_, err := svc.PlaceUnit(ctx, bank.PlaceRequest{Bank: "live", DIN: din, Container: "box-1", Position: []string{"A1", "A2", "B1", "C3"}[i]})
		must(err)
	}
	_, err = svc.MoveUnit(ctx, bank.PlaceRequest{Bank: "live", DIN: dins[0], Container: "box-1", Position: "B2"})
	must(err)
	_, err = svc.MoveContainer(ctx, bank.MoveContainerRequest{Bank: "live", ID: "box-1", Parent: "tank-2"})
	must(err)
	_, err = svc.Transition(ctx, bank.TransitionRequest{Bank: "live", DIN: dins[3], Action: lifecycle.ActionDiscard, Reason: "CD"})
	must(err)
	return dins[0]
}

func verifyState(t *testing.T, svc *bank.Service) bank.StateSummary {
	t.Helper()
	sum, err := svc.VerifyState(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// TestVerifyStateDetectsRowEdits: after a workflow the tables equal the
// state the trail implies; an edit of a row with plain SQL (what sqlite3
// on the file does) is reported by row and field.
func TestVerifyStateDetectsRowEdits(t *testing.T) {
	l := newLiveDB(t)
	workflow(t, l)
	sum := verifyState(t, l.svc)
	if len(sum.Differences) > 0 {
		t.Fatalf("an untouched database differs from its trail: %+v", sum.Differences)
	}
	if sum.Rows.Units != 6 || sum.Rows.Containers != 3 || sum.Rows.Reservations != 1 || sum.Rows.Placements != 3 || sum.Events == 0 {
		t.Fatalf("summary %+v", sum)
	}
	for _, c := range []struct {
		name, sql string
		resource  string // "" for any
		field     string
	}{
		{"UnitTNC", `UPDATE units SET post_processing_tnc = 9.9e9 WHERE din = '{din}'`, "{unit}", "cells.post_processing_tnc"},
		{"UnitStatus", `UPDATE units SET status = 'AVAILABLE' WHERE status = 'DISCARDED'`, "", "status"},
		{"Position", `UPDATE unit_locations SET position = 'C1' WHERE din = '{din}'`, "{unit}", "location"},
		{"PlacementRemoved", `DELETE FROM unit_locations WHERE din = '{din}'`, "{unit}", "location"},
		{"Reservation", `UPDATE reservations SET patient_id = 'P-2'`, "", "patient_id"},
		{"Container", `UPDATE containers SET label = 'FAKE' WHERE id = 'tank-1'`, "banks/live/containers/tank-1", "label"},
		{"UnitRowAdded", `CREATE TEMP TABLE x AS SELECT * FROM units WHERE din = '{din}';
			UPDATE x SET din = 'X999925999999'; INSERT INTO units SELECT * FROM x`, "units", ""},
		{"UnitRowDeleted", `PRAGMA foreign_keys = off; DELETE FROM unit_locations WHERE din = '{din}'; DELETE FROM units WHERE din = '{din}'`, "{unit}", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := newLiveDB(t)
			din := workflow(t, l)
			unit := "banks/live/units/" + string(din)
			r := strings.NewReplacer("{din}", string(din), "{unit}", unit)
			execOn(t, l.path, r.Replace(c.sql))
			sum := verifyState(t, l.svc)
			want := r.Replace(c.resource)
			for _, d := range sum.Differences {
				if (want == "" || d.Resource == want) && d.Field == c.field {
					return
				}
			}
			t.Fatalf("edit not reported on %q field %q: %+v", want, c.field, sum.Differences)
		})
	}
}

// TestVerifyStateSeesEditBetweenChanges: a row edited and then changed
// again through the service still shows, at the later event, that the
// value it found was never recorded.
func TestVerifyStateSeesEditBetweenChanges(t *testing.T) {
	l := newLiveDB(t)
	din := workflow(t, l)
	execOn(t, l.path, `UPDATE units SET local_id = 'FORGED' WHERE din = '`+string(din)+`'`)
	u, err := l.svc.GetUnit(t.Context(), "live", din)
	if err != nil {
		t.Fatal(err)
	}
	u.LocalID = "CB-LATER"
	if _, err := l.svc.UpdateUnit(t.Context(), u, []string{"local_id"}, ""); err != nil {
		t.Fatal(err)
	}
	sum := verifyState(t, l.svc)
	if len(sum.Differences) != 1 || sum.Differences[0].Field != "local_id" || sum.Differences[0].Seq == 0 || sum.Differences[0].Table != `"FORGED"` {
		t.Fatalf("differences %+v", sum.Differences)
	}
}
