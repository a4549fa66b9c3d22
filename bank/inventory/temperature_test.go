package inventory_test

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cordbank/cordbank/bank/inventory"
)

func TestReadingValidate(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		what   string
		r      inventory.TemperatureReading
		want   []string
		wantAt time.Time
	}{
		{"now", inventory.TemperatureReading{Celsius: -196}, nil, now},
		{"probe clock a little ahead", inventory.TemperatureReading{Celsius: -196, Time: now.Add(inventory.MaxClockSkew)}, nil, now.Add(inventory.MaxClockSkew)},
		{"in another zone", inventory.TemperatureReading{Celsius: -196, Time: now.In(time.FixedZone("x", 3600))}, nil, now},
		{"future", inventory.TemperatureReading{Celsius: -196, Time: now.Add(inventory.MaxClockSkew + time.Second)}, []string{"reading.time"}, time.Time{}},
		{"1970", inventory.TemperatureReading{Celsius: -196, Time: time.Unix(0, 0)}, []string{"reading.time"}, time.Time{}},
		{"not a number", inventory.TemperatureReading{Celsius: math.NaN()}, []string{"reading.celsius"}, now},
		{"infinite", inventory.TemperatureReading{Celsius: math.Inf(-1)}, []string{"reading.celsius"}, now},
		{"below absolute zero", inventory.TemperatureReading{Celsius: -274}, []string{"reading.celsius"}, now},
		{"boiling", inventory.TemperatureReading{Celsius: 101}, []string{"reading.celsius"}, now},
	} {
		var got fields
		r := tc.r
		r.Validate(&got, now, 1988)
		if diff := cmp.Diff(tc.want, []string(got)); diff != "" {
			t.Errorf("%s: violations (-want +got):\n%s", tc.what, diff)
		}
		if !tc.wantAt.IsZero() && (!r.Time.Equal(tc.wantAt) || r.Time.Location() != time.UTC) {
			t.Errorf("%s: time %v, want %v in UTC", tc.what, r.Time, tc.wantAt)
		}
	}
}

// An excursion's life: opened by the first reading outside the limits,
// widened by the next ones, closed by the first one back inside.
func TestObserve(t *testing.T) {
	tank := &inventory.Container{Bank: "nybc", ID: "tank-1", Kind: inventory.KindTank, MinCelsius: f64(-200), MaxCelsius: f64(-150)}
	at := func(m int) time.Time { return time.Date(2026, 3, 1, 12, m, 0, 0, time.UTC) }
	read := func(m int, c float64) inventory.TemperatureReading {
		return inventory.TemperatureReading{Bank: "nybc", Container: "tank-1", Time: at(m), Celsius: c}
	}
	if step, e := inventory.Observe(tank, nil, read(0, -180)); step != inventory.Within || e != nil {
		t.Fatalf("inside the limits: %v, %+v", step, e)
	}
	step, open := inventory.Observe(tank, nil, read(1, -140))
	want := &inventory.Excursion{Bank: "nybc", Container: "tank-1", StartTime: at(1), MinCelsius: tank.MinCelsius, MaxCelsius: tank.MaxCelsius,
		LowestCelsius: -140, HighestCelsius: -140, Readings: 1}
	if diff := cmp.Diff(want, open); step != inventory.Opens || diff != "" {
		t.Fatalf("first reading above: step %v (-want +got):\n%s", step, diff)
	}
	open.ID = 7
	step, next := inventory.Observe(tank, open, read(2, -210))
	if step != inventory.Continues || next.LowestCelsius != -210 || next.HighestCelsius != -140 || next.Readings != 2 || next.ID != 7 || !next.Open() {
		t.Fatalf("a reading below: step %v, %+v", step, next)
	}
	if open.Readings != 1 || open.LowestCelsius != -140 {
		t.Errorf("Observe changed the open excursion it was given: %+v", open)
	}
	step, closed := inventory.Observe(tank, next, read(3, -160))
	if step != inventory.Closes || !closed.EndTime.Equal(at(3)) || closed.Open() || closed.Readings != 2 {
		t.Fatalf("back inside: step %v, %+v", step, closed)
	}
	if next.EndTime != (time.Time{}) {
		t.Errorf("Observe changed the open excursion it was given: %+v", next)
	}
	if got := closed.Name(); got != "banks/nybc/excursions/7" {
		t.Errorf("Name() = %q", got)
	}
	// On the limit is inside; a tank without a minimum has no lower bound.
	if step, _ := inventory.Observe(tank, nil, read(4, -150)); step != inventory.Within {
		t.Errorf("at the maximum: %v, want Within", step)
	}
	tank.MinCelsius = nil
	if step, _ := inventory.Observe(tank, nil, read(5, -273)); step != inventory.Within {
		t.Errorf("no minimum, -273 °C: %v, want Within", step)
	}
}
