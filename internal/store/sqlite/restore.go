package sqlite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/internal/durable"
)

// writeManifest writes the manifest of the backup file at path beside it,
// through a temporary file and a rename so it is never half written.
func writeManifest(path string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	mp := ManifestPath(path)
	tmp := mp + ".partial"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	if err := durable.SyncFile(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, mp); err != nil {
		return err
	}
	return durable.SyncDir(filepath.Dir(path))
}

// ReadManifest reads and checks the shape of the manifest of the backup
// file at path.
func ReadManifest(path string) (*Manifest, error) {
	b, err := os.ReadFile(ManifestPath(path))
	if err != nil {
		return nil, fmt.Errorf("backup manifest: %w", err)
	}
	return parseManifest(b)
}

// parseManifest decodes a manifest strictly: unknown fields, a missing
// digest or a foreign format are refused.
func parseManifest(b []byte) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("backup manifest: %w", err)
	}
	if dec.More() {
		return nil, errors.New("backup manifest: data after the manifest")
	}
	switch {
	case m.Format != ManifestFormat:
		return nil, fmt.Errorf("backup manifest: format %q, want %q", m.Format, ManifestFormat)
	case len(m.SHA256) != 64:
		return nil, errors.New("backup manifest: no sha256")
	case m.Size <= 0:
		return nil, errors.New("backup manifest: no size")
	}
	return &m, nil
}

// CheckBackup checks a backup file against its manifest: size and SHA-256
// equal, and the file verifies (VerifyFile) at the manifest's point. It
// changes nothing.
func CheckBackup(ctx context.Context, path string) (*Manifest, error) {
	m, err := ReadManifest(path)
	if err != nil {
		return nil, err
	}
	return m, checkAgainst(ctx, path, m)
}

func checkAgainst(ctx context.Context, path string, m *Manifest) error {
	size, sum, err := fileDigest(path)
	if err != nil {
		return err
	}
	if size != m.Size || sum != m.SHA256 {
		return fmt.Errorf("the file is not the one backed up: %d bytes, sha256 %s; the manifest says %d bytes, sha256 %s", size, sum, m.Size, m.SHA256)
	}
	if err := VerifyFile(ctx, path, &m.Point); err != nil {
		return fmt.Errorf("the backup does not verify: %w", err)
	}
	return nil
}

// ErrInUse is returned by Restore when the target database is open in
// another process (a running service).
var ErrInUse = errors.New("the database is in use: stop the service first")

// Restore puts the backup at path in place of the database target, after
// checking it (CheckBackup) on the very copy it will put in place. An
// existing target is kept, moved aside to target + ".before-restore-" +
// time (its -wal folded in first), never deleted. It refuses, leaving the
// target's content as it was (its -wal may be folded into it), when the
// backup fails a check or the target is in use. It
// returns the manifest and where the replaced database went ("" when
// there was none).
func Restore(ctx context.Context, path, target string) (m *Manifest, replaced string, err error) {
	m, err = ReadManifest(path)
	if err != nil {
		return nil, "", err
	}
	// Fail fast on a running service, before the checks read the whole
	// backup; checked again just before the swap.
	if _, err := os.Stat(target); err == nil {
		if err := quiesce(ctx, target); err != nil {
			return nil, "", err
		}
	}
	tmp := target + ".restoring"
	_ = os.Remove(tmp)
	if err := copyFile(path, tmp); err != nil {
		os.Remove(tmp)
		return nil, "", fmt.Errorf("restore: %w", err)
	}
	defer os.Remove(tmp) // no-op once renamed into place
	if err := checkAgainst(ctx, tmp, m); err != nil {
		return nil, "", fmt.Errorf("restore %s: %w", path, err)
	}
	if err := verifyStateOf(ctx, tmp, target+".restore-check", m.Point.SchemaVersion); err != nil {
		return nil, "", fmt.Errorf("restore %s: %w", path, err)
	}
	if _, err := os.Stat(target); err == nil {
		if err := quiesce(ctx, target); err != nil {
			return nil, "", err
		}
		replaced = target + ".before-restore-" + time.Now().UTC().Format("20060102T150405.000000000Z")
		if err := os.Rename(target, replaced); err != nil {
			return nil, "", fmt.Errorf("restore: keep the current database: %w", err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, "", fmt.Errorf("restore: %w", err)
	}
	// No -wal or -shm of an earlier database may be left beside the
	// restored one: SQLite would read them as part of it.
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		if err := os.Remove(target + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, "", fmt.Errorf("restore: %w", err)
		}
	}
	if err := os.Rename(tmp, target); err != nil {
		return nil, "", fmt.Errorf("restore: %w", err)
	}
	return m, replaced, durable.SyncDir(filepath.Dir(target))
}

// quiesce makes sure no other connection has target open and folds its
// WAL into the file: leaving WAL mode needs the only connection, so it
// fails while a service holds the database.
func quiesce(ctx context.Context, target string) error {
	db, err := openPlain(target, "")
	if err != nil {
		return err
	}
	defer db.Close()
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode=DELETE`).Scan(&mode); err != nil {
		return fmt.Errorf("restore %s: %w (%v)", target, ErrInUse, err)
	}
	if mode != "delete" {
		return fmt.Errorf("restore %s: %w (journal mode stays %s)", target, ErrInUse, mode)
	}
	return nil
}

// copyFile copies src to the new file dst durably.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return durable.WriteNew(dst, in, 0o644)
}

// verifyStateOf proves the tables of the backup at path by its trail
// (bank.Service.VerifyState), on a scratch copy at scratch: opening a
// store changes the file (WAL mode), and the file put in place must be
// the bytes the manifest's digest names. A backup taken at an older
// schema is checked by its chain only: proving it would mean migrating
// it, which the service does when it opens it.
func verifyStateOf(ctx context.Context, path, scratch string, schema int) error {
	if schema != knownSchemaVersion() {
		return nil
	}
	removeDB(scratch)
	defer removeDB(scratch)
	if err := copyFile(path, scratch); err != nil {
		return err
	}
	s, err := Open(ctx, scratch)
	if err != nil {
		return err
	}
	defer s.Close()
	sum, err := bank.NewService(s).VerifyState(ctx)
	if err != nil {
		return fmt.Errorf("state check: %w", err)
	}
	if len(sum.Differences) > 0 {
		d := sum.Differences[0]
		return fmt.Errorf("the backup's tables differ from its audit trail in %d places, the first: %s %s: %s", len(sum.Differences), d.Resource, d.Field, d.Reason)
	}
	return nil
}

// removeDB removes a scratch database with its -wal and -shm files.
func removeDB(path string) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(path + suffix)
	}
}
