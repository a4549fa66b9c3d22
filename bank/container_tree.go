package bank

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
)

// tree is one bank's containers, read in one transaction, for questions
// about the hierarchy: subtrees, paths, cycles.
type tree struct {
	byID map[string]*Container
	kids map[string][]*Container // "" holds the top level
}

func loadTree(ctx context.Context, tx InventoryReader, bankID string) (*tree, error) {
	cs, err := tx.ListContainers(ctx, ContainerQuery{Bank: bankID})
	if err != nil {
		return nil, err
	}
	t := &tree{byID: make(map[string]*Container, len(cs)), kids: map[string][]*Container{}}
	for _, c := range cs {
		t.byID[c.ID] = c
		t.kids[c.Parent] = append(t.kids[c.Parent], c)
	}
	for p, ks := range t.kids {
		t.sortKids(p, ks)
	}
	return t, nil
}

// sortKids orders children by their position in the parent (row-major),
// then by id: the order maps and searches walk them in.
func (t *tree) sortKids(parent string, ks []*Container) {
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

// preorder returns root and everything below it, depth first; root ""
// walks every top-level container.
func (t *tree) preorder(root string) []*Container {
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

func ids(cs []*Container) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// within reports whether id is anc or lies below it.
func (t *tree) within(id, anc string) bool {
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

// path returns the names of the containers from the top level down to id.
func (t *tree) path(id string) []string {
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

// location describes placement p for the API and the audit trail.
func (t *tree) location(p *Placement) *Location {
	if p == nil {
		return &Location{}
	}
	return &Location{Container: ContainerName(p.Bank, p.Container), Position: p.Position, Path: t.path(p.Container)}
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
	}{ContainerName(bankID, p.Container), p.Position})
}
