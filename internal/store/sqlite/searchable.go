package sqlite

import (
	"context"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/internal/store/rowenc"
)

var searchableSQL = `SELECT ` + rowenc.SearchableColumnList + ` FROM units`

// ScanSearchable implements server.SearchableScanner: it calls fn with
// every unit of every bank, in pages of up to pageSize, with only the
// fields a search index reads (rowenc.SearchableColumns; the others zero),
// in no particular order, all from this read transaction's snapshot, until fn returns an error or ctx
// is done. It is the index build's read (server.BuildIndex): one statement
// over the table in rowid order, a third of the columns, rather than a
// keyset page query per thousand units of every column.
func (t *txn) ScanSearchable(ctx context.Context, pageSize int, fn func(units []*bank.Unit, release func()) error) error {
	rows, err := t.tx.QueryContext(bounded(ctx), searchableSQL)
	if err != nil {
		return translate(err, "scan units")
	}
	defer rows.Close()
	var (
		r     rowenc.SearchableRow
		pages = rowenc.NewSearchablePages(pageSize)
	)
	dest := r.Dest()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return translate(err, "scan units")
		}
		if err := pages.Add(&r); err != nil {
			return bank.Internal(err, "sqlite: read unit")
		}
		if pages.Len() == pageSize {
			// Statements on a reader ignore cancellation (bounded); the
			// scan answers it between pages.
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(pages.Take()); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return translate(err, "scan units")
	}
	if pages.Len() > 0 {
		return fn(pages.Take())
	}
	return nil
}

// ScanSearchable passes the index build's read through (see txn).
func (r readOnly) ScanSearchable(ctx context.Context, pageSize int, fn func(units []*bank.Unit, release func()) error) error {
	return r.ReadTx.(*txn).ScanSearchable(ctx, pageSize, fn)
}
