package bank

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
)

// differentUnits returns two units that differ in every field.
func differentUnits() (a, b *Unit) {
	f := func(x float64) *float64 { return &x }
	a = &Unit{Bank: "bank-a", DIN: "B123424000001", Type: UnitTypePublic, Status: lifecycle.StatusQuarantine, LocalID: "a",
		CollectionDate: unit.Date{Year: 2024, Month: 3, Day: 17}, ProcessingDate: unit.Date{Year: 2024, Month: 3, Day: 18}, FreezeDate: unit.Date{Year: 2024, Month: 3, Day: 18},
		ProcessingMethod: ProcessingHES, Reduction: ReductionNone, InfantBirthDate: unit.Date{Year: 2024, Month: 3, Day: 17}, InfantSex: SexMale,
		ABO: ABOA, Rh: RhNegative, Ethnicity: "a", CollectionVolumeML: 90, FrozenVolumeML: 20,
		Cells: CellCounts{f(1), 2, f(3), f(4), f(5), f(6), f(7)}, Bags: 1, CompartmentsPerBag: 1, AttachedSegments: 1,
		IDM: IDMPending, IDMTestDate: unit.Date{Year: 2024, Month: 3, Day: 19}, HLA: []LocusTyping{{Locus: "A", Text: "A*01:01"}},
		Private:    UnitPrivate{MaternalID: "a", MaternalHLA: []LocusTyping{{Locus: "A", Text: "A*01:01"}}, FamilyID: "a", DirectedRecipient: "a", Notes: "a"},
		CreateTime: time.Unix(1, 0), UpdateTime: time.Unix(2, 0), Version: 1}
	b = &Unit{Bank: "bank-b", DIN: "B123424000002", Type: UnitTypeDirected, Status: lifecycle.StatusAvailable, LocalID: "b",
		CollectionDate: unit.Date{Year: 2023, Month: 3, Day: 17}, ProcessingDate: unit.Date{Year: 2023, Month: 3, Day: 18}, FreezeDate: unit.Date{Year: 2023, Month: 3, Day: 19},
		ProcessingMethod: ProcessingFicoll, Reduction: ReductionRBCOnly, InfantBirthDate: unit.Date{Year: 2023, Month: 3, Day: 16}, InfantSex: SexFemale,
		ABO: ABOB, Rh: RhPositive, Ethnicity: "b", CollectionVolumeML: 91, FrozenVolumeML: 21,
		Cells: CellCounts{f(11), 12, f(13), f(14), f(15), f(16), f(17)}, Bags: 2, CompartmentsPerBag: 2, AttachedSegments: 2,
		IDM: IDMNegative, IDMTestDate: unit.Date{Year: 2023, Month: 3, Day: 20}, HLA: []LocusTyping{{Locus: "B", Text: "B*07:02"}},
		Private:    UnitPrivate{MaternalID: "b", MaternalHLA: []LocusTyping{{Locus: "B", Text: "B*08:01"}}, FamilyID: "b", DirectedRecipient: "b", Notes: "b"},
		CreateTime: time.Unix(3, 0), UpdateTime: time.Unix(4, 0), Version: 2}
	return a, b
}

// TestStarCoversEveryMutableField: applying every path "*" expands to
// copies every field but identity, type, status and server-set ones. A
// field added to Unit without a setter fails here.
func TestStarCoversEveryMutableField(t *testing.T) {
	dst, src := differentUnits()
	for _, p := range maskPaths([]string{"*"}, unitMutablePaths) {
		unitSetters[p](dst, src)
	}
	want := *src
	want.Bank, want.DIN, want.Type, want.Status = "bank-a", "B123424000001", UnitTypePublic, lifecycle.StatusQuarantine
	want.CreateTime, want.UpdateTime, want.Version = time.Unix(1, 0), time.Unix(2, 0), 1
	if !reflect.DeepEqual(dst, &want) {
		t.Errorf("after *:\n got %+v\nwant %+v", dst, &want)
	}
	// The copies share no memory with the source.
	src.HLA[0].Text, src.Private.MaternalHLA[0].Text, *src.Cells.CFU = "x", "x", -1
	if dst.HLA[0].Text == "x" || dst.Private.MaternalHLA[0].Text == "x" || *dst.Cells.CFU == -1 {
		t.Error("an update aliases the request's slices or counts")
	}
}

// TestEachSetterChangesItsField: every path, on its own, changes the unit,
// and a dotted path changes only its group.
func TestEachSetterChangesItsField(t *testing.T) {
	for p, set := range unitSetters {
		dst, src := differentUnits()
		before := *dst
		before.Cells = cloneCells(dst.Cells)
		set(dst, src)
		if reflect.DeepEqual(dst, &before) {
			t.Errorf("path %s changed nothing", p)
		}
		if group, _, ok := strings.Cut(p, "."); ok {
			after := *dst
			switch group {
			case "cells":
				after.Cells = before.Cells
			case "private":
				after.Private = before.Private
			}
			if !reflect.DeepEqual(&after, &before) {
				t.Errorf("path %s changed fields outside %s", p, group)
			}
		}
	}
}

func TestMutablePathsAreNotImmutable(t *testing.T) {
	for _, p := range unitMutablePaths {
		if unitImmutable[p] || strings.Contains(p, ".") {
			t.Errorf("%q in unitMutablePaths", p)
		}
	}
	if !slices.IsSorted(unitMutablePaths) {
		t.Error("unitMutablePaths not sorted")
	}
}
