package bank_test

import (
	"go/build"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// module is this module's path; bank's own packages start with module+"/bank".
const module = "github.com/cordbank/cordbank"

// TestDomainImportsOnlyStandardLibrary: every package under bank/ (its
// non-test files, as the build would select them) imports only the
// standard library and packages under bank/, so the domain stays at the
// centre: no gRPC, SQL driver, net/http or internal/... can creep in.
// bank/banktest is the exception: it is the conformance suite's test
// support, which imports go-cmp, and no domain package may import it.
func TestDomainImportsOnlyStandardLibrary(t *testing.T) {
	checked := map[string]bool{}
	err := filepath.WalkDir(".", func(dir string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if name := d.Name(); name == "testdata" || (dir != "." && strings.HasPrefix(name, ".")) {
			return filepath.SkipDir
		}
		pkg, err := build.ImportDir(dir, 0)
		if _, none := err.(*build.NoGoError); none {
			return nil
		}
		if err != nil {
			return err
		}
		path := module + "/bank"
		if dir != "." {
			path += "/" + filepath.ToSlash(dir)
		}
		checked[filepath.ToSlash(dir)] = true
		for _, imp := range pkg.Imports {
			switch {
			case imp == module+"/bank/banktest" || strings.HasPrefix(imp, module+"/bank/banktest/"):
				t.Errorf("%s imports %s: the conformance suite is for tests only", path, imp)
			case isBankTest(path):
			case !standard(imp) && imp != module+"/bank" && !strings.HasPrefix(imp, module+"/bank/"):
				t.Errorf("%s imports %s: the domain imports only the standard library and bank/...", path, imp)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The concern packages (doc.go's map) must be among those walked, so
	// moving one elsewhere cannot take it out of this check unnoticed.
	for _, dir := range concernPackages {
		if !checked[dir] {
			t.Errorf("bank/%s was not checked: the walk did not find it", dir)
		}
	}
}

// concernPackages are bank's subpackages by concern, relative to bank/.
var concernPackages = []string{".", "access", "audit", "credential", "inventory", "lifecycle", "unit"}

func isBankTest(path string) bool {
	return path == module+"/bank/banktest" || strings.HasPrefix(path, module+"/bank/banktest/")
}

// standard reports whether an import path is the standard library's: its
// first element has no dot (as cmd/go decides).
func standard(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}
