package lifecycle_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/refusal"
)

// violations records the fields a rule blamed, in order.
type violations struct{ fields, texts []string }

func (v *violations) Add(field, format string, args ...any) {
	v.fields = append(v.fields, field)
	v.texts = append(v.texts, fmt.Sprintf(format, args...))
}

// refused returns err as a lifecycle refusal, or fails the test.
func refused(t *testing.T, err error, want lifecycle.Rule) *refusal.Refusal[lifecycle.Rule] {
	t.Helper()
	var r *refusal.Refusal[lifecycle.Rule]
	if !errors.As(err, &r) {
		t.Fatalf("%v: not a lifecycle refusal", err)
	}
	if r.Rule != want {
		t.Fatalf("rule %d, want %d", r.Rule, want)
	}
	return r
}

func TestStatuses(t *testing.T) {
	terminal := []lifecycle.Status{lifecycle.StatusShipped, lifecycle.StatusInfused, lifecycle.StatusDiscarded,
		lifecycle.StatusExpired, lifecycle.StatusWithdrawn}
	held := []lifecycle.Status{lifecycle.StatusReserved, lifecycle.StatusShipmentRequested}
	emdis := map[lifecycle.Status]string{
		lifecycle.StatusQuarantine: "TU/QR", lifecycle.StatusAvailable: "AV/", lifecycle.StatusTemporarilyUnavailable: "TU/AD",
		lifecycle.StatusReserved: "RS/", lifecycle.StatusShipmentRequested: "RS/", lifecycle.StatusShipped: "DE/DS",
		lifecycle.StatusInfused: "DE/DS", lifecycle.StatusDiscarded: "DE/CD", lifecycle.StatusExpired: "DE/XP",
		lifecycle.StatusWithdrawn: "DE/OT",
	}
	if len(lifecycle.Statuses()) != len(emdis) {
		t.Fatalf("%d statuses, the test knows %d", len(lifecycle.Statuses()), len(emdis))
	}
	for _, s := range lifecycle.Statuses() {
		if got := s.Terminal(); got != slices.Contains(terminal, s) {
			t.Errorf("%s.Terminal() = %v", s, got)
		}
		if got := s.Held(); got != slices.Contains(held, s) {
			t.Errorf("%s.Held() = %v", s, got)
		}
		if st, r := s.EMDISStatus(); st+"/"+r != emdis[s] {
			t.Errorf("%s.EMDISStatus() = %s/%s, want %s", s, st, r, emdis[s])
		}
	}
	if st, r := lifecycle.Status("GONE").EMDISStatus(); st != "" || r != "" {
		t.Errorf("an unknown status reports %s/%s", st, r)
	}
}

// TestStateMachine: Allows and Check agree for every action and status,
// Check's refusal lists the states the action starts from, and each
// action leads where domain.md §2.2 says.
func TestStateMachine(t *testing.T) {
	nonTerminal := "QUARANTINE,AVAILABLE,TEMPORARILY_UNAVAILABLE,RESERVED,SHIPMENT_REQUESTED"
	want := map[lifecycle.Action]struct {
		from, method string
		to           lifecycle.Status
	}{
		lifecycle.ActionRelease:         {"QUARANTINE", "ReleaseUnit", lifecycle.StatusAvailable},
		lifecycle.ActionMakeUnavailable: {"AVAILABLE,TEMPORARILY_UNAVAILABLE", "MakeUnitUnavailable", lifecycle.StatusTemporarilyUnavailable},
		lifecycle.ActionMakeAvailable:   {"TEMPORARILY_UNAVAILABLE", "MakeUnitAvailable", lifecycle.StatusAvailable},
		lifecycle.ActionDiscard:         {nonTerminal, "DiscardUnit", lifecycle.StatusDiscarded},
		lifecycle.ActionExpire:          {nonTerminal, "ExpireUnit", lifecycle.StatusExpired},
		lifecycle.ActionWithdraw:        {nonTerminal, "WithdrawUnit", lifecycle.StatusWithdrawn},
		lifecycle.ActionShip:            {"SHIPMENT_REQUESTED", "ShipUnit", lifecycle.StatusShipped},
		lifecycle.ActionRecordInfusion:  {"SHIPPED", "RecordInfusion", lifecycle.StatusInfused},
		lifecycle.ActionTransfer:        {"QUARANTINE,AVAILABLE,TEMPORARILY_UNAVAILABLE", "TransferUnit", ""},
	}
	if len(lifecycle.Actions()) != len(want) {
		t.Fatalf("%d actions, the test knows %d", len(lifecycle.Actions()), len(want))
	}
	for _, a := range lifecycle.Actions() {
		w := want[a]
		tr, ok := lifecycle.Lookup(a)
		if !ok || tr.Action != a || tr.Method != w.method || tr.To != w.to {
			t.Errorf("Lookup(%s) = %+v, %v; want method %s, to %q", a, tr, ok, w.method, w.to)
		}
		from := strings.Split(w.from, ",")
		for _, s := range lifecycle.Statuses() {
			legal := slices.Contains(from, string(s))
			if a.Allows(s) != legal {
				t.Errorf("%s.Allows(%s) = %v, want %v", a, s, a.Allows(s), legal)
			}
			err := tr.Check(s)
			if legal {
				if err != nil {
					t.Errorf("%s from %s refused: %v", a, s, err)
				}
				continue
			}
			r := refused(t, err, lifecycle.RuleIllegalTransition)
			wantMeta := []string{"status", string(s), "action", string(a), "allowed_from", w.from}
			if diff := cmp.Diff(wantMeta, r.Metadata); diff != "" {
				t.Errorf("%s from %s: metadata (-want +got):\n%s", a, s, diff)
			}
			if !strings.Contains(r.Message, "allowed only from "+strings.ReplaceAll(w.from, ",", ", ")) {
				t.Errorf("%s from %s: message %q does not say where it is allowed from", a, s, r.Message)
			}
		}
	}
	if _, ok := lifecycle.Lookup("thaw"); ok || lifecycle.Action("thaw").Allows(lifecycle.StatusAvailable) {
		t.Error("an unknown action is in the table")
	}
}

func TestTransitionReason(t *testing.T) {
	for _, tc := range []struct {
		a           lifecycle.Action
		given, want string
		bad         bool
	}{
		{lifecycle.ActionRelease, "", "", false},
		{lifecycle.ActionRelease, " ns ", "NS", false},
		{lifecycle.ActionRelease, "QR", "QR", true},
		{lifecycle.ActionMakeUnavailable, "", "", true}, // required
		{lifecycle.ActionMakeUnavailable, "qr", "QR", false},
		{lifecycle.ActionDiscard, "MR", "MR", false},
		{lifecycle.ActionDiscard, "XP", "XP", true},
		{lifecycle.ActionExpire, "", "XP", false}, // the default
		{lifecycle.ActionShip, "", "DS", false},
		{lifecycle.ActionWithdraw, "", "", true},
		{lifecycle.ActionTransfer, "", "", false},
		{lifecycle.ActionTransfer, "OT", "OT", true}, // takes none
	} {
		tr, _ := lifecycle.Lookup(tc.a)
		var v violations
		got := tr.Reason(&v, tc.given)
		if got != tc.want || (len(v.fields) > 0) != tc.bad {
			t.Errorf("%s reason %q: got %q, violations %v; want %q, bad %v", tc.a, tc.given, got, v.texts, tc.want, tc.bad)
		}
		for _, f := range v.fields {
			if f != "reason" {
				t.Errorf("%s reason %q: blames %q", tc.a, tc.given, f)
			}
		}
	}
}

// day is a date as a day number, for CheckUntil.
type day int

func (d day) IsZero() bool      { return d == 0 }
func (d day) Before(e day) bool { return d < e }
func (d day) String() string    { return fmt.Sprintf("day %d", int(d)) }

func TestTransitionUntilAndNote(t *testing.T) {
	unavailable, _ := lifecycle.Lookup(lifecycle.ActionMakeUnavailable)
	release, _ := lifecycle.Lookup(lifecycle.ActionRelease)
	transfer, _ := lifecycle.Lookup(lifecycle.ActionTransfer)
	const today = day(100)
	for _, tc := range []struct {
		what  string
		tr    lifecycle.Transition
		until day
		bad   bool
	}{
		{"unavailable until tomorrow", unavailable, 101, false},
		{"unavailable until today", unavailable, 100, true},
		{"unavailable until yesterday", unavailable, 99, true},
		{"unavailable without end", unavailable, 0, true},
		{"release without end", release, 0, false},
		{"release with end", release, 101, true},
	} {
		var v violations
		lifecycle.CheckUntil(&v, tc.tr, tc.until, today)
		if (len(v.fields) > 0) != tc.bad || (tc.bad && v.fields[0] != "until") {
			t.Errorf("%s: violations %v %v", tc.what, v.fields, v.texts)
		}
	}
	for _, tc := range []struct {
		what string
		tr   lifecycle.Transition
		note string
		bad  bool
	}{
		{"note at the limit", release, strings.Repeat("ü", lifecycle.MaxStatusNoteLength), false},
		{"note over the limit", release, strings.Repeat("ü", lifecycle.MaxStatusNoteLength+1), true},
		{"transfer without note", transfer, "", false},
		{"transfer with note", transfer, "x", true},
	} {
		var v violations
		tc.tr.CheckNote(&v, tc.note)
		if (len(v.fields) > 0) != tc.bad || (tc.bad && v.fields[0] != "note") {
			t.Errorf("%s: violations %v %v", tc.what, v.fields, v.texts)
		}
	}
}
