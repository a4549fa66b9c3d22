package bank

import (
	"context"

	"github.com/cordbank/cordbank/bank/access"
)

// What each principal may see of the audit trail. The bank's own
// principals and administrators read a bank's events whole. Everyone else
// allowed to read them (a registry auditor) reads them scoped and
// redacted: the events of private units, and of the resources below them,
// are left out by the store query itself (EventQuery.WithholdPrivateUnits),
// before the page limit and the page token, so no page, token, stream or
// count depends on them; the remaining events lose their private fields
// and the counts of units in a tank (redactForOutsiders).

// eventView is how one principal reads the events of one bank ("" for
// every bank).
type eventView struct {
	outsider bool
}

func viewOfEvents(p Principal, bankID string) eventView {
	if p.Role == RoleAdmin || (bankID != "" && p.SeesPrivateOf(bankID)) {
		return eventView{}
	}
	return eventView{outsider: true}
}

// scope narrows q to the events the viewer may see.
func (v eventView) scope(q EventQuery) EventQuery {
	q.WithholdPrivateUnits = q.WithholdPrivateUnits || v.outsider
	return q
}

// show returns evs as the viewer may see them (redacted copies for
// outsiders; evs itself is not modified).
func (v eventView) show(evs []*Event) []*Event {
	if !v.outsider {
		return evs
	}
	out := make([]*Event, len(evs))
	for i, e := range evs {
		out[i] = e.Redacted()
	}
	return out
}

// VerifyAuditTrail verifies the whole chain (VerifyEvents) for the caller
// of ctx and reports it as the caller may see it. An administrator gets
// the full summary. Anyone else gets counts that never depend on what it
// may not see: Events is the number of events it may read (a bank
// auditor: its bank's events; a registry auditor: every event but those
// of private units), Head the hash of the last of them, Problems those at
// events it may read, and one problem at position 0 standing for every
// break among the others (the chain is broken, and the administrator can
// see where). The chain itself is always verified whole: its links run
// through every event. Errors: KindPermissionDenied for a caller who may
// not verify.
func (s *Service) VerifyAuditTrail(ctx context.Context) (VerifySummary, error) {
	if err := authorize(ctx, access.VerifyAudit, "", false); err != nil {
		return VerifySummary{}, err
	}
	p := access.PrincipalFrom(ctx)
	if p.Role == RoleAdmin {
		return s.VerifyEvents(ctx)
	}
	q := EventQuery{WithholdPrivateUnits: true}
	if p.IsBankRole() {
		q = EventQuery{Bank: p.Org}
	}
	// Count first, up to the head as it is now; the verification that
	// follows covers at least these events.
	// One read transaction is one snapshot: what it counts is what the
	// head was when it began.
	var seen VerifySummary
	err := s.store.Read(ctx, func(tx ReadTx) error {
		for {
			page := q
			page.Limit = verifyPage
			evs, err := tx.ListEvents(ctx, page)
			if err != nil {
				return err
			}
			for _, e := range evs {
				seen.Events++
				seen.Head, seen.HeadSeq = e.Hash, e.Seq
			}
			if len(evs) < verifyPage {
				return nil
			}
			q.AfterSeq = evs[len(evs)-1].Seq
		}
	})
	if err != nil {
		return VerifySummary{}, err
	}
	full, err := s.VerifyEvents(ctx)
	if err != nil {
		return VerifySummary{}, err
	}
	hidden := false
	for _, pr := range full.Problems {
		probe := q
		probe.AfterSeq, probe.Limit = pr.Seq-1, 1
		var visible bool
		err := s.store.Read(ctx, func(tx ReadTx) error {
			evs, err := tx.ListEvents(ctx, probe)
			visible = err == nil && len(evs) == 1 && evs[0].Seq == pr.Seq
			return err
		})
		if err != nil {
			return VerifySummary{}, err
		}
		if visible {
			seen.Problems = append(seen.Problems, pr)
		} else {
			hidden = true
		}
	}
	if hidden {
		seen.Problems = append(seen.Problems, ChainProblem{Seq: 0,
			Reason: "the chain is broken at events you may not read: the registry administrator can see where"})
	}
	return seen, nil
}

// visibleUnit returns the unit of bank with din if the caller of ctx may
// see it; a private unit of another bank is KindNotFound, the same answer
// as for a DIN nobody registered.
func visibleUnit(ctx context.Context, tx RegistryReader, bank string, din DIN) (*Unit, error) {
	u, err := tx.GetUnit(ctx, bank, din)
	if err != nil {
		return nil, err
	}
	if u.IsPrivate() && !access.PrincipalFrom(ctx).SeesPrivateOf(u.Bank) {
		return nil, unitHidden(bank, din)
	}
	return u, nil
}

// unitHidden is the answer for a unit the caller may not see.
func unitHidden(bank string, din DIN) error {
	return NewError(KindNotFound, ReasonUnitNotFound, "unit not found", "name", "banks/"+bank+"/units/"+string(din))
}
