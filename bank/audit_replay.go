package bank

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/cordbank/cordbank/bank/audit"
	"github.com/cordbank/cordbank/bank/inventory"
)

// The replay of one resource's events (see VerifyState): the row decoded
// from its creation snapshot, each later change decoded into its field,
// then compared with the row in the table.

// fieldSets are the fields compared per kind: every leaf a change can
// record on the row (audit.Flatten of the zero value), plus a unit's location.
var fieldSets = map[resourceKind]map[string]bool{
	kindBank: leafPaths(&Bank{}), kindUnit: leafPaths(&Unit{}, "location"),
	kindReservation: leafPaths(&Reservation{}), kindContainer: leafPaths(&inventory.Container{}),
}

// sortedFields are fieldSets in order, so differences come out in a
// stable order.
var sortedFields = func() map[resourceKind][]string {
	out := map[resourceKind][]string{}
	for k, set := range fieldSets {
		for f := range set {
			out[k] = append(out[k], f)
		}
		slices.Sort(out[k])
	}
	return out
}()

func leafPaths(v any, extra ...string) map[string]bool {
	vals := map[string]string{}
	audit.Flatten(reflect.ValueOf(v), "", vals)
	m := map[string]bool{}
	for k := range vals {
		m[k] = true
	}
	for _, e := range extra {
		m[e] = true
	}
	return m
}

// fieldIndexes are, per kind, the struct field (an index path for
// reflect.Value.FieldByIndex) of each leaf path audit.Flatten writes: a change
// of field "cells.post_processing_tnc" is replayed into that field.
var fieldIndexes = map[resourceKind]map[string][]int{
	kindBank: leafIndexes(reflect.TypeFor[Bank]()), kindUnit: leafIndexes(reflect.TypeFor[Unit]()),
	kindReservation: leafIndexes(reflect.TypeFor[Reservation]()), kindContainer: leafIndexes(reflect.TypeFor[inventory.Container]()),
}

// leafIndexes walks a struct type as audit.Flatten walks its values.
func leafIndexes(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	var walk func(t reflect.Type, prefix string, idx []int)
	walk = func(t reflect.Type, prefix string, idx []int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() || audit.Bookkeeping(audit.FieldName(f)) {
				continue
			}
			p := audit.FieldName(f)
			if prefix != "" {
				p = prefix + "." + p
			}
			ix := append(append([]int(nil), idx...), i)
			if !audit.Leaf(f.Type) {
				walk(f.Type, p, ix)
				continue
			}
			out[p] = ix
		}
	}
	walk(t, "", nil)
	return out
}

// newOfKind returns a new zero row of the kind.
func newOfKind(kind resourceKind) any {
	switch kind {
	case kindBank:
		return &Bank{}
	case kindUnit:
		return &Unit{}
	case kindReservation:
		return &Reservation{}
	}
	return &inventory.Container{}
}

// trailReplay is the state the trail implies for one resource: the row
// decoded from its creation snapshot with every later change applied.
type trailReplay struct {
	name     string
	kind     resourceKind
	ids      []string
	events   []*Event      // the resource's events, in Seq order
	state    reflect.Value // the replayed row (a struct), once created
	location string        // a unit's storage place (placeJSON), "" when not stored
	created  bool
}

// leafJSON is a leaf's value as audit.Flatten writes it (and so as changes
// record it).
func leafJSON(v reflect.Value) string {
	m := make(map[string]string, 1)
	audit.Flatten(v, "v", m)
	return m["v"]
}

// apply folds one event of the resource into the replayed state and
// reports where the event's own record of a value before its change
// disagrees with the state the trail had left (the row was edited between
// two audited changes).
func (r *trailReplay) apply(e *Event, diff func(StateDifference)) {
	index := fieldIndexes[r.kind]
	for _, c := range e.Changes {
		if c.Field == "*" {
			row := newOfKind(r.kind)
			if err := json.Unmarshal([]byte(c.After), row); err != nil {
				diff(StateDifference{Resource: r.name, Seq: e.Seq, Reason: "the creation snapshot does not decode: " + err.Error()})
				continue
			}
			r.state, r.location, r.created = reflect.ValueOf(row).Elem(), "", true
			continue
		}
		if !r.created {
			continue
		}
		var had string
		var field reflect.Value
		switch ix, ok := index[c.Field]; {
		case r.kind == kindUnit && c.Field == "location":
			had = r.location
		case ok:
			field = r.state.FieldByIndex(ix)
			had = leafJSON(field)
		default:
			continue // derived or about another row (location.path, readings)
		}
		if normalValue(had) != normalValue(c.Before) {
			diff(StateDifference{Resource: r.name, Field: c.Field, Trail: had, Table: c.Before, Seq: e.Seq,
				Reason: fmt.Sprintf("event %d (%s) found a value the trail never recorded: the row was changed outside the service before it", e.Seq, e.Method)})
		}
		if !field.IsValid() {
			r.location = c.After
			continue
		}
		// Zeroed first: decoding into a used slice or struct would keep
		// what the new value leaves out.
		field.Set(reflect.Zero(field.Type()))
		if c.After != "" {
			if err := json.Unmarshal([]byte(c.After), field.Addr().Interface()); err != nil {
				diff(StateDifference{Resource: r.name, Field: c.Field, Trail: c.After, Seq: e.Seq,
					Reason: fmt.Sprintf("event %d (%s) records a value that does not decode: %v", e.Seq, e.Method, err)})
			}
		}
	}
}

// comparedEncoding is a row's encoding without the fields VerifyState does not
// compare (version, create and update times), for the equality fast path.
func comparedEncoding(row reflect.Value) []byte {
	if u, ok := row.Addr().Interface().(*Unit); ok {
		// Units, by the million, skip reflection.
		c := *u
		c.Version, c.CreateTime, c.UpdateTime = 0, time.Time{}, time.Time{}
		b, err := appendUnitJSON(make([]byte, 0, 2048), &c)
		if err != nil {
			return nil
		}
		return b
	}
	c := reflect.New(row.Type()).Elem()
	c.Set(row)
	for i := 0; i < c.NumField(); i++ {
		if audit.Bookkeeping(audit.FieldName(c.Type().Field(i))) {
			c.Field(i).Set(reflect.Zero(c.Field(i).Type()))
		}
	}
	b, err := json.Marshal(c.Addr().Interface())
	if err != nil {
		return nil
	}
	return b
}

// normalValue makes two encodings of one value compare equal: times in
// any zone are compared in UTC.
func normalValue(v string) string {
	if len(v) < 22 || len(v) > 40 || v[0] != '"' || v[len(v)-1] != '"' || v[1] < '0' || v[1] > '9' {
		return v
	}
	t, err := time.Parse(time.RFC3339Nano, v[1:len(v)-1])
	if err != nil {
		return v
	}
	return `"` + t.UTC().Format(time.RFC3339Nano) + `"`
}

// check replays the job's events and reports each field of the row that
// differs from the state they imply.
func (j stateJob) check(diff func(StateDifference)) {
	r := j.r
	for _, e := range r.events {
		r.apply(e, diff)
	}
	switch {
	case j.row == nil && r.created:
		diff(StateDifference{Resource: r.name, Reason: "the trail records this resource but its row is missing: it was deleted outside the service"})
		return
	case j.row == nil:
		return
	case !r.created:
		diff(StateDifference{Resource: r.name, Reason: "the row has no creation event in the trail: the trail cannot prove it"})
		return
	}
	row := reflect.ValueOf(j.row).Elem()
	location := ""
	if r.kind == kindUnit {
		location = placeJSON(r.ids[1], j.placement)
	}
	// Equal encodings mean equal fields: most rows end here, without
	// flattening either side. Any difference, even one of encoding only
	// (a nil against a zero count), goes to the field by field comparison,
	// which decides.
	if normalValue(location) == normalValue(r.location) {
		if a := comparedEncoding(r.state); a != nil && bytes.Equal(a, comparedEncoding(row)) {
			return
		}
	}
	want := make(map[string]string, len(fieldSets[r.kind]))
	audit.Flatten(r.state, "", want)
	have := make(map[string]string, len(fieldSets[r.kind]))
	audit.Flatten(row, "", have)
	if r.kind == kindUnit {
		want["location"], have["location"] = r.location, location
	}
	for _, f := range sortedFields[r.kind] {
		if audit.Bookkeeping(f) {
			continue
		}
		if w, g := want[f], have[f]; normalValue(w) != normalValue(g) {
			diff(StateDifference{Resource: r.name, Field: f, Trail: w, Table: g,
				Reason: "the row differs from the state its audit trail implies"})
		}
	}
}
