package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/audit"
	"github.com/cordbank/cordbank/internal/durable"
	"github.com/cordbank/cordbank/internal/store/schema"
	sqlite3 "github.com/mattn/go-sqlite3"
)

// Online backup. A backup is taken on a connection of its own (never the
// store's writer), so it works the same from `cordbank backup` in another
// process and from the service's own schedule, and it does not depend on
// how the store schedules its writes.
//
// Consistency: the backup connection opens a read transaction, reads the
// chain head and the table counts, and then runs SQLite's online backup
// (sqlite3_backup_step(-1)) inside that same transaction. SQLite's backup
// reuses a read transaction the source connection already holds, so the
// copy is exactly the snapshot the head and counts were read from (WAL:
// writers go on committing meanwhile, and the backup never restarts). A
// copy made with cp while the service runs is not a snapshot: it misses
// whatever is still in the -wal file and may mix pages of different
// commits.

// Point describes a database at one instant: what a backup's manifest
// records and what its verification compares.
type Point struct {
	SchemaVersion int    `json:"schema_version"`
	Events        int64  `json:"events"`    // audit events (= the head's seq on an intact chain)
	HeadSeq       int64  `json:"head_seq"`  // position of the last event, 0 for none
	HeadHash      string `json:"head_hash"` // hash of the last event, "" for none
	Banks         int64  `json:"banks"`
	Units         int64  `json:"units"`
	Placements    int64  `json:"placements"`
	Reservations  int64  `json:"reservations"`
	Containers    int64  `json:"containers"`
	Tokens        int64  `json:"tokens"`
}

// Manifest is the file written beside a backup (FILE.manifest.json): the
// backup point, when it was taken, and the SHA-256 of the backup file.
type Manifest struct {
	Format  string    `json:"format"` // ManifestFormat
	Time    time.Time `json:"time"`   // when the backup began (its point is a moment later)
	Source  string    `json:"source"` // the database file backed up
	File    string    `json:"file"`   // the backup's base name
	Size    int64     `json:"size"`
	SHA256  string    `json:"sha256"`
	Point   Point     `json:"point"`
	Version string    `json:"cordbank_version,omitempty"`
	// Took is how long each step of the backup took.
	Took BackupTimings `json:"took"`
}

// BackupTimings are the durations of a backup's steps, in seconds.
type BackupTimings struct {
	Copy   float64 `json:"copy_s"`   // the online backup itself
	Verify float64 `json:"verify_s"` // integrity, chain and counts of the copy
	Digest float64 `json:"digest_s"` // the SHA-256 of the file
}

// ManifestFormat names the manifest's layout.
const ManifestFormat = "cordbank-backup/v1"

// ManifestPath is where the manifest of the backup file at path lives.
func ManifestPath(path string) string { return path + ".manifest.json" }

// openPlain opens a database file on a connection pool of one that is
// not a Store: no migration, no WAL switch. The file must exist (SQLite
// would create an empty one).
func openPlain(path string, query string) (*sql.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite3", "file:"+escapePath(path)+"?_busy_timeout=10000&"+query)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// Backup copies the live database at src to dest (which must not exist)
// as one consistent snapshot, verifies the copy (see VerifyFile) against
// the source's state at the backup point, and writes the manifest beside
// it. The copy is written to dest + ".partial" and renamed into place only
// once verified, so dest is either absent or a verified backup. version is
// recorded in the manifest.
func Backup(ctx context.Context, src, dest, version string) (*Manifest, error) {
	if _, err := os.Stat(dest); err == nil {
		return nil, fmt.Errorf("backup: %s already exists", dest)
	}
	tmp := dest + ".partial"
	_ = os.Remove(tmp)        // a leftover of an interrupted backup
	taken := time.Now().UTC() // the snapshot is taken just after
	point, err := copySnapshot(ctx, src, tmp)
	if err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("backup %s: %w", src, err)
	}
	m := &Manifest{Format: ManifestFormat, Time: taken, Source: src, File: filepath.Base(dest), Point: *point, Version: version}
	step := time.Now()
	m.Took.Copy = step.Sub(taken).Seconds()
	if err := VerifyFile(ctx, tmp, point); err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("backup %s: the copy failed verification: %w", src, err)
	}
	m.Took.Verify, step = time.Since(step).Seconds(), time.Now()
	if m.Size, m.SHA256, err = fileDigest(tmp); err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("backup: %w", err)
	}
	m.Took.Digest = time.Since(step).Seconds()
	if err := os.Rename(tmp, dest); err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("backup: %w", err)
	}
	if err := writeManifest(dest, m); err != nil {
		// A backup without its manifest is refused by restore and would
		// block the next backup to dest: it is not left behind.
		os.Remove(dest)
		return nil, fmt.Errorf("backup: %w", err)
	}
	return m, nil
}

// copySnapshot backs src up into the new file tmp and returns the state
// of the snapshot it copied.
func copySnapshot(ctx context.Context, src, tmp string) (*Point, error) {
	sdb, err := openPlain(src, "_query_only=on")
	if err != nil {
		return nil, err
	}
	defer sdb.Close()
	sconn, err := sdb.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer sconn.Close()
	if _, err := sconn.ExecContext(ctx, `BEGIN DEFERRED`); err != nil {
		return nil, err
	}
	defer sconn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
	// The first read starts the snapshot the backup step then copies.
	point, err := readPoint(ctx, sconn)
	if err != nil {
		return nil, err
	}
	ddb, err := sql.Open("sqlite3", "file:"+escapePath(tmp)+"?_busy_timeout=10000")
	if err != nil {
		return nil, err
	}
	defer ddb.Close()
	dconn, err := ddb.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer dconn.Close()
	err = dconn.Raw(func(d any) error {
		return sconn.Raw(func(s any) error {
			b, err := d.(*sqlite3.SQLiteConn).Backup("main", s.(*sqlite3.SQLiteConn), "main")
			if err != nil {
				return err
			}
			done, err := b.Step(-1)
			if ferr := b.Finish(); err == nil {
				err = ferr
			}
			if err == nil && !done {
				err = errors.New("online backup stopped before the last page")
			}
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("online backup: %w", err)
	}
	// The copy carries the source's WAL flag; a backup is one
	// self-contained file, so switch it to a rollback journal (the
	// service switches a restored file back to WAL when it opens it).
	var mode string
	if err := dconn.QueryRowContext(ctx, `PRAGMA journal_mode=DELETE`).Scan(&mode); err != nil {
		return nil, fmt.Errorf("backup journal mode: %w", err)
	}
	if mode != "delete" {
		return nil, fmt.Errorf("backup journal mode is %q, want delete", mode)
	}
	if err := dconn.Close(); err != nil {
		return nil, err
	}
	if err := ddb.Close(); err != nil {
		return nil, err
	}
	return point, durable.SyncFile(tmp)
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// countedTables are the tables a Point counts, by field. Tables a schema
// version does not have yet count 0.
func (p *Point) counters() []struct {
	table string
	n     *int64
} {
	return []struct {
		table string
		n     *int64
	}{{"events", &p.Events}, {"banks", &p.Banks}, {"units", &p.Units}, {"unit_locations", &p.Placements},
		{"reservations", &p.Reservations}, {"containers", &p.Containers}, {"tokens", &p.Tokens}}
}

// readPoint reads the schema version, the chain head and the table counts.
func readPoint(ctx context.Context, q querier) (*Point, error) {
	p := &Point{}
	tables, err := tableSet(ctx, q)
	if err != nil {
		return nil, err
	}
	if tables["schema_migrations"] {
		if p.SchemaVersion, err = schemaVersion(ctx, q); err != nil {
			return nil, err
		}
	}
	for _, c := range p.counters() {
		if !tables[c.table] {
			continue
		}
		if err := q.QueryRowContext(ctx, `SELECT count(*) FROM `+c.table).Scan(c.n); err != nil {
			return nil, fmt.Errorf("count %s: %w", c.table, err)
		}
	}
	if tables["events"] {
		err := q.QueryRowContext(ctx, `SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1`).Scan(&p.HeadSeq, &p.HeadHash)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("read chain head: %w", err)
		}
	}
	return p, nil
}

func tableSet(ctx context.Context, q querier) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table'`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out[n] = true
	}
	return out, rows.Err()
}

// VerifyFile checks a database file that is not in use (a backup): SQLite's
// integrity_check and foreign_key_check pass, the audit trail is one
// intact hash chain, and the file's schema version, chain head, event
// count and table counts equal want. It opens the file read-only and
// changes nothing. The error lists what failed.
func VerifyFile(ctx context.Context, path string, want *Point) error {
	db, err := openPlain(path, "mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	// One check after the other, on one connection: a backup runs beside
	// the service, and checks side by side would take every core of a
	// small machine from it; on two cores they saved little at 1,000,000
	// units (BenchmarkBackupUnderLoad).
	if err := integrityCheck(ctx, db); err != nil {
		return err
	}
	return verifyTrail(ctx, db, want)
}

// verifyTrail checks the chain of a plain connection and its head and
// counts against want.
func verifyTrail(ctx context.Context, db *sql.DB, want *Point) error {
	got, err := readPoint(ctx, db)
	if err != nil {
		return err
	}
	if got.SchemaVersion > knownSchemaVersion() {
		return fmt.Errorf("%w: the file is at version %d, this binary knows up to %d", ErrSchemaTooNew, got.SchemaVersion, knownSchemaVersion())
	}
	sum, err := verifyChain(ctx, db, got.SchemaVersion)
	if err != nil {
		return err
	}
	var problems []string
	for _, p := range sum.Problems {
		problems = append(problems, fmt.Sprintf("audit event %d: %s", p.Seq, p.Reason))
	}
	if sum.HeadSeq != got.HeadSeq || sum.Head != got.HeadHash {
		problems = append(problems, "the chain head read in order differs from the last event")
	}
	if want != nil && *got != *want {
		problems = append(problems, fmt.Sprintf("the file's state %+v differs from the backup point %+v", *got, *want))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func integrityCheck(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	defer rows.Close()
	var msgs []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return err
		}
		if m != "ok" {
			msgs = append(msgs, m)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if len(msgs) > 0 {
		return fmt.Errorf("integrity check failed: %s", strings.Join(msgs, "; "))
	}
	var fk int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pragma_foreign_key_check`).Scan(&fk); err != nil {
		return fmt.Errorf("foreign key check: %w", err)
	}
	if fk > 0 {
		return fmt.Errorf("foreign key check: %d rows name a missing parent", fk)
	}
	return nil
}

// verifyChain reads the audit trail of a plain connection in order and
// checks it with bank.ChainVerifier. Files from before migration 0009
// have no hash_scheme column: their events are all scheme 1.
func verifyChain(ctx context.Context, db *sql.DB, schema int) (audit.VerifySummary, error) {
	var v bank.ChainVerifier
	if schema < 5 { // no audit trail yet
		return v.Finish(), nil
	}
	cols := eventColumns
	if schema < 9 {
		cols = strings.Replace(cols, "hash_scheme", "1 AS hash_scheme", 1)
	}
	if schema < 11 {
		cols = strings.Replace(cols, "stream, stream_seq", "'' AS stream, 0 AS stream_seq", 1)
	}
	after := int64(0)
	for {
		rows, err := db.QueryContext(ctx, `SELECT `+cols+` FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, after, verifyPageSize)
		if err != nil {
			return v.Finish(), fmt.Errorf("read audit trail: %w", err)
		}
		page, err := scanEvents(rows)
		if err != nil {
			return v.Finish(), err
		}
		if len(page) == 0 {
			return v.Finish(), nil
		}
		for _, e := range page {
			v.Check(e)
		}
		after = page[len(page)-1].Seq
	}
}

const verifyPageSize = 5000

// knownSchemaVersion is the schema version this binary migrates to.
func knownSchemaVersion() int {
	m, err := schema.Load(migrationFS)
	if err != nil {
		return 0
	}
	return len(m)
}

// fileDigest returns a file's size and hex SHA-256.
func fileDigest(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// SchemaVersions returns the schema version of the database file at path
// and the version this binary migrates to, without changing the file.
// An error wrapping os.ErrNotExist means there is no such file.
func SchemaVersions(ctx context.Context, path string) (current, known int, err error) {
	// Not mode=ro: a read-only connection cannot open a WAL file whose
	// -shm is gone (a service that stopped cleanly).
	db, err := openPlain(path, "_query_only=on")
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	tables, err := tableSet(ctx, db)
	if err != nil {
		return 0, 0, err
	}
	if tables["schema_migrations"] {
		if current, err = schemaVersion(ctx, db); err != nil {
			return 0, 0, err
		}
	}
	return current, knownSchemaVersion(), nil
}
