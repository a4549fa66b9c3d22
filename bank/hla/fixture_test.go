package hla

import (
	"strings"
	"testing"
)

// The fixtures in testdata/imgt-mini (release "9.0.0") and
// testdata/imgt-mini-next ("9.1.0") are invented, format-faithful WMDA
// files that exercise every code path without the real IMGT files.

func loadFixture(t testing.TB, dir string) *Reference {
	t.Helper()
	r, err := LoadDir("testdata/" + dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func reduceString(t *testing.T, r *Reference, typing string, to Level) string {
	t.Helper()
	g, err := r.ParseGL(typing)
	if err != nil {
		t.Fatalf("ParseGL(%q): %v", typing, err)
	}
	out, err := r.Reduce(g, to)
	if err != nil {
		return "error: " + err.Error()
	}
	back, err := r.ParseGL(out.String())
	if err != nil || !back.Equal(out) {
		t.Errorf("reduced %s does not round-trip: %v", out, err)
	}
	return out.String()
}

func TestFixtureRelease(t *testing.T) {
	r := loadFixture(t, "imgt-mini")
	if r.Release() != "9.0.0" {
		t.Fatalf("release = %q", r.Release())
	}
	if (*Reference)(nil).Release() != "" {
		t.Fatal("nil release not empty")
	}
}

func TestFixtureReduce(t *testing.T) {
	r := loadFixture(t, "imgt-mini")
	tests := []struct {
		in   string
		to   Level
		want string
	}{
		{"A*01:01:01:01", LevelG, "A*01:01:01G"},
		{"A*01:01:01:01", LevelP, "A*01:01P"},
		{"A*01:01:01:01", LevelLGX, "A*01:01"},
		{"A*01:01:01:01", Level1F, "A*01"},
		{"A*01:01:01:01", LevelSerology, "A1"},
		// In a P group but no G group (py-ard issue 321).
		{"A*01:01:02", LevelG, "A*01:01:02"},
		{"A*01:01:02", LevelLGX, "A*01:01"},
		// In a G group but no P group, expressed: P of a G sibling.
		{"A*02:01:02", LevelP, "A*02:01"},
		{"A*02:01:02", LevelLGX, "A*02:01"},
		// Null: G group yes, P group no, no antigen.
		{"A*01:01:01:02N", LevelG, "A*01:01:01G"},
		{"A*01:01:01:02N", LevelLGX, "A*01:01N"},
		{"A*01:01:01:02N", LevelSerology, "A*01:01:01:02N"},
		// A two-field typing covers the expressed alleles below it.
		{"A*01:01", LevelG, "A*01:01:01G/A*01:01:02"},
		{"A*01:01", LevelLGX, "A*01:01"},
		{"A*01:01N", LevelG, "A*01:01:01G"},
		// Group names.
		{"A*01:01:01G", LevelP, "A*01:01P"},
		{"A*01:01P", LevelG, "A*01:01:01G/A*01:01:02"},
		{"DRB1*07:01P", LevelSerology, "DR7"},
		// Serology columns: possible (0/1), assumed, expert, and the
		// P-group fallback for an allele without its own line.
		{"A*01:01:38L", LevelSerology, "A1"},
		{"A*01:02", LevelSerology, "A1"},
		{"A*02:55", LevelSerology, "A2/A28"},
		{"DRB1*07:34", LevelSerology, "DR7"},
		{"DRB3*01:01:02", LevelSerology, "DR52"},
		{"C*03:03:01", LevelSerology, "Cw10"},
		{"DPB1*04:01:01", LevelSerology, "DPB1*04:01:01"},
		// One-field names and XX stay, except at serology level.
		{"A*02:XX", LevelG, "A*02:XX"},
		{"A*02:XX", LevelSerology, "A2"}, // A*02:55 (expert 28) does not widen the family
		{"A*02", Level1F, "A*02"},
		// Deleted allele reduces through its current name.
		{"A*0105N", LevelLGX, "A*01:04N"},
		{"A*24:99", LevelG, "A*24:02:01:01"},
		// Serology and NEW are unchanged.
		{"A9", LevelG, "A9"},
		{"A*NEW", LevelSerology, "A*NEW"},
		// MAC without table: verbatim, first field only.
		{"A*01:AB", LevelG, "A*01:AB"},
		{"A*01:AB", Level1F, "A*01"},
		{"A*01:AB", LevelSerology, "A1"},
		// GL Strings keep their structure.
		{"A*01:01:01:01+A*02:01:01:01^B*39:01:01+B*38:01", LevelG, "A*01:01:01G+A*02:01:01G^B*39:01:01+B*38:01"},
		{"A*01:01:01:01/A*01:01:38L+A*24:03", LevelG, "A*01:01:01G+A*24:03"},
		{"A*01:01:01:01+A*02:01:01:01|A*01:01:38L+A*02:01:02", LevelG, "A*01:01:01G+A*02:01:01G"},
		{"A*01:01:01:01+A*02:01:01:01|A*01:01:38L+A*02:01:02", LevelSerology, "A1+A2"},
		{"DRB1*15:01:01~DRB3*01:01:02+DRB1*07:34", LevelSerology, "DR15~DR52+DR7"},
		{"A*24:02:01:01+A*24:03", LevelSerology, "A24+A2403"},
		// Unknown names are errors.
		{"A*01:77", LevelG, "error: hla: \"A*01:77\": no such allele in IPD-IMGT/HLA 9.0.0"},
	}
	for _, tt := range tests {
		if got := reduceString(t, r, tt.in, tt.to); got != tt.want {
			t.Errorf("Reduce(%s, %s) = %s, want %s", tt.in, tt.to, got, tt.want)
		}
	}
}

func TestSyntaxOnlyReduce(t *testing.T) {
	var r *Reference
	tests := []struct {
		in   string
		to   Level
		want string
	}{
		{"A*01:01:01:01", LevelG, "A*01:01:01"},
		{"A*01:01:01:01", LevelP, "A*01:01"},
		{"A*01:01:01:02N", LevelLGX, "A*01:01N"},
		{"A*01:01:01:01", Level1F, "A*01"},
		{"A*01:01:01G", LevelLGX, "A*01:01"},
		{"A*01:01P", LevelP, "A*01:01P"},
		{"A*01:XX+A*02", LevelLGX, "A*01:XX+A*02"},
		{"A*01:AB", LevelLGX, "A*01:AB"},
		{"A2", LevelSerology, "A2"},
		{"A*01:01", LevelSerology, "error: " + ErrNoReference.Error()},
	}
	for _, tt := range tests {
		if got := reduceString(t, r, tt.in, tt.to); got != tt.want {
			t.Errorf("syntax-only Reduce(%s, %s) = %s, want %s", tt.in, tt.to, got, tt.want)
		}
	}
}

func TestFixtureCheck(t *testing.T) {
	r := loadFixture(t, "imgt-mini")
	tests := []struct {
		in, token, reason, current string
	}{
		{"A*01:01:01:01+A*02:01", "", "", ""},
		{"A*01:01:01G+A*02:01P", "", "", ""},
		{"A*01:77", "A*01:77", "no such allele in IPD-IMGT/HLA 9.0.0", ""},
		{"A*0105N", "A*0105N", "deleted allele in IPD-IMGT/HLA 9.0.0 (sequence identical); current name A*01:04N", "A*01:04N"},
		{"A*01:34N", "A*01:34N", "deleted allele", "A*01:01:38L"},
		// A chain of renamings ends at a current name.
		{"A*24:99", "A*24:99", "(sequence renamed); current name A*24:02:01:01", "A*24:02:01:01"},
		{"A*02:100", "A*02:100", "(never assigned)", ""},
		{"C*0303", "C*0303", "current name C*03:03:01", "C*03:03:01"},
		{"A*01:01:01:02", "A*01:01:01:02", "needs its N suffix", "A*01:01:01:02N"},
		{"A*05:XX", "A*05:XX", "no allele group A*05", ""},
		{"A*02:02:02G", "A*02:02:02G", "no such G group", ""},
		{"Cw11", "Cw11", "deleted antigen", ""},
		{"A80", "A80", "no such antigen", ""},
		{"DQA1*01:01", "DQA1*01:01", "locus DQA1 has no alleles", ""},
		{"A*NEW+A9", "", "", ""},
		{"A*01:AB", "", "", ""},
	}
	for _, tt := range tests {
		g, err := r.ParseGL(tt.in)
		if err != nil {
			t.Fatalf("ParseGL(%q): %v", tt.in, err)
		}
		ps := r.Check(g)
		if tt.reason == "" {
			if len(ps) != 0 {
				t.Errorf("Check(%s) = %v, want none", tt.in, ps)
			}
			continue
		}
		if len(ps) != 1 || ps[0].Token != tt.token || !strings.Contains(ps[0].Reason, tt.reason) || ps[0].Current != tt.current {
			t.Errorf("Check(%s) = %+v, want token %q reason %q current %q", tt.in, ps, tt.token, tt.reason, tt.current)
		}
	}
	if ps := (*Reference)(nil).Check(mustGL(t, "A*01:77")); ps != nil {
		t.Errorf("syntax-only Check = %v", ps)
	}
}

func mustGL(t testing.TB, s string) *GL {
	t.Helper()
	g, err := ParseGL(s)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestFixtureMAC(t *testing.T) {
	macs, err := LoadMACFile("testdata/mac-mini.txt")
	if err != nil {
		t.Fatal(err)
	}
	if macs.Len() != 5 || macs.Updated != "LAST UPDATED: 01/01/20" {
		t.Fatalf("Len %d Updated %q", macs.Len(), macs.Updated)
	}
	r := loadFixture(t, "imgt-mini").WithMACs(macs)
	tests := []struct {
		in   string
		to   Level
		want string
	}{
		{"A*01:AB", LevelG, "A*01:01:01G/A*01:01:02/A*01:02"},
		{"A*01:AB", LevelLGX, "A*01:01/A*01:02"},
		{"A*01:AB+A*02:DE", LevelSerology, "A1+A2/A28"},
		// Full-name code: B*08:ASXJP = B*08:01/B*08:19N/B*08:109/B*08:173.
		{"B*08:ASXJP", LevelG, "B*08:01:01G/B*08:109/B*08:173"},
		{"A*01:AC", LevelLGX, "A*01:01"},
		{"B*08:ASXJP", LevelLGX, "B*08:01/B*08:173"},
		// A*01:99 is unknown to the release and skipped.
		{"A*01:XYZ", LevelLGX, "A*01:01"},
	}
	for _, tt := range tests {
		if got := reduceString(t, r, tt.in, tt.to); got != tt.want {
			t.Errorf("Reduce(%s, %s) = %s, want %s", tt.in, tt.to, got, tt.want)
		}
	}
	flags := r.Flags(mustGL(t, "B*08:ASXJP+A*01:AC"))
	if flags&FlagMACNull == 0 || flags&FlagUnresolvedMAC != 0 {
		t.Errorf("flags = %s", flags)
	}
	if f := r.Flags(mustGL(t, "A*01:QQ")); f&FlagUnresolvedMAC == 0 {
		t.Errorf("unknown code not unresolved: %s", f)
	}
	for in, reason := range map[string]string{
		"A*01:QQ":    "not in the MAC table",
		"B*07:ASXJP": "not valid for allele group B*07",
	} {
		ps := r.Check(mustGL(t, in))
		if len(ps) != 1 || !strings.Contains(ps[0].Reason, reason) {
			t.Errorf("Check(%s) = %v, want %q", in, ps, reason)
		}
	}
	// Syntax-only mode with a MAC table still expands codes.
	if got := reduceString(t, (*Reference)(nil).WithMACs(macs), "A*01:AB", LevelLGX); got != "A*01:01/A*01:02" {
		t.Errorf("syntax-only MAC lgx = %s", got)
	}
}

func TestReadMACTableErrors(t *testing.T) {
	for _, in := range []string{"\tAB\n", "\tab\t01/02\n"} {
		if _, err := ReadMACTable(strings.NewReader(in)); err == nil {
			t.Errorf("ReadMACTable(%q) accepted", in)
		}
	}
}

func TestFixtureAntigenRelation(t *testing.T) {
	r := loadFixture(t, "imgt-mini")
	tests := []struct {
		a, b string
		want Relation
	}{
		{"A24", "A24", RelationMatch},
		{"A9", "A24", RelationBroadSplit},
		{"A24", "A9", RelationBroadSplit},
		{"A23", "A24", RelationSiblingSplit},
		{"B38", "B39", RelationSiblingSplit},
		{"B39", "B3901", RelationAssociated},
		{"B3901", "B3902", RelationSiblingAssociated},
		{"A9", "A2403", RelationAssociated},
		{"B16", "B3901", RelationAssociated},
		{"B38", "B3901", RelationMismatch},
		{"A1", "A2", RelationMismatch},
		{"A2", "B2", RelationMismatch},
		{"Cw3", "C10", RelationBroadSplit},
		{"A2", "A999", RelationUnknown},
		{"A*24:02:01:01", "A9", RelationBroadSplit},
		{"A*24:03", "A*24:02:01:01", RelationAssociated},
		{"A*02:55", "A28", RelationMatch},
		{"A*01:01:01:02N", "A*01:01:01:02N", RelationNull},
		{"A*NEW", "A*NEW", RelationMismatch},
		{"DPB1*04:01:01", "DPB1*04:01:01", RelationUnknown},
	}
	for _, tt := range tests {
		a, _ := r.ParseName(tt.a)
		b, _ := r.ParseName(tt.b)
		got := r.AntigenRelation(a, b)
		if got != tt.want {
			t.Errorf("AntigenRelation(%s, %s) = %s, want %s", tt.a, tt.b, got, tt.want)
		}
		if got.IsMatch() != (tt.want == RelationMatch || tt.want == RelationBroadSplit || tt.want == RelationAssociated) {
			t.Errorf("IsMatch wrong for %s", got)
		}
	}
	var nilRef *Reference
	a, _ := ParseName("A9")
	b, _ := ParseName("A24")
	if got := nilRef.AntigenRelation(a, b); got != RelationUnknown {
		t.Errorf("syntax-only A9/A24 = %s", got)
	}
	if got := nilRef.AntigenRelation(a, a); got != RelationMatch {
		t.Errorf("syntax-only A9/A9 = %s", got)
	}
}

func TestFixtureDiff(t *testing.T) {
	old := loadFixture(t, "imgt-mini")
	next := loadFixture(t, "imgt-mini-next")
	changes := Diff(old, next, []string{"A*01:01:01:01+A*02:01", "A*02:55+A*24:03", "A*02:07"})
	var got []string
	for _, c := range changes {
		got = append(got, c.Typing+" "+c.Aspect+": "+c.Old+" -> "+c.New)
	}
	want := []string{
		"A*02:55+A*24:03 g: A*02:55+A*24:03 -> A*02:01:01G+A*24:03",
		"A*02:55+A*24:03 p: A*02:55+A*24:03 -> A*02:01P+A*24:03",
		"A*02:55+A*24:03 lgx: A*02:55+A*24:03 -> A*02:01+A*24:03",
		"A*02:07 check: ok -> hla: \"A*02:07\": deleted allele (sequence identical); current name A*02:01:02",
		"A*02:07 g: A*02:07 -> A*02:01:01G",
		"A*02:07 p: A*02:07 -> A*02:01",
		"A*02:07 lgx: A*02:07 -> A*02:01",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Diff =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestLoadDirErrors(t *testing.T) {
	if _, err := LoadDir("testdata/no-such-dir"); err == nil {
		t.Error("missing dir accepted")
	}
	dir := t.TempDir()
	copyFixture(t, "testdata/imgt-mini", dir)
	writeFile(t, dir+"/rel_ser_ser.txt", "# version: IPD-IMGT/HLA 9.9.9\nA;9;23/24;\n")
	if _, err := LoadDir(dir); err == nil || !strings.Contains(err.Error(), "differs") {
		t.Errorf("mixed releases: %v", err)
	}
	copyFixture(t, "testdata/imgt-mini", dir)
	writeFile(t, dir+"/rel_dna_ser.txt", "# version: IPD-IMGT/HLA 9.0.0\nA*;01:01:01:01;1\n")
	if _, err := LoadDir(dir); err == nil || !strings.Contains(err.Error(), "line 2: 3 columns") {
		t.Errorf("short line: %v", err)
	}
	copyFixture(t, "testdata/imgt-mini", dir)
	writeFile(t, dir+"/hla_nom_g.txt", "A*;01:01;\n")
	if _, err := LoadDir(dir); err == nil || !strings.Contains(err.Error(), "no \"# version:\" header") {
		t.Errorf("no header: %v", err)
	}
}
