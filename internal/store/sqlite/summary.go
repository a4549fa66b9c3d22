package sqlite

import (
	"context"
	"strconv"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/lifecycle"
)

// SummarizeUnits implements bank.ReadTx: one grouped count, and the TNC of
// the available units binned in Go (bank.UnitSummary.AddAvailableTNC), so
// every store bins alike.
func (t *txn) SummarizeUnits(ctx context.Context, bankID string, publicOnly bool) (*bank.UnitSummary, error) {
	where := ` WHERE bank_id = ?`
	if publicOnly {
		where += ` AND unit_type = 'PUBLIC'`
	}
	sum := bank.NewUnitSummary()
	rows, err := t.tx.QueryContext(bounded(ctx), `SELECT status, unit_type, abo, substr(collection_date, 1, 4), count(*) FROM units`+where+
		` GROUP BY 1, 2, 3, 4`, bankID)
	if err != nil {
		return nil, translate(err, "summarize units")
	}
	for rows.Next() {
		var st, ty, abo, year string
		var n int
		if err := rows.Scan(&st, &ty, &abo, &year, &n); err != nil {
			rows.Close()
			return nil, translate(err, "summarize units")
		}
		y, _ := strconv.Atoi(year)
		sum.Add(lifecycle.Status(st), bank.UnitType(ty), bank.ABO(abo), y, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, translate(err, "summarize units")
	}
	rows, err = t.tx.QueryContext(bounded(ctx), `SELECT post_processing_tnc FROM units`+where+` AND status = 'AVAILABLE'`, bankID)
	if err != nil {
		return nil, translate(err, "summarize units")
	}
	defer rows.Close()
	for rows.Next() {
		var tnc float64
		if err := rows.Scan(&tnc); err != nil {
			return nil, translate(err, "summarize units")
		}
		sum.AddAvailableTNC(tnc)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "summarize units")
	}
	return sum, nil
}
