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
// in no particular order, all from this read transaction's snapshot,
// until fn returns an error or ctx is done. It is the index build's read
// (server.BuildIndex): one statement over the table in rowid order, a
// third of the columns, rather than a keyset page query per thousand units
// of every column.
func (t *txn) ScanSearchable(ctx context.Context, pageSize int, fn rowenc.PageFunc) error {
	rows, err := t.tx.QueryContext(bounded(ctx), searchableSQL)
	if err != nil {
		return translate(err, "scan units")
	}
	defer rows.Close()
	var (
		r     rowenc.SearchableRow
		pages = rowenc.NewSearchablePages(pageSize)
	)
	// Statements on a reader ignore cancellation (bounded); the scan
	// answers it between pages.
	page := func(units []*bank.Unit, release func()) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(units, release)
	}
	dest := r.Dest()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return translate(err, "scan units")
		}
		if err := pages.Put(&r, page); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return translate(err, "scan units")
	}
	return pages.Flush(page)
}

// ScanSearchable passes the index build's read through (see txn).
func (r readOnly) ScanSearchable(ctx context.Context, pageSize int, fn rowenc.PageFunc) error {
	return r.ReadTx.(*txn).ScanSearchable(ctx, pageSize, fn)
}
