package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cordbank/cordbank/client"
)

// importHML implements "cordbank client typing import-hml FILE --bank B":
// it sends the file as it is and prints one line per sample (or its JSON
// with --output json). A refused report prints the server's error, every
// problem with its line; exit 1.
func importHML(ctx context.Context, c *client.Client, fs *flag.FlagSet, bankID string, out *printer, stderr io.Writer) int {
	const name = "typing import-hml"
	if fs.NArg() != 1 || bankID == "" {
		fmt.Fprintln(stderr, "usage: cordbank client typing import-hml FILE --bank B")
		return 2
	}
	doc, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "cordbank client %s: %v\n", name, err)
		return 2
	}
	res, err := c.ImportTypingReport(ctx, bankID, doc)
	if err != nil {
		return fail(stderr, name, err)
	}
	if out.json {
		printJSON(out.w, res)
		return 0
	}
	for _, s := range res.GetSamples() {
		outcome := strings.ToLower(strings.TrimPrefix(s.GetOutcome().String(), "TYPING_REPORT_OUTCOME_"))
		line := fmt.Sprintf("%s\t%s\t%s", s.GetUnit(), outcome, strings.Join(s.GetAlleleReleases(), ","))
		for _, part := range []struct {
			what string
			loci []string
		}{{"added", s.GetAddedLoci()}, {"updated", s.GetUpdatedLoci()}, {"kept", s.GetKeptLoci()}, {"discrepant", s.GetDiscrepantLoci()}} {
			if len(part.loci) > 0 {
				line += "\t" + part.what + " " + strings.Join(part.loci, ",")
			}
		}
		if s.GetReservation() != "" {
			line += "\tconfirmatory typing of " + s.GetReservation()
		}
		fmt.Fprintln(out.w, line)
	}
	return 0
}
