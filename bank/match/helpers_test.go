package match

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/hla"
)

// Release of the real reference files the HLA tests were written for.
const imgtRelease = "3.24.0"

var (
	realOnce sync.Once
	realRef  *hla.Reference
	realErr  error
	realDir  string
)

// realGrader grades against the real IPD-IMGT/HLA 3.24.0 files at
// ../shared/hla/imgt-3.24.0 (relative to the repository root); the test is
// skipped when they are absent.
func realGrader(t testing.TB) *Grader {
	t.Helper()
	realOnce.Do(func() {
		dir, err := os.Getwd()
		if err != nil {
			realErr = err
			return
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				return
			}
			dir = parent
		}
		realDir = filepath.Join(dir, "..", "shared", "hla", "imgt-"+imgtRelease)
		if _, err := os.Stat(filepath.Join(realDir, hla.FileNom)); err != nil {
			return
		}
		realRef, realErr = hla.LoadDir(realDir)
	})
	if realErr != nil {
		t.Fatal(realErr)
	}
	if realRef == nil {
		t.Skipf("IPD-IMGT/HLA %s files not found at %s; real-data tests skipped", imgtRelease, realDir)
	}
	if realRef.Release() != imgtRelease {
		t.Fatalf("reference release %q, tests written for %s", realRef.Release(), imgtRelease)
	}
	return NewGrader(realRef)
}

// miniGrader uses the invented fixture of bank/hla (release 9.0.0).
func miniGrader(t testing.TB) *Grader {
	t.Helper()
	ref, err := hla.LoadDir(filepath.Join("..", "hla", "testdata", "imgt-mini"))
	if err != nil {
		t.Fatal(err)
	}
	return NewGrader(ref)
}

// typings reads "A*02:01+A*24:02; B*07:02+B*08:01" (locus taken from the
// first name of each part, or "LOCUS=" prefix for serology).
func typings(s string) []bank.LocusTyping {
	var out []bank.LocusTyping
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		locus, text, ok := strings.Cut(part, "=")
		if !ok {
			text = part
			locus, _, _ = strings.Cut(part, "*")
		}
		out = append(out, bank.LocusTyping{Locus: locus, Text: text})
	}
	return out
}

func prep(t testing.TB, g *Grader, s string) *Typing {
	t.Helper()
	ty, err := g.Prepare(typings(s))
	if err != nil {
		t.Fatalf("Prepare(%q): %v", s, err)
	}
	return ty
}
