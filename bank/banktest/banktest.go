// Package banktest is the conformance suite every bank.Store implementation
// must pass, and fixtures (valid banks, units, DINs, a fixed clock) that
// other tests reuse.
//
// The groups follow the port's concerns (bank/store.go):
//
//	banks and units        Banks, Units, Pagination, Import (through the
//	                       service), Registry (the port itself)
//	lifecycle, holds       Lifecycle (service), Reservations (port: round
//	                       trips, queries, due holds, one open hold per unit
//	                       under concurrent inserts, paging under inserts)
//	inventory              Inventory (port: containers, placements with
//	                       unique positions under concurrency, counts,
//	                       readings, excursions, paging under inserts)
//	audit trail            Events (port: every field and query, by resource,
//	                       a gapless Seq under concurrent writers and a
//	                       reader), Privacy (service)
//	principals, tokens     Tokens (port: round trips, hash unique among
//	                       unrevoked, lookup by hash, list)
//	requests               Idempotency (service), Requests (port)
//	counts                 Counts (service and port)
//	transactions, store    Tx (rollback, serializability), Store (Ping, Close)
//
// The service-driven groups check the behaviour API users see; the port
// groups pin each method's contract, including what no use case reaches
// today, so a second store is held to all of it. Every port method is
// called directly by at least one group. It imports only the standard
// library, bank (and bank/access) and go-cmp.
package banktest

import (
	"context"
	"errors"
	"testing"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
	"github.com/google/go-cmp/cmp"
)

// Run runs the whole suite. open must return a new, empty, migrated store
// for each call and arrange (with t.Cleanup) to close it; every subtest
// gets its own store.
func Run(t *testing.T, open func(t *testing.T) bank.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Banks", bankTests},
		{"Units", unitTests},
		{"Pagination", paginationTests},
		{"Idempotency", idempotencyTests},
		{"Import", importTests},
		{"Tx", txTests},
		{"Lifecycle", lifecycleTests},
		{"Counts", countTests},
		{"Privacy", privacyTests},
		{"Registry", registryTests},
		{"Reservations", reservationTests},
		{"Inventory", inventoryTests},
		{"Events", eventTests},
		{"Tokens", tokenTests},
		{"Requests", requestTests},
		{"Store", storeTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					tc.fn(t, newEnv(t, open))
				})
			}
		})
	}
}

type test struct {
	name string
	fn   func(t *testing.T, e *env)
}

// env is one subtest's store, a service over it and a clock to advance.
type env struct {
	t     *testing.T
	ctx   context.Context
	store bank.Store
	clock *stepClock
	svc   *bank.Service
}

func newEnv(t *testing.T, open func(t *testing.T) bank.Store) *env {
	s := open(t)
	c := newStepClock()
	return &env{t: t, ctx: t.Context(), store: s, clock: c, svc: bank.NewService(s, bank.WithClock(c.Now))}
}

// bank registers ValidBank(id) and returns it as stored.
func (e *env) bank(id string) *bank.Bank {
	e.t.Helper()
	b, err := e.svc.CreateBank(e.ctx, ValidBank(id), "")
	if err != nil {
		e.t.Fatalf("CreateBank(%s): %v", id, err)
	}
	return b
}

// unit registers u through the service and returns it as stored.
func (e *env) unit(u *bank.Unit) *bank.Unit {
	e.t.Helper()
	got, err := e.svc.CreateUnit(e.ctx, u, "")
	if err != nil {
		e.t.Fatalf("CreateUnit(%s): %v", u.DIN, err)
	}
	return got
}

// getUnit reads a unit straight from the store.
func (e *env) getUnit(bankID string, din unit.DIN) (*bank.Unit, error) {
	var u *bank.Unit
	err := e.store.Read(e.ctx, func(tx bank.ReadTx) error {
		var err error
		u, err = tx.GetUnit(e.ctx, bankID, din)
		return err
	})
	return u, err
}

// setStatus changes a unit's status in the store (the service changes
// status only through lifecycle methods).
func (e *env) setStatus(bankID string, din unit.DIN, st lifecycle.Status) {
	e.t.Helper()
	err := e.store.Write(e.ctx, func(tx bank.Tx) error {
		u, err := tx.GetUnit(e.ctx, bankID, din)
		if err != nil {
			return err
		}
		u.Status = st
		u.Version++
		return tx.UpdateUnit(e.ctx, u)
	})
	if err != nil {
		e.t.Fatalf("set status of %s: %v", din, err)
	}
}

// listAll pages through ListUnits with page size n and returns every DIN.
func (e *env) listAll(r bank.ListUnitsRequest) []unit.DIN {
	e.t.Helper()
	var out []unit.DIN
	for page := 0; ; page++ {
		units, next, err := e.svc.ListUnits(e.ctx, r)
		if err != nil {
			e.t.Fatalf("ListUnits page %d: %v", page, err)
		}
		for _, u := range units {
			// Strictly increasing DINs: a unit listed twice (or a cursor that
			// does not advance, which would page forever) fails here.
			if len(out) > 0 && u.DIN <= out[len(out)-1] {
				e.t.Fatalf("ListUnits page %d: %s after %s: not in increasing DIN order", page, u.DIN, out[len(out)-1])
			}
			out = append(out, u.DIN)
		}
		if next == "" {
			return out
		}
		if len(units) == 0 {
			e.t.Fatalf("ListUnits page %d: empty page with a next token", page)
		}
		r.PageToken = next
	}
}

// wantErr fails t unless err is a *bank.Error of kind and reason, and
// returns it for more checks.
func wantErr(t *testing.T, err error, kind bank.Kind, reason bank.Reason) *bank.Error {
	t.Helper()
	var be *bank.Error
	if !errors.As(err, &be) {
		t.Fatalf("error = %v (%T), want a *bank.Error of kind %v, reason %s", err, err, kind, reason)
	}
	if be.Kind != kind || be.Reason != reason {
		t.Fatalf("error = %v: kind %v, reason %s; want kind %v, reason %s", err, be.Kind, be.Reason, kind, reason)
	}
	return be
}

// wantMeta fails t unless err's metadata has key = want.
func wantMeta(t *testing.T, be *bank.Error, key, want string) {
	t.Helper()
	if got := be.Metadata[key]; got != want {
		t.Errorf("metadata[%q] = %q, want %q (all: %v)", key, got, want, be.Metadata)
	}
}

// wantViolation fails t unless err lists a violation of field.
func wantViolation(t *testing.T, be *bank.Error, field string) {
	t.Helper()
	for _, v := range be.Violations {
		if v.Field == field {
			return
		}
	}
	t.Errorf("violations %v lack field %q", be.Violations, field)
}

// diff compares domain values; time.Time compares by instant (its Equal).
func diff(got, want any) string { return cmp.Diff(want, got) }
