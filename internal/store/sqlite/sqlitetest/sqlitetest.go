// Package sqlitetest opens SQLite stores for tests: a fresh, migrated
// database file in the test's temporary directory, closed (and its Close
// error reported) when the test ends.
//
// It is how tests outside the adapter get a bank.Store that passes the
// conformance suite (bank/banktest) without each building its own: the
// domain's tests name it in one file (bank/teststore_test.go), the
// adapter's conformance test runs the suite over it. It imports testing,
// so only tests may import it.
package sqlitetest

import (
	"path/filepath"
	"testing"

	"github.com/cordbank/cordbank/internal/store/sqlite"
)

// Open returns a new store over a fresh database file of its own.
func Open(tb testing.TB) *sqlite.Store {
	tb.Helper()
	return OpenAt(tb, filepath.Join(tb.TempDir(), "cordbank.db"))
}

// OpenAt opens the database file at path (migrating it, creating it when
// missing), for tests that close a store and open the same file again.
func OpenAt(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(tb.Context(), path)
	if err != nil {
		tb.Fatalf("sqlite.Open(%s): %v", path, err)
	}
	tb.Cleanup(func() {
		// Close is idempotent: a test that closed the store already gets nil.
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}
