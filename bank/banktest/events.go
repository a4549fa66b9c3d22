package banktest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/audit"
)

// The port's audit trail (bank.AuditReader, bank.AuditWriter). The store
// keeps events as given, so these tests append events whose hashes are
// placeholders: verifying the chain is the domain's job (its own tests).
var eventTests = []test{
	{"AppendThenRead", eventAppendThenRead},
	{"SeqTaken", eventSeqTaken},
	{"ListQueries", eventListQueries},
	{"WithholdPrivateUnits", eventWithholdPrivateUnits},
	{"Streams", eventStreams},
	{"ByResource", eventsByResource},
	{"GaplessUnderConcurrentWriters", eventsGaplessUnderConcurrentWriters},
}

// event is event seq on resource of bankID by method at Now+minutes, in
// the public stream at position seq, linked to seq-1 by placeholder
// hashes.
func event(seq int64, resource, bankID, method string, minutes int) *bank.Event {
	prev := ""
	if seq > 1 {
		prev = fmt.Sprintf("hash-%d", seq-1)
	}
	return &bank.Event{Seq: seq, Time: at(time.Duration(minutes) * time.Minute), Principal: "tester", RequestID: fmt.Sprintf("req-%d", seq),
		Method: method, Resource: resource, Bank: bankID,
		Changes:  []audit.FieldChange{{Field: "status", Before: "QUARANTINE", After: "AVAILABLE"}},
		PrevHash: prev, Hash: fmt.Sprintf("hash-%d", seq), HashScheme: audit.CurrentHashScheme,
		Stream: audit.PublicStream, StreamSeq: seq}
}

func (e *env) appendEvents(evs ...*bank.Event) {
	e.t.Helper()
	e.write(func(tx bank.Tx) error { return tx.AppendEvents(e.ctx, evs) })
}

func (e *env) listEvents(q bank.EventQuery) []*bank.Event {
	e.t.Helper()
	return mustRead(e, func(tx bank.ReadTx) ([]*bank.Event, error) { return tx.ListEvents(e.ctx, q) })
}

func (e *env) lastEvent() *bank.Event {
	e.t.Helper()
	return mustRead(e, func(tx bank.ReadTx) (*bank.Event, error) { return tx.LastEvent(e.ctx) })
}

func seqs(evs []*bank.Event) []int64 {
	return mapped(evs, func(ev *bank.Event) int64 { return ev.Seq })
}

// eventAppendThenRead: every field survives, through AppendEvent and
// AppendEvents alike; LastEvent is the newest, nil on an empty trail.
func eventAppendThenRead(t *testing.T, e *env) {
	if ev := e.lastEvent(); ev != nil {
		t.Fatalf("LastEvent of an empty trail = %+v, want nil", ev)
	}
	first := event(1, "banks/bank-a", "bank-a", "CreateBank", 0)
	first.Reason = "AD"
	first.HashScheme = audit.HashSchemeFlat
	first.Changes = []audit.FieldChange{{Field: "*", After: `{"id":"bank-a","display_name":"ünïcode \"quoted\"\n"}`}}
	e.write(func(tx bank.Tx) error { return tx.AppendEvent(e.ctx, first) })
	if d := diff(e.lastEvent(), first); d != "" {
		t.Errorf("LastEvent after one append (-want +got):\n%s", d)
	}
	second, third := event(2, "banks/bank-a/units/X", "", "UpdateUnit", 1), event(3, "tokens/t1", "", "CreateToken", 2)
	second.Changes = []audit.FieldChange{{Field: "local_id", Before: "a"}, {Field: "status_note", After: "b"}, {Field: "abo"}}
	third.Changes, third.RequestID, third.Principal = nil, "", "system:x"
	// second opens bank-a's private stream; third is the public stream's
	// second event.
	second.Stream, second.StreamSeq, third.StreamSeq = "bank-a", 1, 2
	e.appendEvents(second, third)
	if d := diff(e.listEvents(bank.EventQuery{Limit: 10}), []*bank.Event{first, second, third}); d != "" {
		t.Errorf("events as stored (-want +got):\n%s", d)
	}
	if d := diff(e.lastEvent(), third); d != "" {
		t.Errorf("LastEvent (-want +got):\n%s", d)
	}
}

// eventSeqTaken: a Seq is stored once, and a StreamSeq once in its
// stream; the refused appends change nothing.
func eventSeqTaken(t *testing.T, e *env) {
	e.appendEvents(event(1, "banks/a", "a", "CreateBank", 0), event(2, "banks/b", "b", "CreateBank", 0))
	seqTaken := event(2, "banks/c", "c", "CreateBank", 0)
	seqTaken.StreamSeq = 3
	err := e.tryWrite(func(tx bank.Tx) error { return tx.AppendEvent(e.ctx, seqTaken) })
	wantKind(t, err, bank.KindAlreadyExists)
	err = e.tryWrite(func(tx bank.Tx) error {
		return tx.AppendEvents(e.ctx, []*bank.Event{event(3, "banks/d", "d", "CreateBank", 0), seqTaken})
	})
	wantKind(t, err, bank.KindAlreadyExists)
	streamSeqTaken := event(3, "banks/e", "e", "CreateBank", 0)
	streamSeqTaken.StreamSeq = 2
	err = e.tryWrite(func(tx bank.Tx) error { return tx.AppendEvent(e.ctx, streamSeqTaken) })
	wantKind(t, err, bank.KindAlreadyExists)
	// The same position in another stream is free.
	private := event(3, "banks/f/units/X", "f", "CreateUnit", 0)
	private.Stream, private.StreamSeq = "f", 2
	e.appendEvents(private)
	evs := e.listEvents(bank.EventQuery{Limit: 10})
	if d := diff(seqs(evs), []int64{1, 2, 3}); d != "" {
		t.Fatalf("trail after refused appends (-want +got):\n%s", d)
	}
	if evs[1].Resource != "banks/b" || evs[2].Resource != "banks/f/units/X" {
		t.Errorf("events replaced by refused appends: %+v, %+v", evs[1], evs[2])
	}
}

// eventListQueries: every EventQuery field selects, in Seq order after
// AfterSeq, up to Limit.
func eventListQueries(t *testing.T, e *env) {
	e.appendEvents(
		event(1, "banks/bank-a", "bank-a", "CreateBank", 0),
		event(2, "banks/bank-a/units/A", "bank-a", "CreateUnit", 1),
		event(3, "banks/bank-a/units/A", "bank-a", "ReleaseUnit", 2),
		event(4, "banks/bank-b/units/B", "bank-b", "CreateUnit", 3),
		event(5, "banks/bank_a/units/C", "bank_a", "CreateUnit", 4), // "_" is no wildcard
		event(6, "banks/bank-a/containers/t", "bank-a", "CreateContainer", 5),
		event(7, "tokens/t1", "", "CreateToken", 6),
		event(8, "banks/BANK-A/units/D", "BANK-A", "CreateUnit", 7), // case counts
	)
	for _, c := range []struct {
		name string
		q    bank.EventQuery
		want []int64
	}{
		{"all", bank.EventQuery{Limit: 100}, []int64{1, 2, 3, 4, 5, 6, 7, 8}},
		{"bank", bank.EventQuery{Bank: "bank-a", Limit: 100}, []int64{1, 2, 3, 6}},
		{"resource", bank.EventQuery{Resource: "banks/bank-a/units/A", Limit: 100}, []int64{2, 3}},
		{"resource prefix", bank.EventQuery{ResourcePrefix: "banks/bank-a/units/", Limit: 100}, []int64{2, 3}},
		{"prefix is the whole name", bank.EventQuery{ResourcePrefix: "banks/bank-a", Limit: 100}, []int64{1, 2, 3, 6}},
		{"methods", bank.EventQuery{Methods: []string{"CreateUnit", "CreateToken"}, Limit: 100}, []int64{2, 4, 5, 7, 8}},
		{"since (inclusive)", bank.EventQuery{Since: at(5 * time.Minute), Limit: 100}, []int64{6, 7, 8}},
		{"until (exclusive)", bank.EventQuery{Until: at(2 * time.Minute), Limit: 100}, []int64{1, 2}},
		{"since and until", bank.EventQuery{Since: at(time.Minute), Until: at(3 * time.Minute), Limit: 100}, []int64{2, 3}},
		{"after", bank.EventQuery{AfterSeq: 5, Limit: 100}, []int64{6, 7, 8}},
		{"limit", bank.EventQuery{AfterSeq: 2, Limit: 3}, []int64{3, 4, 5}},
		{"zero limit", bank.EventQuery{}, nil},
		{"combined", bank.EventQuery{Bank: "bank-a", ResourcePrefix: "banks/bank-a/units/", Methods: []string{"ReleaseUnit"}, Since: at(0), AfterSeq: 1, Limit: 100}, []int64{3}},
	} {
		if d := diff(seqs(e.listEvents(c.q)), c.want); d != "" {
			t.Errorf("%s: %+v (-want +got):\n%s", c.name, c.q, d)
		}
	}
}

// eventWithholdPrivateUnits: only the public stream is kept, before the
// limit applies (withheld events never shorten a page).
func eventWithholdPrivateUnits(t *testing.T, e *env) {
	evs := []*bank.Event{
		event(1, "banks/bank-a", "bank-a", "CreateBank", 0),
		event(2, "banks/bank-a/units/P", "bank-a", "CreateUnit", 0),
		event(3, "banks/bank-a/units/A", "bank-a", "CreateUnit", 0),
		event(4, "banks/bank-a/units/D/reservations/r1", "bank-a", "ReserveUnit", 0),
		event(5, "banks/bank-a/units/P/reservations/r2", "bank-a", "ReserveUnit", 0),
		event(6, "banks/bank-b/units/B", "bank-b", "CreateUnit", 0),
		event(7, "banks/bank-a/containers/tank-1", "bank-a", "CreateContainer", 0),
	}
	// Events 3 and 4 are in bank-a's private stream, 6 in bank-b's; the
	// rest are public.
	evs[2].Stream, evs[2].StreamSeq = "bank-a", 1
	evs[3].Stream, evs[3].StreamSeq = "bank-a", 2
	evs[5].Stream, evs[5].StreamSeq = "bank-b", 1
	for pos, i := range []int{0, 1, 4, 6} {
		evs[i].StreamSeq = int64(pos + 1)
	}
	e.appendEvents(evs...)
	for _, c := range []struct {
		name string
		q    bank.EventQuery
		want []int64
	}{
		{"withheld", bank.EventQuery{WithholdPrivateUnits: true, Limit: 100}, []int64{1, 2, 5, 7}},
		{"withheld, limit 2", bank.EventQuery{WithholdPrivateUnits: true, AfterSeq: 1, Limit: 2}, []int64{2, 5}},
		{"withheld, one bank", bank.EventQuery{WithholdPrivateUnits: true, Bank: "bank-a", Limit: 100}, []int64{1, 2, 5, 7}},
		{"not withheld", bank.EventQuery{Limit: 100}, []int64{1, 2, 3, 4, 5, 6, 7}},
	} {
		if d := diff(seqs(e.listEvents(c.q)), c.want); d != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, d)
		}
	}
}

// eventStreams: StreamHead is each stream's last position (0 for an empty
// one), and StreamEventSeq finds an event's Seq by its stream position.
func eventStreams(t *testing.T, e *env) {
	head := func(stream string) int64 {
		t.Helper()
		return mustRead(e, func(tx bank.ReadTx) (int64, error) { return tx.StreamHead(e.ctx, stream) })
	}
	if h := head(audit.PublicStream); h != 0 {
		t.Fatalf("StreamHead of an empty trail = %d, want 0", h)
	}
	var evs []*bank.Event
	positions := map[string]int64{}
	for i, stream := range []string{"", "bank-a", "", "bank-b", "bank-a", "bank-a", ""} {
		positions[stream]++
		ev := event(int64(i+1), "banks/x", "", "M", i)
		ev.Stream, ev.StreamSeq = stream, positions[stream]
		evs = append(evs, ev)
	}
	e.appendEvents(evs...)
	for stream, want := range map[string]int64{"": 3, "bank-a": 3, "bank-b": 1, "bank-c": 0} {
		if h := head(stream); h != want {
			t.Errorf("StreamHead(%q) = %d, want %d", stream, h, want)
		}
	}
	for _, ev := range evs {
		seq, err := readValue(e, func(tx bank.ReadTx) (int64, error) { return tx.StreamEventSeq(e.ctx, ev.Stream, ev.StreamSeq) })
		if err != nil || seq != ev.Seq {
			t.Errorf("StreamEventSeq(%q, %d) = %d, %v; want %d", ev.Stream, ev.StreamSeq, seq, err, ev.Seq)
		}
	}
	for _, c := range []struct {
		stream string
		pos    int64
	}{{"bank-b", 2}, {"bank-c", 1}, {"", 0}} {
		_, err := readValue(e, func(tx bank.ReadTx) (int64, error) { return tx.StreamEventSeq(e.ctx, c.stream, c.pos) })
		wantKind(t, err, bank.KindNotFound)
	}
}

// eventsByResource: every event once, each resource's events together in
// Seq order, and paging on (resource, seq) gives what one read gives.
func eventsByResource(t *testing.T, e *env) {
	resources := []string{"banks/bank-a", "banks/bank-a/units/X", "banks/bank-a2", "banks/Bank-b", "tokens/t1"}
	var evs []*bank.Event
	for i := range 20 {
		evs = append(evs, event(int64(i+1), resources[(i*3)%len(resources)], "", "M", i))
	}
	e.appendEvents(evs...)
	byResource := func(afterResource string, afterSeq int64, limit int) []*bank.Event {
		t.Helper()
		return mustRead(e, func(tx bank.ReadTx) ([]*bank.Event, error) {
			return tx.ListEventsByResource(e.ctx, afterResource, afterSeq, limit)
		})
	}
	whole := byResource("", 0, 100)
	if len(whole) != len(evs) {
		t.Fatalf("ListEventsByResource returned %d events, want %d", len(whole), len(evs))
	}
	done := map[string]bool{}
	for i, ev := range whole {
		if i > 0 && whole[i-1].Resource == ev.Resource {
			if whole[i-1].Seq >= ev.Seq {
				t.Errorf("events of %s out of Seq order: %d then %d", ev.Resource, whole[i-1].Seq, ev.Seq)
			}
			continue
		}
		if done[ev.Resource] {
			t.Errorf("events of %s are not together", ev.Resource)
		}
		done[ev.Resource] = true
	}
	if d := diff(whole[3], evs[whole[3].Seq-1]); d != "" {
		t.Errorf("an event read by resource differs from the one appended (-want +got):\n%s", d)
	}
	var paged []*bank.Event
	for after, seq := "", int64(0); ; {
		page := byResource(after, seq, 3)
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		after, seq = page[len(page)-1].Resource, page[len(page)-1].Seq
	}
	if d := diff(seqs(paged), seqs(whole)); d != "" {
		t.Errorf("paged by 3 (-want +got):\n%s", d)
	}
}

// eventsGaplessUnderConcurrentWriters: writers each read the head (and
// their stream's head) and append after it in one transaction, all at
// once, while a reader pages by Seq: every append commits (Writes are
// serializable), the trail is 1..n with every event linked to its
// predecessor, each stream's positions are 1..m in Seq order, and the
// reader never sees a hole.
func eventsGaplessUnderConcurrentWriters(t *testing.T, e *env) {
	const writers, rounds = 6, 8
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds+1)
	for w := range writers {
		wg.Go(func() {
			for r := range rounds {
				err := e.tryWrite(func(tx bank.Tx) error {
					head, err := tx.LastEvent(e.ctx)
					if err != nil {
						return err
					}
					seq, prev := int64(1), ""
					if head != nil {
						seq, prev = head.Seq+1, head.Hash
					}
					stream := []string{audit.PublicStream, "bank-a", "bank-b"}[w%3]
					pos, err := tx.StreamHead(e.ctx, stream)
					if err != nil {
						return err
					}
					ev := event(seq, fmt.Sprintf("banks/w%d", w), "", "M", r)
					ev.PrevHash, ev.Hash, ev.Stream, ev.StreamSeq = prev, fmt.Sprintf("w%d-r%d", w, r), stream, pos+1
					return tx.AppendEvent(e.ctx, ev)
				})
				if err != nil {
					errs <- fmt.Errorf("writer %d round %d: %w", w, r, err)
					return
				}
			}
		})
	}
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		var last int64
		for last < writers*rounds {
			page, err := readValue(e, func(tx bank.ReadTx) ([]*bank.Event, error) {
				return tx.ListEvents(e.ctx, bank.EventQuery{AfterSeq: last, Limit: 5})
			})
			if err != nil {
				errs <- fmt.Errorf("reader: %w", err)
				return
			}
			for _, ev := range page {
				if ev.Seq != last+1 {
					errs <- fmt.Errorf("reader after %d saw %d: a hole", last, ev.Seq)
					return
				}
				last = ev.Seq
			}
			select {
			case err := <-errs: // a writer failed: the trail will not grow
				errs <- err
				return
			default:
			}
		}
	}()
	wg.Wait()
	<-readerDone
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	all := e.listEvents(bank.EventQuery{Limit: 1000})
	if len(all) != writers*rounds {
		t.Fatalf("%d events stored, want %d", len(all), writers*rounds)
	}
	positions := map[string]int64{}
	for i, ev := range all {
		if ev.Seq != int64(i+1) {
			t.Fatalf("event %d has Seq %d: the trail has a hole", i, ev.Seq)
		}
		if i > 0 && ev.PrevHash != all[i-1].Hash {
			t.Errorf("event %d links %q, its predecessor's hash is %q", ev.Seq, ev.PrevHash, all[i-1].Hash)
		}
		if positions[ev.Stream]++; ev.StreamSeq != positions[ev.Stream] {
			t.Errorf("event %d is at %d in stream %q, want %d: the stream has a hole", ev.Seq, ev.StreamSeq, ev.Stream, positions[ev.Stream])
		}
	}
}
