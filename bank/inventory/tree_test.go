package inventory_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cordbank/cordbank/bank/inventory"
)

// store is a tank with two racks, boxes in them, and a second tank, given
// in an order the tree must not depend on.
func store() []*inventory.Container {
	c := func(id string, k inventory.ContainerKind, parent, pos string, l inventory.Layout) *inventory.Container {
		return &inventory.Container{Bank: "nybc", ID: id, Kind: k, Parent: parent, ParentPosition: pos, Label: id, Layout: l}
	}
	return []*inventory.Container{
		c("box-b", inventory.KindBox, "rack-2", "1", grid(2, 2)),
		c("rack-2", inventory.KindRack, "tank-1", "2", slots(2)),
		c("box-a", inventory.KindBox, "rack-1", "2", grid(2, 2)),
		c("tank-2", inventory.KindTank, "", "", slots(4)),
		c("rack-1", inventory.KindRack, "tank-1", "1", slots(2)),
		c("box-c", inventory.KindBox, "rack-1", "1", grid(2, 2)),
		c("tank-1", inventory.KindTank, "", "", slots(4)),
	}
}

func TestTreeWalks(t *testing.T) {
	tr := inventory.NewTree(store())
	if diff := cmp.Diff([]string{"tank-1", "rack-1", "box-c", "box-a", "rack-2", "box-b", "tank-2"}, inventory.IDs(tr.Preorder(""))); diff != "" {
		t.Errorf("Preorder(\"\"): children in position order, depth first (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"rack-1", "box-c", "box-a"}, inventory.IDs(tr.Preorder("rack-1"))); diff != "" {
		t.Errorf("Preorder(rack-1) (-want +got):\n%s", diff)
	}
	if got := tr.Preorder("nope"); got != nil {
		t.Errorf("Preorder(unknown) = %v, want nil", inventory.IDs(got))
	}
	if diff := cmp.Diff([]string{"banks/nybc/containers/tank-1", "banks/nybc/containers/rack-2", "banks/nybc/containers/box-b"}, tr.Path("box-b")); diff != "" {
		t.Errorf("Path(box-b) (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		id, anc string
		want    bool
	}{{"box-b", "tank-1", true}, {"box-b", "box-b", true}, {"box-b", "rack-1", false}, {"tank-1", "box-b", false}, {"tank-2", "", false}} {
		if got := tr.Within(tc.id, tc.anc); got != tc.want {
			t.Errorf("Within(%s, %s) = %v, want %v", tc.id, tc.anc, got, tc.want)
		}
	}
	want := &inventory.Location{Container: "banks/nybc/containers/box-a", Position: "B2",
		Path: []string{"banks/nybc/containers/tank-1", "banks/nybc/containers/rack-1", "banks/nybc/containers/box-a"}}
	if diff := cmp.Diff(want, tr.Location("nybc", "box-a", "B2")); diff != "" {
		t.Errorf("Location (-want +got):\n%s", diff)
	}
}

// A stored cycle (the rules never let one in) ends the walks instead of
// looping.
func TestTreeSurvivesACycle(t *testing.T) {
	tr := inventory.NewTree([]*inventory.Container{
		{Bank: "b", ID: "x", Parent: "y", Layout: slots(1)},
		{Bank: "b", ID: "y", Parent: "x", Layout: slots(1)},
	})
	if tr.Within("x", "z") {
		t.Error("Within found an ancestor that is not there")
	}
	if got := len(tr.Path("x")); got > 3 {
		t.Errorf("Path of a cycle has %d elements", got)
	}
}

func TestTreeReplaceAndClone(t *testing.T) {
	tr := inventory.NewTree(store())
	before := tr.Clone()
	moved := tr.Container("box-a").Clone()
	moved.Parent, moved.ParentPosition = "rack-2", "2"
	tr.Replace(moved)
	if diff := cmp.Diff([]string{"box-b", "box-a"}, inventory.IDs(tr.Children("rack-2"))); diff != "" {
		t.Errorf("after the move, rack-2 holds (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"box-c"}, inventory.IDs(tr.Children("rack-1"))); diff != "" {
		t.Errorf("after the move, rack-1 holds (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"box-c", "box-a"}, inventory.IDs(before.Children("rack-1"))); diff != "" {
		t.Errorf("the clone changed with the tree (-want +got):\n%s", diff)
	}
	if got := before.Path("box-a")[1]; got != "banks/nybc/containers/rack-1" {
		t.Errorf("the clone's path of box-a goes through %s", got)
	}
}

func TestTreeOccupancy(t *testing.T) {
	cs := append(store(), &inventory.Container{Bank: "nybc", ID: "bag", Kind: inventory.KindBox, Parent: "tank-2", ParentPosition: "1",
		Layout: inventory.Layout{Kind: inventory.LayoutNone}})
	tr := inventory.NewTree(cs)
	units := map[string]int{"box-a": 3, "box-b": 4, "tank-1": 1, "bag": 7}
	// tank-1: 4 slots, 2 racks and a unit in it; rack-1's 2 slots hold
	// 2 boxes, rack-2's 1; boxes of 4 places hold 0 (box-c), 3 (box-a)
	// and 4 (box-b) units.
	want := &inventory.Occupancy{Container: "tank-1", Places: 4 + 2*2 + 3*4, Units: 8, Containers: 5, Free: 1 + 0 + 1 + 4 + 1 + 0}
	if diff := cmp.Diff(want, tr.Occupancy("tank-1", units)); diff != "" {
		t.Errorf("Occupancy(tank-1) (-want +got):\n%s", diff)
	}
	want = &inventory.Occupancy{Container: "tank-2", Places: 4, Units: 7, Containers: 1, Free: 3, Unbounded: true}
	if diff := cmp.Diff(want, tr.Occupancy("tank-2", units)); diff != "" {
		t.Errorf("Occupancy(tank-2) (-want +got):\n%s", diff)
	}
}
