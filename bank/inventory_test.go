package bank

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cordbank/cordbank/bank/inventory"
	"github.com/cordbank/cordbank/bank/refusal"
)

// TestRefusedMapsEveryRule: each inventory rule becomes the Kind and
// Reason the storage use cases document, blaming the request's field
// where the rule is about what the request names; the Refusal's metadata
// is kept unless the caller gives its own; other errors pass unchanged.
func TestRefusedMapsEveryRule(t *testing.T) {
	for _, tc := range []struct {
		rule   inventory.Rule
		kind   Kind
		reason Reason
		field  bool
	}{
		{inventory.RuleIllegalNesting, KindInvalid, ReasonIllegalNesting, true},
		{inventory.RulePositionOutOfLayout, KindInvalid, ReasonPositionOutOfLayout, true},
		{inventory.RuleLayoutMismatch, KindInvalid, ReasonLayoutMismatch, true},
		{inventory.RulePositionOccupied, KindFailedPrecondition, ReasonPositionOccupied, false},
		{inventory.RuleContainerFull, KindFailedPrecondition, ReasonContainerFull, false},
		{inventory.RuleContainerCycle, KindFailedPrecondition, ReasonContainerCycle, false},
	} {
		r := &refusal.Refusal[inventory.Rule]{Rule: tc.rule, Message: "no", Metadata: []string{"container", "banks/b/containers/c"}}
		var e *Error
		if !errors.As(refused(r, "position"), &e) {
			t.Fatalf("rule %d: not an *Error", tc.rule)
		}
		var wantViolations []Violation
		if tc.field {
			wantViolations = []Violation{{Field: "position", Description: "no"}}
		} else if e.Message != "no" {
			t.Errorf("rule %d: message %q, want the refusal's", tc.rule, e.Message)
		}
		if e.Kind != tc.kind || e.Reason != tc.reason {
			t.Errorf("rule %d: %v %s, want %v %s", tc.rule, e.Kind, e.Reason, tc.kind, tc.reason)
		}
		if diff := cmp.Diff(wantViolations, e.Violations); diff != "" {
			t.Errorf("rule %d: violations (-want +got):\n%s", tc.rule, diff)
		}
		if diff := cmp.Diff(map[string]string{"container": "banks/b/containers/c"}, e.Metadata); diff != "" {
			t.Errorf("rule %d: metadata (-want +got):\n%s", tc.rule, diff)
		}
		errors.As(refused(r, "position", "name", "x"), &e)
		if diff := cmp.Diff(map[string]string{"name": "x"}, e.Metadata); diff != "" {
			t.Errorf("rule %d: the caller's metadata (-want +got):\n%s", tc.rule, diff)
		}
	}
	if KindOf(refused(&refusal.Refusal[inventory.Rule]{Rule: 99}, "f")) != KindInternal {
		t.Error("an unknown rule is not an internal error")
	}
	plain := errors.New("store down")
	if refused(plain, "f") != plain || refused(nil, "f") != nil {
		t.Error("refused changed an error that is not a refusal")
	}
}
