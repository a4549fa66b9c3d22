package bank_test

import (
	"encoding/json"
	"testing"

	"github.com/cordbank/cordbank/bank/audit"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/bank/unit"
)

// BenchmarkUnitDiff is the change diff every unit update records
// (audit.Diff of the unit before and after a status change), against
// encoding the unit once with encoding/json as the same run's baseline.
func BenchmarkUnitDiff(b *testing.B) {
	u := banktest.ValidUnit("bank-a", banktest.DIN(banktest.FIN("bank-a"), 24, 1))
	nu := *u
	nu.StatusEndDate, nu.StatusReason, nu.Version = unit.Date{Year: 2026, Month: 4, Day: 2}, "AD", u.Version+1
	b.Run("diff", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if len(audit.Diff(u, &nu)) != 2 {
				b.Fatal("wrong diff")
			}
		}
	})
	b.Run("json-baseline", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(u); err != nil {
				b.Fatal(err)
			}
		}
	})
}
