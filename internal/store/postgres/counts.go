package postgres

import (
	"context"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/jackc/pgx/v5"
)

// CountInventory implements bank.ReadTx: three grouped counts.
func (t *txn) CountInventory(ctx context.Context, expiringBefore time.Time) (*bank.InventoryCounts, error) {
	c := t.c(ctx)
	out := &bank.InventoryCounts{OpenExcursions: map[string]int{}}
	rows, err := t.tx.Query(c, `SELECT bank_id, status, unit_type, count(*) FROM units GROUP BY bank_id, status, unit_type ORDER BY 1, 2, 3`)
	units, err := collect(rows, err, "count units", func(r pgx.Rows) (u bank.UnitCount, err error) {
		var st, ty string
		err = r.Scan(&u.Bank, &st, &ty, &u.N)
		u.Status, u.Type = lifecycle.Status(st), bank.UnitType(ty)
		return u, err
	})
	if err != nil {
		return nil, err
	}
	out.Units = units
	rows, err = t.tx.Query(c, `SELECT bank_id, count(*), count(*) FILTER (WHERE status = 'ACTIVE' AND expire_time < $1)
		FROM reservations WHERE status IN ('ACTIVE', 'SHIPMENT_REQUESTED') GROUP BY bank_id ORDER BY 1`, expiringBefore.UnixNano())
	if out.Reservations, err = collect(rows, err, "count reservations", func(r pgx.Rows) (rc bank.ReservationCount, err error) {
		return rc, r.Scan(&rc.Bank, &rc.Open, &rc.ExpiringSoon)
	}); err != nil {
		return nil, err
	}
	rows, err = t.tx.Query(c, `SELECT bank_id, count(*) FROM excursions WHERE end_time IS NULL GROUP BY bank_id`)
	type open struct {
		bank string
		n    int
	}
	opens, err := collect(rows, err, "count excursions", func(r pgx.Rows) (o open, err error) { return o, r.Scan(&o.bank, &o.n) })
	if err != nil {
		return nil, err
	}
	for _, o := range opens {
		out.OpenExcursions[o.bank] = o.n
	}
	return out, nil
}

// SummarizeUnits implements bank.ReadTx: one grouped count, and the TNC
// of the available units binned in Go (bank.UnitSummary.AddAvailableTNC),
// so every store bins alike.
func (t *txn) SummarizeUnits(ctx context.Context, bankID string, publicOnly bool) (*bank.UnitSummary, error) {
	c := t.c(ctx)
	where := ` WHERE bank_id = $1`
	if publicOnly {
		where += ` AND unit_type = 'PUBLIC'`
	}
	sum := bank.NewUnitSummary()
	rows, err := t.tx.Query(c, `SELECT status, unit_type, abo, substr(collection_date, 1, 4)::int, count(*) FROM units`+where+` GROUP BY 1, 2, 3, 4`, bankID)
	if _, err := collect(rows, err, "summarize units", func(r pgx.Rows) (struct{}, error) {
		var st, ty, abo string
		var year, n int
		if err := r.Scan(&st, &ty, &abo, &year, &n); err != nil {
			return struct{}{}, err
		}
		sum.Add(lifecycle.Status(st), bank.UnitType(ty), bank.ABO(abo), year, n)
		return struct{}{}, nil
	}); err != nil {
		return nil, err
	}
	rows, err = t.tx.Query(c, `SELECT post_processing_tnc FROM units`+where+` AND status = 'AVAILABLE'`, bankID)
	if _, err := collect(rows, err, "summarize units", func(r pgx.Rows) (struct{}, error) {
		var tnc float64
		err := r.Scan(&tnc)
		sum.AddAvailableTNC(tnc)
		return struct{}{}, err
	}); err != nil {
		return nil, err
	}
	return sum, nil
}
