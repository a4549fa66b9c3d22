package postgres

import (
	"context"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/internal/store/rowenc"
)

var searchableSQL = `SELECT ` + rowenc.SearchableColumnList + ` FROM units`

// ScanSearchable calls fn with every unit of every bank, in pages of up to
// pageSize, with only the fields a search index reads
// (rowenc.SearchableColumns; the others zero), in no particular order, all
// from this transaction's snapshot, until fn returns an error. It is the
// index build's read (server.BuildIndex): one sequential scan streamed in
// one statement, the columns decoded from their wire bytes without pgx's
// per-column scan plans, rather than a keyset page query per thousand
// units of every column.
func (t *txn) ScanSearchable(ctx context.Context, pageSize int, fn func([]*bank.Unit) error) error {
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
		units rowenc.SearchableUnits
		page  = make([]*bank.Unit, 0, pageSize)
	)
	for rows.Next() {
		if err := r.SetRaw(rows.RawValues(), formats); err != nil {
			return bank.Internal(err, "postgres: read unit")
		}
		u, err := units.Unit(&r)
		if err != nil {
			return bank.Internal(err, "postgres: read unit")
		}
		if page = append(page, u); len(page) == pageSize {
			if err := fn(page); err != nil {
				return err
			}
			page = make([]*bank.Unit, 0, pageSize)
		}
	}
	if err := rows.Err(); err != nil {
		return translate(err, "scan units")
	}
	if len(page) > 0 {
		return fn(page)
	}
	return nil
}

// ScanSearchable passes the index build's read through (see txn).
func (r readOnly) ScanSearchable(ctx context.Context, pageSize int, fn func([]*bank.Unit) error) error {
	return r.ReadTx.(*txn).ScanSearchable(ctx, pageSize, fn)
}
