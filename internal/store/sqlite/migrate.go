package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/cordbank/cordbank/internal/store/schema"
)

// The migrator is hand-written (about 60 lines) rather than taken from goose
// or golang-migrate because it must run on the store's single writer
// connection, inside our own BEGIN IMMEDIATE transactions: a library would
// open its own connections and transactions, racing our writer for the
// database lock and applying its own idea of atomicity.

//go:embed migrations/*.sql
var migrationFS embed.FS

// ErrSchemaTooNew is returned by Open when the database was migrated by a
// newer cordbank than this binary: writing to it could corrupt data the
// newer schema relies on.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary")

// migrate applies the migrations the database lacks, each in its own
// transaction together with its schema_migrations row, so a crash leaves the
// database at a version boundary. db must be the writer (BEGIN IMMEDIATE), so
// two processes migrating the same file apply each version once.
func migrate(ctx context.Context, db *sql.DB, migs []schema.File) error {
	for {
		done, err := migrateStep(ctx, db, migs)
		if err != nil || done {
			return err
		}
	}
}

// migrateStep applies the next pending migration; done reports there was none.
func migrateStep(ctx context.Context, db *sql.DB, migs []schema.File) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("begin migration: %w", err)
	}
	defer func() {
		if err != nil || done {
			_ = tx.Rollback()
		}
	}()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL -- unix nanoseconds UTC
	) STRICT`); err != nil {
		return false, fmt.Errorf("create schema_migrations: %w", err)
	}
	cur, err := schemaVersion(ctx, tx)
	if err != nil {
		return false, err
	}
	switch {
	case cur > len(migs):
		return false, fmt.Errorf("%w: database is at version %d, this binary knows up to %d: upgrade cordbank", ErrSchemaTooNew, cur, len(migs))
	case cur == len(migs):
		return true, nil
	}
	m := migs[cur]
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, fmt.Errorf("apply migration %04d_%s: %w", m.Version, m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, time.Now().UTC().UnixNano()); err != nil {
		return false, fmt.Errorf("record migration %04d_%s: %w", m.Version, m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit migration %04d_%s: %w", m.Version, m.Name, err)
	}
	return false, nil
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// schemaVersion returns the highest applied migration, 0 for a new database.
func schemaVersion(ctx context.Context, q queryRower) (int, error) {
	var v int
	if err := q.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}
