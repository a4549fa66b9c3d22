package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/internal/store/rowenc"
)

const eventColumns = `seq, time, principal, request_id, method, resource, bank_id, reason, changes, prev_hash, hash, hash_scheme, stream, stream_seq`

// AppendEvent implements bank.Tx.
func (t *txn) AppendEvent(ctx context.Context, e *bank.Event) error {
	return t.insertEvent(ctx, e, rowenc.ChangesJSON(e))
}

// AppendEvents implements bank.Tx. As in InsertUnits, a second goroutine
// encodes the events' changes while this one inserts.
func (t *txn) AppendEvents(ctx context.Context, events []*bank.Event) error {
	type row struct {
		*scratch
		changes string // shares sc.buf
	}
	rows := make(chan row, len(events)) // never blocks the encoder
	go func() {
		defer close(rows)
		for _, e := range events {
			sc := newScratch()
			sc.buf = rowenc.AppendChangesJSON(sc.buf, e)
			rows <- row{sc, unsafe.String(unsafe.SliceData(sc.buf), len(sc.buf))}
		}
	}()
	return t.raw.batch(func(run rawExec) error {
		for _, e := range events {
			r := <-rows
			err := t.insertEventWith(run, e, r.changes)
			r.release()
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func (t *txn) insertEvent(ctx context.Context, e *bank.Event, changes string) error {
	return t.raw.batch(func(run rawExec) error { return t.insertEventWith(run, e, changes) })
}

// eventArgs appends the values of rawAppendEvent's columns (eventColumns)
// for e, whose changes are already encoded.
func eventArgs(dst []any, e *bank.Event, changes string) []any {
	return append(dst, e.Seq, e.Time.UnixNano(), e.Principal, e.RequestID,
		e.Method, e.Resource, e.Bank, e.Reason, changes, e.PrevHash, e.Hash, int64(e.HashScheme), e.Stream, e.StreamSeq)
}

func (t *txn) insertEventWith(run rawExec, e *bank.Event, changes string) error {
	t.args = eventArgs(t.args[:0], e, changes)
	_, err := run(rawAppendEvent, t.args)
	clear(t.args)
	if _, ok := isUnique(err); ok {
		// A Seq is stored once (bank.AuditWriter): the caller linked its event
		// to a stale head.
		return &bank.Error{Kind: bank.KindAlreadyExists, Reason: bank.ReasonFailedPrecondition,
			Message: "audit event sequence number taken", Metadata: map[string]string{"seq": strconv.FormatInt(e.Seq, 10)}, Err: err}
	}
	if err != nil {
		return translate(err, "append event")
	}
	// e follows the head this transaction knows: it is the head now. (An
	// event placed anywhere else leaves the head to be read again.)
	k := &t.known
	if k.headKnown && (k.empty && e.Seq == 1 || !k.empty && e.Seq == k.head.Seq+1) {
		k.head, k.empty = *e, false
		k.head.Time = time.Unix(0, e.Time.UnixNano()).UTC() // as stored and read back
	} else {
		k.headKnown = false
	}
	if last, ok := k.streams[e.Stream]; ok && last == e.StreamSeq-1 {
		k.streams[e.Stream] = e.StreamSeq
	} else {
		delete(k.streams, e.Stream)
	}
	return nil
}

// LastEvent implements bank.ReadTx.
func (t *txn) LastEvent(ctx context.Context) (*bank.Event, error) {
	if k := &t.known; k.headKnown {
		if k.empty {
			return nil, nil
		}
		e := k.head
		e.Changes = slices.Clone(e.Changes) // nothing the caller does reaches the cache
		return &e, nil
	}
	e, err := t.lastEvent(ctx)
	if err == nil && t.caching() {
		t.known.headKnown, t.known.empty = true, e == nil
		if e != nil {
			t.known.head = *e
			t.known.head.Changes = slices.Clone(e.Changes)
		}
	}
	return e, err
}

func (t *txn) lastEvent(ctx context.Context) (*bank.Event, error) {
	rows, err := t.stmt(ctx, stmtLastEvent).QueryContext(bounded(ctx))
	if err != nil {
		return nil, translate(err, "last event")
	}
	evs, err := scanEvents(rows)
	if err != nil || len(evs) == 0 {
		return nil, err
	}
	return evs[0], nil
}

// StreamHead implements bank.ReadTx.
func (t *txn) StreamHead(ctx context.Context, stream string) (int64, error) {
	if n, ok := t.known.streams[stream]; ok {
		return n, nil
	}
	var n int64
	err := t.stmt(ctx, stmtStreamHead).QueryRowContext(bounded(ctx), stream).Scan(&n)
	if err != nil {
		return 0, translate(err, "stream head")
	}
	if t.caching() {
		if t.known.streams == nil {
			t.known.streams = map[string]int64{}
		}
		t.known.streams[stream] = n
	}
	return n, nil
}

// StreamEventSeq implements bank.ReadTx.
func (t *txn) StreamEventSeq(ctx context.Context, stream string, streamSeq int64) (int64, error) {
	var seq int64
	err := t.tx.QueryRowContext(bounded(ctx), `SELECT seq FROM events WHERE stream = ? AND stream_seq = ?`, stream, streamSeq).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, bank.NewError(bank.KindNotFound, bank.ReasonInvalidArgument, "no event at that stream position")
	}
	if err != nil {
		return 0, translate(err, "stream event")
	}
	return seq, nil
}

// ListEvents implements bank.ReadTx.
func (t *txn) ListEvents(ctx context.Context, q bank.EventQuery) ([]*bank.Event, error) {
	if q.Limit <= 0 {
		return nil, nil
	}
	var b strings.Builder
	b.WriteString(`SELECT ` + eventColumns + ` FROM events WHERE seq > ?`)
	args := []any{q.AfterSeq}
	if q.Bank != "" {
		b.WriteString(` AND bank_id = ?`)
		args = append(args, q.Bank)
	}
	if q.Resource != "" {
		b.WriteString(` AND resource = ?`)
		args = append(args, q.Resource)
	}
	if q.ResourcePrefix != "" {
		// substr (which counts characters) with a binary comparison,
		// unlike LIKE, which treats % and _ as wildcards and folds case.
		b.WriteString(` AND substr(resource, 1, ?) = ?`)
		args = append(args, utf8.RuneCountInString(q.ResourcePrefix), q.ResourcePrefix)
	}
	if q.WithholdPrivateUnits {
		// The unary + keeps SQLite from choosing events_stream, whose order
		// is not seq order, for this term: the seq (or bank_id, seq) range
		// scan stays, and a page costs its own length, not the stream's.
		b.WriteString(` AND +stream = ''`)
	}
	if len(q.Methods) > 0 {
		b.WriteString(` AND method IN (?` + strings.Repeat(`, ?`, len(q.Methods)-1) + `)`)
		for _, m := range q.Methods {
			args = append(args, m)
		}
	}
	if !q.Since.IsZero() {
		b.WriteString(` AND time >= ?`)
		args = append(args, q.Since.UnixNano())
	}
	if !q.Until.IsZero() {
		b.WriteString(` AND time < ?`)
		args = append(args, q.Until.UnixNano())
	}
	b.WriteString(` ORDER BY seq LIMIT ?`)
	args = append(args, q.Limit)
	rows, err := t.tx.QueryContext(bounded(ctx), b.String(), args...)
	if err != nil {
		return nil, translate(err, "list events")
	}
	return scanEvents(rows)
}

func scanEvents(rows *sql.Rows) ([]*bank.Event, error) {
	defer rows.Close()
	var out []*bank.Event
	for rows.Next() {
		var e bank.Event
		var ts int64
		var changes string
		if err := rows.Scan(&e.Seq, &ts, &e.Principal, &e.RequestID, &e.Method, &e.Resource, &e.Bank, &e.Reason, &changes, &e.PrevHash, &e.Hash, &e.HashScheme, &e.Stream, &e.StreamSeq); err != nil {
			return nil, translate(err, "scan event")
		}
		e.Time = time.Unix(0, ts).UTC()
		if err := rowenc.DecodeChanges(&e, changes); err != nil {
			return nil, err
		}
		out = append(out, &e)
	}
	if err := rows.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, translate(err, "list events")
	}
	return out, nil
}
