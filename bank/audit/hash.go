package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"sync"
	"time"
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

// PublicStream is the stream of the events every reader may see; a
// private stream is named by the id of the bank that owns it.
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

// Content is what an event's content hash covers: every field of the
// event but its place in the chain (bank.Event holds the same fields).
type Content struct {
	Time                                                 time.Time
	Principal, RequestID, Method, Resource, Bank, Reason string
	Changes                                              []FieldChange
}

// Link is an event's place in the chain, as its hash covers it.
type Link struct {
	Scheme    int
	Seq       int64
	PrevHash  string
	Stream    string
	StreamSeq int64
}

// Body is the SHA-256 of an event's content (schemes 2 and 3).
type Body = [sha256.Size]byte

// Hash returns the hash an event with content c at place l must carry
// under l.Scheme: SHA-256 over every field, each written with its length
// first so no two different events share an encoding. It returns "" for
// an unknown scheme, which matches no stored hash.
func Hash(l *Link, c *Content) string {
	switch l.Scheme {
	case HashSchemeFlat:
		return flatHash(l, c)
	case HashSchemeLinked, HashSchemeStreamed:
		body := BodyHash(c)
		return LinkedHash(l, &body)
	}
	return ""
}

// encoder writes length-prefixed fields into a buffer and hashes it.
// Encoders are pooled: an import hashes one event per unit, and writing
// strings into a hash.Hash one by one copies each (io.WriteString).
type encoder struct {
	buf []byte
}

var encoders = sync.Pool{New: func() any { return &encoder{buf: make([]byte, 0, 2048)} }}

func (w *encoder) num(n int64) { w.buf = binary.AppendVarint(w.buf, n) }

func (w *encoder) str(s string) {
	w.num(int64(len(s)))
	w.buf = append(w.buf, s...)
}

// sum returns the SHA-256 of what was written and returns w to the pool.
func (w *encoder) sum() [sha256.Size]byte {
	h := sha256.Sum256(w.buf)
	if cap(w.buf) <= 64<<10 { // do not keep the buffer of an outsized event
		w.buf = w.buf[:0]
		encoders.Put(w)
	}
	return h
}

func newEncoder() *encoder { return encoders.Get().(*encoder) }

// content writes every field that is not about the event's place in the
// chain (all but Seq, PrevHash and Hash).
func (w *encoder) content(c *Content) {
	w.num(c.Time.UnixNano())
	for _, s := range [...]string{c.Principal, c.RequestID, c.Method, c.Resource, c.Bank, c.Reason} {
		w.str(s)
	}
	w.num(int64(len(c.Changes)))
	for _, ch := range c.Changes {
		w.str(ch.Field)
		w.str(ch.Before)
		w.str(ch.After)
	}
}

// flatHash is HashSchemeFlat: Seq, the content, PrevHash.
func flatHash(l *Link, c *Content) string {
	w := newEncoder()
	w.num(l.Seq)
	w.content(c)
	w.str(l.PrevHash)
	h := w.sum()
	return hex.EncodeToString(h[:])
}

// BodyHash is the SHA-256 of an event's content under HashSchemeLinked
// and HashSchemeStreamed: every field but Seq, PrevHash, Hash and
// HashScheme.
func BodyHash(c *Content) Body {
	w := newEncoder()
	w.content(c)
	return w.sum()
}

// linkedHashDomain and streamedHashDomain separate scheme-2 and scheme-3
// hashes from each other and from any scheme-1 encoding.
const (
	linkedHashDomain   = "cordbank/event/v2"
	streamedHashDomain = "cordbank/event/v3"
)

// LinkedHash is the hash of an event at l under HashSchemeLinked or
// HashSchemeStreamed (by l.Scheme) whose content hash is body: the
// domain, Seq, PrevHash, the stream and its position (scheme 3), and the
// content's hash.
func LinkedHash(l *Link, body *Body) string {
	w := newEncoder()
	if l.Scheme == HashSchemeStreamed {
		w.str(streamedHashDomain)
		w.num(l.Seq)
		w.str(l.PrevHash)
		w.str(l.Stream)
		w.num(l.StreamSeq)
	} else {
		w.str(linkedHashDomain)
		w.num(l.Seq)
		w.str(l.PrevHash)
	}
	w.buf = append(w.buf, body[:]...)
	h := w.sum()
	return hex.EncodeToString(h[:])
}
