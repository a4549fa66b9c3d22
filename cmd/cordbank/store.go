package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/internal/store/postgres"
	"github.com/cordbank/cordbank/internal/store/sqlite"
)

// dbHelp describes --db for every command that opens the store.
const dbHelp = "database: a SQLite file (a path or sqlite:PATH, created and migrated if needed) or a PostgreSQL URL postgres://USER@HOST:PORT/DATABASE (CORDBANK_DB)"

// sqlitePath returns the file --db names, and false for a PostgreSQL URL.
func sqlitePath(db string) (string, bool) {
	if postgres.IsURL(db) {
		return "", false
	}
	return strings.TrimPrefix(db, "sqlite:"), true
}

// errNotOnPostgres explains a SQLite-file feature asked of PostgreSQL.
func errNotOnPostgres(what string) error {
	return fmt.Errorf("%s works on a SQLite database file; on PostgreSQL use the server's own tools (pg_dump, pg_basebackup and WAL archiving for backups, point-in-time recovery for restores)", what)
}

// dbLabel is how logs and messages name --db: the file, or the URL
// without its password.
func dbLabel(db string) string {
	if path, ok := sqlitePath(db); ok {
		return path
	}
	return redactURL(db)
}

// redactURL hides the password of a postgres:// URL.
func redactURL(db string) string {
	scheme, rest, ok := strings.Cut(db, "://")
	if !ok {
		return db
	}
	at := strings.LastIndexByte(strings.SplitN(rest, "/", 2)[0], '@')
	if at < 0 {
		return db
	}
	if user, _, hasPass := strings.Cut(rest[:at], ":"); hasPass {
		return scheme + "://" + user + ":xxxxx" + rest[at:]
	}
	return db
}

// openDB opens the store --db names. With mustExist a SQLite path with
// no file is refused: a mistyped --db must not silently create an empty
// database (a PostgreSQL database must exist anyway: cordbank creates its
// tables, never the database).
func openDB(ctx context.Context, db string, mustExist bool, opts ...sqlite.Option) (bank.Store, error) {
	path, ok := sqlitePath(db)
	if !ok {
		return postgres.Open(ctx, db)
	}
	if mustExist {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such database (serve or migrate creates one)", path)
		}
	}
	return sqlite.Open(ctx, path, opts...)
}
