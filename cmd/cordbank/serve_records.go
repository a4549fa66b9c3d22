package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/internal/checkpoint"
	"github.com/cordbank/cordbank/internal/store/sqlite"
	"github.com/cordbank/cordbank/server"
)

// recordsConfig is serve's configuration of backups and audit checkpoints.
type recordsConfig struct {
	backupDir       string
	backupEvery     time.Duration
	backupKeep      int
	checkpointKey   string
	checkpointLog   string
	checkpointEvery time.Duration
}

// recordsEnv are the environment variables of recordsFlags.
var recordsEnv = map[string]string{
	"backup-dir": "CORDBANK_BACKUP_DIR", "backup-every": "CORDBANK_BACKUP_EVERY", "backup-keep": "CORDBANK_BACKUP_KEEP",
	"checkpoint-key": "CORDBANK_CHECKPOINT_KEY", "checkpoint-log": "CORDBANK_CHECKPOINT_LOG", "checkpoint-every": "CORDBANK_CHECKPOINT_EVERY",
}

func recordsFlags(fs *flag.FlagSet, c *recordsConfig) {
	fs.StringVar(&c.backupDir, "backup-dir", "", "directory for scheduled backups (and the backup taken before a migration); empty: no scheduled backups (CORDBANK_BACKUP_DIR)")
	fs.DurationVar(&c.backupEvery, "backup-every", 6*time.Hour, "how often to back up into --backup-dir (CORDBANK_BACKUP_EVERY)")
	fs.IntVar(&c.backupKeep, "backup-keep", 28, "how many scheduled backups to keep in --backup-dir; older ones are deleted (CORDBANK_BACKUP_KEEP)")
	fs.StringVar(&c.checkpointKey, "checkpoint-key", "", "Ed25519 key file that signs audit checkpoints, generated on first use (with KEY.pub); keep it off the database's disk and out of its backups. Empty: no checkpoints (CORDBANK_CHECKPOINT_KEY)")
	fs.StringVar(&c.checkpointLog, "checkpoint-log", "", "file the signed checkpoints are appended to; default KEY.checkpoints (CORDBANK_CHECKPOINT_LOG)")
	fs.DurationVar(&c.checkpointEvery, "checkpoint-every", time.Minute, "how often to sign the audit chain's head when it moved; also signed at start and shutdown (CORDBANK_CHECKPOINT_EVERY)")
}

func (c *recordsConfig) validate() error {
	var bad []string
	if c.backupEvery <= 0 {
		bad = append(bad, "--backup-every must be positive")
	}
	if c.backupKeep < 1 {
		bad = append(bad, "--backup-keep must be at least 1")
	}
	if c.checkpointEvery <= 0 {
		bad = append(bad, "--checkpoint-every must be positive")
	}
	if c.checkpointLog != "" && c.checkpointKey == "" {
		bad = append(bad, "--checkpoint-log needs --checkpoint-key")
	}
	if c.checkpointKey != "" && c.checkpointLog == "" {
		c.checkpointLog = c.checkpointKey + ".checkpoints"
	}
	if len(bad) > 0 {
		return errors.New(strings.Join(bad, "; "))
	}
	return nil
}

// scheduledPrefix names the backups the schedule takes and prunes; the
// backup before a migration has another name and is never pruned.
const scheduledPrefix = "cordbank-"

// backupName is a backup file name that sorts by time.
func backupName(prefix string, t time.Time) string {
	return prefix + t.UTC().Format("20060102T150405.000Z") + ".db"
}

// backupBeforeMigration backs the database up when this binary is about
// to migrate it: into dir, or beside the database without --backup-dir.
// A new database, or one at the current schema, needs none.
func backupBeforeMigration(ctx context.Context, db, dir string, log *slog.Logger) error {
	cur, known, err := sqlite.SchemaVersions(ctx, db)
	if errors.Is(err, os.ErrNotExist) || (err == nil && (cur == 0 || cur >= known)) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if dir == "" {
		dir = filepath.Dir(db)
	}
	dest := filepath.Join(dir, backupName(fmt.Sprintf("%s.pre-migration-v%d-", filepath.Base(db), cur), time.Now()))
	m, err := sqlite.Backup(ctx, db, dest, version())
	if err != nil {
		return fmt.Errorf("backup before migrating from schema %d to %d: %w", cur, known, err)
	}
	log.Info("backed up before migrating", "file", dest, "from_schema", cur, "to_schema", known, "events", m.Point.Events, "sha256", m.SHA256)
	return nil
}

// backupNow takes one scheduled backup into dir and prunes the oldest
// beyond keep.
func backupNow(ctx context.Context, db, dir string, keep int, log *slog.Logger) error {
	dest := filepath.Join(dir, backupName(scheduledPrefix, time.Now()))
	start := time.Now()
	m, err := sqlite.Backup(ctx, db, dest, version())
	if err != nil {
		return err
	}
	log.Info("backup taken", "file", dest, "duration", time.Since(start).Round(time.Millisecond), "events", m.Point.Events,
		"head", m.Point.HeadHash, "units", m.Point.Units, "bytes", m.Size, "sha256", m.SHA256)
	removed, err := pruneBackups(dir, keep)
	for _, r := range removed {
		log.Info("old backup removed", "file", r)
	}
	return err
}

// pruneBackups deletes the oldest scheduled backups of dir (and their
// manifests) so that keep remain, and returns what it removed.
func pruneBackups(dir string, keep int) ([]string, error) {
	matched, err := filepath.Glob(filepath.Join(dir, scheduledPrefix+"*.db"))
	if err != nil {
		return nil, err
	}
	// Only names backupName(scheduledPrefix, t) makes: a pre-migration
	// backup of a database named cordbank-*.db matches the glob too, and
	// is never pruned.
	var files []string
	for _, f := range matched {
		stamp := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), scheduledPrefix), ".db")
		if _, err := time.Parse("20060102T150405.000Z", stamp); err == nil {
			files = append(files, f)
		}
	}
	sort.Strings(files) // names sort by time
	var removed []string
	for len(files) > keep {
		f := files[0]
		files = files[1:]
		if err := os.Remove(f); err != nil {
			return removed, err
		}
		if err := os.Remove(sqlite.ManifestPath(f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return removed, err
		}
		removed = append(removed, f)
	}
	return removed, nil
}

// scheduleBackups backs up every interval until ctx ends.
func scheduleBackups(ctx context.Context, c *serveConfig, log *slog.Logger, m *server.Metrics) {
	m.WatchBackups()
	repeat(ctx, c.records.backupEvery, func() {
		path, _ := sqlitePath(c.db) // serve refuses --backup-dir on PostgreSQL
		err := backupNow(ctx, path, c.records.backupDir, c.records.backupKeep, log)
		if ctx.Err() != nil {
			return
		}
		m.BackupDone(time.Now(), err)
		if err != nil {
			log.Error("scheduled backup failed", "err", err, "dir", c.records.backupDir)
		}
	})
}

// startCheckpoints loads (or creates) the signing key, checks that the
// trail still holds the log's latest checkpoint, and signs the head. It
// refuses to go on over a trail that lost a signed head: signing on would
// bury the evidence. nil signer when checkpoints are off.
func startCheckpoints(ctx context.Context, c *recordsConfig, db string, svc *bank.Service, log *slog.Logger, stdout io.Writer) (*checkpoint.Signer, error) {
	if c.checkpointKey == "" {
		log.Warn("no --checkpoint-key: the audit chain's head is not signed, so a truncated or rebuilt trail is not detectable")
		return nil, nil
	}
	if sameDir(c.checkpointKey, db) || (c.backupDir != "" && sameDir(c.checkpointKey, filepath.Join(c.backupDir, "x"))) {
		log.Warn("the checkpoint key is in the directory of the database or its backups: whoever can rewrite one can likely read the other; keep the key elsewhere", "key", c.checkpointKey)
	}
	key, created, err := checkpoint.LoadOrCreateKey(c.checkpointKey)
	if err != nil {
		return nil, err
	}
	if created {
		fmt.Fprintf(stdout, "cordbank: created the audit checkpoint key %s (public key %s.pub). Keep a copy of the key away from the database's disk and out of its backups, and give auditors the .pub file: whoever holds the key can sign a rewritten trail.\n", c.checkpointKey, c.checkpointKey)
	}
	cpLog := checkpoint.OpenLog(c.checkpointLog)
	latest, err := cpLog.Latest(key.Public().(ed25519.PublicKey))
	switch {
	case errors.Is(err, checkpoint.ErrNoCheckpoint):
		latest = nil
	case err != nil:
		return nil, err
	default:
		if err := svc.HoldsCheckpoint(ctx, latest); err != nil {
			return nil, fmt.Errorf("%w. The database was rolled back or rewritten since %s. Find out why (cordbank audit verify --checkpoint-log); if you restored a backup on purpose, start with a new --checkpoint-log and keep the old one", err, c.checkpointLog)
		}
	}
	s := checkpoint.NewSigner(svc, key, cpLog, latest)
	if _, err := s.Sign(ctx, time.Now()); err != nil {
		return nil, err
	}
	log.Info("audit checkpoints on", "log", c.checkpointLog, "every", c.checkpointEvery)
	return s, nil
}

// signCheckpoint signs the head now and logs what it signed.
func signCheckpoint(ctx context.Context, s *checkpoint.Signer, log *slog.Logger) {
	cp, err := s.Sign(ctx, time.Now())
	switch {
	case err != nil && ctx.Err() == nil:
		log.Error("audit checkpoint failed", "err", err)
	case cp != nil:
		log.Info("audit checkpoint signed", "seq", cp.Seq, "head", cp.Head)
	}
}

// scheduleCheckpoints signs the head every interval until ctx ends.
func scheduleCheckpoints(ctx context.Context, s *checkpoint.Signer, every time.Duration, log *slog.Logger) {
	repeat(ctx, every, func() { signCheckpoint(ctx, s, log) })
}

// sameDir reports whether two files are in one directory.
func sameDir(a, b string) bool {
	da, err1 := filepath.Abs(filepath.Dir(a))
	db, err2 := filepath.Abs(filepath.Dir(b))
	return err1 == nil && err2 == nil && da == db
}
