package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/cordbank/cordbank/internal/store/sqlite"
)

// runBackup implements "cordbank backup": an online, verified copy of a
// database that may be in use by a running service.
func runBackup(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cordbank backup", flag.ContinueOnError)
	db := fs.String("db", "cordbank.db", "SQLite database file to back up; the service may be running (CORDBANK_DB)")
	to := fs.String("to", "", "backup file to create (must not exist); its manifest is written to FILE.manifest.json (CORDBANK_BACKUP_TO)")
	output := outputFlag(fs)
	if err := envFlags(fs, map[string]string{"db": "CORDBANK_DB", "to": "CORDBANK_BACKUP_TO"}); err != nil {
		fmt.Fprintln(stderr, "cordbank backup:", err)
		return 2
	}
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if *to == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: cordbank backup [--db FILE] --to FILE")
		return 2
	}
	path, ok := sqlitePath(*db)
	if !ok {
		fmt.Fprintln(stderr, "cordbank backup:", errNotOnPostgres("cordbank backup"))
		return 2
	}
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintf(stderr, "cordbank backup: %s: no such database\n", path)
		return 1
	}
	m, err := sqlite.Backup(context.Background(), path, *to, version())
	if err != nil {
		fmt.Fprintln(stderr, "cordbank backup:", err)
		return 1
	}
	printManifest(stdout, *output, "backup", *to, m)
	return 0
}

// printManifest prints a verified backup's manifest: as text, or with
// --output json as the manifest file's own JSON on one line.
func printManifest(w io.Writer, output, what, path string, m *sqlite.Manifest) {
	if output == "json" {
		printJSON(w, m)
		return
	}
	p := m.Point
	fmt.Fprintf(w, "%s: %s (verified)\ntaken: %s\nschema version: %d\nevents: %d\nhead hash: %s\nunits: %d, placements: %d, reservations: %d, containers: %d, banks: %d, tokens: %d\nsha256: %s\n",
		what, path, m.Time.Format("2006-01-02T15:04:05Z07:00"), p.SchemaVersion, p.Events, p.HeadHash,
		p.Units, p.Placements, p.Reservations, p.Containers, p.Banks, p.Tokens, m.SHA256)
}

// runRestore implements "cordbank restore": put a verified backup in
// place of a database the service does not have open.
func runRestore(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cordbank restore", flag.ContinueOnError)
	from := fs.String("from", "", "backup file made by cordbank backup, with its FILE.manifest.json (CORDBANK_RESTORE_FROM)")
	db := fs.String("db", "cordbank.db", "database file to replace; stop the service first. The current file is kept as FILE.before-restore-TIME (CORDBANK_DB)")
	check := fs.Bool("check", false, "check the backup against its manifest and stop: replace nothing (CORDBANK_RESTORE_CHECK)")
	output := outputFlag(fs)
	if err := envFlags(fs, map[string]string{"from": "CORDBANK_RESTORE_FROM", "db": "CORDBANK_DB", "check": "CORDBANK_RESTORE_CHECK"}); err != nil {
		fmt.Fprintln(stderr, "cordbank restore:", err)
		return 2
	}
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if *from == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: cordbank restore --from BACKUP [--db FILE] [--check]")
		return 2
	}
	ctx := context.Background()
	if *check {
		m, err := sqlite.CheckBackup(ctx, *from)
		if err != nil {
			fmt.Fprintf(stderr, "cordbank restore: %s is refused: %v\n", *from, err)
			return 1
		}
		printManifest(stdout, *output, "backup", *from, m)
		return 0
	}
	path, ok := sqlitePath(*db)
	if !ok {
		fmt.Fprintln(stderr, "cordbank restore:", errNotOnPostgres("cordbank restore"))
		return 2
	}
	m, replaced, err := sqlite.Restore(ctx, *from, path)
	if err != nil {
		if errors.Is(err, sqlite.ErrInUse) {
			fmt.Fprintln(stderr, "cordbank restore:", err)
		} else {
			fmt.Fprintf(stderr, "cordbank restore: %s is refused, nothing was replaced: %v\n", *from, err)
		}
		return 1
	}
	printManifest(stdout, *output, "restored", *db, m)
	if *output == "json" {
		if replaced != "" {
			fmt.Fprintf(stderr, "cordbank restore: the database it replaced is kept as %s\n", replaced)
		}
		return 0
	}
	if replaced != "" {
		fmt.Fprintf(stdout, "the database it replaced is kept as %s\n", replaced)
	}
	fmt.Fprintf(stdout, "every change after %s is not in the restored database; if the service signs audit checkpoints, start it with a new --checkpoint-log and keep the old one\n", m.Time.Format("2006-01-02T15:04:05Z07:00"))
	return 0
}
