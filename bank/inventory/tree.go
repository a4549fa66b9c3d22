package inventory

import (
	"slices"
	"strings"
)

// Tree is one bank's containers, read in one transaction, for questions
// about the hierarchy: subtrees, paths, cycles, occupancy. A Tree is not
// safe for concurrent use while it is changed (Replace).
type Tree struct {
	byID map[string]*Container
	kids map[string][]*Container // "" holds the top level
}

// NewTree builds the tree of containers cs, all of one bank. It keeps the
// pointers it is given: the caller must not change the containers while
// it uses the tree.
func NewTree(cs []*Container) *Tree {
	t := &Tree{byID: make(map[string]*Container, len(cs)), kids: map[string][]*Container{}}
	for _, c := range cs {
		t.byID[c.ID] = c
		t.kids[c.Parent] = append(t.kids[c.Parent], c)
	}
	for p, ks := range t.kids {
		t.sortKids(p, ks)
	}
	return t
}

// Container returns the container with id, nil when the tree has none.
func (t *Tree) Container(id string) *Container { return t.byID[id] }

// Children returns the containers directly in container id ("" for the
// top level), in the order of their positions, then by id. The slice is
// the tree's: the caller must not change it.
func (t *Tree) Children(id string) []*Container { return t.kids[id] }

// sortKids orders children by their position in the parent (row-major),
// then by id: the order maps and searches walk them in.
func (t *Tree) sortKids(parent string, ks []*Container) {
	var l Layout
	if p := t.byID[parent]; p != nil {
		l = p.Layout
	}
	ord := func(c *Container) int {
		n, _, _ := l.Ordinal(c.ParentPosition)
		return n
	}
	slices.SortFunc(ks, func(a, b *Container) int {
		if d := ord(a) - ord(b); d != 0 {
			return d
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// Preorder returns root and everything below it, depth first; root ""
// walks every top-level container.
func (t *Tree) Preorder(root string) []*Container {
	var out []*Container
	var walk func(id string)
	walk = func(id string) {
		for _, k := range t.kids[id] {
			out = append(out, k)
			walk(k.ID)
		}
	}
	if root != "" {
		c := t.byID[root]
		if c == nil {
			return nil
		}
		out = append(out, c)
	}
	walk(root)
	return out
}

// IDs returns the ids of cs, in order.
func IDs(cs []*Container) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// Within reports whether id is anc or lies below it. A cycle in the
// stored parents (which the rules never let in) ends the walk rather
// than looping.
func (t *Tree) Within(id, anc string) bool {
	for seen := 0; id != "" && seen <= len(t.byID); seen++ {
		if id == anc {
			return true
		}
		c := t.byID[id]
		if c == nil {
			return false
		}
		id = c.Parent
	}
	return false
}

// Path returns the names of the containers from the top level down to id.
func (t *Tree) Path(id string) []string {
	var out []string
	for seen := 0; id != "" && seen <= len(t.byID); seen++ {
		c := t.byID[id]
		if c == nil {
			break
		}
		out = append(out, c.Name())
		id = c.Parent
	}
	slices.Reverse(out)
	return out
}

// Location describes the place at position of container (an id of bank)
// for the API and the audit trail.
func (t *Tree) Location(bank, container, position string) *Location {
	return &Location{Container: ContainerName(bank, container), Position: position, Path: t.Path(container)}
}

// Clone returns a copy of the tree that Replace on either leaves the
// other unchanged (the containers themselves are shared).
func (t *Tree) Clone() *Tree {
	n := &Tree{byID: make(map[string]*Container, len(t.byID)), kids: make(map[string][]*Container, len(t.kids))}
	for k, v := range t.byID {
		n.byID[k] = v
	}
	for k, v := range t.kids {
		n.kids[k] = slices.Clone(v)
	}
	return n
}

// Replace puts c in place of the container with its id (or adds it).
func (t *Tree) Replace(c *Container) {
	if old := t.byID[c.ID]; old != nil {
		t.kids[old.Parent] = slices.DeleteFunc(t.kids[old.Parent], func(x *Container) bool { return x.ID == c.ID })
	}
	t.byID[c.ID] = c
	t.kids[c.Parent] = append(t.kids[c.Parent], c)
	t.sortKids(c.Parent, t.kids[c.Parent])
}

// Occupancy counts the places of a container's subtree (the container and
// everything below it).
type Occupancy struct {
	Container string // id
	// Places is the number of places for things: positions of GRID and
	// SLOTS layouts plus the capacity of bounded NONE layouts.
	Places int
	// Units is the number of units stored anywhere in the subtree.
	Units int
	// Containers is the number of containers below the root.
	Containers int
	// Free is the number of places that hold nothing.
	Free int
	// Unbounded: some container in the subtree has no capacity bound, so
	// there is always room beyond Free.
	Unbounded bool
	// Children are the occupancies of the root's direct children (only on
	// the root).
	Children []*Occupancy
}

// Occupancy counts container id's subtree, given the number of units
// directly in each container (by id). It does not fill Children.
func (t *Tree) Occupancy(id string, units map[string]int) *Occupancy {
	o := &Occupancy{Container: id}
	for _, c := range t.Preorder(id) {
		if c.ID != id {
			o.Containers++
		}
		used := units[c.ID] + len(t.kids[c.ID])
		o.Units += units[c.ID]
		if !c.Layout.HasPositions() && c.Layout.Capacity == 0 {
			o.Unbounded = true
			continue
		}
		o.Places += c.Layout.Size()
		o.Free += max(0, c.Layout.Size()-used)
	}
	return o
}
