package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/genproto/googleapis/api/httpbody"

	"github.com/cordbank/cordbank/bank/names"
	"github.com/cordbank/cordbank/client"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

const interchangeUsage = `
  units import-sheet FILE --bank B    import a CSV or XLSX file of units (one a row)
         [--mapping FILE] [--dry-run] [--format csv|xlsx] [--sheet NAME]
  units export --bank B [-o FILE]     export units as CSV, XLSX or JSON
         [--format csv|xlsx|json] [--status S] [--type T] [--abo A] [--from DATE] [--to DATE]
  report inventory|ageing|reservations|excursions --bank B [-o FILE] [--format csv|xlsx|json]
         [--within-days N] [--max-age-years N] [--lapsing-within-hours N]
`

// interchangeCommands are the client commands of this file.
var interchangeCommands = map[string]bool{"units import-sheet": true, "units export": true, "report": true}

func sheetFormat(s string) (pb.SpreadsheetFormat, error) {
	if s == "" {
		return pb.SpreadsheetFormat_SPREADSHEET_FORMAT_UNSPECIFIED, nil
	}
	f, ok := pb.SpreadsheetFormat_value["SPREADSHEET_FORMAT_"+strings.ToUpper(s)]
	if !ok {
		return 0, fmt.Errorf("--format %q: csv, xlsx or json", s)
	}
	return pb.SpreadsheetFormat(f), nil
}

// enumFlag reads a flag's value as one of an enum's values, with or
// without the prefix.
func enumFlag(flagName, s, prefix string, values map[string]int32) (int32, error) {
	v, ok := values[prefix+strings.ToUpper(strings.TrimPrefix(strings.ToUpper(s), prefix))]
	if !ok {
		return 0, fmt.Errorf("--%s %q is not a value of %s*", flagName, s, prefix)
	}
	return v, nil
}

// runInterchange implements the spreadsheet and report commands.
func runInterchange(name string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cordbank client "+name, flag.ContinueOnError)
	var sf serverFlags
	sf.register(fs)
	var (
		bankID, mappingFile, format, sheet, outFile, status, unitType, abo, from, to string
		dryRun                                                                       bool
		withinDays, maxAge, lapsingHours                                             int
	)
	fs.StringVar(&bankID, "bank", "", "the bank id (required)")
	fs.StringVar(&format, "format", "", "csv, xlsx or json (an import takes it from the file name)")
	switch name {
	case "units import-sheet":
		fs.StringVar(&mappingFile, "mapping", "", "a column mapping file (`column = field [unit]` lines); default: columns named by the API's JSON field names")
		fs.BoolVar(&dryRun, "dry-run", false, "decide every row and write nothing")
		fs.StringVar(&sheet, "sheet", "", "XLSX: the sheet to read (default the first)")
	case "units export":
		fs.StringVar(&outFile, "o", "", "write to this file (default standard output)")
		fs.StringVar(&status, "status", "", "only units in this status, e.g. AVAILABLE")
		fs.StringVar(&unitType, "type", "", "only units of this type: PUBLIC, AUTOLOGOUS or DIRECTED")
		fs.StringVar(&abo, "abo", "", "only units of this ABO group: A, B, AB or O")
		fs.StringVar(&from, "from", "", "only units collected on or after this date (YYYY-MM-DD)")
		fs.StringVar(&to, "to", "", "only units collected on or before this date (YYYY-MM-DD)")
	case "report":
		fs.StringVar(&outFile, "o", "", "write to this file (default standard output)")
		fs.IntVar(&withinDays, "within-days", 0, "ageing: how far ahead to look (default 180)")
		fs.IntVar(&maxAge, "max-age-years", 0, "ageing: the search window's age limit (default 10)")
		fs.IntVar(&lapsingHours, "lapsing-within-hours", 0, "reservations: what counts as lapsing soon (default 72)")
	}
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	usage := func(msg string) int {
		fmt.Fprintf(stderr, "cordbank client %s: %s\n", name, msg)
		return 2
	}
	if bankID == "" {
		return usage("--bank is required")
	}
	f, err := sheetFormat(format)
	if err != nil {
		return usage(err.Error())
	}
	parent := names.Bank(bankID)
	c, err := sf.dial()
	if err != nil {
		return usage(err.Error())
	}
	defer c.Close()
	ctx := context.Background()
	switch name {
	case "units import-sheet":
		if fs.NArg() != 1 {
			return usage("name the file to import: units import-sheet FILE --bank B")
		}
		return importSheet(ctx, c, fs.Arg(0), &pb.ImportSpreadsheetRequest{Parent: parent, Format: f, DryRun: dryRun, Sheet: sheet},
			mappingFile, sf.output == "json", stdout, stderr)
	case "units export":
		req := &pb.ExportUnitsRequest{Parent: parent, Format: f, CollectionDateFrom: from, CollectionDateTo: to}
		for _, e := range []struct {
			flag, value, prefix string
			values              map[string]int32
			add                 func(int32)
		}{
			{"status", status, "UNIT_STATUS_", pb.UnitStatus_value, func(v int32) { req.Status = append(req.Status, pb.UnitStatus(v)) }},
			{"type", unitType, "UNIT_TYPE_", pb.UnitType_value, func(v int32) { req.UnitType = append(req.UnitType, pb.UnitType(v)) }},
			{"abo", abo, "ABO_", pb.ABO_value, func(v int32) { req.Abo = append(req.Abo, pb.ABO(v)) }},
		} {
			if e.value == "" {
				continue
			}
			v, err := enumFlag(e.flag, e.value, e.prefix, e.values)
			if err != nil {
				return usage(err.Error())
			}
			e.add(v)
		}
		return toFile(outFile, stdout, stderr, name, func(w io.Writer) error { _, err := c.ExportUnits(ctx, req, w); return err })
	case "report":
		if fs.NArg() != 1 {
			return usage("name the report: inventory, ageing, reservations or excursions")
		}
		var get func() (*httpbody.HttpBody, error)
		switch fs.Arg(0) {
		case "inventory":
			get = func() (*httpbody.HttpBody, error) {
				return c.ReportInventory(ctx, &pb.ReportInventoryRequest{Parent: parent, Format: f})
			}
		case "ageing", "aging":
			get = func() (*httpbody.HttpBody, error) {
				return c.ReportAgeingUnits(ctx, &pb.ReportAgeingUnitsRequest{Parent: parent, Format: f, WithinDays: int32(withinDays), MaxAgeYears: int32(maxAge)})
			}
		case "reservations":
			get = func() (*httpbody.HttpBody, error) {
				return c.ReportReservations(ctx, &pb.ReportReservationsRequest{Parent: parent, Format: f, LapsingWithinHours: int32(lapsingHours)})
			}
		case "excursions":
			get = func() (*httpbody.HttpBody, error) {
				return c.ReportExcursions(ctx, &pb.ReportExcursionsRequest{Parent: parent, Format: f})
			}
		default:
			return usage(fmt.Sprintf("no report %q: inventory, ageing, reservations or excursions", fs.Arg(0)))
		}
		return toFile(outFile, stdout, stderr, name, func(w io.Writer) error {
			b, err := get()
			if err != nil {
				return err
			}
			_, err = w.Write(b.GetData())
			return err
		})
	}
	return 2
}

// toFile runs write against the file name (standard output for ""); a
// file is removed again when write fails, so no cut file is left.
func toFile(name string, stdout, stderr io.Writer, cmd string, write func(io.Writer) error) int {
	if name == "" {
		if err := write(stdout); err != nil {
			return fail(stderr, cmd, err)
		}
		return 0
	}
	tmp := name + ".partial"
	f, err := os.Create(tmp)
	if err != nil {
		return fail(stderr, cmd, err)
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
		return fail(stderr, cmd, err)
	}
	return 0
}

func importSheet(ctx context.Context, c *client.Client, file string, first *pb.ImportSpreadsheetRequest, mappingFile string, asJSON bool, stdout, stderr io.Writer) int {
	const name = "units import-sheet"
	if first.Format == pb.SpreadsheetFormat_SPREADSHEET_FORMAT_UNSPECIFIED {
		switch strings.ToLower(filepath.Ext(file)) {
		case ".xlsx":
			first.Format = pb.SpreadsheetFormat_SPREADSHEET_FORMAT_XLSX
		default:
			first.Format = pb.SpreadsheetFormat_SPREADSHEET_FORMAT_CSV
		}
	}
	if mappingFile != "" {
		m, err := os.ReadFile(mappingFile)
		if err != nil {
			return fail(stderr, name, err)
		}
		first.Mapping = string(m)
	}
	f, err := os.Open(file)
	if err != nil {
		return fail(stderr, name, err)
	}
	defer f.Close()
	resp, err := c.ImportSpreadsheet(ctx, first, f)
	if err != nil {
		return fail(stderr, name, err)
	}
	if asJSON {
		printJSON(stdout, resp)
	} else {
		for _, r := range resp.GetRows() {
			switch r.GetOutcome() {
			case pb.SpreadsheetRowOutcome_SPREADSHEET_ROW_OUTCOME_FAILED:
				for _, e := range r.GetErrors() {
					fmt.Fprintln(stdout, e.GetMessage())
				}
			case pb.SpreadsheetRowOutcome_SPREADSHEET_ROW_OUTCOME_ALREADY_PRESENT:
				fmt.Fprintf(stdout, "row %d: %s already present\n", r.GetRow(), r.GetName())
			}
		}
		verb := "created"
		if resp.GetDryRun() {
			verb = "would be created"
		}
		fmt.Fprintf(stdout, "%d %s, %d already present, %d refused", resp.GetCreatedCount(), verb, resp.GetAlreadyPresentCount(), resp.GetFailedCount())
		if resp.GetDryRun() {
			fmt.Fprint(stdout, " (dry run: nothing was written)")
		}
		fmt.Fprintln(stdout)
		if len(resp.GetIgnoredColumns()) > 0 {
			fmt.Fprintf(stdout, "ignored columns: %s\n", strings.Join(resp.GetIgnoredColumns(), ", "))
		}
	}
	if resp.GetFailedCount() > 0 {
		return 1
	}
	return 0
}
