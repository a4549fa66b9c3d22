package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/internal/store/postgres"
	"github.com/cordbank/cordbank/internal/store/rowenc"
	"github.com/cordbank/cordbank/internal/store/sqlite"
)

// runMigrateStore implements "cordbank migrate-store": copy a whole SQLite
// database into an empty PostgreSQL one, then prove the copy.
//
// The copy is of rows, not of domain values: every table of the shared
// schema (rowenc.Tables) is read in one SQLite read transaction (one
// snapshot) and streamed into PostgreSQL with COPY in one write
// transaction, so the audit events keep their hashes byte for byte and a
// failed copy leaves the target empty. Then it checks the copy: each
// table's row count against the snapshot and the source, the audit head
// (sequence and hash) against the source's, the whole hash chain
// (VerifyEvents) and the tables against the trail (VerifyState), both
// through the domain on the copy.
func runMigrateStore(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cordbank migrate-store", flag.ContinueOnError)
	from := fs.String("from", "", "the SQLite database to copy: sqlite:FILE or a path (stop the service first)")
	to := fs.String("to", "", "the PostgreSQL database to copy into, empty: postgres://USER@HOST:PORT/DATABASE")
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	src, ok := sqlitePath(*from)
	if *from == "" || *to == "" || !ok || !postgres.IsURL(*to) || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: cordbank migrate-store --from sqlite:FILE --to postgres://USER@HOST:PORT/DATABASE")
		return 2
	}
	if _, err := os.Stat(src); err != nil {
		fmt.Fprintf(stderr, "cordbank migrate-store: %s: no such database\n", src)
		return 1
	}
	ctx := context.Background()
	if err := migrateStore(ctx, src, *to, stdout, slog.New(slog.NewTextHandler(stderr, nil))); err != nil {
		fmt.Fprintln(stderr, "cordbank migrate-store:", err)
		return 1
	}
	return 0
}

func migrateStore(ctx context.Context, srcPath, dstURL string, stdout io.Writer, log *slog.Logger) error {
	// Opening the source brings it to the current schema; keep a copy of
	// an older one first, as migrate does.
	if err := backupBeforeMigration(ctx, srcPath, "", log); err != nil {
		return err
	}
	src, err := sqlite.Open(ctx, srcPath)
	if err != nil {
		return fmt.Errorf("open %s: %w", srcPath, err)
	}
	defer src.Close()
	dst, err := postgres.Open(ctx, dstURL)
	if err != nil {
		return fmt.Errorf("open %s: %w", redactURL(dstURL), err)
	}
	defer dst.Close()

	copied := map[string]int64{}
	err = dst.LoadTables(ctx, func(load func(string, []string, postgres.Rows) (int64, error)) error {
		return src.DumpTables(ctx, rowenc.Tables, func(table string, cols []string, rows sqlite.TableRows) error {
			n, err := load(table, cols, rows)
			if err != nil {
				return err
			}
			copied[table] = n
			fmt.Fprintf(stdout, "copied %-20s %d rows\n", table, n)
			return nil
		})
	})
	if errors.Is(err, postgres.ErrNotEmpty) {
		return fmt.Errorf("%w: copy only into an empty database (createdb a new one)", err)
	}
	if err != nil {
		return fmt.Errorf("copy (nothing was kept in %s): %w", redactURL(dstURL), err)
	}
	return verifyCopy(ctx, src, dst, copied, stdout)
}

// verifyCopy proves the copy; any difference is an error.
func verifyCopy(ctx context.Context, src *sqlite.Store, dst *postgres.Store, copied map[string]int64, stdout io.Writer) error {
	var problems []error
	for _, table := range rowenc.Tables {
		s, err := src.CountTable(ctx, table)
		if err != nil {
			return err
		}
		d, err := dst.CountTable(ctx, table)
		if err != nil {
			return err
		}
		if s != copied[table] || d != copied[table] {
			problems = append(problems, fmt.Errorf("%s: %d rows in the source, %d copied, %d in the copy (was the service still writing?)", table, s, copied[table], d))
		}
	}
	srcHead, err := lastEvent(ctx, src)
	if err != nil {
		return err
	}
	dstHead, err := lastEvent(ctx, dst)
	if err != nil {
		return err
	}
	if srcHead.Seq != dstHead.Seq || srcHead.Hash != dstHead.Hash {
		problems = append(problems, fmt.Errorf("audit head: source event %d %s, copy event %d %s", srcHead.Seq, srcHead.Hash, dstHead.Seq, dstHead.Hash))
	}
	svc := bank.NewService(dst)
	chain, err := svc.VerifyEvents(ctx)
	if err != nil {
		return fmt.Errorf("verify the copy's audit trail: %w", err)
	}
	for _, p := range chain.Problems {
		problems = append(problems, fmt.Errorf("audit trail of the copy: %v", p))
	}
	if chain.Head != srcHead.Hash {
		problems = append(problems, fmt.Errorf("the copy's verified head %s is not the source's %s", chain.Head, srcHead.Hash))
	}
	state, err := svc.VerifyState(ctx)
	if err != nil {
		return fmt.Errorf("verify the copy's tables against its trail: %w", err)
	}
	for _, d := range state.Differences {
		problems = append(problems, fmt.Errorf("tables of the copy: %+v", d))
	}
	if len(problems) > 0 {
		return fmt.Errorf("the copy does not verify: %w", errors.Join(problems...))
	}
	fmt.Fprintf(stdout, "verified: row counts equal; audit head event %d, hash %s, the same in both; chain of %d events verifies; %d resources match their trail\n",
		dstHead.Seq, dstHead.Hash, chain.Events, state.Resources)
	return nil
}

// head is the audit head of a store: (0, "") for an empty trail.
type head struct {
	Seq  int64
	Hash string
}

func lastEvent(ctx context.Context, s bank.Store) (head, error) {
	var h head
	err := s.Read(ctx, func(tx bank.ReadTx) error {
		e, err := tx.LastEvent(ctx)
		if e != nil {
			h = head{e.Seq, e.Hash}
		}
		return err
	})
	return h, err
}
