package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/internal/store/sqlite"
)

// runAudit implements "cordbank audit <command>".
func runAudit(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(stderr, "usage: cordbank audit verify [--db FILE]")
		return 2
	}
	return auditVerify(args[1:], stdout, stderr)
}

// auditVerify implements "cordbank audit verify": it reads the whole audit
// trail of a database and checks its hash chain. It prints the number of
// events checked, the head hash (to publish or escrow: a later
// verification that still reaches it proves nothing before it was
// rewritten) and every problem found. Exit status 1 when the chain is
// broken or the trail cannot be read.
func auditVerify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cordbank audit verify", flag.ContinueOnError)
	db := fs.String("db", env("CORDBANK_DB", "cordbank.db"), "SQLite database file (CORDBANK_DB)")
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	// Opening creates a missing database: verifying an empty new file
	// would report a valid, empty trail for a mistyped path.
	if _, err := os.Stat(*db); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "cordbank audit verify: %s: no such database\n", *db)
		return 1
	}
	ctx := bank.WithCaller(context.Background(), bank.Caller{Principal: "system:cordbank-audit-verify"})
	store, err := sqlite.Open(ctx, *db)
	if err != nil {
		fmt.Fprintln(stderr, "cordbank audit verify:", err)
		return 1
	}
	defer store.Close()
	sum, err := bank.NewService(store).VerifyEvents(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "cordbank audit verify:", err)
		return 1
	}
	fmt.Fprintf(stdout, "events checked: %d\nhead hash: %s\n", sum.Events, sum.Head)
	if len(sum.Problems) == 0 {
		fmt.Fprintln(stdout, "problems: none: the chain is intact")
		return 0
	}
	fmt.Fprintf(stdout, "problems: %d (the first 100 are listed)\n", len(sum.Problems))
	for _, p := range sum.Problems {
		fmt.Fprintf(stdout, "  event %d: %s\n", p.Seq, p.Reason)
	}
	return 1
}
