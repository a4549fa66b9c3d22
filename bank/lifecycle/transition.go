package lifecycle

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/cordbank/cordbank/bank/refusal"
)

// Action is a lifecycle method of a unit (domain.md §2.2). Its value is the
// method's custom verb in the API (POST .../units/{din}:release).
type Action string

// Lifecycle actions. RESERVED and SHIPMENT_REQUESTED are entered by the
// reservation methods; the table already lets units leave them.
const (
	ActionRelease         Action = "release"         // QUARANTINE -> AVAILABLE: tests passed
	ActionMakeUnavailable Action = "makeUnavailable" // AVAILABLE -> TEMPORARILY_UNAVAILABLE until a date (TU/QR|AD)
	ActionMakeAvailable   Action = "makeAvailable"   // TEMPORARILY_UNAVAILABLE -> AVAILABLE
	ActionDiscard         Action = "discard"         // non-terminal -> DISCARDED (DE/CD|MR)
	ActionExpire          Action = "expire"          // non-terminal -> EXPIRED (DE/XP)
	ActionWithdraw        Action = "withdraw"        // non-terminal -> WITHDRAWN (DE/MR|OT)
	ActionShip            Action = "ship"            // SHIPMENT_REQUESTED -> SHIPPED (DE/DS)
	ActionRecordInfusion  Action = "recordInfusion"  // SHIPPED -> INFUSED (DE/DS)
	ActionTransfer        Action = "transfer"        // change of distributing bank; status unchanged
)

// Actions returns every lifecycle action, in a stable order.
func Actions() []Action {
	return []Action{ActionRelease, ActionMakeUnavailable, ActionMakeAvailable, ActionDiscard, ActionExpire,
		ActionWithdraw, ActionShip, ActionRecordInfusion, ActionTransfer}
}

// Transition is one row of the state machine: which states an action may
// start from, the state it leads to and the EMDIS reason codes it records.
type Transition struct {
	Action Action // set by Lookup
	// Method names the use case in request records (idempotency) and in
	// the audit trail.
	Method string
	from   []Status
	// To is the new status; "" keeps the status (a transfer is an
	// ownership event, not a status change).
	To Status
	// reasons are the reason codes the action accepts. When the caller
	// gives none, defaultReason is recorded; required refuses an empty one.
	reasons       []string
	defaultReason string
	required      bool
	// until: the action needs an end date after today (STAT_END_DATE).
	until bool
}

// machine is the state machine as data. A state/action pair not listed is
// refused with RuleIllegalTransition.
var machine = map[Action]Transition{
	ActionRelease: {Method: "ReleaseUnit", from: []Status{StatusQuarantine}, To: StatusAvailable,
		reasons: []string{"NS"}},
	// From TEMPORARILY_UNAVAILABLE too: a bank extends an unavailability
	// (or changes its reason) without the unit turning searchable between.
	ActionMakeUnavailable: {Method: "MakeUnitUnavailable", from: []Status{StatusAvailable, StatusTemporarilyUnavailable}, To: StatusTemporarilyUnavailable,
		reasons: []string{"QR", "AD"}, required: true, until: true},
	ActionMakeAvailable: {Method: "MakeUnitAvailable", from: []Status{StatusTemporarilyUnavailable}, To: StatusAvailable,
		reasons: []string{"NS"}},
	ActionDiscard: {Method: "DiscardUnit", from: nonTerminal, To: StatusDiscarded,
		reasons: []string{"CD", "MR"}, required: true},
	ActionExpire: {Method: "ExpireUnit", from: nonTerminal, To: StatusExpired,
		reasons: []string{"XP"}, defaultReason: "XP"},
	ActionWithdraw: {Method: "WithdrawUnit", from: nonTerminal, To: StatusWithdrawn,
		reasons: []string{"MR", "OT"}, required: true},
	ActionShip: {Method: "ShipUnit", from: []Status{StatusShipmentRequested}, To: StatusShipped,
		reasons: []string{"DS"}, defaultReason: "DS"},
	ActionRecordInfusion: {Method: "RecordInfusion", from: []Status{StatusShipped}, To: StatusInfused,
		reasons: []string{"DS"}, defaultReason: "DS"},
	// A unit in a reservation or shipment stays with the bank that holds
	// the reservation; one that left the bank has no custody to transfer.
	ActionTransfer: {Method: "TransferUnit", from: []Status{StatusQuarantine, StatusAvailable, StatusTemporarilyUnavailable}},
}

// Lookup returns the state machine's row of action a; false when a is not
// a lifecycle action.
func Lookup(a Action) (Transition, bool) {
	t, ok := machine[a]
	if ok {
		t.Action = a
	}
	return t, ok
}

// Allows reports whether a unit in status s may undergo action a.
func (a Action) Allows(s Status) bool {
	t, ok := machine[a]
	return ok && slices.Contains(t.from, s)
}

// Check refuses (RuleIllegalTransition) the transition from status s when
// the table does not list s among the states it starts from.
func (t Transition) Check(s Status) error {
	if slices.Contains(t.from, s) {
		return nil
	}
	from := make([]string, len(t.from))
	for i, f := range t.from {
		from[i] = string(f)
	}
	return refusal.New(RuleIllegalTransition, fmt.Sprintf("unit is %s: %s is allowed only from %s", s, t.Action, strings.Join(from, ", ")),
		"status", string(s), "action", string(t.Action), "allowed_from", strings.Join(from, ","))
}

// Reason checks the EMDIS reason code a request gives for t (field
// "reason") and returns it normalised: upper case, or the action's default
// when none is given.
func (t Transition) Reason(v Violations, given string) string {
	r := strings.ToUpper(strings.TrimSpace(given))
	switch {
	case r == "" && t.required:
		v.Add("reason", "required: one of %s", strings.Join(t.reasons, ", "))
	case r == "":
		r = t.defaultReason
	case len(t.reasons) == 0:
		v.Add("reason", "%s takes no reason code", t.Action)
	case !slices.Contains(t.reasons, r):
		v.Add("reason", "%q is not a reason code for %s: use one of %s", r, t.Action, strings.Join(t.reasons, ", "))
	}
	return r
}

// Day is a calendar date as the end-date rule needs it; unit.Date is one.
type Day[D any] interface {
	IsZero() bool
	Before(D) bool
	String() string
}

// CheckUntil checks the end date a request gives for t (field "until"):
// required and after today for an action that takes one, refused for
// any other.
func CheckUntil[D Day[D]](v Violations, t Transition, until, today D) {
	switch {
	case t.until && until.IsZero():
		v.Add("until", "required: the date the unit becomes available again, YYYY-MM-DD")
	case t.until && !today.Before(until):
		v.Add("until", "%s is not after today (%s)", until, today)
	case !t.until && !until.IsZero():
		v.Add("until", "only %s takes an end date", ActionMakeUnavailable)
	}
}

// MaxStatusNoteLength bounds a status note, in characters.
const MaxStatusNoteLength = 2000

// CheckNote checks the free-text note a request gives for t (field
// "note"): at most MaxStatusNoteLength characters, and none on a transfer,
// which leaves the status (and its note) as it is.
func (t Transition) CheckNote(v Violations, note string) {
	if n := utf8.RuneCountInString(note); n > MaxStatusNoteLength {
		v.Add("note", "%d characters, at most %d", n, MaxStatusNoteLength)
	} else if t.Action == ActionTransfer && note != "" {
		v.Add("note", "a transfer takes no note")
	}
}
