package bank

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"time"
	"unicode"
)

// Event is one entry of the audit trail: who changed what, when, why and
// how. Events form one registry-wide hash chain: each carries the hash of
// the previous one, and its own hash covers all of its fields, so an
// altered, removed, inserted or reordered event breaks the chain (see
// VerifyEvents). Events are appended in the transaction of the change they
// record and are never updated or deleted.
type Event struct {
	Seq       int64 // position in the chain, from 1
	Time      time.Time
	Principal string // who acted (Caller.Principal)
	RequestID string
	// Method is the use case that made the change, e.g. "CreateUnit",
	// "ReleaseUnit".
	Method string
	// Resource is the name of the changed resource.
	Resource string
	// Bank is the id of the bank the resource belongs to ("" for none), so
	// a bank can list its own events.
	Bank string
	// Reason is the reason code given with the change (EMDIS status
	// reason, discard reason ...), "" when none.
	Reason string
	// Changes are the changed fields with their values before and after.
	// A created resource has one change, field "*", whose After is the
	// whole resource as JSON.
	Changes []FieldChange
	// PrevHash is the Hash of event Seq-1 ("" for the first event).
	PrevHash string
	// Hash is the hex SHA-256 of the event's canonical encoding, PrevHash
	// included.
	Hash string
}

// FieldChange is one changed field of an audited change. Field is a
// snake_case path ("cells.viability_percent", "private.maternal_id");
// values are JSON ("" for absent).
type FieldChange struct {
	Field  string
	Before string
	After  string
}

// IsPrivate reports whether the change touches data only the owning bank
// may see (maternal and family fields).
func (c FieldChange) IsPrivate() bool {
	return c.Field == "private" || strings.HasPrefix(c.Field, "private.")
}

// ComputeHash returns the hash e must carry: SHA-256 over every field but
// Hash, each written with its length first so no two different events
// share an encoding. It is computed for every audited change (an import
// hashes one event per unit), so it streams into the hash without
// building an intermediate document.
func (e *Event) ComputeHash() string {
	h := sha256.New()
	var buf [binary.MaxVarintLen64]byte
	num := func(n int64) { h.Write(buf[:binary.PutVarint(buf[:], n)]) }
	str := func(s string) {
		num(int64(len(s)))
		io.WriteString(h, s)
	}
	num(e.Seq)
	num(e.Time.UnixNano())
	for _, s := range [...]string{e.Principal, e.RequestID, e.Method, e.Resource, e.Bank, e.Reason} {
		str(s)
	}
	num(int64(len(e.Changes)))
	for _, c := range e.Changes {
		str(c.Field)
		str(c.Before)
		str(c.After)
	}
	str(e.PrevHash)
	return hex.EncodeToString(h.Sum(nil))
}

// chain appends events to the audit trail inside one write transaction:
// it reads the chain's head once and links each new event to the previous.
type chain struct {
	tx     Tx
	ctx    context.Context
	caller Caller
	now    time.Time
	head   *Event
	loaded bool
}

func (s *Service) newChain(ctx context.Context, tx Tx, now time.Time) *chain {
	return &chain{tx: tx, ctx: ctx, caller: CallerFrom(ctx), now: now}
}

// record appends one event.
func (c *chain) record(method, resource, bank, reason string, changes []FieldChange) error {
	if !c.loaded {
		head, err := c.tx.LastEvent(c.ctx)
		if err != nil {
			return err
		}
		c.head, c.loaded = head, true
	}
	e := &Event{Seq: 1, Time: c.now, Principal: c.caller.Principal, RequestID: c.caller.RequestID,
		Method: method, Resource: resource, Bank: bank, Reason: reason, Changes: changes}
	if c.head != nil {
		e.Seq, e.PrevHash = c.head.Seq+1, c.head.Hash
	}
	e.Hash = e.ComputeHash()
	if err := c.tx.AppendEvent(c.ctx, e); err != nil {
		return err
	}
	c.head = e
	return nil
}

// created records the creation of a resource: one change "*" holding it
// whole, as JSON.
func (c *chain) created(method, resource, bank string, v any) error {
	snap, err := snapshotJSON(v)
	if err != nil {
		return err
	}
	return c.createdJSON(method, resource, bank, snap)
}

// createdJSON is created with the snapshot already encoded.
func (c *chain) createdJSON(method, resource, bank, snapshot string) error {
	return c.record(method, resource, bank, "", []FieldChange{{Field: "*", After: snapshot}})
}

// snapshotJSON encodes a created resource for its audit event.
func snapshotJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", Internal(err, "audit snapshot")
	}
	return string(b), nil
}

// changed records the fields that differ between before and after.
func (c *chain) changed(method, resource, bank, reason string, before, after any) error {
	return c.record(method, resource, bank, reason, diffFields(before, after))
}

// diffFields lists the leaf fields (snake_case paths) whose values differ
// between two values of the same struct type. Bookkeeping fields
// (versions, update times) are left out: every change moves them.
func diffFields(before, after any) []FieldChange {
	b, a := map[string]string{}, map[string]string{}
	flatten(reflect.ValueOf(before), "", b)
	flatten(reflect.ValueOf(after), "", a)
	keys := map[string]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range a {
		keys[k] = true
	}
	var out []FieldChange
	for k := range keys {
		if b[k] != a[k] {
			out = append(out, FieldChange{Field: k, Before: b[k], After: a[k]})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

var skipFields = map[string]bool{"version": true, "update_time": true, "create_time": true}

// flatten writes every leaf of v as JSON under its snake_case path.
// Slices are leaves (a changed typing list shows whole).
func flatten(v reflect.Value, prefix string, out map[string]string) {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			if prefix != "" {
				out[prefix] = ""
			}
			return
		}
		v = v.Elem()
	}
	if v.Kind() == reflect.Struct && v.Type() != reflect.TypeOf(time.Time{}) && v.Type() != reflect.TypeOf(Date{}) {
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := fieldName(f)
			if skipFields[name] {
				continue
			}
			p := name
			if prefix != "" {
				p = prefix + "." + name
			}
			flatten(v.Field(i), p, out)
		}
		return
	}
	var val any = v.Interface()
	if d, ok := val.(Date); ok {
		val = d.String()
	}
	if v.IsZero() {
		out[prefix] = ""
		return
	}
	b, err := json.Marshal(val)
	if err != nil {
		b = []byte(fmt.Sprint(val))
	}
	out[prefix] = string(b)
}

// fieldName is a field's JSON name (its tag), else its snake_case name.
func fieldName(f reflect.StructField) string {
	if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag != "" && tag != "-" {
		return tag
	}
	return snake(f.Name)
}

// snake converts a Go field name to the API's snake_case (DIN -> din,
// PostProcessingTNC -> post_processing_tnc, HLARelease -> hla_release).
func snake(s string) string {
	var b strings.Builder
	r := []rune(s)
	for i, c := range r {
		if unicode.IsUpper(c) {
			if i > 0 && (unicode.IsLower(r[i-1]) || (i+1 < len(r) && unicode.IsLower(r[i+1]) && unicode.IsUpper(r[i-1]))) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(c))
		} else {
			b.WriteRune(c)
		}
	}
	return b.String()
}
