package hla

import (
	"os"
	"path/filepath"
	"testing"
)

func writeFile(t testing.TB, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyFixture(t testing.TB, from, to string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(from, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixture files in %s: %v", from, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(to, filepath.Base(f)), string(b))
	}
}

// imgtDir returns the real IPD-IMGT/HLA 3.24.0 files, found by walking up
// from the working directory to the repository root (the directory with
// go.mod) and then to ../shared/hla/imgt-3.24.0; the test is skipped when
// they are absent. The files are never copied into the repository.
func imgtDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("repository root (go.mod) not found; IPD-IMGT/HLA 3.24.0 tests skipped")
		}
		dir = parent
	}
	d := filepath.Join(dir, "..", "shared", "hla", "imgt-3.24.0")
	if _, err := os.Stat(filepath.Join(d, FileNom)); err != nil {
		t.Skipf("IPD-IMGT/HLA 3.24.0 files not found at %s; real-data tests skipped", d)
	}
	return d
}
