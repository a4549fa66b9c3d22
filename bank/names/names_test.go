package names_test

import (
	"testing"

	"github.com/cordbank/cordbank/bank/names"
)

// TestNames pins each resource name to the form the API documents.
func TestNames(t *testing.T) {
	for got, want := range map[string]string{
		names.Bank("nybc"):                               "banks/nybc",
		names.Unit("nybc", "W000024000001"):              "banks/nybc/units/W000024000001",
		names.Reservation("nybc", "W000024000001", "ab"): "banks/nybc/units/W000024000001/reservations/ab",
		names.Container("nybc", "tank-1"):                "banks/nybc/containers/tank-1",
		names.Excursion("nybc", 42):                      "banks/nybc/excursions/42",
	} {
		if got != want {
			t.Errorf("%q, want %q", got, want)
		}
	}
}
