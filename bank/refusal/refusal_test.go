package refusal_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/cordbank/cordbank/bank/refusal"
)

type ruleA int
type ruleB int

// TestRefusalsOfEachConcernAreApart: a refusal wrapped anywhere in a chain
// is found as its own concern's type only, with its rule, message and
// metadata intact.
func TestRefusalsOfEachConcernAreApart(t *testing.T) {
	err := fmt.Errorf("placing: %w", refusal.New(ruleA(2), "taken", "position", "A1"))
	var a *refusal.Refusal[ruleA]
	if !errors.As(err, &a) || a.Rule != 2 || a.Message != "taken" || len(a.Metadata) != 2 || a.Metadata[1] != "A1" {
		t.Fatalf("errors.As found %+v", a)
	}
	if err.Error() != "placing: taken" {
		t.Errorf("Error() = %q", err.Error())
	}
	var b *refusal.Refusal[ruleB]
	if errors.As(err, &b) {
		t.Error("a refusal of one concern's rules was taken for another's")
	}
}
