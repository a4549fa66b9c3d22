package bank

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
)

// fullUnitForJSON sets every field of Unit (checked by allSet), so a new
// field shows up in TestUnitJSONMatchesEncodingJSON.
func fullUnitForJSON() *Unit {
	f := func(x float64) *float64 { return &x }
	ts := time.Date(2026, 11, 22, 1, 31, 50, 35782054, time.UTC)
	return &Unit{
		Bank: "bank-a", DIN: "W123426000001", Type: UnitTypePublic, Status: lifecycle.StatusAvailable, LocalID: `CB <"1"> & \ 2`,
		CollectionDate: unit.Date{Year: 2025, Month: 11, Day: 21}, ProcessingDate: unit.Date{Year: 2025, Month: 11, Day: 22}, FreezeDate: unit.Date{Year: 2025, Month: 11, Day: 22},
		ProcessingMethod: "HES", Reduction: "PLASMA_ONLY", InfantBirthDate: unit.Date{Year: 2025, Month: 11, Day: 21}, InfantSex: "MALE",
		ABO: "A", Rh: "POSITIVE", Ethnicity: "HIS\u2028", CollectionVolumeML: 96.5, FrozenVolumeML: 25,
		Cells: CellCounts{PreProcessingTNC: f(8.4e8), PostProcessingTNC: 6.38e8, PreProcessingCD34: f(3e6), PostProcessingCD34: f(2.51e6),
			ViabilityPercent: f(97.9), CFU: f(2.42e5), NucleatedRBC: f(1e-7)},
		Bags: 1, CompartmentsPerBag: 2, AttachedSegments: 3, IDM: "NEGATIVE", IDMTestDate: unit.Date{Year: 2025, Month: 11, Day: 21},
		HLA:        []LocusTyping{{Locus: "A", Text: "A*30:01+A*02:01", Reading: TypingReading{P: "ignored"}}, {Locus: "B", Text: "B*08:01"}},
		HLARelease: "3.24.0",
		Private: UnitPrivate{MaternalID: "M-1", MaternalHLA: []LocusTyping{{Locus: "A", Text: "A*01:01"}}, FamilyID: "F-1",
			DirectedRecipient: "R-1", Notes: "line\nbreak\ttab \xff"},
		StatusReason: "AD", StatusEndDate: unit.Date{Year: 2027, Month: 1, Day: 1}, StatusNote: "note", StatusTime: ts.Add(time.Hour),
		DistributingBank: "bank-b", CreateTime: ts, UpdateTime: ts.Add(time.Minute), Version: 3,
	}
}

// allSet reports the path of the first zero leaf field of v.
func allSet(v reflect.Value, path string) string {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return path
		}
		return allSet(v.Elem(), path)
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) || v.Type() == reflect.TypeOf(unit.Date{}) || v.Type() == reflect.TypeOf(TypingReading{}) {
			if v.IsZero() && v.Type() != reflect.TypeOf(TypingReading{}) {
				return path
			}
			return ""
		}
		for i := range v.NumField() {
			if p := allSet(v.Field(i), path+"."+v.Type().Field(i).Name); p != "" {
				return p
			}
		}
		return ""
	case reflect.Slice:
		if v.Len() == 0 {
			return path
		}
		return allSet(v.Index(0), path+"[0]")
	}
	if v.IsZero() {
		return path
	}
	return ""
}

func TestUnitJSONMatchesEncodingJSON(t *testing.T) {
	full := fullUnitForJSON()
	if p := allSet(reflect.ValueOf(full), "Unit"); p != "" {
		t.Fatalf("fullUnitForJSON leaves %s unset: set it, and write it in appendUnitJSON", p)
	}
	sparse := &Unit{DIN: "W123426000002", Cells: CellCounts{PostProcessingTNC: 1}}
	for name, u := range map[string]*Unit{"full": full, "sparse": sparse, "zero": {}} {
		want, err := json.Marshal(u)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendUnitJSON(nil, u)
		if err != nil || string(got) != string(want) {
			t.Errorf("%s:\n got %s (%v)\nwant %s", name, got, err, want)
		}
	}
}

func TestUnitJSONRefusesWhatJSONCannotHold(t *testing.T) {
	for name, mutate := range map[string]func(*Unit){
		"NaN volume":   func(u *Unit) { u.CollectionVolumeML = math.NaN() },
		"infinite CFU": func(u *Unit) { inf := math.Inf(1); u.Cells.CFU = &inf },
		"year 10000":   func(u *Unit) { u.CreateTime = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
	} {
		u := fullUnitForJSON()
		mutate(u)
		if _, werr := json.Marshal(u); werr == nil {
			t.Fatalf("%s: encoding/json accepted it; the test is wrong", name)
		}
		if _, err := appendUnitJSON(nil, u); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzUnitJSON(f *testing.F) {
	f.Add("CB-1", "note", 96.5, 6.38e8, int64(1), 2024, 3, 17)
	f.Fuzz(func(t *testing.T, local, notes string, vol, tnc float64, version int64, y, m, d int) {
		u := fullUnitForJSON()
		u.LocalID, u.Private.Notes, u.CollectionVolumeML, u.Cells.PostProcessingTNC, u.Version = local, notes, vol, tnc, version
		u.CollectionDate = unit.Date{Year: y, Month: time.Month(m), Day: d}
		want, werr := json.Marshal(u)
		got, err := appendUnitJSON(nil, u)
		if (werr != nil) != (err != nil) || (err == nil && string(got) != string(want)) {
			t.Fatalf("got %s (%v)\nwant %s (%v)", got, err, want, werr)
		}
	})
}
