package bank

import (
	"context"
	"fmt"

	"github.com/cordbank/cordbank/bank/access"
	"github.com/cordbank/cordbank/bank/audit"
	"github.com/cordbank/cordbank/bank/unit"
)

// What each principal may see of the audit trail. Administrators read
// the registry-wide chain whole, with its positions and hashes. A bank's
// own principals read that bank's events whole, and everyone else allowed
// to read them (a registry auditor, another bank's auditor) reads them
// scoped and redacted: the events of private units, and of the resources
// below them, are left out by the store query itself
// (EventQuery.WithholdPrivateUnits), before the page limit and the page
// token, so no page, token, stream or count depends on them; the remaining
// events lose their private fields and the counts of units in a tank
// (Event.Redacted).
//
// Nobody but an administrator sees an event's Seq, PrevHash or Hash: they
// count and link every event of the registry, so the gaps between the
// events one reader may read would show how many it may not (another
// bank's private activity). Readers see each event's Stream and StreamSeq
// instead, and their page tokens and resumed watches name events by those
// positions, which count only the streams they read.

// eventView is how one principal reads the events of one bank ("" for
// every bank).
type eventView struct {
	principal access.Principal
	outsider  bool // withheld private streams and redacted events
	registry  bool // sees registry-wide positions and hashes
}

func viewOfEvents(p Principal, bankID string) eventView {
	switch {
	case p.Role == RoleAdmin:
		return eventView{principal: p, registry: true}
	case bankID != "" && p.SeesPrivateOf(bankID):
		return eventView{principal: p}
	}
	return eventView{principal: p, outsider: true}
}

// scope narrows q to the events the viewer may see.
func (v eventView) scope(q EventQuery) EventQuery {
	q.WithholdPrivateUnits = q.WithholdPrivateUnits || v.outsider
	return q
}

// mayRead reports whether the viewer may read the events of stream.
func (v eventView) mayRead(stream string) bool {
	if stream == audit.PublicStream {
		return true
	}
	return !v.outsider && v.principal.SeesPrivateOf(stream)
}

// show returns evs as the viewer may see them (copies without registry
// positions, redacted for outsiders; evs itself is not modified).
func (v eventView) show(evs []*Event) []*Event {
	if v.registry {
		return evs
	}
	out := make([]*Event, len(evs))
	for i, e := range evs {
		if v.outsider {
			e = e.Redacted()
		} else {
			c := *e
			e = &c
		}
		e.Seq, e.PrevHash, e.Hash = 0, "", ""
		out[i] = e
	}
	return out
}

// EventPosition names an audit event: by its place in the registry-wide
// chain (Seq, for administrators), or by its stream and its place there
// (Stream, StreamSeq), as every reader may. The zero value is the start.
type EventPosition struct {
	Seq       int64
	Stream    string
	StreamSeq int64
}

// positionOf is e's position as page tokens carry it.
func positionOf(e *Event) EventPosition {
	return EventPosition{Stream: e.Stream, StreamSeq: e.StreamSeq}
}

// resolve returns the Seq after which a read continuing after pos starts.
// A stream position the viewer may not read, or one that names no event,
// is bad (the same answer either way, so a forged token learns nothing of
// another bank's private stream).
// msg is the request's own invalid-argument message, so the refusal reads
// like any other of a bad token.
func (v eventView) resolve(ctx context.Context, tx ReadTx, pos EventPosition, field, msg string) (int64, error) {
	switch {
	case pos.Seq < 0 || pos.StreamSeq < 0:
		return 0, invalidPosition(field, msg)
	case pos.Seq > 0 && !v.registry:
		return 0, badPosition(field, msg, "registry-wide positions are for registry administrators: resume by stream position (the stream and stream_seq of the last event received)")
	case pos.Seq > 0:
		return pos.Seq, nil
	case pos.StreamSeq == 0:
		return 0, nil
	case !v.mayRead(pos.Stream):
		return 0, invalidPosition(field, msg)
	}
	seq, err := tx.StreamEventSeq(ctx, pos.Stream, pos.StreamSeq)
	if KindOf(err) == KindNotFound {
		return 0, invalidPosition(field, msg)
	}
	return seq, err
}

func invalidPosition(field, msg string) error {
	desc := "names no event you may read"
	if field == "page_token" {
		desc = "not a page token returned by this method"
	}
	return badPosition(field, msg, desc)
}

func badPosition(field, msg, desc string) error {
	var v Violations
	v.Add(field, "%s", desc)
	return v.Err(msg)
}

// VerifyAuditTrail verifies the whole chain (VerifyEvents) for the caller
// of ctx and reports it as the caller may see it. An administrator gets
// the full summary. Anyone else gets a summary that never depends on what
// it may not see: Events is the number of events it may read (a bank
// auditor: its bank's events; a registry auditor: the public stream),
// Head and HeadSeq are empty (they would count every event), Problems are
// those at events it may read, each at its stream position, and one
// problem at position 0 stands for every break among the others (the
// chain is broken, and the administrator can see where). The chain itself
// is always verified whole: its links run through every event. Errors:
// KindPermissionDenied for a caller who may not verify.
func (s *Service) VerifyAuditTrail(ctx context.Context) (audit.VerifySummary, error) {
	if err := authorize(ctx, access.VerifyAudit, "", false); err != nil {
		return audit.VerifySummary{}, err
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
	// follows covers at least these events. One read transaction is one
	// snapshot: what it counts is what the head was when it began.
	var seen audit.VerifySummary
	err := s.store.Read(ctx, func(tx ReadTx) error {
		for {
			page := q
			page.Limit = verifyPage
			evs, err := tx.ListEvents(ctx, page)
			if err != nil {
				return err
			}
			seen.Events += int64(len(evs))
			if len(evs) < verifyPage {
				return nil
			}
			q.AfterSeq = evs[len(evs)-1].Seq
		}
	})
	if err != nil {
		return audit.VerifySummary{}, err
	}
	full, err := s.VerifyEvents(ctx)
	if err != nil {
		return audit.VerifySummary{}, err
	}
	q.AfterSeq = 0
	hidden := false
	for _, pr := range full.Problems {
		probe := q
		probe.AfterSeq, probe.Limit = pr.Seq-1, 1
		var at *Event
		err := s.store.Read(ctx, func(tx ReadTx) error {
			evs, err := tx.ListEvents(ctx, probe)
			if err == nil && len(evs) == 1 && evs[0].Seq == pr.Seq {
				at = evs[0]
			}
			return err
		})
		if err != nil {
			return audit.VerifySummary{}, err
		}
		if at == nil {
			hidden = true
			continue
		}
		// The full reason may count events of every stream ("expected
		// event 812 here"): say where, not why.
		seen.Problems = append(seen.Problems, audit.ChainProblem{Seq: at.StreamSeq,
			Reason: fmt.Sprintf("event %d of the %s fails verification: the registry administrator can see why", at.StreamSeq, streamTitle(at.Stream))})
	}
	if hidden {
		seen.Problems = append(seen.Problems, audit.ChainProblem{Seq: 0,
			Reason: "the chain is broken at events you may not read: the registry administrator can see where"})
	}
	return seen, nil
}

// streamTitle names a stream in messages.
func streamTitle(stream string) string {
	if stream == audit.PublicStream {
		return "public stream"
	}
	return "private stream of bank " + stream
}

// visibleUnit returns the unit of bank with din if the caller of ctx may
// see it; a private unit of another bank is KindNotFound, the same answer
// as for a DIN nobody registered.
func visibleUnit(ctx context.Context, tx RegistryReader, bank string, din unit.DIN) (*Unit, error) {
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
func unitHidden(bank string, din unit.DIN) error {
	return NewError(KindNotFound, ReasonUnitNotFound, "unit not found", "name", UnitName(bank, din))
}
