package inventory

import (
	"fmt"
	"strconv"

	"github.com/cordbank/cordbank/bank/refusal"
)

// Rule names a placement rule that can refuse a change. The domain's
// use cases (package bank) turn a refusal into their error model: which
// Kind and Reason each rule maps to, and which request field it blames,
// are theirs to decide, since only they know the request.
type Rule int

// The rules, with the bank.Reason each is reported with.
const (
	// RuleIllegalNesting: the parent's kind cannot hold the child's, or
	// the container does not hold units (ILLEGAL_NESTING).
	RuleIllegalNesting Rule = iota + 1
	// RulePositionOutOfLayout: the position is not one of the container's
	// (POSITION_OUT_OF_LAYOUT).
	RulePositionOutOfLayout
	// RulePositionOccupied: something already sits at the position
	// (POSITION_OCCUPIED).
	RulePositionOccupied
	// RuleContainerFull: no free position, or the capacity is reached
	// (CONTAINER_FULL).
	RuleContainerFull
	// RuleContainerCycle: the move would put a container inside itself
	// (CONTAINER_CYCLE).
	RuleContainerCycle
	// RuleLayoutMismatch: an evacuation target differs from the source in
	// kind or layout (LAYOUT_MISMATCH).
	RuleLayoutMismatch
)

// Occupants is what sits directly in one container, as Claim needs to
// know it.
type Occupants interface {
	// Len is the number of things in the container, with or without a
	// position.
	Len() int
	// Taken reports whether something sits at the 1-based ordinal.
	Taken(ord int) bool
	// Occupant is the resource name of what sits at ord ("" for nothing).
	Occupant(ord int) string
}

// Claim checks that position of c (canonical or not; "" picks the first
// free one, row-major) can take one more thing, given what is in c, and
// returns the position's canonical name ("" in a container without
// positions). A refusal says why not: RulePositionOutOfLayout,
// RuleContainerFull or RulePositionOccupied.
func (c *Container) Claim(position string, in Occupants) (string, error) {
	if !c.Layout.HasPositions() {
		if position != "" {
			return "", refusal.New(RulePositionOutOfLayout, fmt.Sprintf("%s has no positions: leave the position empty", c.Name()),
				"container", c.Name(), "position", position)
		}
		if c.Layout.Capacity > 0 && in.Len() >= c.Layout.Capacity {
			return "", refusal.New(RuleContainerFull, fmt.Sprintf("%s is full: it holds %d, its capacity", c.Name(), c.Layout.Capacity),
				"container", c.Name(), "capacity", strconv.Itoa(c.Layout.Capacity))
		}
		return "", nil
	}
	if position == "" {
		for n := 1; n <= c.Layout.Size(); n++ {
			if !in.Taken(n) {
				return c.Layout.Position(n), nil
			}
		}
		return "", refusal.New(RuleContainerFull, fmt.Sprintf("%s is full: all %d positions are taken", c.Name(), c.Layout.Size()),
			"container", c.Name(), "capacity", strconv.Itoa(c.Layout.Size()))
	}
	n, canon, ok := c.Layout.Ordinal(position)
	if !ok {
		return "", refusal.New(RulePositionOutOfLayout, fmt.Sprintf("%q is not a position of %s, which has %s", position, c.Name(), c.Layout.describe()),
			"container", c.Name(), "position", position)
	}
	if occupant := in.Occupant(n); occupant != "" {
		return "", refusal.New(RulePositionOccupied, fmt.Sprintf("position %s of %s is taken by %s", canon, c.Name(), occupant),
			"container", c.Name(), "position", canon, "occupant", occupant)
	}
	return canon, nil
}

// CheckNesting refuses (RuleIllegalNesting) a child in parent when the
// parent's kind cannot hold the child's. The refusal has no metadata: the
// caller names the containers as its request does.
func CheckNesting(parent, child *Container) error {
	if parent.Kind.CanHold(child.Kind) {
		return nil
	}
	return refusal.New(RuleIllegalNesting, fmt.Sprintf("a %s cannot hold a %s (%s holds %v)", parent.Kind, child.Kind, parent.Kind, nesting[parent.Kind]))
}

// CheckHoldsUnits refuses (RuleIllegalNesting) a unit in c when c's kind
// does not hold units. The refusal has no metadata.
func CheckHoldsUnits(c *Container) error {
	if c.Kind.HoldsUnits() {
		return nil
	}
	return refusal.New(RuleIllegalNesting, fmt.Sprintf("units go into tanks, racks and boxes; %s is a %s", c.Name(), c.Kind))
}

// CheckMove refuses moving c under parent when parent is c or lies inside
// it (RuleContainerCycle), or cannot hold it (RuleIllegalNesting). The
// Refusals have no metadata.
func (t *Tree) CheckMove(c, parent *Container) error {
	if t.Within(parent.ID, c.ID) {
		return refusal.New(RuleContainerCycle, fmt.Sprintf("%s cannot move into %s, which is itself or inside it", c.Name(), parent.Name()))
	}
	return CheckNesting(parent, c)
}

// CheckEvacuation refuses emptying src into dst when they differ in kind
// or layout (RuleLayoutMismatch: every position must exist in the
// target) or dst lies inside src (RuleContainerCycle). Whether dst is
// empty is the caller's to check. The Refusals have no metadata.
func (t *Tree) CheckEvacuation(src, dst *Container) error {
	if src.Kind != dst.Kind || src.Layout != dst.Layout {
		return refusal.New(RuleLayoutMismatch, fmt.Sprintf("%s is a %s with %s; %s is a %s with %s",
			src.Name(), src.Kind, src.Layout.describe(), dst.Name(), dst.Kind, dst.Layout.describe()))
	}
	if t.Within(dst.ID, src.ID) {
		return refusal.New(RuleContainerCycle, dst.Name()+" is inside "+src.Name())
	}
	return nil
}
