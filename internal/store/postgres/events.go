package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/internal/store/rowenc"
	"github.com/jackc/pgx/v5"
)

var eventColumnNames = []string{"seq", "time", "principal", "request_id", "method", "resource", "bank_id", "reason", "changes", "prev_hash", "hash", "hash_scheme", "stream", "stream_seq"}

var eventColumns = strings.Join(eventColumnNames, ", ")

func eventArgs(e *bank.Event, changes string) []any {
	return []any{e.Seq, e.Time.UnixNano(), e.Principal, e.RequestID, e.Method, e.Resource, e.Bank, e.Reason,
		changes, e.PrevHash, e.Hash, int64(e.HashScheme), e.Stream, e.StreamSeq}
}

func eventTaken(err error, seq int64) error {
	if code, _ := constraintOf(err); code == uniqueViolation {
		return bank.NewError(bank.KindAlreadyExists, bank.ReasonFailedPrecondition, "an audit event with this sequence number exists",
			"seq", itoa(int(seq)))
	}
	return translate(err, "append event")
}

// AppendEvent implements bank.Tx.
func (t *txn) AppendEvent(ctx context.Context, e *bank.Event) error {
	_, err := t.tx.Exec(t.c(ctx), `INSERT INTO events (`+eventColumns+`) VALUES (`+placeholders(1, len(eventColumnNames))+`)`,
		eventArgs(e, rowenc.ChangesJSON(e))...)
	if err != nil {
		return eventTaken(err, e.Seq)
	}
	return nil
}

// AppendEvents implements bank.Tx with one binary COPY.
func (t *txn) AppendEvents(ctx context.Context, events []*bank.Event) error {
	if len(events) == 0 {
		return nil
	}
	_, err := t.tx.CopyFrom(t.c(ctx), pgx.Identifier{"events"}, eventColumnNames, pgx.CopyFromSlice(len(events), func(i int) ([]any, error) {
		return eventArgs(events[i], rowenc.ChangesJSON(events[i])), nil
	}))
	if err != nil {
		return eventTaken(err, events[0].Seq)
	}
	return nil
}

// LastEvent implements bank.ReadTx.
func (t *txn) LastEvent(ctx context.Context) (*bank.Event, error) {
	evs, err := t.events(ctx, `SELECT `+eventColumns+` FROM events ORDER BY seq DESC LIMIT 1`)
	if err != nil || len(evs) == 0 {
		return nil, err
	}
	return evs[0], nil
}

// StreamHead implements bank.ReadTx.
func (t *txn) StreamHead(ctx context.Context, stream string) (int64, error) {
	var n int64
	err := t.tx.QueryRow(t.c(ctx), `SELECT coalesce(max(stream_seq), 0) FROM events WHERE stream = $1`, stream).Scan(&n)
	return n, translate(err, "stream head")
}

// StreamEventSeq implements bank.ReadTx.
func (t *txn) StreamEventSeq(ctx context.Context, stream string, streamSeq int64) (int64, error) {
	var seq int64
	err := t.tx.QueryRow(t.c(ctx), `SELECT seq FROM events WHERE stream = $1 AND stream_seq = $2`, stream, streamSeq).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, bank.NewError(bank.KindNotFound, bank.ReasonInvalidArgument, "no event at that stream position")
	}
	return seq, translate(err, "stream event")
}

// ListEvents implements bank.ReadTx.
func (t *txn) ListEvents(ctx context.Context, q bank.EventQuery) ([]*bank.Event, error) {
	if q.Limit <= 0 {
		return nil, nil
	}
	var b query
	b.sql(`SELECT `, eventColumns, ` FROM events WHERE seq > `, b.arg(q.AfterSeq))
	if q.Bank != "" {
		b.sql(` AND bank_id = `, b.arg(q.Bank))
	}
	if q.Resource != "" {
		b.sql(` AND resource = `, b.arg(q.Resource))
	}
	if q.ResourcePrefix != "" {
		// starts_with compares bytes, unlike LIKE, whose % and _ are
		// wildcards.
		b.sql(` AND starts_with(resource, `, b.arg(q.ResourcePrefix), `)`)
	}
	if q.WithholdPrivateUnits {
		b.sql(` AND stream = ''`)
	}
	inList(&b, "method", q.Methods)
	if !q.Since.IsZero() {
		b.sql(` AND time >= `, b.arg(q.Since.UnixNano()))
	}
	if !q.Until.IsZero() {
		b.sql(` AND time < `, b.arg(q.Until.UnixNano()))
	}
	b.sql(` ORDER BY seq LIMIT `, b.arg(q.Limit))
	return t.events(ctx, b.b.String(), b.args...)
}

// ListEventsByResource implements bank.ReadTx; the events_resource index
// serves the order and the row-value cursor.
func (t *txn) ListEventsByResource(ctx context.Context, afterResource string, afterSeq int64, limit int) ([]*bank.Event, error) {
	return t.events(ctx, `SELECT `+eventColumns+` FROM events WHERE (resource, seq) > ($1, $2) ORDER BY resource, seq LIMIT $3`,
		afterResource, afterSeq, limit)
}

func (t *txn) events(ctx context.Context, sql string, args ...any) ([]*bank.Event, error) {
	rows, err := t.tx.Query(t.c(ctx), sql, args...)
	return collect(rows, err, "list events", scanEvent)
}

func scanEvent(rows pgx.Rows) (*bank.Event, error) {
	var e bank.Event
	var ts, scheme int64
	var changes string
	if err := rows.Scan(&e.Seq, &ts, &e.Principal, &e.RequestID, &e.Method, &e.Resource, &e.Bank, &e.Reason, &changes, &e.PrevHash, &e.Hash, &scheme, &e.Stream, &e.StreamSeq); err != nil {
		return nil, err
	}
	e.Time = time.Unix(0, ts).UTC()
	e.HashScheme = int(scheme)
	if err := rowenc.DecodeChanges(&e, changes); err != nil {
		return nil, err
	}
	return &e, nil
}

// CountResources implements bank.ReadTx.
func (t *txn) CountResources(ctx context.Context) (bank.ResourceCounts, error) {
	var c bank.ResourceCounts
	err := t.tx.QueryRow(t.c(ctx), `SELECT (SELECT count(*) FROM banks), (SELECT count(*) FROM units),
		(SELECT count(*) FROM reservations), (SELECT count(*) FROM containers), (SELECT count(*) FROM unit_locations)`).
		Scan(&c.Banks, &c.Units, &c.Reservations, &c.Containers, &c.Placements)
	return c, translate(err, "count resources")
}
