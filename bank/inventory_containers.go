package bank

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/cordbank/cordbank/bank/access"
	"github.com/cordbank/cordbank/bank/inventory"
	"github.com/cordbank/cordbank/bank/unit"
)

// containerField is an INVALID_ARGUMENT error for one field naming a
// container that does not exist (the request's own container missing is
// KindNotFound instead).
func containerField(err error, field, bankID, id string) error {
	if KindOf(err) != KindNotFound {
		return err
	}
	return &Error{Kind: KindInvalid, Reason: ReasonContainerNotFound, Message: "unknown container",
		Violations: []Violation{{Field: field, Description: "container " + inventory.ContainerName(bankID, id) + " does not exist"}},
		Metadata:   map[string]string{"container": inventory.ContainerName(bankID, id)}}
}

// fieldError is an INVALID_ARGUMENT error with a specific reason and one
// field violation.
func fieldError(reason Reason, field, desc string, kv ...string) error {
	e := NewError(KindInvalid, reason, "invalid request", kv...)
	e.Violations = []Violation{{Field: field, Description: desc}}
	return e
}

// CreateContainer creates one container; c.Bank and c.ID name it, c.Parent
// is the id of an existing container of the same bank ("" for the top
// level). See CreateContainers for the rules and errors.
func (s *Service) CreateContainer(ctx context.Context, c *inventory.Container, requestID string) (*inventory.Container, error) {
	if err := authorize(ctx, access.WriteInventory, c.Bank, false); err != nil {
		return nil, err
	}
	out, err := s.createContainers(ctx, c.Bank, []*inventory.Container{c}, requestID, func(int) string { return "" })
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// CreateContainers creates a batch of containers of one bank, all or none:
// a whole tank with its racks and boxes in one call. A container's Parent
// is an existing container or one earlier in the batch. The parent's kind
// must be able to hold the child's (inventory.ContainerKind.CanHold); in a parent
// with positions the child takes ParentPosition, or the first free one
// when it is empty. Errors: KindInvalid naming every bad field (fields
// prefixed "requests[i]."), with ReasonIllegalNesting,
// ReasonPositionOutOfLayout or ReasonContainerNotFound for a bad place in
// the tree; KindAlreadyExists (ReasonContainerAlreadyExists,
// ReasonLabelAlreadyExists); KindFailedPrecondition with
// ReasonPositionOccupied or ReasonContainerFull.
func (s *Service) CreateContainers(ctx context.Context, bankID string, cs []*inventory.Container, requestID string) ([]*inventory.Container, error) {
	if err := authorize(ctx, access.WriteInventory, bankID, false); err != nil {
		return nil, err
	}
	return s.createContainers(ctx, bankID, cs, requestID, func(i int) string { return "requests[" + strconv.Itoa(i) + "]." })
}

func (s *Service) createContainers(ctx context.Context, bankID string, in []*inventory.Container, requestID string, prefix func(int) string) ([]*inventory.Container, error) {
	var v Violations
	validRequestID(&v, requestID)
	if len(in) == 0 {
		v.Add("requests", "name at least one container")
	} else if len(in) > 1000 {
		v.Add("requests", "at most 1000 containers in one call")
	}
	cs := make([]*inventory.Container, len(in))
	seenID, seenLabel := map[string]int{}, map[string]int{}
	for i, c := range in {
		nc := c.Clone()
		nc.Bank = bankID
		nc.Validate(&v, prefix(i))
		if j, dup := seenID[nc.ID]; dup {
			v.Add(prefix(i)+"container_id", "%q is also the id of requests[%d]", nc.ID, j)
		}
		if j, dup := seenLabel[nc.Label]; dup && nc.Label != "" {
			v.Add(prefix(i)+"container.label", "%q is also the label of requests[%d]", nc.Label, j)
		}
		seenID[nc.ID], seenLabel[nc.Label] = i, i
		if nc.Parent == nc.ID && nc.ID != "" {
			v.Add(prefix(i)+"container.parent", "a container cannot be its own parent")
		}
		cs[i] = nc
	}
	if err := v.Err("invalid container"); err != nil {
		return nil, err
	}
	fp := fingerprint(requestID, "CreateContainers", cs)
	var out []*inventory.Container
	err := s.store.Write(ctx, func(tx Tx) error {
		if name, err := replay(ctx, tx, requestID, "CreateContainers", fp); err != nil {
			return err
		} else if name != "" {
			out = out[:0]
			for _, c := range cs {
				got, err := tx.GetContainer(ctx, bankID, c.ID)
				if err != nil {
					return err
				}
				out = append(out, got)
			}
			return nil
		}
		if _, err := tx.GetBank(ctx, bankID); err != nil {
			return unknownBank(err, bankID)
		}
		now := s.now().UTC()
		trail := s.newChain(ctx, tx, now)
		for i, c := range cs {
			if err := s.insertContainer(ctx, tx, c, prefix(i), now); err != nil {
				return err
			}
			if err := trail.created("CreateContainer", c.Name(), bankID, c); err != nil {
				return err
			}
		}
		if requestID != "" {
			if err := tx.PutRequest(ctx, &RequestRecord{ID: requestID, Method: "CreateContainers", Fingerprint: fp, Resource: cs[0].Name(), CreateTime: now}); err != nil {
				return err
			}
		}
		out = cs
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) insertContainer(ctx context.Context, tx Tx, c *inventory.Container, prefix string, now time.Time) error {
	if c.Parent != "" {
		p, err := tx.GetContainer(ctx, c.Bank, c.Parent)
		if err != nil {
			return containerField(err, prefix+"container.parent", c.Bank, c.Parent)
		}
		if err := inventory.CheckNesting(p, c); err != nil {
			return refused(err, prefix+"container.parent", "container", c.Name(), "parent", p.Name())
		}
		o, err := readOccupancy(ctx, tx, p)
		if err != nil {
			return err
		}
		pos, err := o.claim(c.ParentPosition, prefix+"container.parent_position")
		if err != nil {
			return err
		}
		c.ParentPosition = pos
	} else if c.ParentPosition != "" {
		return fieldError(ReasonPositionOutOfLayout, prefix+"container.parent_position", "a top-level container has no position")
	}
	c.CreateTime, c.UpdateTime, c.Version = now, now, 1
	return tx.InsertContainer(ctx, c)
}

// GetContainer returns a container, or KindNotFound.
func (s *Service) GetContainer(ctx context.Context, bankID, id string) (*inventory.Container, error) {
	if err := authorize(ctx, access.ReadInventory, bankID, false); err != nil {
		return nil, err
	}
	var out *inventory.Container
	err := s.store.Read(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.GetContainer(ctx, bankID, id)
		return err
	})
	return out, err
}

// ListContainersRequest selects a page of the children of one container
// (Parent), or of the bank's top-level containers (Parent "").
type ListContainersRequest struct {
	Bank      string
	Parent    string
	PageSize  int
	PageToken string
}

// ListContainers returns one page of containers in id order and the next
// page's token ("" on the last page). KindNotFound when the bank or the
// parent container does not exist.
func (s *Service) ListContainers(ctx context.Context, r ListContainersRequest) ([]*inventory.Container, string, error) {
	if err := authorize(ctx, access.ReadInventory, r.Bank, false); err != nil {
		return nil, "", err
	}
	var v Violations
	n := pageSize(&v, r.PageSize)
	fk := filterKey("containers", r.Bank, r.Parent)
	after := decodePageToken(&v, r.PageToken, fk)
	if err := v.Err("invalid list request"); err != nil {
		return nil, "", err
	}
	var out []*inventory.Container
	err := s.store.Read(ctx, func(tx ReadTx) error {
		if _, err := tx.GetBank(ctx, r.Bank); err != nil {
			return err
		}
		if r.Parent != "" {
			if _, err := tx.GetContainer(ctx, r.Bank, r.Parent); err != nil {
				return err
			}
		}
		var err error
		out, err = tx.ListContainers(ctx, ContainerQuery{Bank: r.Bank, Parent: r.Parent, TopLevel: r.Parent == "", AfterID: after, Limit: n + 1})
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out, next := pageOf(out, n, fk, func(c *inventory.Container) string { return c.ID })
	return out, next, nil
}

// MapEntry is one place of a container map: a position and what is in it
// (a unit's DIN, a child container's id, or neither when empty).
type MapEntry struct {
	Position  string
	Unit      unit.DIN
	Container string
}

// ContainerMap is every place of a container with its occupant: each
// position in order (row-major for grids) for GRID and SLOTS layouts;
// the occupants, without positions, for NONE layouts.
type ContainerMap struct {
	Container *inventory.Container
	Entries   []MapEntry
}

// GetContainerMap returns the map of a container, or KindNotFound.
func (s *Service) GetContainerMap(ctx context.Context, bankID, id string) (*ContainerMap, error) {
	if err := authorize(ctx, access.ReadInventory, bankID, false); err != nil {
		return nil, err
	}
	var out *ContainerMap
	err := s.store.Read(ctx, func(tx ReadTx) error {
		c, err := tx.GetContainer(ctx, bankID, id)
		if err != nil {
			return err
		}
		o, err := readOccupancy(ctx, tx, c)
		if err != nil {
			return err
		}
		out = &ContainerMap{Container: c}
		if !c.Layout.HasPositions() {
			for _, k := range o.subs {
				out.Entries = append(out.Entries, MapEntry{Container: k.ID})
			}
			for _, p := range o.all {
				out.Entries = append(out.Entries, MapEntry{Unit: p.DIN})
			}
			return nil
		}
		out.Entries = make([]MapEntry, c.Layout.Size())
		for n := range out.Entries {
			e := MapEntry{Position: c.Layout.Position(n + 1)}
			if p := o.units[n+1]; p != nil {
				e.Unit = p.DIN
			}
			if k := o.kids[n+1]; k != nil {
				e.Container = k.ID
			}
			out.Entries[n] = e
		}
		return nil
	})
	return out, err
}

// GetOccupancy returns the occupancy of a container's subtree and of each
// of its children's, or KindNotFound.
func (s *Service) GetOccupancy(ctx context.Context, bankID, id string) (*inventory.Occupancy, error) {
	if err := authorize(ctx, access.ReadInventory, bankID, false); err != nil {
		return nil, err
	}
	var out *inventory.Occupancy
	err := s.store.Read(ctx, func(tx ReadTx) error {
		t, err := loadTree(ctx, tx, bankID)
		if err != nil {
			return err
		}
		if t.Container(id) == nil {
			return tx2NotFound(bankID, id)
		}
		counts, err := tx.CountPlacements(ctx, bankID)
		if err != nil {
			return err
		}
		out = t.Occupancy(id, counts)
		for _, k := range t.Children(id) {
			out.Children = append(out.Children, t.Occupancy(k.ID, counts))
		}
		return nil
	})
	return out, err
}

func tx2NotFound(bankID, id string) error {
	return NewError(KindNotFound, ReasonContainerNotFound, "container not found", "name", inventory.ContainerName(bankID, id))
}

// FreePosition is a place a unit can go: a container id and a position.
type FreePosition struct {
	Container string
	Position  string
}

// FindFreeRequest asks for Count free positions for units.
type FindFreeRequest struct {
	Bank string
	// Within restricts the search to a container's subtree; "" searches
	// the whole bank.
	Within string
	Count  int
	// SameContainer asks for all positions in one container (one box).
	SameContainer bool
}

// MaxFindFree bounds FindFreeRequest.Count.
const MaxFindFree = 1000

// FindFreePositions returns Count free positions in a deterministic order:
// containers depth first from the top (children in the order of their
// positions, then by id), positions row-major. Only tanks, racks and boxes
// with positions are searched; places taken by a child container are not
// free. Errors: KindInvalid for a bad count or an unknown Within
// (ReasonContainerNotFound); KindFailedPrecondition, ReasonContainerFull
// when fewer than Count positions are free (metadata "free").
func (s *Service) FindFreePositions(ctx context.Context, r FindFreeRequest) ([]FreePosition, error) {
	if err := authorize(ctx, access.ReadInventory, r.Bank, false); err != nil {
		return nil, err
	}
	var v Violations
	if r.Count < 1 || r.Count > MaxFindFree {
		v.Add("count", "%d is outside 1..%d", r.Count, MaxFindFree)
	}
	if err := v.Err("invalid search for free positions"); err != nil {
		return nil, err
	}
	var out []FreePosition
	err := s.store.Read(ctx, func(tx ReadTx) error {
		if _, err := tx.GetBank(ctx, r.Bank); err != nil {
			return err
		}
		t, err := loadTree(ctx, tx, r.Bank)
		if err != nil {
			return err
		}
		if r.Within != "" && t.Container(r.Within) == nil {
			return containerField(tx2NotFound(r.Bank, r.Within), "within", r.Bank, r.Within)
		}
		counts, err := tx.CountPlacements(ctx, r.Bank)
		if err != nil {
			return err
		}
		total := 0
		for _, c := range t.Preorder(r.Within) {
			if !c.Kind.HoldsUnits() || !c.Layout.HasPositions() {
				continue
			}
			free := c.Layout.Size() - counts[c.ID] - len(t.Children(c.ID))
			if free <= 0 || (r.SameContainer && free < r.Count) {
				total += max(free, 0)
				continue
			}
			o, err := readOccupancy(ctx, tx, c)
			if err != nil {
				return err
			}
			for n := 1; n <= c.Layout.Size() && len(out) < r.Count; n++ {
				if !o.Taken(n) {
					out = append(out, FreePosition{Container: c.ID, Position: c.Layout.Position(n)})
				}
			}
			if len(out) == r.Count {
				return nil
			}
			total += free
		}
		msg := fmt.Sprintf("only %d positions are free, %d asked for", total, r.Count)
		if r.SameContainer {
			msg = fmt.Sprintf("no container has %d free positions", r.Count)
		}
		out = nil
		return NewError(KindFailedPrecondition, ReasonContainerFull, msg, "free", strconv.Itoa(total), "count", strconv.Itoa(r.Count))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
