package sqlite_test

import (
	"testing"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/internal/store/sqlite/sqlitetest"
)

// TestConformance runs the Store conformance suite, each subtest on a fresh
// database file.
func TestConformance(t *testing.T) {
	banktest.Run(t, func(t *testing.T) bank.Store { return sqlitetest.Open(t) })
}
