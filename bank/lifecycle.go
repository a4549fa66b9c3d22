package bank

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/cordbank/cordbank/bank/access"
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

// transition is one row of the lifecycle table: which states an action may
// start from, the state it leads to and the EMDIS reason codes it records.
type transition struct {
	// method names the use case in request records (idempotency).
	method string
	from   []Status
	// to is the new status; "" keeps the status (a transfer is an
	// ownership event, not a status change).
	to Status
	// reasons are the reason codes the action accepts. When the caller
	// gives none, defaultReason is recorded; required refuses an empty one.
	reasons       []string
	defaultReason string
	required      bool
	// until: the action needs an end date after today (STAT_END_DATE).
	until bool
}

// nonTerminal are the states a unit can still leave for any disposition.
// SHIPPED is terminal but for recording the infusion.
var nonTerminal = []Status{StatusQuarantine, StatusAvailable, StatusTemporarilyUnavailable, StatusReserved, StatusShipmentRequested}

// lifecycle is the state machine as data. A state/action pair not listed is
// refused with KindFailedPrecondition, ReasonIllegalTransition.
var lifecycle = map[Action]transition{
	ActionRelease: {method: "ReleaseUnit", from: []Status{StatusQuarantine}, to: StatusAvailable,
		reasons: []string{"NS"}},
	// From TEMPORARILY_UNAVAILABLE too: a bank extends an unavailability
	// (or changes its reason) without the unit turning searchable between.
	ActionMakeUnavailable: {method: "MakeUnitUnavailable", from: []Status{StatusAvailable, StatusTemporarilyUnavailable}, to: StatusTemporarilyUnavailable,
		reasons: []string{"QR", "AD"}, required: true, until: true},
	ActionMakeAvailable: {method: "MakeUnitAvailable", from: []Status{StatusTemporarilyUnavailable}, to: StatusAvailable,
		reasons: []string{"NS"}},
	ActionDiscard: {method: "DiscardUnit", from: nonTerminal, to: StatusDiscarded,
		reasons: []string{"CD", "MR"}, required: true},
	ActionExpire: {method: "ExpireUnit", from: nonTerminal, to: StatusExpired,
		reasons: []string{"XP"}, defaultReason: "XP"},
	ActionWithdraw: {method: "WithdrawUnit", from: nonTerminal, to: StatusWithdrawn,
		reasons: []string{"MR", "OT"}, required: true},
	ActionShip: {method: "ShipUnit", from: []Status{StatusShipmentRequested}, to: StatusShipped,
		reasons: []string{"DS"}, defaultReason: "DS"},
	ActionRecordInfusion: {method: "RecordInfusion", from: []Status{StatusShipped}, to: StatusInfused,
		reasons: []string{"DS"}, defaultReason: "DS"},
	// A unit in a reservation or shipment stays with the bank that holds
	// the reservation; one that left the bank has no custody to transfer.
	ActionTransfer: {method: "TransferUnit", from: []Status{StatusQuarantine, StatusAvailable, StatusTemporarilyUnavailable}},
}

// Actions returns every lifecycle action, in a stable order.
func Actions() []Action {
	return []Action{ActionRelease, ActionMakeUnavailable, ActionMakeAvailable, ActionDiscard, ActionExpire,
		ActionWithdraw, ActionShip, ActionRecordInfusion, ActionTransfer}
}

// Statuses returns every unit status, in lifecycle order.
func Statuses() []Status {
	return []Status{StatusQuarantine, StatusAvailable, StatusTemporarilyUnavailable, StatusReserved, StatusShipmentRequested,
		StatusShipped, StatusInfused, StatusDiscarded, StatusExpired, StatusWithdrawn}
}

// Allows reports whether a unit in status s may undergo action a.
func (a Action) Allows(s Status) bool {
	t, ok := lifecycle[a]
	return ok && slices.Contains(t.from, s)
}

// Terminal reports whether no lifecycle method but recording an infusion
// leaves s: the unit has left the inventory for good.
func (s Status) Terminal() bool { return !slices.Contains(nonTerminal, s) }

// MaxStatusNoteLength bounds a status note, in characters.
const MaxStatusNoteLength = 2000

// TransitionRequest asks for one lifecycle action on one unit.
type TransitionRequest struct {
	Bank   string
	DIN    DIN
	Action Action
	// Reason is the EMDIS reason code to record (case-insensitive); which
	// codes an action takes, and whether one is required, is in the table.
	Reason string
	// Until is the end of a temporary unavailability (required for
	// ActionMakeUnavailable, after today; refused for other actions).
	Until Date
	// Note is free text kept with the status, at most MaxStatusNoteLength
	// characters. Not taken by ActionTransfer.
	Note string
	// DistributingBank is the id of the bank a transfer hands the unit to
	// (required for ActionTransfer, refused for other actions).
	DistributingBank string
	// Etag, when not empty, must be the unit's current etag (else
	// KindAborted).
	Etag string
	// RequestID, when not empty, makes the call idempotent: a retry with
	// the same id and content returns the unit as it is now, without
	// applying the action again; other content under the same id is
	// KindInvalid, ReasonRequestIDReused.
	RequestID string
}

// validate checks r against the table and normalizes its reason. It
// returns the action's row (zero when the action is unknown).
func (r *TransitionRequest) validate(v *Violations, today Date) transition {
	validRequestID(v, r.RequestID)
	t, ok := lifecycle[r.Action]
	if !ok {
		v.Add("action", "unknown lifecycle action %q", r.Action)
		return t
	}
	r.Reason = strings.ToUpper(strings.TrimSpace(r.Reason))
	switch {
	case r.Reason == "" && t.required:
		v.Add("reason", "required: one of %s", strings.Join(t.reasons, ", "))
	case r.Reason == "":
		r.Reason = t.defaultReason
	case len(t.reasons) == 0:
		v.Add("reason", "%s takes no reason code", r.Action)
	case !slices.Contains(t.reasons, r.Reason):
		v.Add("reason", "%q is not a reason code for %s: use one of %s", r.Reason, r.Action, strings.Join(t.reasons, ", "))
	}
	switch {
	case t.until && r.Until.IsZero():
		v.Add("until", "required: the date the unit becomes available again, YYYY-MM-DD")
	case t.until && !today.Before(r.Until):
		v.Add("until", "%s is not after today (%s)", r.Until, today)
	case !t.until && !r.Until.IsZero():
		v.Add("until", "only %s takes an end date", ActionMakeUnavailable)
	}
	if n := utf8.RuneCountInString(r.Note); n > MaxStatusNoteLength {
		v.Add("note", "%d characters, at most %d", n, MaxStatusNoteLength)
	} else if r.Action == ActionTransfer && r.Note != "" {
		v.Add("note", "a transfer takes no note")
	}
	switch {
	case r.Action == ActionTransfer && r.DistributingBank == "":
		v.Add("distributing_bank", "required: the bank that takes over distribution")
	case r.Action == ActionTransfer && !ValidBankID(r.DistributingBank):
		v.Add("distributing_bank", "%q is not a valid bank id", r.DistributingBank)
	case r.Action != ActionTransfer && r.DistributingBank != "":
		v.Add("distributing_bank", "only %s takes a distributing bank", ActionTransfer)
	}
	return t
}

// ValidateTransition returns every problem with r as a request, without
// reading or writing anything. Transports use it to report their own parse
// errors together with the domain's in one response.
func (s *Service) ValidateTransition(r TransitionRequest) []Violation {
	var v Violations
	r.validate(&v, DateOf(s.now()))
	return v.List()
}

// illegalTransition is the error for an action the unit's state forbids.
func illegalTransition(u *Unit, a Action, t transition) error {
	from := make([]string, len(t.from))
	for i, s := range t.from {
		from[i] = string(s)
	}
	return NewError(KindFailedPrecondition, ReasonIllegalTransition,
		fmt.Sprintf("unit is %s: %s is allowed only from %s", u.Status, a, strings.Join(from, ", ")),
		"name", u.Name(), "status", string(u.Status), "action", string(a), "allowed_from", strings.Join(from, ","))
}

// Transition applies one lifecycle action to a unit and returns the unit
// as stored. Errors: KindInvalid naming every bad request field (unknown
// target bank: ReasonBankNotFound on distributing_bank); KindNotFound when
// the unit does not exist; KindAborted on a stale etag;
// KindFailedPrecondition, ReasonIllegalTransition when the unit's state
// does not allow the action (metadata "status" and "action"). On error
// nothing is written. Status changes record the reason code, end date,
// note and time on the unit; a transfer changes only the distributing
// bank.
func (s *Service) Transition(ctx context.Context, r TransitionRequest) (*Unit, error) {
	if err := authorize(ctx, transitionAction(r.Action), r.Bank, false); err != nil {
		return nil, err
	}
	var v Violations
	t := r.validate(&v, DateOf(s.now()))
	if err := v.Err("invalid " + string(r.Action) + " request"); err != nil {
		return nil, err
	}
	fp := fingerprint(r.RequestID, t.method, r)
	var out *Unit
	replayed := false
	err := s.store.Write(ctx, func(tx Tx) error {
		if name, err := replay(ctx, tx, r.RequestID, t.method, fp); err != nil {
			return err
		} else if name != "" {
			var err error
			replayed = true
			out, err = tx.GetUnit(ctx, r.Bank, r.DIN)
			return err
		}
		cur, err := tx.GetUnit(ctx, r.Bank, r.DIN)
		if err != nil {
			return err
		}
		if err := checkEtag(r.Etag, cur.Version, cur.Name()); err != nil {
			return err
		}
		if !slices.Contains(t.from, cur.Status) {
			return illegalTransition(cur, r.Action, t)
		}
		now := s.now().UTC()
		nu := cloneUnit(cur)
		if r.Action == ActionTransfer {
			if err := s.transferTo(ctx, tx, nu, r.DistributingBank); err != nil {
				return err
			}
		} else {
			nu.Status, nu.StatusReason, nu.StatusEndDate, nu.StatusNote, nu.StatusTime = t.to, r.Reason, r.Until, r.Note, now
		}
		nu.UpdateTime = now
		nu.Version++
		if err := tx.UpdateUnit(ctx, nu); err != nil {
			return err
		}
		trail := s.newChain(ctx, tx, now)
		if err := trail.changed(t.method, nu.Name(), nu.Bank, r.Reason, cur, nu); err != nil {
			return err
		}
		if err := s.closeOnTransition(ctx, tx, trail, cur, nu, t.method, now); err != nil {
			return err
		}
		if err := s.vacateOnTransition(ctx, tx, trail, nu, t.method); err != nil {
			return err
		}
		if r.RequestID != "" {
			if err := tx.PutRequest(ctx, &RequestRecord{ID: r.RequestID, Method: t.method, Fingerprint: fp, Resource: nu.Name(), CreateTime: now}); err != nil {
				return err
			}
		}
		out = nu
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !replayed {
		s.unitsChanged([]*Unit{out})
	}
	return out, nil
}

// transferTo makes target the distributing bank of u. The target must
// exist and differ from the current distributor; the parent bank is
// recorded as "" (the default), so a unit has one representation.
func (s *Service) transferTo(ctx context.Context, tx RegistryReader, u *Unit, target string) error {
	bad := func(reason Reason, desc string) error {
		return &Error{Kind: KindInvalid, Reason: reason, Message: "invalid transfer",
			Violations: []Violation{{Field: "distributing_bank", Description: desc}},
			Metadata:   map[string]string{"name": u.Name(), "distributing_bank": "banks/" + target}}
	}
	if target == u.Distributor() {
		return bad(ReasonInvalidArgument, "banks/"+target+" already distributes the unit")
	}
	if _, err := tx.GetBank(ctx, target); err != nil {
		if KindOf(err) == KindNotFound {
			return bad(ReasonBankNotFound, "bank "+target+" does not exist")
		}
		return err
	}
	u.DistributingBank = target
	if target == u.Bank {
		u.DistributingBank = ""
	}
	return nil
}

// transitionAction is the policy's action of a lifecycle transition:
// withdrawal and transfer of custody are managers' decisions.
func transitionAction(a Action) access.Action {
	switch a {
	case ActionWithdraw:
		return access.WithdrawUnit
	case ActionTransfer:
		return access.TransferUnit
	}
	return access.Lifecycle
}
