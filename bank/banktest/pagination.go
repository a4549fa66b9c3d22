package banktest

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
)

var paginationTests = []test{
	{"StableOrder", pageStableOrder},
	{"StableUnderConcurrentInserts", pageStableUnderConcurrentInserts},
	{"Filters", pageFilters},
	{"TokenBoundToFilter", pageTokenBoundToFilter},
}

// importAll registers units through ImportUnits and fails on any error.
func (e *env) importAll(bankID string, units []*bank.Unit) {
	e.t.Helper()
	res, err := e.svc.ImportUnits(e.ctx, bankID, units)
	if err != nil {
		e.t.Fatalf("ImportUnits: %v", err)
	}
	for i, r := range res {
		if r.Err != nil {
			e.t.Fatalf("ImportUnits: unit %d (%s): %v", i, units[i].DIN, r.Err)
		}
	}
}

func pageStableOrder(t *testing.T, e *env) {
	a := e.bank("bank-a")
	e.bank("bank-b")
	var want []unit.DIN
	var units []*bank.Unit
	for _, seq := range rand.New(rand.NewPCG(1, 2)).Perm(25) {
		d := DIN(a.FIN, 24, seq+1)
		want = append(want, d)
		units = append(units, ValidUnit("bank-a", d))
	}
	slices.Sort(want)
	e.importAll("bank-a", units)
	e.unit(ValidUnit("bank-b", DIN(FIN("bank-b"), 24, 1))) // another bank's unit is never listed

	for _, size := range []int{1, 4, 25, 26, 0} {
		got := e.listAll(bank.ListUnitsRequest{Bank: "bank-a", PageSize: size})
		if d := diff(got, want); d != "" {
			t.Errorf("page size %d (-want +got):\n%s", size, d)
		}
	}
	// The last page of an exact multiple has no next token.
	page, next, err := e.svc.ListUnits(e.ctx, bank.ListUnitsRequest{Bank: "bank-a", PageSize: 25})
	if err != nil || len(page) != 25 || next != "" {
		t.Errorf("ListUnits(size 25 of 25) = %d units, next %q, err %v; want 25, \"\", nil", len(page), next, err)
	}
	_, _, err = e.svc.ListUnits(e.ctx, bank.ListUnitsRequest{Bank: "no-bank"})
	wantErr(t, err, bank.KindNotFound, bank.ReasonBankNotFound)
}

// pageStableUnderConcurrentInserts pages through a bank while other
// goroutines register units with DINs before and after the cursor. Every
// unit that existed at the start must be listed exactly once, and units
// committed after the cursor before the next page is read must be listed.
func pageStableUnderConcurrentInserts(t *testing.T, e *env) {
	a := e.bank("bank-a")
	const initial = 120
	var units []*bank.Unit
	for i := 1; i <= initial; i++ {
		units = append(units, ValidUnit("bank-a", DIN(a.FIN, 24, i*10)))
	}
	e.importAll("bank-a", units)

	var wg sync.WaitGroup
	errs := make(chan error, 200)
	// Free-running writer: seq 10k+5 in random order, racing the pager.
	wg.Go(func() {
		for _, k := range rand.New(rand.NewPCG(3, 4)).Perm(initial) {
			if _, err := e.svc.CreateUnit(e.ctx, ValidUnit("bank-a", DIN(a.FIN, 24, k*10+5)), ""); err != nil {
				errs <- err
				return
			}
		}
	})
	// Cursor-driven writer: after each page, one unit just before and one
	// just after the cursor, committed before the pager reads on.
	cursors := make(chan unit.DIN)
	done := make(chan []unit.DIN, 1)
	stop := sync.OnceFunc(func() { close(cursors) })
	defer func() { stop(); wg.Wait() }() // also when a check below fails
	wg.Go(func() {
		var after []unit.DIN
		for c := range cursors {
			seq := int(mustAtoi(string(c[7:])))
			for _, s := range []int{seq - 1, seq + 1} {
				d := DIN(a.FIN, 24, s)
				_, err := e.svc.CreateUnit(e.ctx, ValidUnit("bank-a", d), "")
				switch {
				case err == nil && s > seq:
					after = append(after, d)
				case err != nil && bank.KindOf(err) != bank.KindAlreadyExists:
					errs <- err
				}
			}
			done <- nil
		}
		done <- after
	})

	var seen []unit.DIN
	req := bank.ListUnitsRequest{Bank: "bank-a", PageSize: 7}
	for {
		page, next, err := e.svc.ListUnits(e.ctx, req)
		if err != nil {
			t.Fatalf("ListUnits: %v", err)
		}
		for _, u := range page {
			if len(seen) > 0 && u.DIN <= seen[len(seen)-1] {
				t.Fatalf("%s listed after %s: a unit was listed twice or out of order", u.DIN, seen[len(seen)-1])
			}
			seen = append(seen, u.DIN)
		}
		if next == "" {
			break
		}
		cursors <- page[len(page)-1].DIN
		<-done
		req.PageToken = next
	}
	stop()
	insertedAfter := <-done
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent insert: %v", err)
	}

	if !slices.IsSorted(seen) || len(slices.Compact(slices.Clone(seen))) != len(seen) {
		t.Fatalf("pages are not in strictly increasing DIN order (a unit was listed twice): %v", seen)
	}
	for _, u := range units {
		if _, ok := slices.BinarySearch(seen, u.DIN); !ok {
			t.Errorf("unit %s existed before paging began but was never listed", u.DIN)
		}
	}
	for _, d := range insertedAfter {
		if _, ok := slices.BinarySearch(seen, d); !ok {
			t.Errorf("unit %s was committed after the cursor before the next page, but never listed", d)
		}
	}
}

func mustAtoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// pageFilters lists with each filter and with combinations, paging with a
// small page size, and compares with the units selected in Go.
func pageFilters(t *testing.T, e *env) {
	a := e.bank("bank-a")
	types := []bank.UnitType{bank.UnitTypePublic, bank.UnitTypeAutologous, bank.UnitTypeDirected}
	abos := []bank.ABO{bank.ABOO, bank.ABOA, bank.ABOB, bank.ABOAB}
	statuses := []lifecycle.Status{lifecycle.StatusQuarantine, lifecycle.StatusAvailable, lifecycle.StatusReserved, lifecycle.StatusShipped, lifecycle.StatusDiscarded}
	var all []*bank.Unit
	for i := range 36 {
		u := ValidUnit("bank-a", DIN(a.FIN, 22, 1000-i*7)) // DIN order differs from creation order
		u.Type = types[i%len(types)]
		if u.Type == bank.UnitTypeDirected {
			u.Private.DirectedRecipient = "REC-1"
		}
		u.ABO = abos[i%len(abos)]
		coll := unit.Date{Year: 2020, Month: time.January, Day: 1}.AddDays(i * 40)
		u.CollectionDate, u.InfantBirthDate = coll, coll
		u.ProcessingDate, u.FreezeDate, u.IDMTestDate = coll.AddDays(1), coll.AddDays(1), coll.AddDays(2)
		all = append(all, u)
	}
	e.importAll("bank-a", all)
	for i, u := range all {
		u.Status = statuses[i%len(statuses)]
		if u.Status != lifecycle.StatusQuarantine {
			e.setStatus("bank-a", u.DIN, u.Status)
		}
	}

	from, to := unit.Date{Year: 2021, Month: time.March, Day: 1}, unit.Date{Year: 2022, Month: time.June, Day: 30}
	edge := all[5].CollectionDate // inclusive bounds: a unit collected on the bound is listed
	cases := []struct {
		name string
		req  bank.ListUnitsRequest
	}{
		{"none", bank.ListUnitsRequest{}},
		{"status", bank.ListUnitsRequest{Statuses: []lifecycle.Status{lifecycle.StatusAvailable}}},
		{"statuses", bank.ListUnitsRequest{Statuses: []lifecycle.Status{lifecycle.StatusReserved, lifecycle.StatusAvailable}}},
		{"type", bank.ListUnitsRequest{Types: []bank.UnitType{bank.UnitTypeAutologous}}},
		{"abo", bank.ListUnitsRequest{ABOs: []bank.ABO{bank.ABOO, bank.ABOAB}}},
		{"from", bank.ListUnitsRequest{CollectedFrom: from}},
		{"to", bank.ListUnitsRequest{CollectedTo: to}},
		{"range", bank.ListUnitsRequest{CollectedFrom: from, CollectedTo: to}},
		{"one day", bank.ListUnitsRequest{CollectedFrom: edge, CollectedTo: edge}},
		{"combined", bank.ListUnitsRequest{Statuses: []lifecycle.Status{lifecycle.StatusQuarantine, lifecycle.StatusAvailable, lifecycle.StatusShipped},
			Types: []bank.UnitType{bank.UnitTypePublic, bank.UnitTypeDirected}, ABOs: []bank.ABO{bank.ABOO, bank.ABOA}, CollectedFrom: from}},
		{"nothing", bank.ListUnitsRequest{Statuses: []lifecycle.Status{lifecycle.StatusExpired}}},
	}
	for _, tc := range cases {
		var want []unit.DIN
		for _, u := range all {
			if matches(u, tc.req) {
				want = append(want, u.DIN)
			}
		}
		slices.Sort(want)
		req := tc.req
		req.Bank, req.PageSize = "bank-a", 4
		got := e.listAll(req)
		if d := diff(got, want); d != "" {
			t.Errorf("%s: listed DINs (-want +got):\n%s", tc.name, d)
		}
	}
}

func matches(u *bank.Unit, r bank.ListUnitsRequest) bool {
	in := func(ok bool, n int) bool { return n == 0 || ok }
	return in(slices.Contains(r.Statuses, u.Status), len(r.Statuses)) &&
		in(slices.Contains(r.Types, u.Type), len(r.Types)) &&
		in(slices.Contains(r.ABOs, u.ABO), len(r.ABOs)) &&
		(r.CollectedFrom.IsZero() || !u.CollectionDate.Before(r.CollectedFrom)) &&
		(r.CollectedTo.IsZero() || !r.CollectedTo.Before(u.CollectionDate))
}

func pageTokenBoundToFilter(t *testing.T, e *env) {
	a := e.bank("bank-a")
	e.bank("bank-b")
	var units []*bank.Unit
	for i := range 6 {
		units = append(units, ValidUnit("bank-a", DIN(a.FIN, 24, i+1)))
	}
	e.importAll("bank-a", units)
	first := bank.ListUnitsRequest{Bank: "bank-a", ABOs: []bank.ABO{bank.ABOO}, PageSize: 2}
	_, tok, err := e.svc.ListUnits(e.ctx, first)
	if err != nil || tok == "" {
		t.Fatalf("first page: token %q, err %v", tok, err)
	}
	for name, r := range map[string]bank.ListUnitsRequest{
		"other filter": {Bank: "bank-a", ABOs: []bank.ABO{bank.ABOA}},
		"no filter":    {Bank: "bank-a"},
		"other bank":   {Bank: "bank-b", ABOs: []bank.ABO{bank.ABOO}},
		"date added":   {Bank: "bank-a", ABOs: []bank.ABO{bank.ABOO}, CollectedFrom: unit.Date{Year: 2020, Month: 1, Day: 1}},
	} {
		t.Run(name, func(t *testing.T) {
			r.PageToken = tok
			_, _, err := e.svc.ListUnits(e.ctx, r)
			be := wantErr(t, err, bank.KindInvalid, bank.ReasonInvalidArgument)
			wantViolation(t, be, "page_token")
		})
	}
	for _, bad := range []string{"garbage!", "eyJ9", tok[:len(tok)-3]} {
		r := first
		r.PageToken = bad
		_, _, err := e.svc.ListUnits(e.ctx, r)
		be := wantErr(t, err, bank.KindInvalid, bank.ReasonInvalidArgument)
		wantViolation(t, be, "page_token")
	}
	// Same filter, other page size (and filter values in another order): accepted.
	next := first
	next.PageToken, next.PageSize = tok, 10
	page, _, err := e.svc.ListUnits(e.ctx, next)
	if err != nil || len(page) != 4 {
		t.Errorf("second page with a larger page size: %d units, err %v; want 4, nil", len(page), err)
	}
}
