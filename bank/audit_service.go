package bank

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cordbank/cordbank/bank/access"
	"github.com/cordbank/cordbank/bank/audit"
	"github.com/cordbank/cordbank/bank/unit"
)

// UnitHistory returns one page of a unit's chain of custody: the events
// recorded for it, oldest first, and the next page's token ("" on the last
// page). Errors: KindInvalid naming page_size or page_token; KindNotFound
// when the unit does not exist in bank.
func (s *Service) UnitHistory(ctx context.Context, bank string, din unit.DIN, size int, pageToken string) ([]*Event, string, error) {
	var v Violations
	n := pageSize(&v, size)
	fk := filterKey("history", bank, string(din))
	after := decodePositionToken(&v, pageToken, fk)
	if err := v.Err("invalid history request"); err != nil {
		return nil, "", err
	}
	if err := authorize(ctx, access.ReadAudit, bank, false); err != nil {
		return nil, "", err
	}
	view := viewOfEvents(access.PrincipalFrom(ctx), bank)
	var out []*Event
	err := s.store.Read(ctx, func(tx ReadTx) error {
		u, err := visibleUnit(ctx, tx, bank, din)
		if err != nil {
			return err
		}
		from, err := view.resolve(ctx, tx, after, "page_token", "invalid history request")
		if err != nil {
			return err
		}
		// The unit is one the caller may see, so are its own events: no
		// scope filter needed (view.show still redacts them).
		out, err = tx.ListEvents(ctx, EventQuery{Resource: u.Name(), AfterSeq: from, Limit: n + 1})
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out, next, err := seqPage(out, n, fk)
	return view.show(out), next, err
}

// ListEventsRequest selects a page of audit events.
type ListEventsRequest struct {
	// Bank keeps the events of one bank's resources; "" lists the events
	// of every bank (registry administration).
	Bank string
	// Resource keeps the events of one resource ("banks/b1/units/X"), or,
	// when it ends in "*", of every resource whose name starts with what
	// precedes it ("banks/b1/units/*").
	Resource string
	// Methods keeps events recorded by one of these use cases
	// ("CreateUnit", "ReleaseUnit" ...).
	Methods []string
	// Since (inclusive) and Until (exclusive) bound the event time; zero
	// means unbounded.
	Since, Until time.Time
	PageSize     int
	PageToken    string
}

var methodPattern = regexp.MustCompile(`^[A-Z][A-Za-z0-9]{0,63}$`)

// query validates r and returns its store query, without cursor or limit,
// and the key its page tokens are bound to.
func (r ListEventsRequest) query(v *Violations) (EventQuery, string) {
	q := EventQuery{Bank: r.Bank, Since: r.Since, Until: r.Until}
	if r.Bank != "" && !ValidBankID(r.Bank) {
		v.Add("parent", "%q is not a bank id", r.Bank)
	}
	switch i := strings.IndexByte(r.Resource, '*'); {
	case len(r.Resource) > 512:
		v.Add("resource", "at most 512 characters")
	case i >= 0 && i != len(r.Resource)-1:
		v.Add("resource", "a resource name, or a prefix ending in *: %q has * inside", r.Resource)
	case i >= 0:
		q.ResourcePrefix = r.Resource[:i]
	default:
		q.Resource = r.Resource
	}
	for _, m := range r.Methods {
		if !methodPattern.MatchString(m) {
			v.Add("methods", "%q is not a method name (like CreateUnit)", m)
		} else if !slices.Contains(q.Methods, m) {
			q.Methods = append(q.Methods, m)
		}
	}
	slices.Sort(q.Methods)
	if !r.Since.IsZero() && !r.Until.IsZero() && !r.Until.After(r.Since) {
		v.Add("end_time", "%s is not after start_time %s", r.Until.Format(time.RFC3339Nano), r.Since.Format(time.RFC3339Nano))
	}
	fk := filterKey("events", r.Bank, r.Resource, strings.Join(q.Methods, ","), timeKey(r.Since), timeKey(r.Until))
	return q, fk
}

func timeKey(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixNano(), 10)
}

// ListEvents returns one page of the audit events r selects, in chain
// order, and the next page's token ("" on the last page). Pages are
// keyset-based on the event position: events recorded while a client
// pages through appear on later pages, never twice. Errors: KindInvalid
// naming every bad field (parent, resource, methods, end_time, page_size,
// page_token); KindNotFound when r.Bank does not exist.
func (s *Service) ListEvents(ctx context.Context, r ListEventsRequest) ([]*Event, string, error) {
	var v Violations
	n := pageSize(&v, r.PageSize)
	q, fk := r.query(&v)
	after := decodePositionToken(&v, r.PageToken, fk)
	if err := v.Err("invalid list request"); err != nil {
		return nil, "", err
	}
	q.Limit = n + 1
	if err := authorize(ctx, access.ReadAudit, r.Bank, r.Bank == ""); err != nil {
		return nil, "", err
	}
	view := viewOfEvents(access.PrincipalFrom(ctx), r.Bank)
	q = view.scope(q)
	var out []*Event
	err := s.store.Read(ctx, func(tx ReadTx) error {
		if r.Bank != "" {
			if _, err := tx.GetBank(ctx, r.Bank); err != nil {
				return err
			}
		}
		var err error
		if q.AfterSeq, err = view.resolve(ctx, tx, after, "page_token", "invalid list request"); err != nil {
			return err
		}
		out, err = tx.ListEvents(ctx, q)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out, next, err := seqPage(out, n, fk)
	return view.show(out), next, err
}

// decodePositionToken returns the event position a page token continues
// after (the zero position for an empty token). Tokens name events by
// stream position ("17@" is the 17th public event, "3@b1" the third of
// bank b1's private stream), never by Seq: see eventView.
func decodePositionToken(v *Violations, tok, fk string) EventPosition {
	after := decodePageToken(v, tok, fk)
	if after == "" {
		return EventPosition{}
	}
	n, stream, ok := strings.Cut(after, "@")
	seq, err := strconv.ParseInt(n, 10, 64)
	if !ok || err != nil || seq < 1 || (stream != audit.PublicStream && !ValidBankID(stream)) {
		v.Add("page_token", "not a page token returned by this method")
		return EventPosition{}
	}
	return EventPosition{Stream: stream, StreamSeq: seq}
}

// seqPage trims a page read with limit n+1 and returns the next token.
func seqPage(out []*Event, n int, fk string) ([]*Event, string, error) {
	if len(out) <= n {
		return out, "", nil
	}
	out = out[:n]
	last := out[n-1]
	return out, encodePageToken(strconv.FormatInt(last.StreamSeq, 10)+"@"+last.Stream, fk), nil
}

// watchPage is how many events WatchEvents reads per transaction: its
// memory bound.
const watchPage = 256

// WithEventPoll sets how often WatchEvents looks for events committed by
// other processes on the same database (an operator's import or reread),
// which the Service cannot signal. Default 2 seconds; 0 or less turns the
// polling off.
func WithEventPoll(d time.Duration) Option { return func(s *Service) { s.feed.poll = d } }

// WatchEvents calls fn with every audit event after the position after, in
// chain order: first the stored ones, then each new one as it is
// committed, until ctx ends (it returns ctx.Err()) or fn returns an error
// (returned as is). bank "" watches every bank. A caller that resumes with
// the position of the last event it handled (its Stream and StreamSeq;
// administrators may give its Seq) sees every later event exactly once.
//
// No event is lost or repeated, even one committed while the stored ones
// are replayed: the watcher subscribes to the Service's commit signal
// before its first read, then re-reads "events after the last delivered"
// after every signal. Positions are dense and become visible in order
// (see ReadTx.ListEvents), so a read after position n that returns nothing
// beyond m proves no event between n and m is still to come. Signals
// coalesce: a slow fn never blocks writers, it just reads more per round.
// fn is called outside any transaction. Errors: KindInvalid naming parent,
// after_seq, after_stream or after_stream_seq; KindNotFound when bank does
// not exist.
func (s *Service) WatchEvents(ctx context.Context, bank string, after EventPosition, fn func(*Event) error) error {
	var v Violations
	if bank != "" && !ValidBankID(bank) {
		v.Add("parent", "%q is not a bank id", bank)
	}
	if after.Seq < 0 {
		v.Add("after_seq", "%d is negative", after.Seq)
	}
	if after.StreamSeq < 0 {
		v.Add("after_stream_seq", "%d is negative", after.StreamSeq)
	}
	if after.Stream != audit.PublicStream && !ValidBankID(after.Stream) {
		v.Add("after_stream", "%q is not a stream", after.Stream)
	}
	if after.Seq > 0 && after.StreamSeq > 0 {
		v.Add("after_seq", "give after_seq or after_stream_seq, not both")
	}
	if err := v.Err("invalid watch request"); err != nil {
		return err
	}
	if err := authorize(ctx, access.ReadAudit, bank, bank == ""); err != nil {
		return err
	}
	view := viewOfEvents(access.PrincipalFrom(ctx), bank)
	var last int64
	field := "after_stream_seq"
	if after.Seq > 0 {
		field = "after_seq"
	}
	err := s.store.Read(ctx, func(tx ReadTx) error {
		if bank != "" {
			if _, err := tx.GetBank(ctx, bank); err != nil {
				return err
			}
		}
		var err error
		last, err = view.resolve(ctx, tx, after, field, "invalid watch request")
		return err
	})
	if err != nil {
		return err
	}
	signal, unsubscribe := s.feed.subscribe()
	defer unsubscribe()
	var poll <-chan time.Time
	if s.feed.poll > 0 {
		t := time.NewTicker(s.feed.poll)
		defer t.Stop()
		poll = t.C
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var page []*Event
		err := s.store.Read(ctx, func(tx ReadTx) error {
			var err error
			page, err = tx.ListEvents(ctx, view.scope(EventQuery{Bank: bank, AfterSeq: last, Limit: watchPage}))
			return err
		})
		if err != nil {
			return err
		}
		for i, e := range view.show(page) {
			if err := fn(e); err != nil {
				return err
			}
			last = page[i].Seq
		}
		if len(page) == watchPage {
			continue // more stored events: read on before waiting
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-signal:
		case <-poll:
		}
	}
}

// eventFeed tells watchers that events were committed. Each subscriber has
// a one-slot channel: a signal that finds it full is merged with the one
// waiting, so notify never blocks.
type eventFeed struct {
	poll time.Duration
	mu   sync.Mutex
	subs map[chan struct{}]struct{}
}

func newEventFeed() *eventFeed {
	return &eventFeed{poll: 2 * time.Second, subs: map[chan struct{}]struct{}{}}
}

func (f *eventFeed) subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	f.mu.Lock()
	f.subs[ch] = struct{}{}
	f.mu.Unlock()
	return ch, func() {
		f.mu.Lock()
		delete(f.subs, ch)
		f.mu.Unlock()
	}
}

func (f *eventFeed) notify() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for ch := range f.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// feedStore is the Store as the Service uses it: a Write that appended
// audit events signals the feed after it committed. Every use case writes
// through it, so no mutation, present or future, can forget to notify.
type feedStore struct {
	Store
	feed *eventFeed
}

func (s *feedStore) Write(ctx context.Context, fn func(tx Tx) error) error {
	_, err := s.write(ctx, fn)
	return err
}

// write is Write that also returns the Seqs of the events fn appended.
func (s *feedStore) write(ctx context.Context, fn func(tx Tx) error) (span, error) {
	var appended span
	err := s.Store.Write(ctx, func(tx Tx) error {
		appended = span{} // a store may run fn again in a new transaction: only the last run commits
		return fn(appendSpy{Tx: tx, appended: &appended})
	})
	if err != nil {
		return span{}, err
	}
	if !appended.empty() {
		s.feed.notify()
	}
	return appended, nil
}

// appendSpy notes the events a transaction appended.
type appendSpy struct {
	Tx
	appended *span
}

func (t appendSpy) AppendEvent(ctx context.Context, e *Event) error {
	err := t.Tx.AppendEvent(ctx, e)
	if err == nil {
		t.appended.add(e.Seq, e.Seq)
	}
	return err
}

func (t appendSpy) AppendEvents(ctx context.Context, events []*Event) error {
	err := t.Tx.AppendEvents(ctx, events)
	if err == nil && len(events) > 0 {
		t.appended.add(events[0].Seq, events[len(events)-1].Seq)
	}
	return err
}

// Redacted returns a copy of e for readers outside the owning bank: without
// the changes of private fields (FieldChange.IsPrivate) and of a tank's
// units_exposed (an excursion's count includes private units), and with
// those members removed from a created resource's snapshot (change "*"),
// in one pass. The copy no longer matches e's hash (eventView.show drops
// the registry-wide hashes for such readers anyway): only the full trail
// is verified (VerifyEvents). e is not modified.
func (e *Event) Redacted() *Event {
	out := *e
	out.Changes = make([]audit.FieldChange, 0, len(e.Changes))
	for _, c := range e.Changes {
		if c.IsPrivate() || c.Field == "units_exposed" {
			continue
		}
		if c.Field == "*" {
			c.Before, c.After = withoutMembers(c.Before, "private", "units_exposed"), withoutMembers(c.After, "private", "units_exposed")
		}
		out.Changes = append(out.Changes, c)
	}
	return &out
}

// withoutMembers returns the JSON object doc without the members names,
// keeping the other members in their order. A doc that is not an object
// with that member is returned unchanged, except one that does not decode,
// which is returned as "" (withheld: it cannot be proven free of private
// data).
func withoutMembers(doc string, names ...string) string {
	if doc == "" || !slices.ContainsFunc(names, func(n string) bool { return strings.Contains(doc, `"`+n+`"`) }) {
		return doc
	}
	dec := json.NewDecoder(strings.NewReader(doc))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	for dec.More() {
		t, err := dec.Token()
		key, ok := t.(string)
		var val json.RawMessage
		if err != nil || !ok || dec.Decode(&val) != nil {
			return ""
		}
		if slices.Contains(names, key) {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(key)
		b.Write(k)
		b.WriteByte(':')
		b.Write(val)
	}
	b.WriteByte('}')
	return b.String()
}

// PingWrite passes a readiness probe on to the store when it has one
// (sqlite.Store.PingWrite); a store without one is taken as writable.
func (s *feedStore) PingWrite(ctx context.Context) error {
	if wp, ok := s.Store.(interface{ PingWrite(context.Context) error }); ok {
		return wp.PingWrite(ctx)
	}
	return nil
}
