package inventory_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cordbank/cordbank/bank/inventory"
	"github.com/cordbank/cordbank/bank/refusal"
)

// occupants is a container's contents by ordinal; extra counts things
// without a position.
type occupants struct {
	at    map[int]string
	extra int
}

func (o occupants) Len() int              { return len(o.at) + o.extra }
func (o occupants) Taken(n int) bool      { return o.at[n] != "" }
func (o occupants) Occupant(n int) string { return o.at[n] }

func rule(err error) inventory.Rule {
	var r *refusal.Refusal[inventory.Rule]
	if !errors.As(err, &r) {
		return 0
	}
	return r.Rule
}

func TestClaim(t *testing.T) {
	box := &inventory.Container{Bank: "nybc", ID: "box-1", Kind: inventory.KindBox, Layout: grid(2, 2)}
	bag := &inventory.Container{Bank: "nybc", ID: "bag", Kind: inventory.KindBox, Layout: inventory.Layout{Kind: inventory.LayoutNone, Capacity: 2}}
	half := occupants{at: map[int]string{1: "banks/nybc/units/W0000", 2: "banks/nybc/containers/x"}}
	full := occupants{at: map[int]string{1: "a", 2: "b", 3: "c", 4: "d"}}
	for _, tc := range []struct {
		what     string
		c        *inventory.Container
		position string
		in       occupants
		want     string
		rule     inventory.Rule
		meta     []string
	}{
		{"first free", box, "", half, "B1", 0, nil},
		{"named free, any spelling", box, " b2", half, "B2", 0, nil},
		{"row,column", box, "2,1", half, "B1", 0, nil},
		{"taken", box, "A2", half, "", inventory.RulePositionOccupied,
			[]string{"container", "banks/nybc/containers/box-1", "position", "A2", "occupant", "banks/nybc/containers/x"}},
		{"outside the layout", box, "C1", half, "", inventory.RulePositionOutOfLayout,
			[]string{"container", "banks/nybc/containers/box-1", "position", "C1"}},
		{"full", box, "", full, "", inventory.RuleContainerFull, []string{"container", "banks/nybc/containers/box-1", "capacity", "4"}},
		{"no positions", bag, "", occupants{extra: 1}, "", 0, nil},
		{"a position where there are none", bag, "1", occupants{}, "", inventory.RulePositionOutOfLayout,
			[]string{"container", "banks/nybc/containers/bag", "position", "1"}},
		{"at capacity", bag, "", occupants{extra: 2}, "", inventory.RuleContainerFull, []string{"container", "banks/nybc/containers/bag", "capacity", "2"}},
		{"unbounded", &inventory.Container{Bank: "nybc", ID: "bin", Layout: inventory.Layout{Kind: inventory.LayoutNone}}, "", occupants{extra: 1000}, "", 0, nil},
	} {
		got, err := tc.c.Claim(tc.position, tc.in)
		if got != tc.want || rule(err) != tc.rule || (err == nil) != (tc.rule == 0) {
			t.Errorf("%s: Claim(%q) = %q, %v; want %q, rule %d", tc.what, tc.position, got, err, tc.want, tc.rule)
			continue
		}
		var r *refusal.Refusal[inventory.Rule]
		if errors.As(err, &r) {
			if diff := cmp.Diff(tc.meta, r.Metadata); diff != "" {
				t.Errorf("%s: metadata (-want +got):\n%s", tc.what, diff)
			}
		}
	}
}

func TestMoveAndEvacuationRules(t *testing.T) {
	tr := inventory.NewTree(store())
	for _, tc := range []struct {
		what string
		err  error
		want inventory.Rule
	}{
		{"a rack into the other tank", tr.CheckMove(tr.Container("rack-1"), tr.Container("tank-2")), 0},
		{"a rack into a box", tr.CheckMove(tr.Container("rack-1"), tr.Container("box-b")), inventory.RuleIllegalNesting},
		{"a tank into its own box", tr.CheckMove(tr.Container("tank-1"), tr.Container("box-b")), inventory.RuleContainerCycle},
		{"a rack into itself", tr.CheckMove(tr.Container("rack-1"), tr.Container("rack-1")), inventory.RuleContainerCycle},
		{"a box into a box", inventory.CheckNesting(tr.Container("box-a"), tr.Container("box-b")), inventory.RuleIllegalNesting},
		{"a unit into a box", inventory.CheckHoldsUnits(tr.Container("box-a")), 0},
		{"a unit into a site", inventory.CheckHoldsUnits(&inventory.Container{Kind: inventory.KindSite}), inventory.RuleIllegalNesting},
		{"evacuate a tank into its twin", tr.CheckEvacuation(tr.Container("tank-1"), tr.Container("tank-2")), 0},
		{"evacuate a box into one inside it", tr.CheckEvacuation(tr.Container("rack-1"), tr.Container("rack-2")), 0},
		{"evacuate a tank into a rack", tr.CheckEvacuation(tr.Container("tank-1"), tr.Container("rack-1")), inventory.RuleLayoutMismatch},
		{"evacuate into a different layout", tr.CheckEvacuation(tr.Container("box-a"),
			&inventory.Container{ID: "x", Kind: inventory.KindBox, Layout: grid(2, 3)}), inventory.RuleLayoutMismatch},
	} {
		if got := rule(tc.err); got != tc.want || (tc.err == nil) != (tc.want == 0) {
			t.Errorf("%s: %v, want rule %d", tc.what, tc.err, tc.want)
		}
	}
	// A box evacuated into a box it holds cannot happen (boxes hold no
	// boxes), so the cycle rule is shown with a twin inside the source.
	cs := append(store(), &inventory.Container{Bank: "nybc", ID: "rack-3", Kind: inventory.KindRack, Parent: "box-a", Layout: slots(2)})
	tr = inventory.NewTree(cs)
	if got := rule(tr.CheckEvacuation(tr.Container("rack-1"), tr.Container("rack-3"))); got != inventory.RuleContainerCycle {
		t.Errorf("evacuating into a container inside the source: rule %d, want RuleContainerCycle", got)
	}
}
