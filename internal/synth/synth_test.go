package synth

import (
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
)

// Every synthetic unit must pass the domain's validation: the demo and the
// benchmarks register them through the real service.
func TestUnitsAreValid(t *testing.T) {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	svc := bank.NewService(nil, bank.WithClock(func() time.Time { return now }))
	g := New("demo", "W9999", now, 1)
	seen := map[bank.DIN]bool{}
	for i, u := range g.Units(5000) {
		if v := svc.ValidateUnit(u); len(v) > 0 {
			t.Fatalf("unit %d (%s) invalid: %v", i, u.DIN, v)
		}
		if _, err := bank.ParseDIN(string(u.DIN)); err != nil {
			t.Fatalf("unit %d: %v", i, err)
		}
		if seen[u.DIN] {
			t.Fatalf("duplicate DIN %s", u.DIN)
		}
		seen[u.DIN] = true
	}
}

func TestDeterministic(t *testing.T) {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	a, b := New("demo", "W9999", now, 7).Unit(), New("demo", "W9999", now, 7).Unit()
	if a.DIN != b.DIN || a.HLA[0] != b.HLA[0] || a.Cells.PostProcessingTNC != b.Cells.PostProcessingTNC {
		t.Fatalf("same seed, different units: %+v vs %+v", a, b)
	}
}
