package bank

import (
	"context"
	"encoding/json"
	"strings"
	"time"
	"unsafe"

	"github.com/cordbank/cordbank/bank/audit"
	"github.com/cordbank/cordbank/bank/unit"
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
	Changes []audit.FieldChange
	// PrevHash is the Hash of event Seq-1 ("" for the first event).
	PrevHash string
	// Hash is the hex SHA-256 of the event's canonical encoding, PrevHash
	// included, under HashScheme.
	Hash string
	// HashScheme says how Hash is computed (see ComputeHash): 1 for events
	// written before cordbank stored the scheme, 2 before events had
	// streams, 3 since (audit.HashSchemeFlat, ...).
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

// ComputeHash returns the hash e must carry under its HashScheme
// (audit.Hash): SHA-256 over every field but Hash, each written with its
// length first so no two different events share an encoding. It returns
// "" for an unknown scheme, which matches no stored hash.
func (e *Event) ComputeHash() string { return audit.Hash(e.link(), e.content()) }

// content is what e's content hash covers.
func (e *Event) content() *audit.Content {
	return &audit.Content{Time: e.Time, Principal: e.Principal, RequestID: e.RequestID, Method: e.Method,
		Resource: e.Resource, Bank: e.Bank, Reason: e.Reason, Changes: e.Changes}
}

// link is e's place in the chain, as its hash covers it.
func (e *Event) link() *audit.Link {
	return &audit.Link{Scheme: e.HashScheme, Seq: e.Seq, PrevHash: e.PrevHash, Stream: e.Stream, StreamSeq: e.StreamSeq}
}

// preparedEvent is an event made ready before its transaction (an
// import), with its content already hashed so the writer only links it.
type preparedEvent struct {
	e    *Event
	body audit.Body
}

func prepareEvent(e *Event) preparedEvent { return preparedEvent{e, audit.BodyHash(e.content())} }

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
	unitStreams map[unit.DIN]string
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
func newEvent(caller Caller, now time.Time, method, resource, bank, reason string, changes []audit.FieldChange) *Event {
	return &Event{Time: now, Principal: caller.Principal, RequestID: caller.RequestID,
		Method: method, Resource: resource, Bank: bank, Reason: reason, Changes: changes,
		HashScheme: audit.CurrentHashScheme}
}

// record appends one event.
func (c *chain) record(method, resource, bank, reason string, changes []audit.FieldChange) error {
	return c.appendPrepared(prepareEvent(newEvent(c.caller, c.now, method, resource, bank, reason, changes)))
}

// link places e, whose content hash is body, after the chain's head and
// at the end of its stream: it sets Seq, PrevHash, Stream, StreamSeq and
// Hash, and e becomes the head.
func (c *chain) link(e *Event, body audit.Body) error {
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
	e.Seq, e.PrevHash, e.HashScheme = 1, "", audit.CurrentHashScheme
	if c.head != nil {
		e.Seq, e.PrevHash = c.head.Seq+1, c.head.Hash
	}
	e.Stream, e.StreamSeq = stream, last+1
	c.streamHeads[stream] = e.StreamSeq
	e.Hash = audit.LinkedHash(e.link(), &body)
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
		return audit.PublicStream, nil
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
		c.unitStreams = map[unit.DIN]string{}
	}
	c.unitStreams[u.DIN] = streamOfUnit(u)
}

// streamOfUnit is the stream of a unit's events.
func streamOfUnit(u *Unit) string {
	if u.IsPrivate() {
		return u.Bank
	}
	return audit.PublicStream
}

// unitOfResource returns the bank and DIN of the unit a resource name is or
// is below ("banks/b1/units/X", "banks/b1/units/X/reservations/r1").
func unitOfResource(name string) (string, unit.DIN, bool) {
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
	return bankID, unit.DIN(din), din != ""
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
func createdChanges(snapshot string) []audit.FieldChange {
	return []audit.FieldChange{{Field: "*", After: snapshot}}
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
	return c.record(method, resource, bank, reason, audit.Diff(before, after))
}
