package bank_test

import (
	"path/filepath"
	"testing"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/internal/store/sqlite/sqlitetest"
)

// The domain's tests need a real Store (no mock stands in for one), and
// any store that passes bank/banktest serves; this file is the one place
// that chooses which. Today that is SQLite, the only store there is; the
// tests themselves see only bank.Store, so a second conformance-tested
// store (PostgreSQL, or one in memory that needs no cgo) replaces it here.

// openStore returns a fresh, empty store that the test's end closes.
func openStore(tb testing.TB) bank.Store { return sqlitetest.Open(tb) }

// openRestartable returns a fresh store and restart, which closes the
// store and opens the same database again, as a restarted server would.
func openRestartable(tb testing.TB) (s bank.Store, restart func() bank.Store) {
	path := filepath.Join(tb.TempDir(), "cordbank.db")
	s = sqlitetest.OpenAt(tb, path)
	return s, func() bank.Store {
		if err := s.Close(); err != nil {
			tb.Fatalf("Close: %v", err)
		}
		s = sqlitetest.OpenAt(tb, path)
		return s
	}
}
