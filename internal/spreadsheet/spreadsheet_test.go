package spreadsheet

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

func TestParseMapping(t *testing.T) {
	m, err := ParseMapping(`
# comment
DIN = din
TNC (x10^7) = cells.postProcessingTnc x1e7
CD34 = cells.postProcessingCd34 ×10⁶
Volume = collectionVolumeMl L
Collected = collectionDate dd/mm/yyyy
Remarks = -
`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range m.Columns {
		f := "-"
		if c.Field != nil {
			f = c.Field.Path
		}
		got = append(got, c.Header+"|"+f+"|"+c.Unit.DateLayout)
	}
	want := []string{"DIN|din|", "TNC (x10^7)|cells.postProcessingTnc|", "CD34|cells.postProcessingCd34|",
		"Volume|collectionVolumeMl|", "Collected|collectionDate|02/01/2006", "Remarks|-|"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	if m.Columns[1].Unit.Factor != 1e7 || m.Columns[2].Unit.Factor != 1e6 || m.Columns[3].Unit.Factor != 1000 {
		t.Errorf("factors %g %g %g", m.Columns[1].Unit.Factor, m.Columns[2].Unit.Factor, m.Columns[3].Unit.Factor)
	}
}

func TestParseMappingErrors(t *testing.T) {
	_, err := ParseMapping("DIN = din\nDIN = localId\nA = nosuch\nB = cells.cfu mL\nC = abo x1e7\nD\nE = - x1e7\nF = collectionDate YY")
	var se *Error
	if !errors.As(err, &se) {
		t.Fatalf("got %v, want *Error", err)
	}
	var lines []int
	for _, p := range se.Problems {
		lines = append(lines, p.Line)
	}
	if diff := cmp.Diff([]int{2, 3, 4, 5, 6, 7, 8}, lines); diff != "" {
		t.Errorf("problem lines (-want +got):\n%s\n%v", diff, err)
	}
}

func bind(t *testing.T, mapping string, header ...string) *Binding {
	t.Helper()
	m, err := ParseMapping(mapping)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Bind(m, header, false)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUnitConversions(t *testing.T) {
	b := bind(t, "DIN = din\nTNC = cells.postProcessingTnc x1e7\nVol = collectionVolumeMl L\nBorn = infantBirthDate DD.MM.YYYY\nABO = abo\nSeg = attachedSegments\nA = hla.A",
		"DIN", "TNC", "Vol", "Born", "ABO", "Seg", "A")
	u, errs := b.Unit([]string{" G123400000001 ", "112.5", "0.0925", "17.03.2024", "ab", "2.0", "A*02:01+A*24:02"})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want := &pb.Unit{Din: "G123400000001", Cells: &pb.CellCounts{PostProcessingTnc: 1.125e9}, CollectionVolumeMl: 92.5,
		InfantBirthDate: "2024-03-17", Abo: pb.ABO_ABO_AB, AttachedSegments: 2, Hla: []*pb.LocusTyping{{Locus: "A", Typing: "A*02:01+A*24:02"}}}
	if diff := cmp.Diff(want, u, protocmp.Transform()); diff != "" {
		t.Errorf("unit (-want +got):\n%s", diff)
	}
}

func TestCellErrors(t *testing.T) {
	b := bind(t, "", "din", "cells.postProcessingTnc", "collectionDate", "abo", "bags", "collectionVolumeMl")
	_, errs := b.Unit([]string{"G123400000001", "1,2e9", "17/03/2024", "Q", "two", "NaN", "extra"})
	var got []string
	for _, e := range errs {
		got = append(got, e.Message(5))
	}
	want := []string{
		"row 5, column cells.postProcessingTnc: 1,2e9 is not a cell count: write a number such as 1.2e9",
		"row 5, column collectionDate: 17/03/2024 is not a date written YYYY-MM-DD",
		"row 5, column abo: Q is not one of A, B, AB, O",
		"row 5, column bags: two is not a whole number",
		"row 5, column collectionVolumeMl: NaN is not a volume: write a number such as 92.5",
		"row 5: the row has 7 cells, the header 6 columns",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
}

func TestExplainCount(t *testing.T) {
	b := bind(t, "", "din", "cells.postProcessingTnc")
	for value, want := range map[string]string{"1.2": "did you mean 1.2e+09?", "120": "did you mean 1.2e+09?", "85": "did you mean 8.5e+08?"} {
		e := b.Explain([]string{"G123400000001", value}, "unit.cells.post_processing_tnc", "implausibly low")
		if !strings.HasPrefix(e.Description, value+" is not a cell count; "+want) || e.Column != "cells.postProcessingTnc" {
			t.Errorf("%s: %q (column %q)", value, e.Description, e.Column)
		}
	}
	e := b.Explain([]string{"G123400000001", "x"}, "unit.processing_date", "required")
	if e.Column != "" || e.Message(3) != "row 3, field processingDate (no column): required" {
		t.Errorf("unmapped field: %q", e.Message(3))
	}
}

func TestBindErrors(t *testing.T) {
	m, _ := ParseMapping("")
	_, err := Bind(m, []string{"din", "colour", "din", "", "status"}, false)
	var se *Error
	if !errors.As(err, &se) || len(se.Problems) != 3 {
		t.Fatalf("got %v, want three problems (colour, din twice, no header)", err)
	}
	b, err := Bind(m, []string{"\ufeffdin", "status", "createTime"}, false)
	if err != nil || len(b.Ignored) != 2 {
		t.Fatalf("a BOM before the first header and output-only columns: %v %v", err, b)
	}
}

// TestRowRoundTrip: a unit written by Row and read back by Unit under the
// default mapping is the same unit (registration fields).
func TestRowRoundTrip(t *testing.T) {
	pre, cd34, zero := 1.3e9, 3.1e6, 0.0
	u := &pb.Unit{Name: "banks/b/units/G123400000001", Din: "G123400000001", UnitType: pb.UnitType_UNIT_TYPE_DIRECTED,
		Status: pb.UnitStatus_UNIT_STATUS_AVAILABLE, LocalId: "a,\"b\"\nc", CollectionDate: "2024-03-17", ProcessingMethod: pb.ProcessingMethod_PROCESSING_METHOD_HES,
		CollectionVolumeMl: 92.5, Cells: &pb.CellCounts{PostProcessingTnc: 1.1234567890123e9, PreProcessingTnc: &pre, PostProcessingCd34: &cd34, Cfu: &zero},
		Bags: 1, Hla: []*pb.LocusTyping{{Locus: "A", Typing: "A*02:01+A*24:02"}, {Locus: "DPB1", Typing: "DPB1*04:01"}},
		Private: &pb.UnitPrivate{MaternalId: "M", MaternalHla: []*pb.LocusTyping{{Locus: "B", Typing: "B*07:02"}}}}
	for _, f := range []Format{CSV, XLSX} {
		var buf bytes.Buffer
		tw, err := NewTableWriter(f, &buf, Header())
		if err != nil {
			t.Fatal(err)
		}
		row, err := Row(u)
		if err != nil {
			t.Fatal(err)
		}
		if err := tw.Write(row); err != nil {
			t.Fatal(err)
		}
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
		var rr RowReader
		if f == CSV {
			rr, err = NewCSVReader(&buf)
		} else {
			rr, err = NewXLSXReader(buf.Bytes(), "")
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := Bind(&Mapping{}, rr.Header(), f == XLSX)
		if err != nil {
			t.Fatal(err)
		}
		n, cells, err := rr.Next()
		if err != nil || n != 2 {
			t.Fatalf("row %d: %v", n, err)
		}
		got, errs := b.Unit(cells)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		want := &pb.Unit{}
		*want = pb.Unit{Din: u.Din, UnitType: u.UnitType, LocalId: u.LocalId, CollectionDate: u.CollectionDate, ProcessingMethod: u.ProcessingMethod,
			CollectionVolumeMl: u.CollectionVolumeMl, Cells: u.Cells, Bags: u.Bags, Hla: u.Hla, Private: u.Private}
		if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
			t.Errorf("%v: read back (-want +got):\n%s", f, diff)
		}
		if _, _, err := rr.Next(); !errors.Is(err, io.EOF) {
			t.Errorf("%v: after the last row: %v", f, err)
		}
	}
}

func TestRowUnknownLocus(t *testing.T) {
	if _, err := Row(&pb.Unit{Name: "n", Hla: []*pb.LocusTyping{{Locus: "E", Typing: "E*01:01"}}}); err == nil {
		t.Error("a typing with no column was dropped silently")
	}
}

func TestXLSXDates(t *testing.T) {
	got, err := parseDate("45368", "02/01/2006", true)
	if err != nil || got != "2024-03-17" {
		t.Errorf("serial 45368: %q %v", got, err)
	}
	if _, err := parseDate("45368", "2006-01-02", false); err == nil {
		t.Error("a CSV number read as a date")
	}
}

// FuzzSpreadsheet: any mapping and any CSV: parsing, binding and reading
// rows never panic, and every cell error names its row's column.
func FuzzSpreadsheet(f *testing.F) {
	f.Add("DIN = din\nTNC = cells.postProcessingTnc x1e7\nD = collectionDate DD/MM/YYYY", "DIN,TNC,D\nG123400000001,112,17/03/2024\n")
	f.Add("", "din,cells.postProcessingTnc,hla.A,abo\nG123400000001,1.1e9,A*02:01,O\n,,,\n\"x\"\"y\",1e400,,Q,extra\n")
	f.Add("A = -\nB = bags", "A,B\n1,2.5\n")
	f.Fuzz(func(t *testing.T, mapping, file string) {
		m, err := ParseMapping(mapping)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || len(se.Problems) == 0 {
				t.Fatalf("mapping error %v is not an *Error with problems", err)
			}
			return
		}
		rr, err := NewCSVReader(strings.NewReader(file))
		if err != nil {
			return
		}
		b, err := Bind(m, rr.Header(), false)
		if err != nil {
			return
		}
		for range 100 {
			row, cells, err := rr.Next()
			if err != nil {
				return
			}
			u, errs := b.Unit(cells)
			for _, e := range errs {
				if e.Column != "" && !contains(rr.Header(), e.Column) {
					t.Fatalf("row %d: error names column %q, not in the header", row, e.Column)
				}
				_ = e.Message(row)
			}
			_ = b.Explain(cells, "unit.cells.post_processing_tnc", "implausibly low")
			if _, err := Row(u); err != nil && len(u.GetHla()) == 0 && len(u.GetPrivate().GetMaternalHla()) == 0 {
				t.Fatalf("Row of a read unit: %v", err)
			}
		}
	})
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
