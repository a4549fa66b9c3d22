package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/internal/store/rowenc"
	"github.com/jackc/pgx/v5"
)

// Rows is a table's rows to load: pgx's CopyFromSource, so any source
// with Next, Values and Err streams into COPY without a copy of its own.
type Rows = pgx.CopyFromSource

// ErrNotEmpty is returned by LoadTables when the database already holds
// records: a copy is loaded only into an empty registry, so two audit
// chains are never mixed.
var ErrNotEmpty = errors.New("the PostgreSQL database already holds cordbank records")

// LoadTables loads whole tables into an empty database in one write
// transaction (under the write lock, so no server writes meanwhile): fn
// calls load once per table, in rowenc.Tables order, with the source's
// column names. Values are stored exactly as given. When fn or any load
// fails, nothing is kept. It is what cordbank migrate-store copies into.
func (s *Store) LoadTables(ctx context.Context, fn func(load func(table string, columns []string, rows Rows) (int64, error)) error) error {
	return s.Write(ctx, func(btx bank.Tx) error {
		t := btx.(*txn)
		c := t.c(ctx)
		for _, table := range rowenc.Tables {
			var any bool
			if err := t.tx.QueryRow(c, `SELECT EXISTS (SELECT 1 FROM `+pgx.Identifier{table}.Sanitize()+`)`).Scan(&any); err != nil {
				return translate(err, "check "+table)
			}
			if any {
				return fmt.Errorf("%w (table %s has rows)", ErrNotEmpty, table)
			}
		}
		err := fn(func(table string, columns []string, rows Rows) (int64, error) {
			n, err := t.tx.CopyFrom(c, pgx.Identifier{table}, columns, rows)
			if err != nil {
				return n, fmt.Errorf("copy %s: %w", table, err)
			}
			return n, nil
		})
		if err != nil {
			return err
		}
		// Excursion ids came from SQLite; new ones continue after them.
		if _, err := t.tx.Exec(c, `SELECT setval(pg_get_serial_sequence('excursions', 'id'), coalesce(max(id), 0) + 1, false) FROM excursions`); err != nil {
			return translate(err, "excursion ids")
		}
		return nil
	})
}

// CountTable counts the rows of one table (a copy's check).
func (s *Store) CountTable(ctx context.Context, table string) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{table}.Sanitize()).Scan(&n)
	return n, translate(err, "count "+table)
}
