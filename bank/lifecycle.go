package bank

import (
	"context"
	"errors"

	"github.com/cordbank/cordbank/bank/access"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/names"
	"github.com/cordbank/cordbank/bank/refusal"
	"github.com/cordbank/cordbank/bank/unit"
)

// The state machine's rules are package lifecycle's; this file is where
// they meet bank's units, store port and errors.

// lifecycleRefused turns a lifecycle rule's Refusal into bank's error
// model, naming the resource it concerns; kv adds metadata. Every rule
// refuses a change the resource's state forbids: FAILED_PRECONDITION.
// Other errors pass unchanged.
func lifecycleRefused(err error, name string, kv ...string) error {
	var r *refusal.Refusal[lifecycle.Rule]
	if !errors.As(err, &r) {
		return err
	}
	kv = append(append([]string{"name", name}, r.Metadata...), kv...)
	switch r.Rule {
	case lifecycle.RuleIllegalTransition, lifecycle.RuleIllegalReservationChange:
		return NewError(KindFailedPrecondition, ReasonIllegalTransition, r.Message, kv...)
	case lifecycle.RuleNotReservable:
		return NewError(KindFailedPrecondition, ReasonUnitNotReservable, r.Message, kv...)
	}
	return Internal(err, "unknown lifecycle rule %d", r.Rule)
}

// TransitionRequest asks for one lifecycle action on one unit.
type TransitionRequest struct {
	Bank   string
	DIN    unit.DIN
	Action lifecycle.Action
	// Reason is the EMDIS reason code to record (case-insensitive); which
	// codes an action takes, and whether one is required, is the state
	// machine's (lifecycle.Transition.Reason).
	Reason string
	// Until is the end of a temporary unavailability (required for
	// lifecycle.ActionMakeUnavailable, after today; refused for other
	// actions).
	Until unit.Date
	// Note is free text kept with the status, at most
	// lifecycle.MaxStatusNoteLength
	// characters. Not taken by lifecycle.ActionTransfer.
	Note string
	// DistributingBank is the id of the bank a transfer hands the unit to
	// (required for lifecycle.ActionTransfer, refused for other actions).
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

// validate checks r against the state machine and normalizes its reason.
// It returns the action's row (zero when the action is unknown).
func (r *TransitionRequest) validate(v *Violations, today unit.Date) lifecycle.Transition {
	validRequestID(v, r.RequestID)
	t, ok := lifecycle.Lookup(r.Action)
	if !ok {
		v.Add("action", "unknown lifecycle action %q", r.Action)
		return t
	}
	r.Reason = t.Reason(v, r.Reason)
	lifecycle.CheckUntil(v, t, r.Until, today)
	t.CheckNote(v, r.Note)
	// Which bank may take over distribution is the registry's rule.
	transfer := r.Action == lifecycle.ActionTransfer
	switch {
	case transfer && r.DistributingBank == "":
		v.Add("distributing_bank", "required: the bank that takes over distribution")
	case transfer && !ValidBankID(r.DistributingBank):
		v.Add("distributing_bank", "%q is not a valid bank id", r.DistributingBank)
	case !transfer && r.DistributingBank != "":
		v.Add("distributing_bank", "only %s takes a distributing bank", lifecycle.ActionTransfer)
	}
	return t
}

// ValidateTransition returns every problem with r as a request, without
// reading or writing anything. Transports use it to report their own parse
// errors together with the domain's in one response.
func (s *Service) ValidateTransition(r TransitionRequest) []Violation {
	var v Violations
	r.validate(&v, unit.DateOf(s.now()))
	return v.List()
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
	t := r.validate(&v, unit.DateOf(s.now()))
	if err := v.Err("invalid " + string(r.Action) + " request"); err != nil {
		return nil, err
	}
	fp := fingerprint(r.RequestID, t.Method, r)
	var out *Unit
	replayed := false
	appended, err := s.writeHandOver(ctx, func(tx Tx) error {
		if name, err := replay(ctx, tx, r.RequestID, t.Method, fp); err != nil {
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
		if err := t.Check(cur.Status); err != nil {
			return lifecycleRefused(err, cur.Name())
		}
		now := s.now().UTC()
		nu := cloneUnit(cur)
		if r.Action == lifecycle.ActionTransfer {
			if err := s.transferTo(ctx, tx, nu, r.DistributingBank); err != nil {
				return err
			}
		} else {
			nu.Status, nu.StatusReason, nu.StatusEndDate, nu.StatusNote, nu.StatusTime = t.To, r.Reason, r.Until, r.Note, now
		}
		nu.UpdateTime = now
		nu.Version++
		if err := tx.UpdateUnit(ctx, nu); err != nil {
			return err
		}
		trail := s.newChain(ctx, tx, now)
		if err := trail.changed(t.Method, nu.Name(), nu.Bank, r.Reason, cur, nu); err != nil {
			return err
		}
		if err := s.closeOnTransition(ctx, tx, trail, cur, nu, t.Method, now); err != nil {
			return err
		}
		if err := s.vacateOnTransition(ctx, tx, trail, nu, t.Method); err != nil {
			return err
		}
		if r.RequestID != "" {
			if err := tx.PutRequest(ctx, &RequestRecord{ID: r.RequestID, Method: t.Method, Fingerprint: fp, Resource: nu.Name(), CreateTime: now}); err != nil {
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
		s.handOver(appended, []*Unit{out}, nil)
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
			Metadata:   map[string]string{"name": u.Name(), "distributing_bank": names.Bank(target)}}
	}
	if target == u.Distributor() {
		return bad(ReasonInvalidArgument, names.Bank(target)+" already distributes the unit")
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
func transitionAction(a lifecycle.Action) access.Action {
	switch a {
	case lifecycle.ActionWithdraw:
		return access.WithdrawUnit
	case lifecycle.ActionTransfer:
		return access.TransferUnit
	}
	return access.Lifecycle
}
