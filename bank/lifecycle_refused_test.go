package bank

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/refusal"
)

// TestLifecycleRefusedMapsEveryRule: each lifecycle rule becomes the
// FAILED_PRECONDITION Reason the lifecycle and reservation use cases
// document, with the resource's name, the Refusal's metadata and the
// caller's; other errors pass unchanged.
func TestLifecycleRefusedMapsEveryRule(t *testing.T) {
	for _, tc := range []struct {
		rule   lifecycle.Rule
		reason Reason
	}{
		{lifecycle.RuleIllegalTransition, ReasonIllegalTransition},
		{lifecycle.RuleIllegalReservationChange, ReasonIllegalTransition},
		{lifecycle.RuleNotReservable, ReasonUnitNotReservable},
	} {
		r := &refusal.Refusal[lifecycle.Rule]{Rule: tc.rule, Message: "no", Metadata: []string{"status", "AVAILABLE"}}
		var e *Error
		if !errors.As(lifecycleRefused(r, "banks/b/units/W1", "unit_type", "PUBLIC"), &e) {
			t.Fatalf("rule %d: not an *Error", tc.rule)
		}
		if e.Kind != KindFailedPrecondition || e.Reason != tc.reason || e.Message != "no" || e.Violations != nil {
			t.Errorf("rule %d: %v %s %q %v, want FAILED_PRECONDITION %s and the refusal's message", tc.rule, e.Kind, e.Reason, e.Message, e.Violations, tc.reason)
		}
		want := map[string]string{"name": "banks/b/units/W1", "status": "AVAILABLE", "unit_type": "PUBLIC"}
		if diff := cmp.Diff(want, e.Metadata); diff != "" {
			t.Errorf("rule %d: metadata (-want +got):\n%s", tc.rule, diff)
		}
	}
	if KindOf(lifecycleRefused(&refusal.Refusal[lifecycle.Rule]{Rule: 99}, "x")) != KindInternal {
		t.Error("an unknown rule is not an internal error")
	}
	plain := errors.New("store down")
	if lifecycleRefused(plain, "x") != plain || lifecycleRefused(nil, "x") != nil {
		t.Error("lifecycleRefused changed an error that is not a refusal")
	}
}
