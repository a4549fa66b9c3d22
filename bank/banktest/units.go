package banktest

import (
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
)

var unitTests = []test{
	{"CreateThenGet", unitCreateThenGet},
	{"UnknownBank", unitUnknownBank},
	{"DuplicateDIN", unitDuplicateDIN},
	{"NotFoundInOtherBank", unitNotFoundInOtherBank},
	{"EtagMismatch", unitEtagMismatch},
	{"UpdateMask", unitUpdateMask},
	{"ImmutableFields", unitImmutableFields},
	{"RoundTripAllFields", unitRoundTripAllFields},
}

func unitCreateThenGet(t *testing.T, e *env) {
	b := e.bank("bank-a")
	in := ValidUnit("bank-a", DIN(b.FIN, 24, 1))
	in.Status = lifecycle.StatusAvailable // ignored: new units start in quarantine
	created, err := e.svc.CreateUnit(e.ctx, in, "")
	if err != nil {
		t.Fatalf("CreateUnit: %v", err)
	}
	want := ValidUnit("bank-a", DIN(b.FIN, 24, 1))
	want.Status = lifecycle.StatusQuarantine
	want.CreateTime, want.UpdateTime, want.Version = Now, Now, 1
	if d := diff(created, want); d != "" {
		t.Errorf("CreateUnit returned (-want +got):\n%s", d)
	}
	got, err := e.svc.GetUnit(e.ctx, "bank-a", want.DIN)
	if err != nil {
		t.Fatalf("GetUnit: %v", err)
	}
	if d := diff(got, want); d != "" {
		t.Errorf("GetUnit (-want +got):\n%s", d)
	}
	if in.Status != lifecycle.StatusAvailable || in.Version != 0 {
		t.Errorf("CreateUnit modified its argument: status %s, version %d", in.Status, in.Version)
	}
}

func unitUnknownBank(t *testing.T, e *env) {
	_, err := e.svc.CreateUnit(e.ctx, ValidUnit("no-bank", DIN("B1234", 24, 1)), "")
	be := wantErr(t, err, bank.KindInvalid, bank.ReasonBankNotFound)
	wantViolation(t, be, "parent")

	// The store itself refuses a unit of a missing bank.
	u := ValidUnit("no-bank", DIN("B1234", 24, 2))
	err = e.store.Write(e.ctx, func(tx bank.Tx) error { return tx.InsertUnit(e.ctx, u) })
	if err == nil {
		t.Fatal("InsertUnit of a unit of a missing bank succeeded")
	}
}

func unitDuplicateDIN(t *testing.T, e *env) {
	a := e.bank("bank-a")
	e.bank("bank-b")
	din := DIN(a.FIN, 24, 7)
	first := e.unit(ValidUnit("bank-a", din))

	again := ValidUnit("bank-a", din)
	again.LocalID = "other"
	_, err := e.svc.CreateUnit(e.ctx, again, "")
	be := wantErr(t, err, bank.KindAlreadyExists, bank.ReasonUnitAlreadyExists)
	wantMeta(t, be, "din", string(din))

	// Another bank cannot register it either: the DIN's FIN is bank-a's,
	// and the refusal is the same as for a DIN nobody registered.
	_, err = e.svc.CreateUnit(e.ctx, ValidUnit("bank-b", din), "")
	be = wantErr(t, err, bank.KindInvalid, bank.ReasonFINNotOwned)
	wantViolation(t, be, "unit.din")
	_, unused := e.svc.CreateUnit(e.ctx, ValidUnit("bank-b", DIN(a.FIN, 24, 8)), "")
	if unused == nil || unused.Error() != err.Error() {
		t.Errorf("refusal under another bank's FIN depends on the DIN's existence:\n%v\n%v", err, unused)
	}

	got, err := e.svc.GetUnit(e.ctx, "bank-a", din)
	if err != nil {
		t.Fatalf("GetUnit: %v", err)
	}
	if d := diff(got, first); d != "" {
		t.Errorf("first unit changed by refused duplicates (-want +got):\n%s", d)
	}
	if _, err := e.svc.GetUnit(e.ctx, "bank-b", din); bank.KindOf(err) != bank.KindNotFound {
		t.Errorf("GetUnit(bank-b): err = %v, want not found", err)
	}
}

func unitNotFoundInOtherBank(t *testing.T, e *env) {
	a := e.bank("bank-a")
	e.bank("bank-b")
	din := DIN(a.FIN, 24, 3)
	stored := e.unit(ValidUnit("bank-a", din))

	_, err := e.svc.GetUnit(e.ctx, "bank-b", din)
	be := wantErr(t, err, bank.KindNotFound, bank.ReasonUnitNotFound)
	wantMeta(t, be, "name", "banks/bank-b/units/"+string(din))

	_, err = e.svc.GetUnit(e.ctx, "bank-a", DIN(a.FIN, 24, 4))
	wantErr(t, err, bank.KindNotFound, bank.ReasonUnitNotFound)

	upd := ValidUnit("bank-b", din)
	upd.LocalID = "stolen"
	_, err = e.svc.UpdateUnit(e.ctx, upd, []string{"local_id"}, "")
	wantErr(t, err, bank.KindNotFound, bank.ReasonUnitNotFound)

	// Store level: an update keyed by the wrong bank changes nothing.
	moved := *stored
	moved.Bank, moved.LocalID = "bank-b", "stolen"
	err = e.store.Write(e.ctx, func(tx bank.Tx) error { return tx.UpdateUnit(e.ctx, &moved) })
	wantErr(t, err, bank.KindNotFound, bank.ReasonUnitNotFound)
	got, err := e.getUnit("bank-a", din)
	if err != nil {
		t.Fatalf("GetUnit: %v", err)
	}
	if d := diff(got, stored); d != "" {
		t.Errorf("unit changed by an update through another bank (-want +got):\n%s", d)
	}
}

func unitEtagMismatch(t *testing.T, e *env) {
	a := e.bank("bank-a")
	u := e.unit(ValidUnit("bank-a", DIN(a.FIN, 24, 1)))
	upd := *u
	upd.LocalID = "L-2"
	_, err := e.svc.UpdateUnit(e.ctx, &upd, []string{"local_id"}, bank.Etag(7))
	be := wantErr(t, err, bank.KindAborted, bank.ReasonEtagMismatch)
	wantMeta(t, be, "current_etag", bank.Etag(1))
	wantMeta(t, be, "name", u.Name())

	got, err := e.svc.UpdateUnit(e.ctx, &upd, []string{"local_id"}, bank.Etag(u.Version))
	if err != nil {
		t.Fatalf("UpdateUnit with the current etag: %v", err)
	}
	if got.Version != 2 || got.LocalID != "L-2" {
		t.Errorf("after update: version %d, local_id %q; want 2, L-2", got.Version, got.LocalID)
	}
	// The etag read before that update is stale now.
	_, err = e.svc.UpdateUnit(e.ctx, &upd, []string{"local_id"}, bank.Etag(u.Version))
	wantErr(t, err, bank.KindAborted, bank.ReasonEtagMismatch)
}

func unitUpdateMask(t *testing.T, e *env) {
	a := e.bank("bank-a")
	orig := e.unit(ValidUnit("bank-a", DIN(a.FIN, 24, 1)))
	e.clock.Advance(time.Hour)

	// The request carries many changed fields, the mask names two.
	req := FullUnit("bank-a", orig.DIN)
	req.Type = bank.UnitTypePublic
	req.LocalID = "NEW-ID"
	req.ABO = bank.ABOAB
	req.Cells.ViabilityPercent = nil // clear a measured value
	req.Cells.PostProcessingTNC = 9e8
	got, err := e.svc.UpdateUnit(e.ctx, req, []string{"local_id", "cells.viability_percent"}, "")
	if err != nil {
		t.Fatalf("UpdateUnit: %v", err)
	}
	want := *orig
	want.LocalID = "NEW-ID"
	want.Cells.ViabilityPercent = nil
	want.UpdateTime = Now.Add(time.Hour)
	want.Version = 2
	if d := diff(got, &want); d != "" {
		t.Errorf("UpdateUnit returned (-want +got):\n%s", d)
	}
	stored, err := e.svc.GetUnit(e.ctx, "bank-a", orig.DIN)
	if err != nil {
		t.Fatalf("GetUnit: %v", err)
	}
	if d := diff(stored, &want); d != "" {
		t.Errorf("stored unit (-want +got):\n%s", d)
	}

	// A group path replaces the whole group.
	got, err = e.svc.UpdateUnit(e.ctx, req, []string{"cells"}, "")
	if err != nil {
		t.Fatalf("UpdateUnit(cells): %v", err)
	}
	if d := diff(got.Cells, req.Cells); d != "" {
		t.Errorf("cells after a cells update (-want +got):\n%s", d)
	}
	// An update that makes the unit invalid is refused and changes nothing.
	bad := *req
	bad.Bags = 0
	_, err = e.svc.UpdateUnit(e.ctx, &bad, []string{"bags"}, "")
	be := wantErr(t, err, bank.KindInvalid, bank.ReasonInvalidArgument)
	wantViolation(t, be, "unit.bags")
	if after, _ := e.svc.GetUnit(e.ctx, "bank-a", orig.DIN); after.Version != 3 || after.Bags != 1 {
		t.Errorf("after a refused update: version %d, bags %d; want 3, 1", after.Version, after.Bags)
	}
}

func unitImmutableFields(t *testing.T, e *env) {
	a := e.bank("bank-a")
	orig := e.unit(ValidUnit("bank-a", DIN(a.FIN, 24, 1)))
	req := ValidUnit("bank-a", orig.DIN)
	req.Type = bank.UnitTypeAutologous
	req.Status = lifecycle.StatusAvailable
	for _, p := range []string{"din", "unit_type", "status", "name", "create_time", "update_time", "etag"} {
		_, err := e.svc.UpdateUnit(e.ctx, req, []string{"local_id", p}, "")
		be := wantErr(t, err, bank.KindInvalid, bank.ReasonInvalidArgument)
		wantViolation(t, be, "update_mask")
	}
	for _, p := range []string{"no_such_field", "cells.no_such_count", ""} {
		_, err := e.svc.UpdateUnit(e.ctx, req, []string{p}, "")
		be := wantErr(t, err, bank.KindInvalid, bank.ReasonInvalidArgument)
		wantViolation(t, be, "update_mask")
	}
	// "*" updates every mutable field but never type or status.
	req.LocalID = "STAR"
	got, err := e.svc.UpdateUnit(e.ctx, req, []string{"*"}, "")
	if err != nil {
		t.Fatalf("UpdateUnit(*): %v", err)
	}
	if got.Type != bank.UnitTypePublic || got.Status != lifecycle.StatusQuarantine || got.LocalID != "STAR" {
		t.Errorf("after *: type %s, status %s, local_id %q; want PUBLIC, QUARANTINE, STAR", got.Type, got.Status, got.LocalID)
	}
	if !got.CreateTime.Equal(orig.CreateTime) || got.Version != 2 {
		t.Errorf("after *: create_time %v, version %d; want %v, 2", got.CreateTime, got.Version, orig.CreateTime)
	}
}

// unitRoundTripAllFields stores units straight through the Store and reads
// them back by GetUnit and ListUnits: every field must come back exactly,
// including nil (unknown) versus set optional counts.
func unitRoundTripAllFields(t *testing.T, e *env) {
	a := e.bank("bank-a")
	e.bank("bank-b")
	full := FullUnit("bank-a", DIN(a.FIN, 24, 1))
	full.DistributingBank = "bank-b"
	minimal := ValidUnit("bank-a", DIN(a.FIN, 24, 2))
	minimal.LocalID, minimal.Ethnicity = "", ""
	minimal.FreezeDate, minimal.IDMTestDate = unit.Date{}, unit.Date{}
	minimal.FrozenVolumeML = 0
	minimal.Cells = bank.CellCounts{PostProcessingTNC: 6.5e8}
	minimal.HLA = nil
	minimal.Private = bank.UnitPrivate{}
	minimal.Status = lifecycle.StatusAvailable
	minimal.CreateTime, minimal.UpdateTime, minimal.Version = Now, Now, 1
	zeros := ValidUnit("bank-a", DIN(a.FIN, 24, 3))
	zeros.Cells.PreProcessingCD34 = f64(0) // measured zero is not unknown
	zeros.Cells.CFU = f64(0)
	zeros.CreateTime, zeros.UpdateTime, zeros.Version = Now, Now, 1
	units := []*bank.Unit{full, minimal, zeros}

	err := e.store.Write(e.ctx, func(tx bank.Tx) error {
		for _, u := range units {
			if err := tx.InsertUnit(e.ctx, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("InsertUnit: %v", err)
	}
	for _, want := range units {
		got, err := e.getUnit("bank-a", want.DIN)
		if err != nil {
			t.Fatalf("GetUnit(%s): %v", want.DIN, err)
		}
		if d := diff(got, want); d != "" {
			t.Errorf("GetUnit(%s) (-want +got):\n%s", want.DIN, d)
		}
	}
	var listed []*bank.Unit
	err = e.store.Read(e.ctx, func(tx bank.ReadTx) error {
		var err error
		listed, err = tx.ListUnits(e.ctx, bank.UnitQuery{Bank: "bank-a", Limit: 10})
		return err
	})
	if err != nil {
		t.Fatalf("ListUnits: %v", err)
	}
	if d := diff(listed, units); d != "" {
		t.Errorf("ListUnits (-want +got):\n%s", d)
	}
	// WithoutReadings: the same units with every Reading zero.
	var bare []*bank.Unit
	err = e.store.Read(e.ctx, func(tx bank.ReadTx) error {
		var err error
		bare, err = tx.ListUnits(e.ctx, bank.UnitQuery{Bank: "bank-a", Limit: 10, WithoutReadings: true})
		return err
	})
	if err != nil {
		t.Fatalf("ListUnits WithoutReadings: %v", err)
	}
	var wantBare []*bank.Unit
	for _, u := range units {
		c := *u
		c.HLA = nil
		for _, lt := range u.HLA {
			c.HLA = append(c.HLA, bank.LocusTyping{Locus: lt.Locus, Text: lt.Text})
		}
		wantBare = append(wantBare, &c)
	}
	if d := diff(bare, wantBare); d != "" {
		t.Errorf("ListUnits WithoutReadings (-want +got):\n%s", d)
	}

	// UpdateUnit round-trips too: turn the full unit into the minimal one.
	upd := *minimal
	upd.DIN, upd.Version = full.DIN, 4
	if err := e.store.Write(e.ctx, func(tx bank.Tx) error { return tx.UpdateUnit(e.ctx, &upd) }); err != nil {
		t.Fatalf("UpdateUnit: %v", err)
	}
	got, err := e.getUnit("bank-a", full.DIN)
	if err != nil {
		t.Fatalf("GetUnit: %v", err)
	}
	if d := diff(got, &upd); d != "" {
		t.Errorf("after UpdateUnit (-want +got):\n%s", d)
	}
}
