package postgres

import (
	"context"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/internal/store/rowenc"
)

var searchableSQL = `SELECT ` + rowenc.SearchableColumnList + ` FROM units`

// ScanSearchable implements server.SearchableScanner: it calls fn with
// every unit of every bank, in pages of up to pageSize, with only the
// fields a search index reads (rowenc.SearchableColumns; the others zero),
// in no particular order, all from this transaction's snapshot, until fn returns an error. It is the
// index build's read (server.BuildIndex): one sequential scan streamed in
// one statement, the columns decoded from their wire bytes without pgx's
// per-column scan plans, rather than a keyset page query per thousand
// units of every column.
func (t *txn) ScanSearchable(ctx context.Context, pageSize int, fn func(units []*bank.Unit, release func()) error) error {
	rows, err := t.tx.Query(t.c(ctx), searchableSQL)
	if err != nil {
		return translate(err, "scan units")
	}
	defer rows.Close()
	fields := rows.FieldDescriptions()
	formats := make([]int16, len(fields))
	for i, f := range fields {
		formats[i] = f.Format
	}
	var (
		r     rowenc.SearchableRow
		pages = rowenc.NewSearchablePages(pageSize)
	)
	for rows.Next() {
		if err := r.SetRaw(rows.RawValues(), formats); err != nil {
			return bank.Internal(err, "postgres: read unit")
		}
		if err := pages.Add(&r); err != nil {
			return bank.Internal(err, "postgres: read unit")
		}
		if pages.Len() == pageSize {
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
