package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// TableRows is one table's rows as DumpTables hands them out: Next
// advances, Values returns the current row's column values (int64,
// float64, string or nil, as stored), Err the error that ended the rows.
// It has the shape of pgx's CopyFromSource, so a PostgreSQL COPY can
// read it directly.
type TableRows interface {
	Next() bool
	Values() ([]any, error)
	Err() error
}

// dumpOrder orders a table's rows for a copy: containers parents first
// (their foreign key to the parent is checked row by row), the rest by
// their key.
var dumpOrder = map[string]string{
	"containers": `WITH RECURSIVE depth (bank_id, id, d) AS (
		SELECT bank_id, id, 0 FROM containers WHERE parent_id IS NULL
		UNION ALL SELECT c.bank_id, c.id, depth.d + 1 FROM containers c JOIN depth ON c.bank_id = depth.bank_id AND c.parent_id = depth.id)
		SELECT containers.* FROM containers JOIN depth USING (bank_id, id) ORDER BY depth.d, containers.bank_id, containers.id`,
	"events":               `SELECT * FROM events ORDER BY seq`,
	"temperature_readings": `SELECT * FROM temperature_readings ORDER BY rowid`,
	"excursions":           `SELECT * FROM excursions ORDER BY id`,
}

// DumpTables reads every row of the given tables in one read transaction
// (one snapshot of the whole database, while the service may keep
// writing) and hands each table to fn with its column names, in order.
// fn must consume the rows before it returns. It is what
// cordbank migrate-store copies from.
func (s *Store) DumpTables(ctx context.Context, tables []string, fn func(table string, columns []string, rows TableRows) error) error {
	if err := s.unavailableIfClosed(); err != nil {
		return err
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return translate(err, "begin dump")
	}
	defer tx.Rollback()
	for _, table := range tables {
		q, ok := dumpOrder[table]
		if !ok {
			q = `SELECT * FROM "` + strings.ReplaceAll(table, `"`, `""`) + `" ORDER BY rowid`
		}
		rows, err := tx.QueryContext(bounded(ctx), q)
		if err != nil {
			return translate(err, "dump "+table)
		}
		cols, err := rows.Columns()
		if err != nil {
			rows.Close()
			return translate(err, "dump "+table)
		}
		tr := &tableRows{rows: rows, vals: make([]any, len(cols)), ptrs: make([]any, len(cols))}
		for i := range tr.vals {
			tr.ptrs[i] = &tr.vals[i]
		}
		err = fn(table, cols, tr)
		rows.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
		if err := tr.Err(); err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
	}
	return nil
}

// CountTable counts the rows of one table (a copy's check).
func (s *Store) CountTable(ctx context.Context, table string) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(bounded(ctx), `SELECT count(*) FROM "`+strings.ReplaceAll(table, `"`, `""`)+`"`).Scan(&n)
	return n, translate(err, "count "+table)
}

type tableRows struct {
	rows       *sql.Rows
	vals, ptrs []any
	err        error
}

func (r *tableRows) Next() bool {
	if r.err != nil || !r.rows.Next() {
		return false
	}
	if err := r.rows.Scan(r.ptrs...); err != nil {
		r.err = err
		return false
	}
	return true
}

func (r *tableRows) Values() ([]any, error) { return r.vals, nil }

func (r *tableRows) Err() error {
	if r.err != nil {
		return translate(r.err, "dump")
	}
	return translate(r.rows.Err(), "dump")
}
