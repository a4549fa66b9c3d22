package freq

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/cordbank/cordbank/bank/hla"
	"github.com/cordbank/cordbank/internal/shareddata"
)

// sharedDir is ../shared/hla/<sub>, or the test is skipped.
func sharedDir(t testing.TB, sub string) string { return shareddata.Dir(t, sub) }

func TestLoadHEGL2007(t *testing.T) {
	dir := sharedDir(t, filepath.Join("frequencies", "hegl-2007"))
	sets, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range sets {
		names = append(names, s.Name+":"+string(s.Format)+":"+s.Population)
	}
	want := "HEGL_AFA:grim:AFA HEGL_API:hfx:API HEGL_CAU:hfx:CAU HEGL_HIS:hfx:HIS"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("sets %s, want %s", got, want)
	}
	// Rows with a frequency above 0 (GRIM's CAU.freqs.gz, made from the
	// same data, has 3,380: rows of frequency 0 are skipped, as GRIM does).
	rows := map[string]int{"HEGL_AFA": 2012, "HEGL_API": 1629, "HEGL_CAU": 3380, "HEGL_HIS": 1821}
	for _, s := range sets {
		if len(s.Haplotypes) != rows[s.Name] {
			t.Errorf("%s: %d haplotypes, want %d", s.Name, len(s.Haplotypes), rows[s.Name])
		}
		if s.Format == FormatHFX && s.Nomenclature != "2.16.0" {
			t.Errorf("%s: nomenclature %q", s.Name, s.Nomenclature)
		}
		if strings.Join(s.Loci, "~") != "A~C~B~DRB1~DQB1" {
			t.Errorf("%s: loci %v", s.Name, s.Loci)
		}
	}
	cau := Find(sets, "CAU")
	if cau == nil || cau.Name != "HEGL_CAU" || len(cau.Warnings) != 1 || !strings.Contains(cau.Warnings[0], "HEGL_AFA.hfx-metadata.json") {
		t.Errorf("CAU: %+v", cau)
	}
	// The published API and HIS metadata carry HEGL_CAU.csv's checksum.
	for _, n := range []string{"API", "HIS"} {
		s := Find(sets, n)
		if s == nil || len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "checkSum aaa61c62fbaa2de9d5f6064d2b635e5c does not match") {
			t.Errorf("%s warnings: %v", n, s.Warnings)
		}
	}
	if s := Find(sets, "afa"); s == nil || s.Name != "HEGL_AFA" {
		t.Errorf("Find(afa) = %v", s)
	}
	if first := cau.Haplotypes[0]; strings.Join(first.Alleles, "~") != "A*01:01~C*01:02~B*15:01~DRB1*01:01~DQB1*05:01" || first.Freq != 6e-05 {
		t.Errorf("first CAU row %+v", first)
	}
}

// Names of IPD-IMGT/HLA 2.16.0 read against 3.24.0: renamed alleles are
// followed, unknown ones dropped and their mass reported.
func TestResolveHEGLAgainst3240(t *testing.T) {
	dir := sharedDir(t, filepath.Join("frequencies", "hegl-2007"))
	ref, err := hla.LoadDir(sharedDir(t, "imgt-3.24.0"))
	if err != nil {
		t.Fatal(err)
	}
	sets, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sets {
		res, err := Resolve(s, ref)
		if err != nil {
			t.Fatal(err)
		}
		rep := res.Report
		if s.Name == "HEGL_HIS" && strings.Join(rep.Renamed, ",") != "C*15:20 -> C*15:27" {
			t.Errorf("HEGL_HIS renamed %v, want C*15:20 -> C*15:27 (hla_nom.txt 3.24.0)", rep.Renamed)
		}
		t.Logf("%s: %d rows -> %d haplotypes, mass %.5f of %.5f, renamed %v, unknown %v, split %d",
			s.Name, rep.Haplotypes, rep.Kept, rep.Mass, rep.Total, rep.Renamed, rep.Unknown, rep.Split)
		if rep.Kept == 0 || rep.Mass < 0.95*rep.Total {
			t.Errorf("%s: kept %d haplotypes, mass %.4f of %.4f", s.Name, rep.Kept, rep.Mass, rep.Total)
		}
		diff := rep.Total - rep.Mass - rep.DroppedMass
		if diff > 1e-9 || diff < -1e-9 {
			t.Errorf("%s: mass not conserved: total %v, kept %v, dropped %v", s.Name, rep.Total, rep.Mass, rep.DroppedMass)
		}
		for _, h := range res.Haplotypes {
			for j, n := range h {
				if n.Kind != hla.KindAllele || n.NumFields() != 2 || n.Locus != res.Loci[j] {
					t.Fatalf("%s: resolved allele %v at locus %s", s.Name, n, res.Loci[j])
				}
			}
		}
	}
}
