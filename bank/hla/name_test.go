package hla

import (
	"errors"
	"strings"
	"testing"
)

func TestParseName(t *testing.T) {
	tests := []struct {
		in   string
		want Name
		str  string
	}{
		{"A*02:01:01:131", Name{Kind: KindAllele, Locus: "A", Fields: "02:01:01:131"}, "A*02:01:01:131"},
		{"HLA-B*15:220", Name{Kind: KindAllele, Locus: "B", Fields: "15:220"}, "B*15:220"},
		{"hla-drb1*13:01", Name{Kind: KindAllele, Locus: "DRB1", Fields: "13:01"}, "DRB1*13:01"},
		{"A*01:01:01:02N", Name{Kind: KindAllele, Locus: "A", Fields: "01:01:01:02", Suffix: 'N'}, "A*01:01:01:02N"},
		{"A*01:01:38L", Name{Kind: KindAllele, Locus: "A", Fields: "01:01:38", Suffix: 'L'}, "A*01:01:38L"},
		{"A*24:02:01:02L", Name{Kind: KindAllele, Locus: "A", Fields: "24:02:01:02", Suffix: 'L'}, ""},
		{"B*44:02:01:02S", Name{Kind: KindAllele, Locus: "B", Fields: "44:02:01:02", Suffix: 'S'}, ""},
		{"A*32:11Q", Name{Kind: KindAllele, Locus: "A", Fields: "32:11", Suffix: 'Q'}, ""},
		{"A*01:01C", Name{Kind: KindAllele, Locus: "A", Fields: "01:01", Suffix: 'C'}, ""},
		{"A*01:01A", Name{Kind: KindAllele, Locus: "A", Fields: "01:01", Suffix: 'A'}, ""},
		{"A*02", Name{Kind: KindAllele, Locus: "A", Fields: "02"}, ""},
		{"DPB1*104:01", Name{Kind: KindAllele, Locus: "DPB1", Fields: "104:01"}, ""},
		{"MICA*001", Name{Kind: KindAllele, Locus: "MICA", Fields: "001"}, ""},
		{"A*01:01:01G", Name{Kind: KindGGroup, Locus: "A", Fields: "01:01:01"}, "A*01:01:01G"},
		{"A*01:01P", Name{Kind: KindPGroup, Locus: "A", Fields: "01:01"}, "A*01:01P"},
		{"DRB1*13:XX", Name{Kind: KindXX, Locus: "DRB1", Fields: "13"}, "DRB1*13:XX"},
		{"A*01:AB", Name{Kind: KindMAC, Locus: "A", Fields: "01", Code: "AB"}, "A*01:AB"},
		{"B*08:ASXJP", Name{Kind: KindMAC, Locus: "B", Fields: "08", Code: "ASXJP"}, ""},
		{"A*NEW", Name{Kind: KindNew, Locus: "A"}, "A*NEW"},
		{"HLA-A2", Name{Kind: KindSerology, Locus: "A", Fields: "2"}, "A2"},
		{"B44", Name{Kind: KindSerology, Locus: "B", Fields: "44"}, ""},
		{"Cw3", Name{Kind: KindSerology, Locus: "Cw", Fields: "3"}, "Cw3"},
		{"C3", Name{Kind: KindSerology, Locus: "Cw", Fields: "3"}, "Cw3"},
		{"DR15", Name{Kind: KindSerology, Locus: "DR", Fields: "15"}, ""},
		{"DQ7", Name{Kind: KindSerology, Locus: "DQ", Fields: "7"}, ""},
		{"DR52", Name{Kind: KindSerology, Locus: "DR", Fields: "52"}, ""},
		{"DP1", Name{Kind: KindSerology, Locus: "DPw", Fields: "1"}, "DPw1"},
		{"Bw4", Name{Kind: KindSerology, Locus: "Bw", Fields: "4"}, ""},
		{"B3901", Name{Kind: KindSerology, Locus: "B", Fields: "3901"}, ""},
		{"A2403", Name{Kind: KindSerology, Locus: "A", Fields: "2403"}, ""},
	}
	for _, tt := range tests {
		got, err := ParseName(tt.in)
		if err != nil {
			t.Errorf("ParseName(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseName(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
		want := tt.str
		if want == "" {
			want = tt.in
		}
		if got.String() != want {
			t.Errorf("ParseName(%q).String() = %q, want %q", tt.in, got.String(), want)
		}
	}
}

func TestParseNameErrors(t *testing.T) {
	tests := []struct{ in, reason string }{
		{"X*01:01", "unknown locus \"X\""},
		{"*01:01", "missing locus"},
		{"A*", "no fields"},
		{"A*1:01", "bad field \"1\""},
		{"A*01:01:01:01:01", "more than 4 fields"},
		{"A*01:01Z", "bad suffix"},
		{"A*01G", "at least 2 fields"},
		{"A*01:A", "2 to 6 letters"},
		{"A*1:AB", "bad first field"},
		{"NEW", "NEW needs a locus"},
		{"A02", "no leading zero"},
		{"Q7", "unknown serological locus"},
		{"A", "not HLA syntax"},
		{"02:01", "not HLA syntax"},
		{"A*01:01n", "bad suffix"},
	}
	for _, tt := range tests {
		_, err := ParseName(tt.in)
		var p *Problem
		if !errors.As(err, &p) {
			t.Errorf("ParseName(%q) error = %v, want a *Problem", tt.in, err)
			continue
		}
		if p.Token != tt.in || !strings.Contains(p.Reason, tt.reason) {
			t.Errorf("ParseName(%q) = %+v, want token %q and reason containing %q", tt.in, p, tt.in, tt.reason)
		}
	}
}

func TestParseSerologyRejectsAlleles(t *testing.T) {
	if _, err := ParseSerology("A*02:01"); err == nil {
		t.Fatal("ParseSerology accepted an allele")
	}
	n, err := ParseSerology("HLA-Cw10")
	if err != nil || n.String() != "Cw10" {
		t.Fatalf("ParseSerology(HLA-Cw10) = %v, %v", n, err)
	}
}

func TestNameHelpers(t *testing.T) {
	n, _ := ParseName("A*01:01:01:02N")
	if n.NumFields() != 4 || !n.IsNull() || n.FirstField() != "01" {
		t.Fatalf("helpers wrong for %v", n)
	}
	if got := n.Truncate(2).String(); got != "A*01:01N" {
		t.Errorf("Truncate(2) = %s, want A*01:01N (suffix kept)", got)
	}
	g, _ := ParseName("A*01:01:01G")
	if got := g.Truncate(2).String(); got != "A*01:01" {
		t.Errorf("G Truncate(2) = %s", got)
	}
}

func TestNormalizeLocus(t *testing.T) {
	for in, want := range map[string]string{"a": "A", "HLA-drb1": "DRB1", " DQB1 ": "DQB1", "hla-Dpb1": "DPB1", "X": "", "Cw": ""} {
		if got := (*Reference)(nil).NormalizeLocus(in); got != want {
			t.Errorf("NormalizeLocus(%q) = %q, want %q", in, got, want)
		}
	}
}
