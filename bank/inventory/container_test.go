package inventory_test

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cordbank/cordbank/bank/inventory"
)

// fields records the fields violations were added for.
type fields []string

func (f *fields) Add(field, format string, args ...any) {
	*f = append(*f, field)
	_ = fmt.Sprintf(format, args...)
}

func f64(x float64) *float64 { return &x }

func tank() *inventory.Container {
	return &inventory.Container{Bank: "nybc", ID: "tank-1", Kind: inventory.KindTank, Label: " LN2-1 ", Layout: slots(4), MaxCelsius: f64(-150)}
}

// Each case breaks one rule of a container's own fields, and only that
// field is reported.
func TestContainerValidate(t *testing.T) {
	for _, tc := range []struct {
		what   string
		change func(c *inventory.Container)
		want   []string
	}{
		{"valid", func(*inventory.Container) {}, nil},
		{"bad id", func(c *inventory.Container) { c.ID = "Tank_1" }, []string{"p.container_id"}},
		{"id ends in a hyphen", func(c *inventory.Container) { c.ID = "tank-" }, []string{"p.container_id"}},
		{"no kind", func(c *inventory.Container) { c.Kind = "" }, []string{"p.container.kind", "p.container.max_temperature_celsius"}},
		{"unknown kind", func(c *inventory.Container) { c.Kind = "FRIDGE" }, []string{"p.container.kind", "p.container.max_temperature_celsius"}},
		{"blank label", func(c *inventory.Container) { c.Label = "  " }, []string{"p.container.label"}},
		{"long label", func(c *inventory.Container) { c.Label = string(make([]byte, 101)) }, []string{"p.container.label"}},
		{"no layout kind", func(c *inventory.Container) { c.Layout = inventory.Layout{} }, []string{"p.container.layout.kind"}},
		{"grid too wide", func(c *inventory.Container) { c.Layout = grid(2, inventory.MaxGridSide+1) }, []string{"p.container.layout.columns"}},
		{"grid with slots", func(c *inventory.Container) { c.Layout = grid(2, 2); c.Layout.Slots = 3 }, []string{"p.container.layout.slots"}},
		{"no slots", func(c *inventory.Container) { c.Layout = slots(0) }, []string{"p.container.layout.slots"}},
		{"negative capacity", func(c *inventory.Container) { c.Layout = inventory.Layout{Kind: inventory.LayoutNone, Capacity: -1} }, []string{"p.container.layout.capacity"}},
		{"limit not a number", func(c *inventory.Container) { c.MaxCelsius = f64(math.NaN()) }, []string{"p.container.max_temperature_celsius"}},
		{"limit below absolute zero", func(c *inventory.Container) { c.MinCelsius = f64(-300) }, []string{"p.container.min_temperature_celsius"}},
		{"minimum above maximum", func(c *inventory.Container) { c.MinCelsius = f64(-140) }, []string{"p.container.min_temperature_celsius"}},
		{"limits on a box", func(c *inventory.Container) { c.Kind = inventory.KindBox; c.MinCelsius = f64(-200) },
			[]string{"p.container.min_temperature_celsius", "p.container.max_temperature_celsius"}},
	} {
		c := tank()
		tc.change(c)
		var got fields
		c.Validate(&got, "p.")
		slices.Sort(got)
		want := slices.Sorted(slices.Values(tc.want))
		if diff := cmp.Diff(want, []string(got)); diff != "" {
			t.Errorf("%s: violations (-want +got):\n%s", tc.what, diff)
		}
	}
}

func TestValidateNormalises(t *testing.T) {
	c := tank()
	c.MaxCelsius = nil
	var v fields
	c.Validate(&v, "")
	if len(v) != 0 || c.Label != "LN2-1" || c.MaxCelsius == nil || *c.MaxCelsius != inventory.DefaultTankMaxCelsius {
		t.Errorf("after Validate: violations %v, label %q, max %v; want none, \"LN2-1\", %g", v, c.Label, c.MaxCelsius, inventory.DefaultTankMaxCelsius)
	}
}

func TestNesting(t *testing.T) {
	kinds := []inventory.ContainerKind{inventory.KindSite, inventory.KindRoom, inventory.KindTank, inventory.KindRack, inventory.KindBox}
	var got []string
	for _, p := range kinds {
		for _, c := range kinds {
			if p.CanHold(c) {
				got = append(got, string(p)+">"+string(c))
			}
		}
	}
	want := []string{"SITE>ROOM", "SITE>TANK", "ROOM>TANK", "ROOM>RACK", "TANK>RACK", "TANK>BOX", "RACK>BOX"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("nesting (-want +got):\n%s", diff)
	}
	var units []inventory.ContainerKind
	for _, k := range kinds {
		if k.HoldsUnits() {
			units = append(units, k)
		}
	}
	if diff := cmp.Diff([]inventory.ContainerKind{inventory.KindTank, inventory.KindRack, inventory.KindBox}, units); diff != "" {
		t.Errorf("kinds holding units (-want +got):\n%s", diff)
	}
}

func TestCloneSharesNothing(t *testing.T) {
	c := tank()
	c.MinCelsius = f64(-196)
	n := c.Clone()
	*n.MinCelsius, *n.MaxCelsius, n.Label = 0, 0, "other"
	if *c.MinCelsius != -196 || *c.MaxCelsius != -150 || c.Label != " LN2-1 " {
		t.Errorf("changing the clone changed the original: %+v", c)
	}
}
