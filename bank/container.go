package bank

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Container is a place units are stored in (domain.md §2.6), named
// banks/{Bank}/containers/{ID}: a site, a room, a tank (dewar), a rack
// (canister) or a box (cassette). Containers form a tree per bank; a
// container with a parent occupies one position of it when the parent's
// layout has positions.
type Container struct {
	Bank string        `json:"bank,omitempty"`
	ID   string        `json:"id,omitempty"`
	Kind ContainerKind `json:"kind,omitempty"`
	// Parent is the id of the enclosing container, "" at the top.
	Parent string `json:"parent,omitempty"`
	// ParentPosition is the canonical position the container occupies in
	// its parent; "" when the parent's layout is NONE (or at the top).
	ParentPosition string `json:"parent_position,omitempty"`
	// Label is the printed label or barcode, unique within the bank.
	Label  string `json:"label,omitempty"`
	Layout Layout `json:"layout"`
	// MinCelsius and MaxCelsius are a tank's temperature limits; a reading
	// outside them opens an excursion. nil means unbounded on that side.
	// Only tanks have limits; a tank created without a maximum gets
	// DefaultTankMaxCelsius.
	MinCelsius *float64 `json:"min_celsius,omitempty"`
	MaxCelsius *float64 `json:"max_celsius,omitempty"`

	CreateTime time.Time `json:"create_time,omitempty"`
	UpdateTime time.Time `json:"update_time,omitempty"`
	Version    int64     `json:"version,omitempty"`
}

// DefaultTankMaxCelsius is the upper limit of a tank created without one:
// domain.md §2.5 treats −150 °C as the hard limit.
const DefaultTankMaxCelsius = -150.0

// Name returns the container's resource name.
func (c *Container) Name() string { return ContainerName(c.Bank, c.ID) }

// ContainerName formats the resource name of container id of bank.
func ContainerName(bank, id string) string { return "banks/" + bank + "/containers/" + id }

// ContainerKind is the type of a storage container.
type ContainerKind string

// Container kinds, outermost first; wire enum cordbank.v1.ContainerKind.
const (
	KindSite ContainerKind = "SITE"
	KindRoom ContainerKind = "ROOM"
	KindTank ContainerKind = "TANK" // dewar or robotic freezer
	KindRack ContainerKind = "RACK" // rack or canister
	KindBox  ContainerKind = "BOX"  // box or cassette
)

// nesting says which kinds a container of each kind may hold. Containers
// nest outside-in site > room > tank > rack > box; one level may be skipped
// where real stores do: a tank directly on a site, a rack directly in a
// room (robotic freezers and racks in walk-in stores), a box directly in a
// tank (cassettes in a BioArchive-style freezer). Any kind may be a top
// level container, so a bank with one dewar needs no site or room.
var nesting = map[ContainerKind][]ContainerKind{
	KindSite: {KindRoom, KindTank},
	KindRoom: {KindTank, KindRack},
	KindTank: {KindRack, KindBox},
	KindRack: {KindBox},
	KindBox:  nil,
}

// CanHold reports whether a container of kind k may hold a child of kind c.
func (k ContainerKind) CanHold(c ContainerKind) bool { return slices.Contains(nesting[k], c) }

// HoldsUnits reports whether units may be placed directly in a container
// of kind k: tanks (robotic freezers hold bags in slots), racks and boxes.
func (k ContainerKind) HoldsUnits() bool { return k == KindTank || k == KindRack || k == KindBox }

// LayoutKind says how a container's places are addressed.
type LayoutKind string

// Layout kinds; wire enum cordbank.v1.LayoutKind.
const (
	// LayoutGrid: Rows × Columns positions named "A1" .. (see Layout.Position).
	LayoutGrid LayoutKind = "GRID"
	// LayoutSlots: Slots positions named "1" .. "N".
	LayoutSlots LayoutKind = "SLOTS"
	// LayoutNone: no positions (a bag, a bin); Capacity bounds the number
	// of things in it, 0 means no bound.
	LayoutNone LayoutKind = "NONE"
)

// Grid and slot bounds.
const (
	MaxGridSide = 50
	MaxSlots    = 10000
)

// Layout is the shape of a container: where things go in it.
type Layout struct {
	Kind     LayoutKind `json:"kind,omitempty"`
	Rows     int        `json:"rows,omitempty"`
	Columns  int        `json:"columns,omitempty"`
	Slots    int        `json:"slots,omitempty"`
	Capacity int        `json:"capacity,omitempty"`
}

// Size is the number of positions (GRID, SLOTS), or the capacity of a NONE
// layout (0 = unbounded).
func (l Layout) Size() int {
	switch l.Kind {
	case LayoutGrid:
		return l.Rows * l.Columns
	case LayoutSlots:
		return l.Slots
	}
	return l.Capacity
}

// HasPositions reports whether things in the container sit at named
// positions.
func (l Layout) HasPositions() bool { return l.Kind == LayoutGrid || l.Kind == LayoutSlots }

func (l Layout) validate(v *Violations, prefix string) {
	side := func(f string, n int) {
		if n < 1 || n > MaxGridSide {
			v.Add(prefix+f, "%d is outside 1..%d", n, MaxGridSide)
		}
	}
	zero := func(f string, n int) {
		if n != 0 {
			v.Add(prefix+f, "only for a %s layout", map[string]LayoutKind{"rows": LayoutGrid, "columns": LayoutGrid, "slots": LayoutSlots, "capacity": LayoutNone}[f])
		}
	}
	switch l.Kind {
	case LayoutGrid:
		side("rows", l.Rows)
		side("columns", l.Columns)
		zero("slots", l.Slots)
		zero("capacity", l.Capacity)
	case LayoutSlots:
		if l.Slots < 1 || l.Slots > MaxSlots {
			v.Add(prefix+"slots", "%d is outside 1..%d", l.Slots, MaxSlots)
		}
		zero("rows", l.Rows)
		zero("columns", l.Columns)
		zero("capacity", l.Capacity)
	case LayoutNone:
		if l.Capacity < 0 {
			v.Add(prefix+"capacity", "%d is negative: give 0 for no bound", l.Capacity)
		}
		zero("rows", l.Rows)
		zero("columns", l.Columns)
		zero("slots", l.Slots)
	case "":
		v.Add(prefix+"kind", "required: GRID, SLOTS or NONE")
	default:
		v.Add(prefix+"kind", "unknown layout %q", l.Kind)
	}
}

// Position naming. Grid positions are a row in letters and a column in
// digits, like a microplate: "A1" .. "H12". Rows past Z continue as
// spreadsheet columns do: AA, AB, .. AX (row 50). "r,c" (1-based, e.g.
// "3,12") is accepted as input too; names are always returned in letter
// form. Slot positions are "1" .. "N". Lower case and surrounding spaces
// are accepted.

// rowName names grid row r (1-based): 1 -> A, 26 -> Z, 27 -> AA.
func rowName(r int) string {
	var b []byte
	for r > 0 {
		r--
		b = append([]byte{byte('A' + r%26)}, b...)
		r /= 26
	}
	return string(b)
}

var gridPattern = regexp.MustCompile(`^([A-Z]{1,2})([0-9]{1,3})$`)
var pairPattern = regexp.MustCompile(`^([0-9]{1,3})\s*,\s*([0-9]{1,3})$`)

// Ordinal returns the 1-based index of position name in the layout (grid
// positions row-major) and its canonical name. ok is false when the name
// does not parse or lies outside the layout, and for NONE layouts.
func (l Layout) Ordinal(name string) (ord int, canonical string, ok bool) {
	s := strings.ToUpper(strings.TrimSpace(name))
	switch l.Kind {
	case LayoutGrid:
		var r, c int
		if m := gridPattern.FindStringSubmatch(s); m != nil {
			for _, ch := range m[1] {
				r = r*26 + int(ch-'A'+1)
			}
			c, _ = strconv.Atoi(m[2])
		} else if m := pairPattern.FindStringSubmatch(s); m != nil {
			r, _ = strconv.Atoi(m[1])
			c, _ = strconv.Atoi(m[2])
		} else {
			return 0, "", false
		}
		if r < 1 || r > l.Rows || c < 1 || c > l.Columns {
			return 0, "", false
		}
		return (r-1)*l.Columns + c, rowName(r) + strconv.Itoa(c), true
	case LayoutSlots:
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > l.Slots {
			return 0, "", false
		}
		return n, strconv.Itoa(n), true
	}
	return 0, "", false
}

// Position returns the canonical name of the position with 1-based
// ordinal ord ("" when out of range).
func (l Layout) Position(ord int) string {
	if ord < 1 || ord > l.Size() {
		return ""
	}
	switch l.Kind {
	case LayoutGrid:
		r, c := (ord-1)/l.Columns+1, (ord-1)%l.Columns+1
		return rowName(r) + strconv.Itoa(c)
	case LayoutSlots:
		return strconv.Itoa(ord)
	}
	return ""
}

// describe says how positions of l are named, for error messages.
func (l Layout) describe() string {
	switch l.Kind {
	case LayoutGrid:
		return fmt.Sprintf("a %d×%d grid: A1 .. %s%d (or \"row,column\")", l.Rows, l.Columns, rowName(l.Rows), l.Columns)
	case LayoutSlots:
		return fmt.Sprintf("%d slots: 1 .. %d", l.Slots, l.Slots)
	}
	return "no positions"
}

var containerIDPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// ValidContainerID reports whether id can name a container: 1-63 lower
// case letters, digits and hyphens, starting and ending with a letter or
// digit (AIP-122).
func ValidContainerID(id string) bool { return containerIDPattern.MatchString(id) }

var containerKinds = map[ContainerKind]bool{KindSite: true, KindRoom: true, KindTank: true, KindRack: true, KindBox: true}

// validate checks the container's own fields (not its place in the tree).
func (c *Container) validate(v *Violations, prefix string) {
	if !ValidContainerID(c.ID) {
		v.Add(prefix+"container_id", "%q is not a valid container id: 1-63 lower-case letters, digits and hyphens", c.ID)
	}
	switch {
	case c.Kind == "":
		v.Add(prefix+"container.kind", "required: SITE, ROOM, TANK, RACK or BOX")
	case !containerKinds[c.Kind]:
		v.Add(prefix+"container.kind", "unknown container kind %q", c.Kind)
	}
	c.Label = strings.TrimSpace(c.Label)
	switch {
	case c.Label == "":
		v.Add(prefix+"container.label", "required: the label or barcode on the container")
	case len(c.Label) > 100:
		v.Add(prefix+"container.label", "at most 100 characters")
	}
	c.Layout.validate(v, prefix+"container.layout.")
	if c.Kind != KindTank {
		if c.MinCelsius != nil {
			v.Add(prefix+"container.min_temperature_celsius", "only tanks have temperature limits")
		}
		if c.MaxCelsius != nil {
			v.Add(prefix+"container.max_temperature_celsius", "only tanks have temperature limits")
		}
		return
	}
	if c.MaxCelsius == nil {
		m := DefaultTankMaxCelsius
		c.MaxCelsius = &m
	}
	for f, p := range map[string]*float64{"min_temperature_celsius": c.MinCelsius, "max_temperature_celsius": c.MaxCelsius} {
		if p != nil && (*p < -273.15 || *p > 100 || *p != *p) {
			v.Add(prefix+"container."+f, "%g °C is outside -273.15..100", *p)
		}
	}
	if c.MinCelsius != nil && *c.MinCelsius >= *c.MaxCelsius {
		v.Add(prefix+"container.min_temperature_celsius", "%g °C is not below the maximum %g °C", *c.MinCelsius, *c.MaxCelsius)
	}
}

// Placement is where a unit is stored: a container and a position in it
// ("" in a container without positions).
type Placement struct {
	Bank      string
	DIN       DIN
	Container string // container id
	Position  string // canonical position name
	Since     time.Time
}

// Location is a unit's place for the API: the container's name, the
// position, and the path of container names from the top level down to
// the container.
type Location struct {
	Container string   `json:"container,omitempty"`
	Position  string   `json:"position,omitempty"`
	Path      []string `json:"path,omitempty"`
}

func cloneContainer(c *Container) *Container {
	n := *c
	if c.MinCelsius != nil {
		x := *c.MinCelsius
		n.MinCelsius = &x
	}
	if c.MaxCelsius != nil {
		x := *c.MaxCelsius
		n.MaxCelsius = &x
	}
	return &n
}
