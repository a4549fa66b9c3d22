package unit_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank/unit"
)

// violations records the fields a rule blamed, in order.
type violations struct{ fields, texts []string }

func (v *violations) Add(field, format string, args ...any) {
	v.fields = append(v.fields, field)
	v.texts = append(v.texts, fmt.Sprintf(format, args...))
}

func day(y int, m time.Month, d int) unit.Date { return unit.Date{Year: y, Month: m, Day: d} }

// TestDatesCheck: every date real, past and after 1988; processing after
// collection, freezing after processing, birth at most two days before
// collection; one bad date is one violation, not a cascade.
func TestDatesCheck(t *testing.T) {
	today := day(2026, 3, 1)
	good := unit.Dates{Collection: day(2025, 5, 2), Processing: day(2025, 5, 3), Freeze: day(2025, 5, 3), InfantBirth: day(2025, 5, 1)}
	for _, tc := range []struct {
		what   string
		change func(*unit.Dates)
		want   []string
	}{
		{"good", func(*unit.Dates) {}, nil},
		{"no freeze date", func(d *unit.Dates) { d.Freeze = unit.Date{} }, nil},
		{"nothing", func(d *unit.Dates) { *d = unit.Dates{} }, []string{"u.collection_date", "u.processing_date", "u.infant_birth_date"}},
		{"collected in the future", func(d *unit.Dates) { d.Collection = day(2026, 3, 2) }, []string{"u.collection_date"}},
		{"collected today", func(d *unit.Dates) { d.Collection, d.Processing, d.Freeze, d.InfantBirth = today, today, today, today }, nil},
		{"before banking began", func(d *unit.Dates) { d.InfantBirth = day(1987, 12, 31) }, []string{"u.infant_birth_date"}},
		{"processed before collection", func(d *unit.Dates) { d.Processing, d.Freeze = day(2025, 5, 1), day(2025, 5, 1) }, []string{"u.processing_date"}},
		{"frozen before processing", func(d *unit.Dates) { d.Freeze = day(2025, 5, 2) }, []string{"u.freeze_date"}},
		{"born after collection", func(d *unit.Dates) { d.InfantBirth = day(2025, 5, 3) }, []string{"u.infant_birth_date"}},
		{"collected two days after birth", func(d *unit.Dates) { d.InfantBirth = day(2025, 4, 30) }, nil},
		{"collected three days after birth", func(d *unit.Dates) { d.InfantBirth = day(2025, 4, 29) }, []string{"u.collection_date"}},
		{"IDM tested in the future", func(d *unit.Dates) { d.IDMTest = day(2027, 1, 1) }, []string{"u.idm_test_date"}},
	} {
		d := good
		tc.change(&d)
		var v violations
		d.Check(&v, "u.", today)
		if !slices.Equal(v.fields, tc.want) {
			t.Errorf("%s: violations %v %q, want %v", tc.what, v.fields, v.texts, tc.want)
		}
	}
}

func TestCountsVolumesAndText(t *testing.T) {
	for _, tc := range []struct {
		x    float64
		sane bool
	}{{1.2e9, true}, {unit.MinTNC, true}, {unit.MaxTNC, true}, {120, false}, {-1, false}, {math.NaN(), false}, {math.Inf(1), false}, {2e11, false}} {
		var v violations
		if got := unit.CheckCount(&v, "tnc", tc.x, unit.MinTNC, unit.MaxTNC); got != tc.sane || (len(v.fields) == 0) != tc.sane {
			t.Errorf("CheckCount(%g) = %v, violations %q", tc.x, got, v.texts)
		}
	}
	for _, tc := range []struct {
		x        float64
		required bool
		bad      bool
	}{{0, false, false}, {0, true, true}, {25, true, false}, {unit.MaxVolumeML, true, false}, {501, true, true}, {-1, false, true}, {math.NaN(), false, true}} {
		var v violations
		unit.CheckVolume(&v, "ml", tc.x, tc.required)
		if (len(v.fields) > 0) != tc.bad {
			t.Errorf("CheckVolume(%g, %v): violations %q", tc.x, tc.required, v.texts)
		}
	}
	var v violations
	unit.CheckBetween(&v, "bags", 0, 1, unit.MaxBags)
	unit.CheckBetween(&v, "bags", 1, 1, unit.MaxBags)
	unit.CheckBetween(&v, "bags", unit.MaxBags, 1, unit.MaxBags)
	unit.CheckBetween(&v, "bags", unit.MaxBags+1, 1, unit.MaxBags)
	unit.CheckText(&v, "id", strings.Repeat("x", 64), 64)
	unit.CheckText(&v, "id", strings.Repeat("x", 65), 64)
	unit.CheckText(&v, "id", "a\tb", 64)
	unit.CheckText(&v, "id", "Müller", 64)
	if want := []string{"bags", "bags", "id", "id"}; !slices.Equal(v.fields, want) {
		t.Errorf("violations %v %q, want %v", v.fields, v.texts, want)
	}
}
