package sqlite

import (
	"context"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/lifecycle"
)

// CountInventory implements bank.ReadTx: three grouped counts, each one
// pass over its table's index or rows.
func (t *txn) CountInventory(ctx context.Context, expiringBefore time.Time) (*bank.InventoryCounts, error) {
	out := &bank.InventoryCounts{OpenExcursions: map[string]int{}}
	rows, err := t.tx.QueryContext(bounded(ctx), `SELECT bank_id, status, unit_type, count(*) FROM units GROUP BY bank_id, status, unit_type ORDER BY 1, 2, 3`)
	if err != nil {
		return nil, translate(err, "count units")
	}
	for rows.Next() {
		var c bank.UnitCount
		var st, ty string
		if err := rows.Scan(&c.Bank, &st, &ty, &c.N); err != nil {
			rows.Close()
			return nil, translate(err, "count units")
		}
		c.Status, c.Type = lifecycle.Status(st), bank.UnitType(ty)
		out.Units = append(out.Units, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, translate(err, "count units")
	}
	rows, err = t.tx.QueryContext(bounded(ctx), `SELECT bank_id, count(*), sum(status = 'ACTIVE' AND expire_time < ?)
		FROM reservations WHERE status IN ('ACTIVE', 'SHIPMENT_REQUESTED') GROUP BY bank_id ORDER BY 1`, expiringBefore.UnixNano())
	if err != nil {
		return nil, translate(err, "count reservations")
	}
	for rows.Next() {
		var c bank.ReservationCount
		if err := rows.Scan(&c.Bank, &c.Open, &c.ExpiringSoon); err != nil {
			rows.Close()
			return nil, translate(err, "count reservations")
		}
		out.Reservations = append(out.Reservations, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, translate(err, "count reservations")
	}
	rows, err = t.tx.QueryContext(bounded(ctx), `SELECT bank_id, count(*) FROM excursions WHERE end_time IS NULL GROUP BY bank_id`)
	if err != nil {
		return nil, translate(err, "count excursions")
	}
	defer rows.Close()
	for rows.Next() {
		var b string
		var n int
		if err := rows.Scan(&b, &n); err != nil {
			return nil, translate(err, "count excursions")
		}
		out.OpenExcursions[b] = n
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "count excursions")
	}
	return out, nil
}
