package server_test

import (
	"context"
	"encoding/csv"
	"flag"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cordbank/cordbank/internal/synth"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

var updateExample = flag.Bool("update-example", false, "rewrite docs/examples/inventory.csv from internal/synth")

const (
	examplePath    = "../docs/examples/inventory.csv"
	exampleMapping = "../docs/examples/inventory.mapping"
)

// exampleInventory is the README's sample file: 48 synthetic units of
// bank mybank (FIN G5678) in a bank's own columns and units, and two rows
// with the mistakes spreadsheets hold.
func exampleInventory() []byte {
	g := synth.New("mybank", "G5678", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 2026)
	header := []string{"DIN", "Local ID", "Type", "Collected", "Processed", "Frozen", "Method", "Reduction", "Born", "Sex", "ABO", "Rh",
		"Ethnicity", "Volume (mL)", "TNC before (x10^7)", "TNC (x10^7)", "CD34 (x10^6)", "Viability (%)", "Bags", "Compartments",
		"Segments", "IDM", "HLA-A", "HLA-B", "HLA-C", "HLA-DRB1", "HLA-DPB1", "Comments"}
	var sb strings.Builder
	w := csv.NewWriter(&sb)
	_ = w.Write(header)
	dmy := func(s string) string { return s[8:10] + "/" + s[5:7] + "/" + s[0:4] }
	// scaled writes x in units of 10^e as a decimal ("112.3").
	scaled := func(x float64, e int) string {
		m, exp, _ := strings.Cut(strconv.FormatFloat(x, 'e', -1, 64), "e")
		n, _ := strconv.Atoi(exp)
		v, _ := strconv.ParseFloat(m+"e"+strconv.Itoa(n-e), 64)
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	for i := range 50 {
		u := toWire(g.Unit())
		c := u.GetCells()
		hla := map[string]string{}
		for _, t := range u.GetHla() {
			hla[t.GetLocus()] = t.GetTyping()
		}
		cd34 := ""
		if c.PostProcessingCd34 != nil {
			cd34 = scaled(c.GetPostProcessingCd34(), 6)
		}
		row := []string{u.GetDin(), u.GetLocalId(), "Public", dmy(u.GetCollectionDate()), dmy(u.GetProcessingDate()), dmy(u.GetFreezeDate()),
			strings.TrimPrefix(u.GetProcessingMethod().String(), "PROCESSING_METHOD_"), strings.TrimPrefix(u.GetReduction().String(), "REDUCTION_"),
			dmy(u.GetInfantBirthDate()), strings.TrimPrefix(u.GetInfantSex().String(), "SEX_"), strings.TrimPrefix(u.GetAbo().String(), "ABO_"),
			strings.TrimPrefix(u.GetRh().String(), "RH_"), u.GetEthnicity(), strconv.FormatFloat(u.GetCollectionVolumeMl(), 'f', -1, 64),
			scaled(c.GetPreProcessingTnc(), 7), scaled(c.GetPostProcessingTnc(), 7), cd34, strconv.FormatFloat(c.GetViabilityPercent(), 'f', -1, 64),
			strconv.Itoa(int(u.GetBags())), strconv.Itoa(int(u.GetCompartmentsPerBag())), strconv.Itoa(int(u.GetAttachedSegments())),
			strings.TrimPrefix(u.GetIdm().String(), "IDM_RESULT_"), hla["A"], hla["B"], hla["C"], hla["DRB1"], hla["DPB1"], ""}
		switch i {
		case 48: // the TNC as a count of cells, in the 10^7 column
			row[15] = scaled(c.GetPostProcessingTnc(), 0)
			row[27] = "TNC typed in cells"
		case 49: // a date that does not exist, and the digit zero for group O
			row[3], row[10] = "31/02/2024", "0"
			row[27] = "typo"
		}
		_ = w.Write(row)
	}
	w.Flush()
	return []byte(sb.String())
}

// TestExampleInventory: the sample file is what internal/synth makes
// (go test ./server -run TestExampleInventory -update-example rewrites
// it), and the README's commands give what the README shows: the dry run
// of the sample with its mapping, and its messages.
func TestExampleInventory(t *testing.T) {
	want := exampleInventory()
	if *updateExample {
		if err := os.WriteFile(examplePath, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s differs from what internal/synth makes: run go test ./server -run TestExampleInventory -update-example", examplePath)
	}
	mapping, err := os.ReadFile(exampleMapping)
	if err != nil {
		t.Fatal(err)
	}
	srv, reg := start(t)
	if _, err := reg.CreateBank(context.Background(), &pb.CreateBankRequest{BankId: "mybank", Bank: &pb.Bank{
		DisplayName: "My Cord Blood Bank", Fin: "G5678", Country: "US"}}); err != nil {
		t.Fatal(err)
	}
	c := sdk(t, srv, srv.AdminToken())
	resp, err := c.ImportSpreadsheet(context.Background(), &pb.ImportSpreadsheetRequest{Parent: "banks/mybank",
		Format: pb.SpreadsheetFormat_SPREADSHEET_FORMAT_CSV, Mapping: string(mapping), DryRun: true}, strings.NewReader(string(got)))
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetCreatedCount() != 48 || resp.GetFailedCount() != 2 {
		t.Fatalf("dry run: %d created, %d refused: %v", resp.GetCreatedCount(), resp.GetFailedCount(), firstFailures(resp))
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	// Every message the dry run gives is quoted in the README as it is.
	for _, m := range firstFailures(resp) {
		if !strings.Contains(string(readme), m) {
			t.Errorf("README does not show the dry run's message\n%s", m)
		}
	}
	for _, cmd := range regexp.MustCompile(`bin/cordbank client (units import-sheet|units export|report) [^\n]*`).FindAllString(string(readme), -1) {
		for _, f := range regexp.MustCompile(`docs/examples/\S+`).FindAllString(cmd, -1) {
			if _, err := os.Stat("../" + f); err != nil {
				t.Errorf("README command %q names %s: %v", cmd, f, err)
			}
		}
	}
	if !strings.Contains(string(readme), "48 would be created, 0 already present, 2 refused (dry run: nothing was written)") {
		t.Error("README does not show the dry run's summary line")
	}
}
