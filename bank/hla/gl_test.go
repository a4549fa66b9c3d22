package hla

import (
	"strings"
	"testing"
)

func TestParseGLStructure(t *testing.T) {
	// The example of domain.md §3.5 (genotype-list Delimiters.md).
	s := "HLA-A*02:01:44+HLA-A*24:20^HLA-B*15:29+HLA-B*82:02^HLA-C*05:42+HLA-C*12:13^HLA-DRB1*12:06~HLA-DRB4*01:03:01:01+HLA-DRB1*10:01:01~HLA-DRB3*02:02:03"
	g, err := ParseGL(s)
	if err != nil {
		t.Fatal(err)
	}
	if g.Op != OpLoci || len(g.Items) != 4 {
		t.Fatalf("top = %c with %d items", g.Op, len(g.Items))
	}
	drb := g.Items[3]
	if drb.Op != OpGenotype || drb.Items[0].Op != OpHaplotype || drb.Items[0].Items[1].Name.String() != "DRB4*01:03:01:01" {
		t.Fatalf("DRB part parsed wrong: %s", drb)
	}
	want := strings.ReplaceAll(s, "HLA-", "")
	if g.String() != want {
		t.Errorf("String() = %s\nwant      %s", g, want)
	}
	back, err := ParseGL(g.String())
	if err != nil || !back.Equal(g) {
		t.Errorf("round trip failed: %v", err)
	}
}

func TestParseGLPrecedence(t *testing.T) {
	g, err := ParseGL("A*02:69+A*23:30|A*02:302+A*23:26/A*23:39")
	if err != nil {
		t.Fatal(err)
	}
	if g.Op != OpGenotypeList || len(g.Items) != 2 {
		t.Fatalf("top op %c", g.Op)
	}
	second := g.Items[1]
	if second.Op != OpGenotype || second.Items[1].Op != OpAlleleList || len(second.Items[1].Items) != 2 {
		t.Fatalf("second genotype = %s", second)
	}
}

func TestParseGLShortForms(t *testing.T) {
	tests := map[string]string{
		"A*01:06/07":             "A*01:06/A*01:07",
		"A*01:01/02+A*03:01":     "A*01:01/A*01:02+A*03:01",
		"A*01:01/02:01":          "A*01:01/A*02:01",
		"A*01:01/04N":            "A*01:01/A*01:04N",
		"A*01:06/07/08":          "A*01:06/A*01:07/A*01:08",
		"A*02:01:01:01/02:01:02": "A*02:01:01:01/A*02:01:02",
	}
	for in, want := range tests {
		g, err := ParseGL(in)
		if err != nil {
			t.Errorf("ParseGL(%q): %v", in, err)
			continue
		}
		if g.String() != want {
			t.Errorf("ParseGL(%q) = %s, want %s", in, g, want)
		}
	}
	for _, bad := range []string{"A*01:XX/02", "A2/24", "A*01/02", "A*01:01/AB"} {
		if _, err := ParseGL(bad); err == nil {
			t.Errorf("ParseGL(%q) accepted", bad)
		}
	}
}

func TestParseGLErrors(t *testing.T) {
	tests := map[string]string{
		"":                   "empty typing",
		"A*01:01++A*02:01":   "empty item",
		"A*01:01 + A*02:01":  "unexpected \" \"",
		"hla#3.24.0#A*01:01": "GLSC wrapper",
		"A*01:01?A*02:01":    "'?' operator",
		"A*01:01+Z*02:01":    "unknown locus",
		"(A*01:01)":          "unexpected \"(\"",
	}
	for in, reason := range tests {
		_, err := ParseGL(in)
		if err == nil || !strings.Contains(err.Error(), reason) {
			t.Errorf("ParseGL(%q) error = %v, want %q", in, err, reason)
		}
	}
}

func TestGLSC(t *testing.T) {
	c, err := ParseGLSC("hla#3.24.0#HLA-A*02:01+HLA-A*24:02")
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != "3.24.0" || c.GL.String() != "A*02:01+A*24:02" {
		t.Fatalf("got %+v", c)
	}
	if got := c.String(); got != "hla#3.24.0#HLA-A*02:01+HLA-A*24:02" {
		t.Errorf("String() = %s", got)
	}
	back, err := ParseGLSC(c.String())
	if err != nil || back.Version != c.Version || !back.GL.Equal(c.GL) {
		t.Errorf("GLSC round trip: %v", err)
	}
	for _, bad := range []string{"hla#A*01:01", "kir#1#KIR2DL1*001", "hla##A*01:01"} {
		if _, err := ParseGLSC(bad); err == nil {
			t.Errorf("ParseGLSC(%q) accepted", bad)
		}
	}
}

func TestParseLocusTyping(t *testing.T) {
	ok := map[[2]string]string{
		{"A", "A*02:01+A*24:02"}:          "A*02:01+A*24:02",
		{"hla-a", "A*02:01:01G+A*24:XX"}:  "A*02:01:01G+A*24:XX",
		{"A", "A2+A24"}:                   "A2+A24",
		{"A", "A*01:AB+A*02:01"}:          "A*01:AB+A*02:01",
		{"A", "A*01:01/02+A*03:01"}:       "A*01:01/A*01:02+A*03:01",
		{"A", "NEW+A*01:01"}:              "A*NEW+A*01:01",
		{"C", "Cw3+C*07:01"}:              "Cw3+C*07:01",
		{"DRB3", "DR52"}:                  "DR52",
		{"DRB1", "DRB1*15:01~DRB1*07:01"}: "DRB1*15:01~DRB1*07:01",
		{"DQB1", "HLA-DQB1*06:02+DQ7"}:    "DQB1*06:02+DQ7",
		{"DRB1", "DRB1*04:01+DRB1*04:01"}: "DRB1*04:01+DRB1*04:01",
		{"B", "B*15:01|B*15:02+B*44:02"}:  "B*15:01|B*15:02+B*44:02",
	}
	for in, want := range ok {
		g, err := ParseLocusTyping(in[0], in[1])
		if err != nil {
			t.Errorf("ParseLocusTyping(%q, %q): %v", in[0], in[1], err)
			continue
		}
		if g.String() != want {
			t.Errorf("ParseLocusTyping(%q, %q) = %s, want %s", in[0], in[1], g, want)
		}
	}
	bad := []struct{ locus, text, token, reason string }{
		{"X", "A*01:01", "X", "unknown locus"},
		{"A", "A*01:01+B*07:02", "B*07:02", "belongs to locus B"},
		{"DRB1", "DR52", "DR52", "belongs to locus DRB3"},
		{"A", "A*01:01^B*07:02", "A*01:01^B*07:02", "'^' joins loci"},
		{"A", "A*01:01+hello", "hello", "not HLA syntax"}, {"A", "A*01:01+Q7", "Q7", "unknown serological locus"},
		{"A", "A*1:01", "A*1:01", "bad field"},
	}
	for _, tt := range bad {
		_, err := ParseLocusTyping(tt.locus, tt.text)
		p, isP := err.(*Problem)
		if !isP || p.Token != tt.token || !strings.Contains(p.Reason, tt.reason) {
			t.Errorf("ParseLocusTyping(%q, %q) = %v, want token %q reason %q", tt.locus, tt.text, err, tt.token, tt.reason)
		}
	}
}

func TestFlags(t *testing.T) {
	tests := map[string]Flags{
		"A*02:01+A*24:02":                  0,
		"A*01:01/A*01:02+A*02:01":          FlagAmbiguous,
		"DRB1*13:XX+DRB1*15:01":            FlagAmbiguous | FlagXX,
		"A*01:AB+A*02:01":                  FlagAmbiguous | FlagMAC | FlagUnresolvedMAC,
		"A*NEW+A*02:01":                    FlagAmbiguous | FlagNew,
		"A*01:01:01:02N+A*02:01":           FlagNull,
		"A2+A24":                           FlagSerology,
		"A*02+A*24":                        FlagAmbiguous,
		"A*01:01+A*02:01|A*01:02+A*02:01":  FlagAmbiguous | FlagGenotypeList,
		"DRB1*15:01~DRB5*01:01+DRB1*07:01": FlagPhased,
	}
	for in, want := range tests {
		g, err := ParseGL(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := (*Reference)(nil).Flags(g); got != want {
			t.Errorf("Flags(%s) = %s, want %s", in, got, want)
		}
	}
}
