package bank

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
	"unsafe"
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
	// included, under HashScheme.
	Hash string
	// HashScheme says how Hash is computed (see ComputeHash): 1 for events
	// written before cordbank stored the scheme, 2 before events had
	// streams, 3 since.
	HashScheme int
	// Stream is the view the event belongs to: "" for the public stream
	// (every event that readers outside a bank may read), or the id of the
	// bank whose private stream holds it (the events of its private units
	// and of the resources below them). A unit's type never changes, so
	// neither does the stream of its events.
	Stream string
	// StreamSeq is the event's position in its stream, from 1, without
	// gaps. Readers who may not see every event are shown positions in
	// streams, never Seq: a reader's positions and page tokens then depend
	// only on the streams it may read, not on how many events stand
	// between them in the registry-wide chain.
	StreamSeq int64
}

// PublicStream is Event.Stream of the events every reader may see.
const PublicStream = ""

// Hash schemes. All hash every field; they differ in layout.
const (
	// HashSchemeFlat (1) hashes all fields in one pass: Seq first,
	// PrevHash last. Events written before the scheme was recorded use it.
	HashSchemeFlat = 1
	// HashSchemeLinked (2) hashes the content (every field but Seq,
	// PrevHash, Hash and HashScheme) once, then links that hash:
	// SHA-256("cordbank/event/v2", Seq, PrevHash, content hash).
	// The content hash needs no position in the chain, so it is computed
	// before the write transaction and the single writer only links.
	HashSchemeLinked = 2
	// HashSchemeStreamed (3) is HashSchemeLinked with the event's stream
	// and stream position linked too: SHA-256("cordbank/event/v3", Seq,
	// PrevHash, Stream, StreamSeq, content hash). Moving an event into
	// another stream (showing a private event to outsiders, or hiding a
	// public one) then breaks the chain like any other edit.
	HashSchemeStreamed = 3
	// CurrentHashScheme is the scheme of new events.
	CurrentHashScheme = HashSchemeStreamed
)

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

// ComputeHash returns the hash e must carry under its HashScheme: SHA-256
// over every field but Hash, each written with its length first so no two
// different events share an encoding. It returns "" for an unknown scheme,
// which matches no stored hash.
func (e *Event) ComputeHash() string {
	switch e.HashScheme {
	case HashSchemeFlat:
		return e.flatHash()
	case HashSchemeLinked, HashSchemeStreamed:
		body := e.bodyHash()
		return e.linkedHash(&body)
	}
	return ""
}

// eventEncoder writes length-prefixed fields into a buffer and hashes it.
// Encoders are pooled: an import hashes one event per unit, and writing
// strings into a hash.Hash one by one copies each (io.WriteString).
type eventEncoder struct {
	buf []byte
}

var eventEncoders = sync.Pool{New: func() any { return &eventEncoder{buf: make([]byte, 0, 2048)} }}

func (w *eventEncoder) num(n int64) { w.buf = binary.AppendVarint(w.buf, n) }

func (w *eventEncoder) str(s string) {
	w.num(int64(len(s)))
	w.buf = append(w.buf, s...)
}

// sum returns the SHA-256 of what was written and returns w to the pool.
func (w *eventEncoder) sum() [sha256.Size]byte {
	h := sha256.Sum256(w.buf)
	if cap(w.buf) <= 64<<10 { // do not keep the buffer of an outsized event
		w.buf = w.buf[:0]
		eventEncoders.Put(w)
	}
	return h
}

func newEventEncoder() *eventEncoder { return eventEncoders.Get().(*eventEncoder) }

// content writes every field that is not about the event's place in the
// chain (all but Seq, PrevHash and Hash).
func (w *eventEncoder) content(e *Event) {
	w.num(e.Time.UnixNano())
	for _, s := range [...]string{e.Principal, e.RequestID, e.Method, e.Resource, e.Bank, e.Reason} {
		w.str(s)
	}
	w.num(int64(len(e.Changes)))
	for _, c := range e.Changes {
		w.str(c.Field)
		w.str(c.Before)
		w.str(c.After)
	}
}

// flatHash is HashSchemeFlat: Seq, the content, PrevHash.
func (e *Event) flatHash() string {
	w := newEventEncoder()
	w.num(e.Seq)
	w.content(e)
	w.str(e.PrevHash)
	h := w.sum()
	return hex.EncodeToString(h[:])
}

// bodyHash is the SHA-256 of the event's content under HashSchemeLinked:
// every field but Seq, PrevHash, Hash and HashScheme.
func (e *Event) bodyHash() [sha256.Size]byte {
	w := newEventEncoder()
	w.content(e)
	return w.sum()
}

// linkedHashDomain and streamedHashDomain separate scheme-2 and scheme-3
// hashes from each other and from any scheme-1 encoding.
const (
	linkedHashDomain   = "cordbank/event/v2"
	streamedHashDomain = "cordbank/event/v3"
)

// linkedHash is HashSchemeLinked or HashSchemeStreamed (by e.HashScheme):
// the domain, Seq, PrevHash, the stream and its position (scheme 3), and
// the content's hash.
func (e *Event) linkedHash(body *[sha256.Size]byte) string {
	w := newEventEncoder()
	if e.HashScheme == HashSchemeStreamed {
		w.str(streamedHashDomain)
		w.num(e.Seq)
		w.str(e.PrevHash)
		w.str(e.Stream)
		w.num(e.StreamSeq)
	} else {
		w.str(linkedHashDomain)
		w.num(e.Seq)
		w.str(e.PrevHash)
	}
	w.buf = append(w.buf, body[:]...)
	h := w.sum()
	return hex.EncodeToString(h[:])
}

// preparedEvent is an event made ready before its transaction (an
// import), with its content already hashed so the writer only links it.
type preparedEvent struct {
	e    *Event
	body [sha256.Size]byte
}

func prepareEvent(e *Event) preparedEvent { return preparedEvent{e, e.bodyHash()} }

// chain appends events to the audit trail inside one write transaction:
// it reads the chain's head once and links each new event to the previous.
type chain struct {
	tx     auditLog
	ctx    context.Context
	caller Caller
	now    time.Time
	head   *Event
	loaded bool
	// streamHeads caches the last StreamSeq of each stream this
	// transaction appended to or read.
	streamHeads map[string]int64
	// unitStreams caches the stream of each unit whose events this
	// transaction records, keyed by DIN (DINs are globally unique).
	unitStreams map[DIN]string
}

// auditLog is what a chain needs of a write transaction: the heads to
// link to, the append, and the units whose type decides an event's stream.
type auditLog interface {
	AuditReader
	AuditWriter
	RegistryReader
}

func (s *Service) newChain(ctx context.Context, tx auditLog, now time.Time) *chain {
	return &chain{tx: tx, ctx: ctx, caller: CallerFrom(ctx), now: now}
}

// newEvent is an event of caller at now, not yet placed in the chain.
func newEvent(caller Caller, now time.Time, method, resource, bank, reason string, changes []FieldChange) *Event {
	return &Event{Time: now, Principal: caller.Principal, RequestID: caller.RequestID,
		Method: method, Resource: resource, Bank: bank, Reason: reason, Changes: changes,
		HashScheme: CurrentHashScheme}
}

// record appends one event.
func (c *chain) record(method, resource, bank, reason string, changes []FieldChange) error {
	return c.appendPrepared(prepareEvent(newEvent(c.caller, c.now, method, resource, bank, reason, changes)))
}

// link places e, whose content hash is body, after the chain's head and
// at the end of its stream: it sets Seq, PrevHash, Stream, StreamSeq and
// Hash, and e becomes the head.
func (c *chain) link(e *Event, body [sha256.Size]byte) error {
	if !c.loaded {
		head, err := c.tx.LastEvent(c.ctx)
		if err != nil {
			return err
		}
		c.head, c.loaded = head, true
	}
	stream, err := c.streamOf(e)
	if err != nil {
		return err
	}
	last, ok := c.streamHeads[stream]
	if !ok {
		if last, err = c.tx.StreamHead(c.ctx, stream); err != nil {
			return err
		}
		if c.streamHeads == nil {
			c.streamHeads = map[string]int64{}
		}
	}
	e.Seq, e.PrevHash, e.HashScheme = 1, "", CurrentHashScheme
	if c.head != nil {
		e.Seq, e.PrevHash = c.head.Seq+1, c.head.Hash
	}
	e.Stream, e.StreamSeq = stream, last+1
	c.streamHeads[stream] = e.StreamSeq
	e.Hash = e.linkedHash(&body)
	c.head = e
	return nil
}

// streamOf returns the stream e belongs to: the private stream of the
// owning bank for an event of a private unit or of a resource below one
// (its reservations), else the public stream. The unit is read from the
// transaction unless this chain already knows it, so no use case can
// forget to say that a unit is private.
func (c *chain) streamOf(e *Event) (string, error) {
	bankID, din, ok := unitOfResource(e.Resource)
	if !ok {
		return PublicStream, nil
	}
	if s, ok := c.unitStreams[din]; ok {
		return s, nil
	}
	u, err := c.tx.GetUnit(c.ctx, bankID, din)
	if err != nil {
		return "", err
	}
	c.knowUnit(u)
	return c.unitStreams[din], nil
}

// knowUnit tells the chain u's stream (the unit's own type decides it).
func (c *chain) knowUnit(u *Unit) {
	if c.unitStreams == nil {
		c.unitStreams = map[DIN]string{}
	}
	c.unitStreams[u.DIN] = streamOfUnit(u)
}

// streamOfUnit is the stream of a unit's events.
func streamOfUnit(u *Unit) string {
	if u.IsPrivate() {
		return u.Bank
	}
	return PublicStream
}

// unitOfResource returns the bank and DIN of the unit a resource name is or
// is below ("banks/b1/units/X", "banks/b1/units/X/reservations/r1").
func unitOfResource(name string) (string, DIN, bool) {
	rest, ok := strings.CutPrefix(name, "banks/")
	if !ok {
		return "", "", false
	}
	bankID, rest, ok := strings.Cut(rest, "/")
	if !ok {
		return "", "", false
	}
	rest, ok = strings.CutPrefix(rest, "units/")
	if !ok {
		return "", "", false
	}
	din, _, _ := strings.Cut(rest, "/")
	return bankID, DIN(din), din != ""
}

// appendPrepared links one event made ready before the transaction and
// stores it.
func (c *chain) appendPrepared(p preparedEvent) error {
	if err := c.link(p.e, p.body); err != nil {
		return err
	}
	return c.tx.AppendEvent(c.ctx, p.e)
}

// appendAll links events made ready before the transaction and stores
// them in one call.
func (c *chain) appendAll(ps []preparedEvent) error {
	events := make([]*Event, len(ps))
	for i := range ps {
		if err := c.link(ps[i].e, ps[i].body); err != nil {
			return err
		}
		events[i] = ps[i].e
	}
	return c.tx.AppendEvents(c.ctx, events)
}

// created records the creation of a resource: one change "*" holding it
// whole, as JSON.
func (c *chain) created(method, resource, bank string, v any) error {
	if u, ok := v.(*Unit); ok {
		c.knowUnit(u)
	}
	snap, err := snapshotJSON(v)
	if err != nil {
		return err
	}
	return c.record(method, resource, bank, "", createdChanges(snap))
}

// createdChanges is the change list of a created resource: one change "*"
// holding its JSON snapshot.
func createdChanges(snapshot string) []FieldChange {
	return []FieldChange{{Field: "*", After: snapshot}}
}

// snapshotJSON encodes a created resource for its audit event. Units,
// created by the thousand in imports, skip reflection (appendUnitJSON
// writes the same bytes).
func snapshotJSON(v any) (string, error) {
	b, err := marshalJSON(v)
	if err != nil {
		return "", Internal(err, "audit snapshot")
	}
	// b is not used again: share its bytes rather than copy them, as
	// strings.Builder does.
	return unsafe.String(unsafe.SliceData(b), len(b)), nil
}

// marshalJSON is json.Marshal, without reflection for a *Unit
// (appendUnitJSON writes the same bytes: TestUnitJSONMatchesEncodingJSON,
// FuzzUnitJSON).
func marshalJSON(v any) ([]byte, error) {
	if u, ok := v.(*Unit); ok {
		return appendUnitJSON(make([]byte, 0, 1536), u)
	}
	return json.Marshal(v)
}

// changed records the fields that differ between before and after.
func (c *chain) changed(method, resource, bank, reason string, before, after any) error {
	if u, ok := after.(*Unit); ok {
		c.knowUnit(u)
	}
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
