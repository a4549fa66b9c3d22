package bank_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/bank/inventory"
)

// bulkSpy is a store that records, for each Write, whether its context
// was marked bulk.
type bulkSpy struct {
	bank.Store
	mu   sync.Mutex
	bulk []bool
}

func (s *bulkSpy) Write(ctx context.Context, fn func(tx bank.Tx) error) error {
	s.mu.Lock()
	s.bulk = append(s.bulk, bank.IsBulkWrite(ctx))
	s.mu.Unlock()
	return s.Store.Write(ctx, fn)
}

// since returns what the Writes after the first n recorded.
func (s *bulkSpy) since(n int) []bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.bulk[n:])
}

func (s *bulkSpy) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bulk)
}

// TestManyRowWritesAreBulk: the use cases whose one write may change
// thousands of rows (an import batch, an evacuation, a page of the HLA
// re-read) mark it bulk, and a unary create does not. The SQLite store
// keeps a bulk write's undo pages on disk rather than in memory
// (internal/store/sqlite, temp_store), so a write missing here could hold
// a whole tank's pages in memory.
func TestManyRowWritesAreBulk(t *testing.T) {
	ctx := t.Context()
	spy := &bulkSpy{Store: openStore(t)}
	svc := bank.NewService(spy, bank.WithClock(banktest.Clock), bank.WithHLA(bank.NewHLAReader(fixtureRef(t, "imgt-mini"))))
	b, err := svc.CreateBank(ctx, banktest.ValidBank("cbb"), "")
	if err != nil {
		t.Fatal(err)
	}
	tanks := []*inventory.Container{
		{Bank: "cbb", ID: "site", Kind: inventory.KindSite, Label: "Main site", Layout: bag(0)},
		{Bank: "cbb", ID: "tank-1", Kind: inventory.KindTank, Parent: "site", Label: "T1", Layout: slots(6)},
		{Bank: "cbb", ID: "tank-2", Kind: inventory.KindTank, Parent: "site", Label: "T2", Layout: slots(6)},
	}
	if _, err := svc.CreateContainers(ctx, "cbb", tanks, ""); err != nil {
		t.Fatal(err)
	}
	want := func(what string, n int, bulk bool) {
		t.Helper()
		got := spy.since(n)
		if len(got) == 0 {
			t.Fatalf("%s wrote nothing", what)
		}
		for _, g := range got {
			if g != bulk {
				t.Errorf("%s: writes marked bulk %v, want %v", what, got, bulk)
				return
			}
		}
	}

	n := spy.count()
	u := banktest.ValidUnit("cbb", banktest.DIN(b.FIN, 24, 1))
	u.HLA = []bank.LocusTyping{{Locus: "A", Text: "A*02:55+A*24:03"}} // reads differently in the next release
	if _, err := svc.CreateUnit(ctx, u, ""); err != nil {
		t.Fatal(err)
	}
	want("CreateUnit", n, false)

	n = spy.count()
	if _, err := svc.ImportUnits(ctx, "cbb", []*bank.Unit{banktest.ValidUnit("cbb", banktest.DIN(b.FIN, 24, 2))}); err != nil {
		t.Fatal(err)
	}
	want("ImportUnits", n, true)

	n = spy.count()
	if _, err := svc.Evacuate(ctx, bank.EvacuateRequest{Bank: "cbb", ID: "tank-1", Target: "tank-2"}); err != nil {
		t.Fatal(err)
	}
	want("Evacuate", n, true)

	n = spy.count()
	if _, err := svc.RereadHLA(ctx, bank.NewHLAReader(fixtureRef(t, "imgt-mini-next")), true, func(bank.HLAChange) {}); err != nil {
		t.Fatal(err)
	}
	want("RereadHLA", n, true)
}
