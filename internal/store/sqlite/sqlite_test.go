package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/internal/store/sqlite"
)

// TestConformance runs the Store conformance suite, each subtest on a fresh
// database file.
func TestConformance(t *testing.T) {
	banktest.Run(t, func(t *testing.T) bank.Store {
		s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "cordbank.db"))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	})
}
