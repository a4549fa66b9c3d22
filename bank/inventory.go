package bank

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/cordbank/cordbank/bank/inventory"
	"github.com/cordbank/cordbank/bank/refusal"
	"github.com/cordbank/cordbank/bank/unit"
)

// The storage concern's rules are package inventory's; this file is where
// they meet bank's units, store port and errors.

// Placement is where a unit is stored: a container and a position in it
// ("" in a container without positions). It stays in bank, beside the
// unit it places (keyed by the unit's DIN), while the container is
// inventory's.
type Placement struct {
	Bank      string
	DIN       unit.DIN
	Container string // container id
	Position  string // canonical position name
	Since     time.Time
}

// loadTree reads one bank's containers as a tree, in tx.
func loadTree(ctx context.Context, tx InventoryReader, bankID string) (*inventory.Tree, error) {
	cs, err := tx.ListContainers(ctx, ContainerQuery{Bank: bankID})
	if err != nil {
		return nil, err
	}
	return inventory.NewTree(cs), nil
}

// location describes placement p for the API and the audit trail; an
// empty Location when p is nil (not in storage).
func location(t *inventory.Tree, p *Placement) *inventory.Location {
	if p == nil {
		return &inventory.Location{}
	}
	return t.Location(p.Bank, p.Container, p.Position)
}

// occupancy is what sits directly in one container.
type occupancy struct {
	c     *inventory.Container
	units map[int]*Placement           // by position ordinal (GRID, SLOTS)
	kids  map[int]*inventory.Container // by position ordinal (GRID, SLOTS)
	count int                          // everything in it
	all   []*Placement                 // every unit in it
	subs  []*inventory.Container       // every child container
}

func readOccupancy(ctx context.Context, tx InventoryReader, c *inventory.Container) (*occupancy, error) {
	ps, err := tx.ListPlacements(ctx, c.Bank, []string{c.ID})
	if err != nil {
		return nil, err
	}
	ks, err := tx.ListContainers(ctx, ContainerQuery{Bank: c.Bank, Parent: c.ID})
	if err != nil {
		return nil, err
	}
	o := &occupancy{c: c, units: map[int]*Placement{}, kids: map[int]*inventory.Container{}, count: len(ps) + len(ks), all: ps, subs: ks}
	for _, p := range ps {
		if n, _, ok := c.Layout.Ordinal(p.Position); ok {
			o.units[n] = p
		}
	}
	for _, k := range ks {
		if n, _, ok := c.Layout.Ordinal(k.ParentPosition); ok {
			o.kids[n] = k
		}
	}
	return o, nil
}

// occupancy is the inventory.Occupants of its container.
func (o *occupancy) Len() int           { return o.count }
func (o *occupancy) Taken(ord int) bool { return o.units[ord] != nil || o.kids[ord] != nil }
func (o *occupancy) Occupant(ord int) string {
	if p := o.units[ord]; p != nil {
		return UnitName(p.Bank, p.DIN)
	}
	if k := o.kids[ord]; k != nil {
		return k.Name()
	}
	return ""
}

// claim checks that position (canonical or not; "" picks the first free
// one) of the container can take one more thing and returns its canonical
// name. field names the request field that gave the position.
func (o *occupancy) claim(position, field string) (string, error) {
	pos, err := o.c.Claim(position, o)
	return pos, refused(err, field)
}

// refused turns an inventory rule's Refusal into bank's error model:
// rules about what the request names are INVALID_ARGUMENT on field, rules
// about the state of the storage FAILED_PRECONDITION. kv, when given,
// replaces the Refusal's metadata. Other errors pass unchanged.
func refused(err error, field string, kv ...string) error {
	var r *refusal.Refusal[inventory.Rule]
	if !errors.As(err, &r) {
		return err
	}
	if kv == nil {
		kv = r.Metadata
	}
	switch r.Rule {
	case inventory.RuleIllegalNesting:
		return fieldError(ReasonIllegalNesting, field, r.Message, kv...)
	case inventory.RulePositionOutOfLayout:
		return fieldError(ReasonPositionOutOfLayout, field, r.Message, kv...)
	case inventory.RuleLayoutMismatch:
		return fieldError(ReasonLayoutMismatch, field, r.Message, kv...)
	case inventory.RulePositionOccupied:
		return NewError(KindFailedPrecondition, ReasonPositionOccupied, r.Message, kv...)
	case inventory.RuleContainerFull:
		return NewError(KindFailedPrecondition, ReasonContainerFull, r.Message, kv...)
	case inventory.RuleContainerCycle:
		return NewError(KindFailedPrecondition, ReasonContainerCycle, r.Message, kv...)
	}
	return Internal(err, "unknown inventory rule %d", r.Rule)
}

// auditJSON is v as JSON for an audit FieldChange.
func auditJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// placeJSON is the audited form of a unit's place: container and position.
func placeJSON(bankID string, p *Placement) string {
	if p == nil {
		return ""
	}
	return auditJSON(struct {
		Container string `json:"container"`
		Position  string `json:"position,omitempty"`
	}{inventory.ContainerName(bankID, p.Container), p.Position})
}
