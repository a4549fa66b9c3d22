package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/cordbank/cordbank/internal/store/schema"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Migrations are plain SQL files applied in order, each in its own
// transaction with its schema_migrations row, as in internal/store/sqlite
// (and for the same reason hand-written: they run inside this package's
// own locking). Several servers starting at once over one database
// migrate it once: each takes migrateLockKey (a session-level advisory
// lock) around the whole migration.

//go:embed migrations/*.sql
var migrationFS embed.FS

// ErrSchemaTooNew is returned by Open when the database was migrated by a
// newer cordbank than this binary: writing to it could corrupt data the
// newer schema relies on.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary")

// Advisory lock keys (any int64 other applications sharing the database
// are unlikely to pick: "cordbank" and "cordmigr" in ASCII).
const (
	writeLockKey   int64 = 0x636f7264_62616e6b
	migrateLockKey int64 = 0x636f7264_6d696772
)

// migrate brings the database to the newest embedded schema.
func migrate(ctx context.Context, pool *pgxpool.Pool, migs []schema.File) (err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrateLockKey); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer func() {
		if _, uerr := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLockKey); uerr != nil && err == nil {
			err = fmt.Errorf("migration unlock: %w", uerr)
		}
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    bigint NOT NULL PRIMARY KEY,
		name       text   NOT NULL,
		applied_at bigint NOT NULL -- unix nanoseconds UTC
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var have int
	if err := conn.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have > len(migs) {
		return fmt.Errorf("%w: database at version %d, this binary knows %d", ErrSchemaTooNew, have, len(migs))
	}
	for _, m := range migs[have:] {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.Version, m.Name, time.Now().UnixNano())
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
		}
	}
	return nil
}

// SchemaVersion returns the database's schema version (0 when empty).
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	return v, translate(err, "schema version")
}
