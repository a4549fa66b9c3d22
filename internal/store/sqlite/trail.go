package sqlite

import (
	"context"

	"github.com/cordbank/cordbank/bank"
)

// ListEventsByResource implements bank.ReadTx. The events_resource index
// (resource, seq) serves the order and the row-value cursor.
func (t *txn) ListEventsByResource(ctx context.Context, afterResource string, afterSeq int64, limit int) ([]*bank.Event, error) {
	rows, err := t.tx.QueryContext(bounded(ctx), `SELECT `+eventColumns+` FROM events INDEXED BY events_resource
		WHERE (resource, seq) > (?, ?) ORDER BY resource, seq LIMIT ?`, afterResource, afterSeq, limit)
	if err != nil {
		return nil, translate(err, "list events by resource")
	}
	return scanEvents(rows)
}

// CountResources implements bank.ReadTx.
func (t *txn) CountResources(ctx context.Context) (bank.ResourceCounts, error) {
	var c bank.ResourceCounts
	err := t.tx.QueryRowContext(bounded(ctx), `SELECT (SELECT count(*) FROM banks), (SELECT count(*) FROM units),
		(SELECT count(*) FROM reservations), (SELECT count(*) FROM containers), (SELECT count(*) FROM unit_locations)`).
		Scan(&c.Banks, &c.Units, &c.Reservations, &c.Containers, &c.Placements)
	if err != nil {
		return c, translate(err, "count resources")
	}
	return c, nil
}
