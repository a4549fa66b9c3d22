package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/server/servertest"
)

// TestClientSpreadsheetCommands runs the README's "Bringing your
// inventory in" commands on the shipped sample: the dry run (exit 1: two
// rows are refused), the import, an XLSX export read back as already
// present, and the reports.
func TestClientSpreadsheetCommands(t *testing.T) {
	srv, err := servertest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if _, err := srv.Service.CreateBank(context.Background(), &bank.Bank{ID: "mybank", DisplayName: "My Cord Blood Bank", FIN: "G5678", Country: "US"}, ""); err != nil {
		t.Fatal(err)
	}
	server := []string{"--server", srv.GRPCAddr, "--token", srv.AdminToken()}
	cli := func(wantCode int, args ...string) string {
		t.Helper()
		code, out, errOut := runCLI(append(append([]string{"client"}, args...), server...)...)
		if code != wantCode {
			t.Fatalf("cordbank client %s: exit %d, want %d: %s%s", strings.Join(args, " "), code, wantCode, out, errOut)
		}
		return out
	}
	sample, mapping := "../../docs/examples/inventory.csv", "../../docs/examples/inventory.mapping"
	out := cli(1, "units", "import-sheet", sample, "--mapping", mapping, "--bank", "mybank", "--dry-run")
	if !strings.Contains(out, "48 would be created, 0 already present, 2 refused (dry run: nothing was written)\nignored columns: Comments\n") ||
		!strings.Contains(out, "row 51, column ABO: 0 is not one of A, B, AB, O\n") {
		t.Errorf("dry run:\n%s", out)
	}
	out = cli(1, "units", "import-sheet", sample, "--mapping", mapping, "--bank", "mybank")
	if !strings.Contains(out, "48 created, 0 already present, 2 refused\n") {
		t.Errorf("import:\n%s", out)
	}
	xlsx := filepath.Join(t.TempDir(), "mybank.xlsx")
	cli(0, "units", "export", "--bank", "mybank", "--format", "xlsx", "-o", xlsx)
	out = cli(0, "units", "import-sheet", xlsx, "--bank", "mybank", "--dry-run")
	if !strings.Contains(out, "0 would be created, 48 already present, 0 refused") {
		t.Errorf("the export read back:\n%s", out)
	}
	if out := cli(0, "units", "export", "--bank", "mybank", "--status", "quarantine", "--abo", "O"); strings.Count(out, "\n") < 2 || !strings.HasPrefix(out, "name,din,") {
		t.Errorf("filtered CSV export:\n%.300s", out)
	}
	if out := cli(0, "report", "inventory", "--bank", "mybank"); !strings.HasPrefix(out, "dimension,value,units\ntotal,,48\n") {
		t.Errorf("inventory report:\n%s", out)
	}
	if out := cli(0, "report", "ageing", "--bank", "mybank", "--within-days", "365"); !strings.HasPrefix(out, "unit,din,unitType,status,collectionDate,leavesSearchWindow,daysLeft\n") {
		t.Errorf("ageing report:\n%s", out)
	}
	cli(0, "report", "reservations", "--bank", "mybank", "--lapsing-within-hours", "48")
	exc := filepath.Join(t.TempDir(), "excursions.xlsx")
	cli(0, "report", "excursions", "--bank", "mybank", "--format", "xlsx", "-o", exc)
	if st, err := os.Stat(exc); err != nil || st.Size() == 0 {
		t.Errorf("excursions report file: %v", err)
	}
	if code, _, errOut := runCLI(append([]string{"client", "report", "nonsense", "--bank", "mybank"}, server...)...); code != 2 || !strings.Contains(errOut, "no report") {
		t.Errorf("unknown report: exit %d: %s", code, errOut)
	}
	// A failed export leaves no file behind.
	bad := filepath.Join(t.TempDir(), "none.csv")
	if code, _, _ := runCLI(append([]string{"client", "units", "export", "--bank", "nosuchbank", "-o", bad}, server...)...); code != 1 {
		t.Errorf("export of an unknown bank: exit %d", code)
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Errorf("a failed export left %s: %v", bad, err)
	}
}
