package inventory

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cordbank/cordbank/bank/names"
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
func ContainerName(bank, id string) string { return names.Container(bank, id) }

// Clone returns a copy of c that shares no memory with it (the limits are
// pointers).
func (c *Container) Clone() *Container {
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

var containerIDPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// ValidContainerID reports whether id can name a container: 1-63 lower
// case letters, digits and hyphens, starting and ending with a letter or
// digit (AIP-122).
func ValidContainerID(id string) bool { return containerIDPattern.MatchString(id) }

var containerKinds = map[ContainerKind]bool{KindSite: true, KindRoom: true, KindTank: true, KindRack: true, KindBox: true}

// Violations collects the field violations of a request; *bank.Violations
// is one. Field names are the caller's, with the prefix the caller gives.
type Violations interface {
	Add(field, format string, args ...any)
}

// Validate checks the container's own fields (not its place in the tree),
// adding a violation per bad field under prefix. It normalises what it
// checks: the label is trimmed, and a tank without a maximum gets
// DefaultTankMaxCelsius.
func (c *Container) Validate(v Violations, prefix string) {
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

// Location is a unit's place for the API: the container's name, the
// position, and the path of container names from the top level down to
// the container.
type Location struct {
	Container string   `json:"container,omitempty"`
	Position  string   `json:"position,omitempty"`
	Path      []string `json:"path,omitempty"`
}
