package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/hla"
)

// hlaReread implements "cordbank hla reread": after the operator obtains a
// newer IPD-IMGT/HLA release, it reports which units' reduced typings
// change, and with --apply stores the new readings. Exit status 1 when a
// stored typing is refused by the new release (it is left unchanged).
func hlaReread(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cordbank hla reread", flag.ContinueOnError)
	db := fs.String("db", env("CORDBANK_DB", "cordbank.db"), dbHelp)
	dir := fs.String("hla-data", env("CORDBANK_HLA_DATA", ""), "directory of the new release's WMDA files (CORDBANK_HLA_DATA)")
	apply := fs.Bool("apply", false, "store the new readings and release (default: report only)")
	output := outputFlag(fs)
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if *dir == "" {
		fmt.Fprintln(stderr, "cordbank hla reread: --hla-data is required")
		return 2
	}
	if path, ok := sqlitePath(*db); ok {
		if _, err := os.Stat(path); err != nil {
			fmt.Fprintf(stderr, "cordbank hla reread: %s: no such database\n", path)
			return 1
		}
	}
	ref, err := hla.LoadDir(*dir)
	if err != nil {
		fmt.Fprintln(stderr, "cordbank hla reread:", err)
		return 1
	}
	ctx := bank.WithCaller(context.Background(), bank.Caller{Principal: "system:cordbank-hla-reread"})
	store, err := openDB(ctx, *db, true)
	if err != nil {
		fmt.Fprintln(stderr, "cordbank hla reread:", err)
		return 1
	}
	defer store.Close()
	reader := bank.NewHLAReader(ref)
	svc := bank.NewService(store, bank.WithHLA(reader))
	sum, err := svc.RereadHLA(ctx, reader, *apply, func(c bank.HLAChange) {
		if *output == "json" {
			printJSON(stdout, map[string]string{"unit": fmt.Sprint(c.Unit), "locus": c.Locus, "aspect": fmt.Sprint(c.Aspect), "old": c.Old, "new": c.New})
			return
		}
		fmt.Fprintf(stdout, "%s\t%s\t%s\t%s -> %s\n", c.Unit, c.Locus, c.Aspect, c.Old, c.New)
	})
	if err != nil {
		fmt.Fprintln(stderr, "cordbank hla reread:", err)
		return 1
	}
	fmt.Fprintf(stderr, "release %s: %d units read, %d with changed readings, %d refused (left unchanged), %d rewritten\n",
		ref.Release(), sum.Units, sum.Changed, sum.Invalid, sum.Rewritten)
	if !*apply && sum.Units > 0 {
		fmt.Fprintln(stderr, "dry run: nothing written; run again with --apply to store the new readings")
	}
	if sum.Invalid > 0 {
		return 1
	}
	return 0
}
