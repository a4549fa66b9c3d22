package main

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/internal/store/sqlite"
)

// TestBackupBeforeMigration: migrating a database of an older schema
// first backs it up (verified, with its manifest) into --backup-dir.
func TestBackupBeforeMigration(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "old.db")
	conn, err := sql.Open("sqlite3", "file:"+db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(`CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`); err != nil {
		t.Fatal(err)
	}
	// The schema at version 8, from the migration files themselves.
	for v := 1; v <= 8; v++ {
		files, _ := filepath.Glob(filepath.Join("..", "..", "internal", "store", "sqlite", "migrations", fmt.Sprintf("%04d_*.sql", v)))
		if len(files) != 1 {
			t.Fatalf("migration %d: %v", v, files)
		}
		b, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(string(b)); err != nil {
			t.Fatalf("%s: %v", files[0], err)
		}
		if _, err := conn.Exec(`INSERT INTO schema_migrations VALUES (?, 'm', 0)`, v); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close()
	backups := filepath.Join(dir, "backups")
	os.Mkdir(backups, 0o755)
	var out, errOut bytes.Buffer
	if code := run([]string{"migrate", "--db", db, "--backup-dir", backups}, &out, &errOut); code != 0 {
		t.Fatalf("migrate: exit %d: %s", code, errOut.String())
	}
	made, _ := filepath.Glob(filepath.Join(backups, "old.db.pre-migration-v8-*.db"))
	if len(made) != 1 {
		t.Fatalf("backups before the migration: %v (%s)", made, errOut.String())
	}
	m, err := sqlite.CheckBackup(t.Context(), made[0])
	if err != nil || m.Point.SchemaVersion != 8 {
		t.Fatalf("the pre-migration backup: %+v, %v", m, err)
	}
	// At the current schema, no further backup.
	if code := run([]string{"migrate", "--db", db, "--backup-dir", backups}, &out, &errOut); code != 0 {
		t.Fatal(errOut.String())
	}
	if again, _ := filepath.Glob(filepath.Join(backups, "*.db")); len(again) != 1 {
		t.Fatalf("a database at the current schema was backed up again: %v", again)
	}
}

// TestPruneBackups keeps the newest scheduled backups with their
// manifests and never touches other files.
func TestPruneBackups(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var names []string
	for i := range 5 {
		n := filepath.Join(dir, backupName(scheduledPrefix, start.Add(time.Duration(i)*time.Hour)))
		names = append(names, n)
		os.WriteFile(n, []byte("db"), 0o644)
		os.WriteFile(sqlite.ManifestPath(n), []byte("{}"), 0o644)
	}
	keepMe := filepath.Join(dir, "cordbank.db.pre-migration-v8-20250101T000000.000Z.db")
	os.WriteFile(keepMe, []byte("db"), 0o644)
	// A database named cordbank-*.db: its pre-migration backup matches the
	// schedule's glob, and must be kept all the same.
	keepToo := filepath.Join(dir, "cordbank-prod.db.pre-migration-v8-20250101T000000.000Z.db")
	os.WriteFile(keepToo, []byte("db"), 0o644)
	removed, err := pruneBackups(dir, 2)
	if err != nil || strings.Join(removed, ",") != strings.Join(names[:3], ",") {
		t.Fatalf("removed %v, %v; want the 3 oldest", removed, err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*"))
	want := []string{names[3], sqlite.ManifestPath(names[3]), names[4], sqlite.ManifestPath(names[4]), keepMe, keepToo}
	if len(left) != len(want) {
		t.Fatalf("left %v, want %v", left, want)
	}
	for _, w := range want {
		if _, err := os.Stat(w); err != nil {
			t.Errorf("%s was removed", w)
		}
	}
}

// TestScheduledBackup: serve's scheduled backup writes a verified backup
// into the directory and keeps --backup-keep of them.
func TestScheduledBackup(t *testing.T) {
	d := newTrailDB(t)
	dir := t.TempDir()
	log := newTestLogger(t)
	for range 3 {
		if err := backupNow(t.Context(), d.path, dir, 2, log); err != nil {
			t.Fatal(err)
		}
	}
	made, _ := filepath.Glob(filepath.Join(dir, scheduledPrefix+"*.db"))
	if len(made) != 2 {
		t.Fatalf("backups kept: %v", made)
	}
	for _, f := range made {
		if m, err := sqlite.CheckBackup(t.Context(), f); err != nil || m.Point.Events != 4 {
			t.Fatalf("%s: %+v %v", f, m, err)
		}
	}
}

func newTestLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, nil))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// TestStartCheckpoints: the first start creates the key and says so, and
// signs the head; a restart over the same trail signs nothing new; a start
// over a trail that lost the signed head is refused.
func TestStartCheckpoints(t *testing.T) {
	d := newTrailDB(t)
	dir := t.TempDir()
	c := &recordsConfig{checkpointKey: filepath.Join(dir, "k"), checkpointLog: filepath.Join(dir, "log"), checkpointEvery: time.Minute}
	start := func() (string, error) {
		store, err := sqlite.Open(t.Context(), d.path)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		var out bytes.Buffer
		_, err = startCheckpoints(t.Context(), c, d.path, bank.NewService(store), newTestLogger(t), &out)
		return out.String(), err
	}
	lines := func() int {
		b, _ := os.ReadFile(c.checkpointLog)
		return strings.Count(string(b), "\n")
	}
	if out, err := start(); err != nil || !strings.Contains(out, "created the audit checkpoint key "+c.checkpointKey) || lines() != 1 {
		t.Fatalf("first start: %v, %d lines, %q", err, lines(), out)
	}
	if out, err := start(); err != nil || out != "" || lines() != 1 {
		t.Fatalf("restart: %v, %d lines, %q", err, lines(), out)
	}
	d.exec(t, `DELETE FROM events WHERE seq = 4`)
	if _, err := start(); !errors.Is(err, bank.ErrCheckpointNotHeld) {
		t.Fatalf("start over a truncated trail: %v", err)
	}
}
