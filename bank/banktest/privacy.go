package banktest

import (
	"strings"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/access"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
)

// The store's part of privacy: queries scoped to what a principal may see
// before they are paged (EventQuery.WithholdPrivateUnits,
// ReservationQuery.PublicUnitsOnly), driven through the service as the
// principals the API has.
var privacyTests = []test{
	{"EventsWithheldBeforePaging", privacyEventsWithheld},
	{"ReservationsOfPrivateUnits", privacyReservations},
	{"UnitsOfOtherBanks", privacyUnits},
}

// privateFixture: bank-a holds public unit 1 and private units 2
// (autologous) and 3 (directed, released and reserved for centre tc-1),
// each created between public activity, so withheld events sit between
// visible ones.
func privateFixture(t *testing.T, e *env) (pub, auto, directed unit.DIN) {
	a := e.bank("bank-a")
	e.bank("bank-b")
	pub, auto, directed = DIN(a.FIN, 25, 1), DIN(a.FIN, 25, 2), DIN(a.FIN, 25, 3)
	e.unit(ValidUnit("bank-a", pub))
	au := ValidUnit("bank-a", auto)
	au.Type = bank.UnitTypeAutologous
	e.unit(au)
	du := ValidUnit("bank-a", directed)
	du.Type, du.Private.DirectedRecipient = bank.UnitTypeDirected, "R-1"
	e.unit(du)
	for _, d := range []unit.DIN{pub, directed} {
		if _, err := e.svc.Transition(e.ctx, bank.TransitionRequest{Bank: "bank-a", DIN: d, Action: lifecycle.ActionRelease}); err != nil {
			t.Fatalf("release %s: %v", d, err)
		}
	}
	for _, r := range []bank.ReserveRequest{
		{Bank: "bank-a", DIN: directed, TransplantCenter: "tc-1", PatientID: "R-1"},
		{Bank: "bank-a", DIN: pub, TransplantCenter: "tc-1", PatientID: "P-1"},
	} {
		r.ExpireTime = e.clock.Now().Add(7 * 24 * time.Hour)
		if _, err := e.svc.ReserveUnit(e.ctx, r); err != nil {
			t.Fatalf("reserve %s: %v", r.DIN, err)
		}
	}
	return pub, auto, directed
}

func as(e *env, role bank.Role, org string) *env {
	c := *e
	c.ctx = access.WithPrincipal(e.ctx, bank.Principal{Name: string(role) + "@" + org, Role: role, Org: org})
	return &c
}

func privacyEventsWithheld(t *testing.T, e *env) {
	_, auto, directed := privateFixture(t, e)
	isPrivate := func(ev *bank.Event) bool {
		return strings.Contains(ev.Resource, string(auto)) || strings.Contains(ev.Resource, string(directed))
	}
	all := func(e *env, bankID string) (evs []*bank.Event, pages int) {
		tok := ""
		for {
			page, next, err := e.svc.ListEvents(e.ctx, bank.ListEventsRequest{Bank: bankID, PageSize: 1, PageToken: tok})
			if err != nil {
				t.Fatalf("ListEvents: %v", err)
			}
			evs, pages = append(evs, page...), pages+1
			if tok = next; tok == "" {
				return evs, pages
			}
		}
	}
	own, _ := all(as(e, bank.RoleAuditor, "bank-a"), "bank-a")
	priv := 0
	for _, ev := range own {
		if isPrivate(ev) {
			priv++
		}
	}
	if priv == 0 {
		t.Fatal("the bank's own auditor sees none of its private units' events")
	}
	outside, pages := all(as(e, bank.RoleAuditor, bank.OrgRegistry), "")
	visibleOfA := 0
	for _, ev := range outside {
		if isPrivate(ev) {
			t.Errorf("registry auditor sees event %d of a private unit (%s %s)", ev.Seq, ev.Method, ev.Resource)
		}
		if ev.Bank == "bank-a" {
			visibleOfA++
		}
	}
	// One event per page, and no page empty: a page token never stops at
	// a withheld event.
	if pages != len(outside) {
		t.Errorf("registry auditor paged %d events in %d pages: a page token points past withheld events", len(outside), pages)
	}
	if visibleOfA != len(own)-priv {
		t.Errorf("registry auditor sees %d of bank-a's events, want the %d public ones", visibleOfA, len(own)-priv)
	}
	// A private unit's history is not found, as for a DIN nobody registered.
	_, _, err := as(e, bank.RoleAuditor, bank.OrgRegistry).svc.UnitHistory(as(e, bank.RoleAuditor, bank.OrgRegistry).ctx, "bank-a", auto, 10, "")
	wantErr(t, err, bank.KindNotFound, bank.ReasonUnitNotFound)
}

func privacyReservations(t *testing.T, e *env) {
	_, _, directed := privateFixture(t, e)
	c := as(e, bank.RoleCoordinator, "tc-1")
	got, next, err := c.svc.ListReservationsPage(c.ctx, bank.ListReservationsRequest{Bank: "bank-a", PageSize: 1})
	if err != nil {
		t.Fatalf("ListReservations: %v", err)
	}
	if len(got) != 1 || got[0].DIN == directed || next != "" {
		t.Errorf("coordinator lists %v (next %q); want only the public unit's reservation, one page", got, next)
	}
	m := as(e, bank.RoleManager, "bank-a")
	if got, err := m.svc.ListReservations(m.ctx, bank.ListReservationsRequest{Bank: "bank-a"}); err != nil || len(got) != 2 {
		t.Errorf("the bank lists %v, %v; want both reservations", got, err)
	}
	own, err := m.svc.ListReservations(m.ctx, bank.ListReservationsRequest{Bank: "bank-a", DIN: directed})
	if err != nil || len(own) != 1 {
		t.Fatalf("the bank's reservation of its directed unit: %v, %v", own, err)
	}
	_, err = c.svc.GetReservation(c.ctx, "bank-a", directed, own[0].ID)
	wantErr(t, err, bank.KindNotFound, bank.ReasonReservationNotFound)
}

func privacyUnits(t *testing.T, e *env) {
	pub, auto, _ := privateFixture(t, e)
	o := as(e, bank.RoleManager, "bank-b")
	got, next, err := o.svc.ListUnits(o.ctx, bank.ListUnitsRequest{Bank: "bank-a", PageSize: 1})
	if err != nil {
		t.Fatalf("ListUnits: %v", err)
	}
	if len(got) != 1 || got[0].DIN != pub || next != "" {
		t.Errorf("another bank lists %v (next %q); want the public unit only, one page", got, next)
	}
	if diff(got[0].Private, bank.UnitPrivate{}) != "" {
		t.Errorf("another bank sees private fields %+v", got[0].Private)
	}
	got, _, err = o.svc.ListUnits(o.ctx, bank.ListUnitsRequest{Bank: "bank-a", Types: []bank.UnitType{bank.UnitTypeAutologous}})
	if err != nil || len(got) != 0 {
		t.Errorf("another bank asking for autologous units: %v, %v; want none", got, err)
	}
	_, err = o.svc.GetUnit(o.ctx, "bank-a", auto)
	wantErr(t, err, bank.KindNotFound, bank.ReasonUnitNotFound)
}
