package synth

import (
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/unit"
)

// Every synthetic unit must pass the domain's validation: the demo and the
// benchmarks register them through the real service.
func TestUnitsAreValid(t *testing.T) {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	svc := bank.NewService(nil, bank.WithClock(func() time.Time { return now }))
	for _, tc := range []struct {
		name             string
		g                *Generator
		oldest, youngest int // days before now
	}{
		{"inventory", New("demo", "W9999", now, 1), 30 + 12*365, 30},
		{"recent", New("demo", "W9999", now, 1).Recent(), 60, 30},
	} {
		seen := map[unit.DIN]bool{}
		for i, u := range tc.g.Units(5000) {
			if v := svc.ValidateUnit(u); len(v) > 0 {
				t.Fatalf("%s: unit %d (%s) invalid: %v", tc.name, i, u.DIN, v)
			}
			if _, err := unit.ParseDIN(string(u.DIN)); err != nil {
				t.Fatalf("%s: unit %d: %v", tc.name, i, err)
			}
			if seen[u.DIN] {
				t.Fatalf("%s: duplicate DIN %s", tc.name, u.DIN)
			}
			seen[u.DIN] = true
			coll := u.CollectionDate.Time()
			if coll.Before(now.AddDate(0, 0, -tc.oldest)) || coll.After(now.AddDate(0, 0, -tc.youngest)) {
				t.Fatalf("%s: unit %d collected %s, want %d to %d days before %s", tc.name, i, u.CollectionDate, tc.youngest, tc.oldest, now.Format(time.DateOnly))
			}
		}
	}
}

func TestDeterministic(t *testing.T) {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	a, b := New("demo", "W9999", now, 7).Unit(), New("demo", "W9999", now, 7).Unit()
	if a.DIN != b.DIN || a.HLA[0] != b.HLA[0] || a.Cells.PostProcessingTNC != b.Cells.PostProcessingTNC {
		t.Fatalf("same seed, different units: %+v vs %+v", a, b)
	}
}

// Registry units must pass validation too (the search benchmarks import
// them into SQLite through the service), with and without the tail of rare
// names, over more than one call (DINs stay unique).
func TestRegistryUnitsAreValid(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	svc := bank.NewService(nil, bank.WithClock(func() time.Time { return now }))
	for _, tail := range []int{0, 300} {
		g := NewRegistry(3, tail, "")
		seen := map[unit.DIN]bool{}
		for call := range 3 {
			for i, u := range g.Units(2001, uint64(call), now) {
				if v := svc.ValidateUnit(u); len(v) > 0 {
					t.Fatalf("tail %d call %d unit %d (%s, %v) invalid: %v", tail, call, i, u.DIN, u.HLA, v)
				}
				if d, err := unit.ParseDIN(string(u.DIN)); err != nil || d != u.DIN {
					t.Fatalf("unit %d: DIN %q: %v", i, u.DIN, err)
				}
				if seen[u.DIN] {
					t.Fatalf("duplicate DIN %s", u.DIN)
				}
				seen[u.DIN] = true
			}
		}
	}
	for _, b := range NewRegistry(3, 0, "").Banks() {
		if !bank.ValidBankID(b.ID) || !unit.ValidFIN(b.FIN) || b.DisplayName == "" || len(b.Country) != 2 {
			t.Fatalf("bank %+v invalid", b)
		}
	}
}

func TestRegistryDeterministic(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	a, b := NewRegistry(9, 50, ""), NewRegistry(9, 50, "")
	ua, ub := a.Units(40, 1, now), b.Units(40, 1, now)
	for i := range ua {
		if ua[i].DIN != ub[i].DIN || ua[i].Status != ub[i].Status || len(ua[i].HLA) != len(ub[i].HLA) || ua[i].HLA[0] != ub[i].HLA[0] {
			t.Fatalf("unit %d differs: %+v vs %+v", i, ua[i], ub[i])
		}
	}
	pa, pb := a.Patient("A", "B", "C", "DRB1"), b.Patient("A", "B", "C", "DRB1")
	if pa.WeightKg != pb.WeightKg || len(pa.HLA) != len(pb.HLA) || pa.HLA[0] != pb.HLA[0] {
		t.Fatalf("patients differ: %+v vs %+v", pa, pb)
	}
}
