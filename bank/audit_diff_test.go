package bank_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cordbank/cordbank/bank/audit"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/bank/unit"
)

// TestUnitDiffRecordsDatesWhole: a unit.Date is one value in a unit's
// change diff, as "YYYY-MM-DD", and "" when cleared, never its year,
// month and day as three fields.
func TestUnitDiffRecordsDatesWhole(t *testing.T) {
	u := banktest.ValidUnit("bank-a", banktest.DIN(banktest.FIN("bank-a"), 24, 1))
	nu := *u
	nu.StatusEndDate = unit.Date{Year: 2026, Month: 4, Day: 2}
	want := []audit.FieldChange{{Field: "status_end_date", Before: "", After: `"2026-04-02"`}}
	if diff := cmp.Diff(want, audit.Diff(u, &nu)); diff != "" {
		t.Errorf("setting an end date (-want +got):\n%s", diff)
	}
	want = []audit.FieldChange{{Field: "status_end_date", Before: `"2026-04-02"`, After: ""}}
	if diff := cmp.Diff(want, audit.Diff(&nu, u)); diff != "" {
		t.Errorf("clearing an end date (-want +got):\n%s", diff)
	}
}
