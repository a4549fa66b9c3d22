// Package shareddata finds, for tests, the real reference data that lives
// beside the clone in ../shared/hla (IPD-IMGT/HLA releases, haplotype
// frequency sets), never copied into the repository. A test that needs it
// is skipped with a clear message when it is absent.
package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns ../shared/hla/<rel...> seen from the repository root (the
// nearest directory above the working directory holding go.mod), or skips
// tb when it does not exist.
func Dir(tb testing.TB, rel ...string) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Skip("repository root (go.mod) not found; real-data tests skipped")
		}
		dir = parent
	}
	d := filepath.Join(append([]string{dir, "..", "shared", "hla"}, rel...)...)
	if _, err := os.Stat(d); err != nil {
		tb.Skipf("%s not found (../shared absent); real-data test skipped", d)
	}
	return d
}
