package postgres_test

import (
	"os"
	"testing"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/internal/pgtest"
	"github.com/cordbank/cordbank/internal/store/postgres"
)

// One PostgreSQL server for the package's tests (internal/pgtest).
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// open returns a store over a fresh database, closed when t ends.
func open(t testing.TB) *postgres.Store {
	t.Helper()
	return openURL(t, pgtest.NewDatabase(t))
}

func openURL(t testing.TB, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// TestConformance runs the Store conformance suite, each subtest on a
// fresh database.
func TestConformance(t *testing.T) {
	banktest.Run(t, func(t *testing.T) bank.Store { return open(t) })
}
