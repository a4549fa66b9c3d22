package bank

import (
	"context"
	"fmt"
	"slices"

	"github.com/cordbank/cordbank/bank/access"
	"github.com/cordbank/cordbank/bank/audit"
	"github.com/cordbank/cordbank/bank/inventory"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
)

// leavesStorage are the statuses of units that have physically left the
// bank's storage (domain.md §2.2): their position is freed in the
// transaction of the transition, and they cannot be placed again.
var leavesStorage = []lifecycle.Status{lifecycle.StatusDiscarded, lifecycle.StatusShipped, lifecycle.StatusInfused}

// PlaceRequest puts a unit into a container (PlaceUnit) or moves it there
// (MoveUnit).
type PlaceRequest struct {
	Bank string
	DIN  unit.DIN
	// Container is the id of a tank, rack or box of the unit's bank.
	Container string
	// Position in the container ("A1", "3,4", "17"); "" takes the first
	// free one, and must be "" for containers without positions.
	Position string
}

// PlaceUnit stores a unit that is not in storage yet and returns its
// location. Placing it again where it already is returns the location
// unchanged. Errors: KindNotFound (unit; also a unit of another bank);
// KindInvalid with ReasonContainerNotFound, ReasonIllegalNesting (not a
// container for units) or ReasonPositionOutOfLayout; KindFailedPrecondition
// with ReasonUnitNotStorable (discarded, shipped or infused),
// ReasonUnitAlreadyPlaced (elsewhere: use MoveUnit), ReasonPositionOccupied
// or ReasonContainerFull. On error nothing is written.
func (s *Service) PlaceUnit(ctx context.Context, r PlaceRequest) (*inventory.Location, error) {
	return s.putUnit(ctx, r, "PlaceUnit")
}

// MoveUnit moves a stored unit to another place and returns its new
// location; moving it where it is changes nothing. Errors as PlaceUnit,
// with KindFailedPrecondition, ReasonUnitNotPlaced for a unit not in
// storage.
func (s *Service) MoveUnit(ctx context.Context, r PlaceRequest) (*inventory.Location, error) {
	return s.putUnit(ctx, r, "MoveUnit")
}

func (s *Service) putUnit(ctx context.Context, r PlaceRequest, method string) (*inventory.Location, error) {
	if err := authorize(ctx, access.WriteInventory, r.Bank, false); err != nil {
		return nil, err
	}
	var v Violations
	if !inventory.ValidContainerID(r.Container) {
		v.Add("container", "%q is not a valid container id", r.Container)
	}
	if err := v.Err("invalid " + method + " request"); err != nil {
		return nil, err
	}
	var out *inventory.Location
	err := s.store.Write(ctx, func(tx Tx) error {
		u, err := tx.GetUnit(ctx, r.Bank, r.DIN)
		if err != nil {
			return err
		}
		if slices.Contains(leavesStorage, u.Status) {
			return NewError(KindFailedPrecondition, ReasonUnitNotStorable,
				fmt.Sprintf("unit is %s: it has left storage", u.Status), "name", u.Name(), "status", string(u.Status))
		}
		cur, err := tx.GetPlacement(ctx, r.Bank, r.DIN)
		if err != nil {
			return err
		}
		c, err := tx.GetContainer(ctx, r.Bank, r.Container)
		if err != nil {
			return containerField(err, "container", r.Bank, r.Container)
		}
		if err := inventory.CheckHoldsUnits(c); err != nil {
			return refused(err, "container", "container", c.Name())
		}
		t, err := loadTree(ctx, tx, r.Bank)
		if err != nil {
			return err
		}
		if cur != nil && cur.Container == c.ID {
			_, canon, ok := c.Layout.Ordinal(r.Position)
			if r.Position == "" || (ok && canon == cur.Position) {
				out = location(t, cur) // already there
				return nil
			}
		}
		switch {
		case method == "PlaceUnit" && cur != nil:
			loc := location(t, cur)
			return NewError(KindFailedPrecondition, ReasonUnitAlreadyPlaced,
				fmt.Sprintf("unit is already stored in %s at %q: move it instead", loc.Container, loc.Position),
				"name", u.Name(), "container", loc.Container, "position", loc.Position)
		case method == "MoveUnit" && cur == nil:
			return NewError(KindFailedPrecondition, ReasonUnitNotPlaced, "unit is not in storage: place it first", "name", u.Name())
		}
		o, err := readOccupancy(ctx, tx, c)
		if err != nil {
			return err
		}
		pos, err := o.claim(r.Position, "position")
		if err != nil {
			return err
		}
		now := s.now().UTC()
		p := &Placement{Bank: r.Bank, DIN: r.DIN, Container: c.ID, Position: pos, Since: now}
		if err := tx.PutPlacement(ctx, p); err != nil {
			return err
		}
		if err := s.newChain(ctx, tx, now).record(method, u.Name(), r.Bank, "", []audit.FieldChange{
			{Field: "location", Before: placeJSON(r.Bank, cur), After: placeJSON(r.Bank, p)}}); err != nil {
			return err
		}
		out = location(t, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetUnitLocation returns where a unit is stored; an empty Location when
// it is not in storage. KindNotFound when the unit does not exist.
func (s *Service) GetUnitLocation(ctx context.Context, bankID string, din unit.DIN) (*inventory.Location, error) {
	if err := authorize(ctx, access.ReadInventory, bankID, false); err != nil {
		return nil, err
	}
	var out *inventory.Location
	err := s.store.Read(ctx, func(tx ReadTx) error {
		if _, err := tx.GetUnit(ctx, bankID, din); err != nil {
			return err
		}
		p, err := tx.GetPlacement(ctx, bankID, din)
		if err != nil || p == nil {
			out = &inventory.Location{}
			return err
		}
		t, err := loadTree(ctx, tx, bankID)
		if err != nil {
			return err
		}
		out = location(t, p)
		return nil
	})
	return out, err
}

// vacateOnTransition frees the position of a unit whose new status means
// it left storage, in the transition's transaction, and audits it.
func (s *Service) vacateOnTransition(ctx context.Context, tx Tx, trail *chain, u *Unit, method string) error {
	if !slices.Contains(leavesStorage, u.Status) {
		return nil
	}
	p, err := tx.GetPlacement(ctx, u.Bank, u.DIN)
	if err != nil || p == nil {
		return err
	}
	if err := tx.DeletePlacement(ctx, u.Bank, u.DIN); err != nil {
		return err
	}
	return trail.record(method, u.Name(), u.Bank, "", []audit.FieldChange{{Field: "location", Before: placeJSON(u.Bank, p)}})
}

// MoveContainerRequest moves a container, with everything in it, under
// another parent.
type MoveContainerRequest struct {
	Bank string
	ID   string
	// Parent is the new parent's id; "" makes the container top level.
	Parent string
	// Position in the new parent; "" takes the first free one.
	Position string
	// Etag, when set, must be the container's current etag.
	Etag string
}

// MoveContainer moves a box or rack (or any container) to a new parent;
// what it holds keeps its positions inside it. One audit event records
// the container's move and one each unit inside it (its path changes).
// Errors: KindNotFound (container); KindAborted (etag); KindInvalid with
// ReasonContainerNotFound (parent), ReasonIllegalNesting or
// ReasonPositionOutOfLayout; KindFailedPrecondition with
// ReasonContainerCycle (the parent is the container or lies inside it),
// ReasonPositionOccupied or ReasonContainerFull.
func (s *Service) MoveContainer(ctx context.Context, r MoveContainerRequest) (*inventory.Container, error) {
	if err := authorize(ctx, access.WriteInventory, r.Bank, false); err != nil {
		return nil, err
	}
	var v Violations
	if r.Parent != "" && !inventory.ValidContainerID(r.Parent) {
		v.Add("parent", "%q is not a valid container id", r.Parent)
	}
	if r.Parent == "" && r.Position != "" {
		v.Add("position", "a top-level container has no position")
	}
	if err := v.Err("invalid move"); err != nil {
		return nil, err
	}
	var out *inventory.Container
	err := s.store.Write(ctx, func(tx Tx) error {
		t, err := loadTree(ctx, tx, r.Bank)
		if err != nil {
			return err
		}
		cur := t.Container(r.ID)
		if cur == nil {
			return tx2NotFound(r.Bank, r.ID)
		}
		if err := checkEtag(r.Etag, cur.Version, cur.Name()); err != nil {
			return err
		}
		nc := cur.Clone()
		nc.Parent, nc.ParentPosition = r.Parent, ""
		if r.Parent != "" {
			p := t.Container(r.Parent)
			if p == nil {
				return containerField(tx2NotFound(r.Bank, r.Parent), "parent", r.Bank, r.Parent)
			}
			if err := t.CheckMove(cur, p); err != nil {
				return refused(err, "parent", "name", cur.Name(), "parent", p.Name())
			}
			if cur.Parent == p.ID {
				if _, canon, ok := p.Layout.Ordinal(r.Position); r.Position == "" || (ok && canon == cur.ParentPosition) {
					out = cur // already there
					return nil
				}
			}
			o, err := readOccupancy(ctx, tx, p)
			if err != nil {
				return err
			}
			if cur.Parent == p.ID { // moving within the parent frees its place
				o.count--
				if n, _, ok := p.Layout.Ordinal(cur.ParentPosition); ok {
					delete(o.kids, n)
				}
			}
			if nc.ParentPosition, err = o.claim(r.Position, "position"); err != nil {
				return err
			}
		} else if cur.Parent == "" {
			out = cur
			return nil
		}
		now := s.now().UTC()
		nc.UpdateTime, nc.Version = now, cur.Version+1
		if err := tx.UpdateContainer(ctx, nc); err != nil {
			return err
		}
		trail := s.newChain(ctx, tx, now)
		if err := trail.changed("MoveContainer", nc.Name(), r.Bank, "", cur, nc); err != nil {
			return err
		}
		before := t.Clone()
		t.Replace(nc)
		if err := s.auditPaths(ctx, tx, trail, "MoveContainer", before, t, nc.ID); err != nil {
			return err
		}
		out = nc
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// auditPaths records, for every unit in root's subtree, the change of its
// path from before to after.
func (s *Service) auditPaths(ctx context.Context, tx InventoryReader, trail *chain, method string, before, after *inventory.Tree, root string) error {
	ps, err := tx.ListPlacements(ctx, after.Container(root).Bank, inventory.IDs(after.Preorder(root)))
	if err != nil {
		return err
	}
	for _, p := range ps {
		if err := trail.record(method, UnitName(p.Bank, p.DIN), p.Bank, "", []audit.FieldChange{{Field: "location.path",
			Before: auditJSON(before.Path(p.Container)), After: auditJSON(after.Path(p.Container))}}); err != nil {
			return err
		}
	}
	return nil
}

// EvacuateRequest empties a container into another of the same layout.
type EvacuateRequest struct {
	Bank   string
	ID     string // the container to empty
	Target string // an empty container of the same kind and layout
	// Etag, when set, must be the source container's current etag.
	Etag string
	// RequestID makes the call idempotent (a retry returns the result).
	RequestID string
}

// EvacuateResult says what an evacuation moved.
type EvacuateResult struct {
	Target     *inventory.Container
	Units      int // units that were directly in the source
	Containers int // child containers moved with their contents
}

// Evacuate moves everything in a container (a failing freezer) into an
// empty container of the same kind and layout (the backup), keeping every
// position: units directly in it and child containers with all they hold,
// in one atomic change with an audit event per unit and per container
// moved. Errors: KindNotFound (source); KindAborted (etag); KindInvalid
// with ReasonContainerNotFound (target), ReasonLayoutMismatch;
// KindFailedPrecondition with ReasonContainerNotEmpty (target) or
// ReasonContainerCycle (target inside the source).
func (s *Service) Evacuate(ctx context.Context, r EvacuateRequest) (*EvacuateResult, error) {
	if err := authorize(ctx, access.WriteInventory, r.Bank, false); err != nil {
		return nil, err
	}
	var v Violations
	validRequestID(&v, r.RequestID)
	if !inventory.ValidContainerID(r.Target) {
		v.Add("target", "%q is not a valid container id", r.Target)
	} else if r.Target == r.ID {
		v.Add("target", "a container cannot be evacuated into itself")
	}
	if err := v.Err("invalid evacuation"); err != nil {
		return nil, err
	}
	fp := fingerprint(r.RequestID, "EvacuateContainer", r)
	var out *EvacuateResult
	// A tank holds thousands of units, each moved with its own event.
	err := s.store.Write(WithBulkWrite(ctx), func(tx Tx) error {
		if name, err := replay(ctx, tx, r.RequestID, "EvacuateContainer", fp); err != nil {
			return err
		} else if name != "" {
			dst, err := tx.GetContainer(ctx, r.Bank, r.Target)
			out = &EvacuateResult{Target: dst}
			return err
		}
		t, err := loadTree(ctx, tx, r.Bank)
		if err != nil {
			return err
		}
		src, dst := t.Container(r.ID), t.Container(r.Target)
		if src == nil {
			return tx2NotFound(r.Bank, r.ID)
		}
		if err := checkEtag(r.Etag, src.Version, src.Name()); err != nil {
			return err
		}
		if dst == nil {
			return containerField(tx2NotFound(r.Bank, r.Target), "target", r.Bank, r.Target)
		}
		if err := t.CheckEvacuation(src, dst); err != nil {
			return refused(err, "target", "name", src.Name(), "target", dst.Name())
		}
		in, err := readOccupancy(ctx, tx, dst)
		if err != nil {
			return err
		}
		if in.count > 0 {
			return NewError(KindFailedPrecondition, ReasonContainerNotEmpty,
				fmt.Sprintf("%s is not empty: it holds %d units and %d containers", dst.Name(), len(in.all), len(in.subs)),
				"target", dst.Name(), "units", fmt.Sprint(len(in.all)), "containers", fmt.Sprint(len(in.subs)))
		}
		o, err := readOccupancy(ctx, tx, src)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		trail := s.newChain(ctx, tx, now)
		for _, p := range o.all {
			np := *p
			np.Container, np.Since = dst.ID, now
			if err := tx.PutPlacement(ctx, &np); err != nil {
				return err
			}
			if err := trail.record("EvacuateContainer", UnitName(p.Bank, p.DIN), r.Bank, "", []audit.FieldChange{
				{Field: "location", Before: placeJSON(r.Bank, p), After: placeJSON(r.Bank, &np)}}); err != nil {
				return err
			}
		}
		before := t.Clone()
		for _, k := range o.subs {
			nk := k.Clone()
			nk.Parent, nk.UpdateTime, nk.Version = dst.ID, now, k.Version+1
			if err := tx.UpdateContainer(ctx, nk); err != nil {
				return err
			}
			if err := trail.changed("EvacuateContainer", nk.Name(), r.Bank, "", k, nk); err != nil {
				return err
			}
			t.Replace(nk)
		}
		for _, k := range o.subs {
			if err := s.auditPaths(ctx, tx, trail, "EvacuateContainer", before, t, k.ID); err != nil {
				return err
			}
		}
		if r.RequestID != "" {
			if err := tx.PutRequest(ctx, &RequestRecord{ID: r.RequestID, Method: "EvacuateContainer", Fingerprint: fp, Resource: src.Name(), CreateTime: now}); err != nil {
				return err
			}
		}
		out = &EvacuateResult{Target: dst, Units: len(o.all), Containers: len(o.subs)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
