package hla

import (
	"strings"
	"sync"
	"testing"
)

// Tests on the real IPD-IMGT/HLA 3.24.0 WMDA files (../shared, never
// copied into the repository). Every expected value below was read from
// those files with grep; the release is named in each test.

var (
	imgtOnce sync.Once
	imgtRef  *Reference
	imgtErr  error
)

func imgt324(t testing.TB) *Reference {
	t.Helper()
	dir := imgtDir(t)
	imgtOnce.Do(func() { imgtRef, imgtErr = LoadDir(dir) })
	if imgtErr != nil {
		t.Fatal(imgtErr)
	}
	return imgtRef
}

func TestIMGT3240Release(t *testing.T) {
	if got := imgt324(t).Release(); got != "3.24.0" {
		t.Fatalf("release = %q, want 3.24.0", got)
	}
}

func TestIMGT3240Groups(t *testing.T) {
	r := imgt324(t)
	tests := []struct {
		in   string
		g, p string
		lgx  string
	}{
		{"A*01:01:01:01", "A*01:01:01G", "A*01:01P", "A*01:01"},
		{"A*02:01:01:01", "A*02:01:01G", "A*02:01P", "A*02:01"},
		{"A*24:02:01:01", "A*24:02:01G", "A*24:02P", "A*24:02"},
		{"B*07:02:01", "B*07:02:01G", "B*07:02P", "B*07:02"},
		{"B*40:01:01", "B*40:01:01G", "B*40:01P", "B*40:01"},
		{"B*44:02:01:01", "B*44:02:01G", "B*44:02P", "B*44:02"},
		{"C*01:02:01", "C*01:02:01G", "C*01:02P", "C*01:02"},
		{"C*07:01:01:01", "C*07:01:01G", "C*07:01P", "C*07:01"},
		{"DRB1*01:01:01", "DRB1*01:01:01G", "DRB1*01:01P", "DRB1*01:01"},
		{"DRB1*03:01:01:02", "DRB1*03:01:01G", "DRB1*03:01P", "DRB1*03:01"},
		{"DRB1*15:01:01:01", "DRB1*15:01:01G", "DRB1*15:01P", "DRB1*15:01"},
		{"DQB1*02:01:01", "DQB1*02:01:01G", "DQB1*02:01P", "DQB1*02:01"},
		// Group names need not describe their members: DPB1*417:01 is in
		// DPB1*01:01:01G and DPB1*01:01P.
		{"DPB1*417:01", "DPB1*01:01:01G", "DPB1*01:01P", "DPB1*01:01"},
		// In a P group but in no G group (py-ard issue 321).
		{"C*07:01:13", "C*07:01:13", "C*07:01P", "C*07:01"},
		{"B*44:05:04", "B*44:05:04", "B*44:05P", "B*44:05"},
		{"DRB1*11:65:01", "DRB1*11:65:01", "DRB1*11:65P", "DRB1*11:65"},
		// In a G group but in no P group: DRB5*01:02 is in DRB5*01:02:01G.
		{"DRB5*01:02", "DRB5*01:02:01G", "DRB5*01:02", "DRB5*01:02"},
		// Nulls: in a G group, never in a P group, N kept at lgx.
		{"A*01:01:01:02N", "A*01:01:01G", "A*01:01N", "A*01:01N"},
		{"B*07:44N", "B*07:02:01G", "B*07:44N", "B*07:44N"},
		// Low expression: in both groups.
		{"A*01:01:38L", "A*01:01:01G", "A*01:01P", "A*01:01"},
	}
	for _, tt := range tests {
		for _, c := range []struct {
			to   Level
			want string
		}{{LevelG, tt.g}, {LevelP, tt.p}, {LevelLGX, tt.lgx}} {
			if got := reduceString(t, r, tt.in, c.to); got != c.want {
				t.Errorf("IMGT/HLA 3.24.0: Reduce(%s, %s) = %s, want %s", tt.in, c.to, got, c.want)
			}
		}
	}
}

func TestIMGT3240DeletedAndRenamed(t *testing.T) {
	r := imgt324(t)
	tests := []struct{ in, reason, current string }{
		{"A*26:03:02", "(sequence renamed); current name A*26:111", "A*26:111"},
		{"A*0105N", "(sequence identical); current name A*01:04N", "A*01:04N"},
		{"A*01:34N", "(shown to be expressed at low levels); current name A*01:01:38L", "A*01:01:38L"},
		{"B*08:06", "(sequence error); current name B*08:20", "B*08:20"},
		{"A*02:100", "(never assigned)", ""},
		{"C*0101", "current name C*01:02:01", "C*01:02:01"},
		{"A*01:999", "no such allele in IPD-IMGT/HLA 3.24.0", ""},
	}
	for _, tt := range tests {
		ps := r.Check(mustGL(t, tt.in))
		if len(ps) != 1 || !strings.Contains(ps[0].Reason, tt.reason) || ps[0].Current != tt.current {
			t.Errorf("IMGT/HLA 3.24.0: Check(%s) = %+v, want reason %q current %q", tt.in, ps, tt.reason, tt.current)
		}
	}
	if got := reduceString(t, r, "A*26:03:02", LevelLGX); got != reduceString(t, r, "A*26:111", LevelLGX) {
		t.Errorf("IMGT/HLA 3.24.0: renamed allele does not reduce like its current name: %s", got)
	}
}

func TestIMGT3240Serology(t *testing.T) {
	r := imgt324(t)
	tests := []struct{ in, want string }{
		{"A*01:01:01:01", "A1"},       // unambiguous: A*;01:01:01:01;1;;;
		{"A*02:65", "A2/A19"},         // possible: A*;02:65;;2/19;;
		{"A*01:06", "A1"},             // assumed: A*;01:06;;;1;
		{"A*66:01:01", "A26/A34/A66"}, // expert: A*;66:01:01;66;;;26/34
		{"B*15:08:01", "B62/B75"},     // expert: B*;15:08:01;75;;;62
		{"B*39:01:01:01", "B3901"},    // associated antigen
		{"B*40:01:01", "B60"},         // split of B40
		{"C*03:04:01:01", "Cw10"},     // Cw prefix
		{"DRB1*03:01:01:01", "DR17"},  // split of DR3
		{"DRB1*15:01:01:01", "DR15"},
		{"DRB4*01:01:01:01", "DR53"},
		{"DRB5*01:01:01", "DR51"},
		{"DQB1*06:02:01", "DQ6"},
		{"A*01:01:01:02N", "A*01:01:01:02N"}, // null: no antigen, kept
		{"B*08:19N", "B*08:19N"},
		{"A*01:01:01:01+A*02:01:01:01^B*07:02:01+B*08:109", "A1+A2^B7+B8"}, // B*;08:109;;;8;
	}
	for _, tt := range tests {
		if got := reduceString(t, r, tt.in, LevelSerology); got != tt.want {
			t.Errorf("IMGT/HLA 3.24.0: serology of %s = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestIMGT3240AntigenRelations(t *testing.T) {
	r := imgt324(t)
	// rel_ser_ser.txt 3.24.0: A;9;23/24; B;16;38/39; B;39;;3901/3902;
	// DR;2;15/16; Cw;3;9/10; A;24;;2403
	tests := []struct {
		a, b string
		want Relation
	}{
		{"A9", "A24", RelationBroadSplit},
		{"A23", "A24", RelationSiblingSplit},
		{"B16", "B38", RelationBroadSplit},
		{"B38", "B39", RelationSiblingSplit},
		{"B39", "B3901", RelationAssociated},
		{"B3901", "B3902", RelationSiblingAssociated},
		{"DR2", "DR15", RelationBroadSplit},
		{"DR15", "DR16", RelationSiblingSplit},
		{"Cw3", "Cw10", RelationBroadSplit},
		{"A24", "A2403", RelationAssociated},
		{"A1", "A2", RelationMismatch},
		{"DRB1*15:01:01:01", "DR2", RelationBroadSplit},
		{"B*40:01:01", "B40", RelationBroadSplit},
		{"A*01:01:01:02N", "A1", RelationNull},
		// Allele families read as their antigen equivalent (issue 13, see
		// TestIMGT3240FamilyAntigenEquivalents): none of these used to be
		// a mismatch.
		{"A*24:XX", "A*03:01", RelationMismatch},
		{"A*24:XX", "A3", RelationMismatch},
		{"A*24:XX", "A23", RelationSiblingSplit},
		{"A*24:XX", "A9", RelationBroadSplit},
		{"A*24:XX", "A*24:03:01:01", RelationAssociated},
		{"A*02:XX", "A*68:01:01:01", RelationMismatch},
		{"A*02:XX", "A28", RelationMismatch},
		{"A*02:XX", "A19", RelationMismatch},
		{"A*02:XX", "A*02:03:01", RelationAssociated},
		{"DRB1*04:XX", "DR3", RelationMismatch},
		{"DRB1*04:XX", "DR4", RelationMatch},
		{"B*44:XX", "B45", RelationSiblingSplit},
		{"B*44:XX", "B21", RelationMismatch},
		{"B*44:XX", "B12", RelationBroadSplit},
		{"B*44:XX", "B*44:02:01:01", RelationMatch},
	}
	for _, tt := range tests {
		a, err := r.ParseName(tt.a)
		if err != nil {
			t.Fatal(err)
		}
		b, err := r.ParseName(tt.b)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.AntigenRelation(a, b); got != tt.want {
			t.Errorf("IMGT/HLA 3.24.0: AntigenRelation(%s, %s) = %s, want %s", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestIMGT3240GLStructure(t *testing.T) {
	r := imgt324(t)
	in := "HLA-A*01:01:01:01+HLA-A*02:01:01:01^HLA-B*07:02:01+HLA-B*44:02:01:01^HLA-C*07:01:01:01+HLA-C*01:02:01^HLA-DRB1*15:01:01:01~HLA-DRB5*01:01:01+HLA-DRB1*03:01:01:02"
	want := map[Level]string{
		LevelG:        "A*01:01:01G+A*02:01:01G^B*07:02:01G+B*44:02:01G^C*07:01:01G+C*01:02:01G^DRB1*15:01:01G~DRB5*01:01:01G+DRB1*03:01:01G",
		LevelLGX:      "A*01:01+A*02:01^B*07:02+B*44:02^C*07:01+C*01:02^DRB1*15:01~DRB5*01:01+DRB1*03:01",
		Level1F:       "A*01+A*02^B*07+B*44^C*07+C*01^DRB1*15~DRB5*01+DRB1*03",
		LevelSerology: "A1+A2^B7+B44^Cw7+Cw1^DR15~DR51+DR17",
	}
	for lv, w := range want {
		if got := reduceString(t, r, in, lv); got != w {
			t.Errorf("IMGT/HLA 3.24.0: Reduce(%s) =\n%s\nwant\n%s", lv, got, w)
		}
	}
	// An ambiguous genotype list collapses where its alternatives agree.
	if got := reduceString(t, r, "A*01:01:01:01+A*02:01:01:01|A*01:01:38L+A*02:01:01:01", LevelLGX); got != "A*01:01+A*02:01" {
		t.Errorf("IMGT/HLA 3.24.0: genotype list lgx = %s", got)
	}
	c, err := r.ReduceGLSC(mustGL(t, "A*01:01:01:01+A*02:01:01:01"), LevelG)
	if err != nil || c.String() != "hla#3.24.0#HLA-A*01:01:01G+HLA-A*02:01:01G" {
		t.Errorf("IMGT/HLA 3.24.0: ReduceGLSC = %v, %v", c, err)
	}
}

func TestIMGT3240MAC(t *testing.T) {
	// One invented code line in NMDP's format, with the expansion that
	// domain.md §3.4 gives for B*08:ASXJP; B*08:173 is not in 3.24.0.
	macs, err := ReadMACTable(strings.NewReader("\"LAST UPDATED: 01/01/20\"\n*\tCODE\tSUBTYPE\n\n*\tASXJP\t08:01/08:19N/08:109/08:173\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := imgt324(t).WithMACs(macs)
	if got := reduceString(t, r, "B*08:ASXJP", LevelLGX); got != "B*08:01" {
		t.Errorf("IMGT/HLA 3.24.0: B*08:ASXJP lgx = %s, want B*08:01", got)
	}
	if got := reduceString(t, r, "B*08:ASXJP", LevelSerology); got != "B8" {
		t.Errorf("IMGT/HLA 3.24.0: B*08:ASXJP serology = %s, want B8", got)
	}
	if ps := r.Check(mustGL(t, "B*08:ASXJP")); len(ps) != 0 {
		t.Errorf("IMGT/HLA 3.24.0: Check(B*08:ASXJP) = %v", ps)
	}
}

func TestIMGT3240LociAndCheck(t *testing.T) {
	r := imgt324(t)
	for _, s := range []string{"DRB2*01:01", "MICA*001", "E*01:01:01:01", "TAP1*01:01:01"} {
		n, err := r.ParseName(s)
		if err != nil {
			t.Errorf("IMGT/HLA 3.24.0: ParseName(%s): %v", s, err)
			continue
		}
		if ps := r.Check(Leaf(n)); len(ps) != 0 {
			t.Errorf("IMGT/HLA 3.24.0: Check(%s) = %v", s, ps)
		}
	}
	g, err := r.ParseLocusTyping("drb1", "DRB1*15:01:01G+DRB1*13:XX")
	if err != nil {
		t.Fatal(err)
	}
	if ps := r.Check(g); len(ps) != 0 {
		t.Errorf("IMGT/HLA 3.24.0: Check = %v", ps)
	}
	if f := r.Flags(g); f != FlagAmbiguous|FlagXX {
		t.Errorf("IMGT/HLA 3.24.0: flags = %s", f)
	}
}

// The antigen equivalent of an allele family (issue 13): the serology the
// family is expected to express, not the union of every column of
// rel_dna_ser.txt over its alleles. IPD-IMGT/HLA 3.24.0 lines behind each
// case: A*;24:18;;24/3;; and A*;24:19;9;;; (A*24:XX was A3/A9/A24/A2403),
// A*;02:55;;;2;28 and A*;02:65;;2/19;; (A*02:XX was A2/A19/A28/A203/A210),
// DRB1*;04:22;4;;;3 (DRB1*04:XX was DR3/DR4), B*;44:09;45;;;44,
// B*;44:15;12;;;, B*;44:16;47;;;44, B*;44:42;21;;;44 (B*44:XX was
// B12/B21/B44/B45/B47).
func TestIMGT3240FamilyAntigenEquivalents(t *testing.T) {
	r := imgt324(t)
	for _, tt := range []struct{ in, want string }{
		{"A*24:XX", "A24"},
		{"A*24", "A24"},
		{"A*02:XX", "A2"},
		{"DRB1*04:XX", "DR4"},
		{"B*44:XX", "B44"},
		// Families that really span several antigens keep them all.
		{"DRB1*03:XX", "DR17/DR18"},
		{"C*03:XX", "Cw9/Cw10"},
		{"B*40:XX", "B60/B61"},
		{"B*14:XX", "B64/B65"},
		// One allele still reads every column: it may be either.
		{"A*24:18", "A3/A24"},
		{"A*02:55", "A2/A28"},
		{"A*02:XX+A*24:XX^B*07:XX+B*44:XX^DRB1*15:XX+DRB1*04:XX", "A2+A24^B7+B44^DR15+DR4"},
	} {
		if got := reduceString(t, r, tt.in, LevelSerology); got != tt.want {
			t.Errorf("IMGT/HLA 3.24.0: serology of %s = %s, want %s", tt.in, got, tt.want)
		}
	}
}
