package match

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
)

// Writers flip units between two versions (8/8 with TNC 2e9, 7/8 with TNC
// 3e9) and remove and re-add them while readers search: a reader must never
// see a mixed version (a half-applied update), and -race must stay quiet.
func TestIndexConcurrentUpsertRemoveSearch(t *testing.T) {
	g := NewGrader(nil)
	const n = 200
	v1 := func(din string) *bank.Unit { return testUnit(din) }
	v2 := func(din string) *bank.Unit {
		return testUnit(din, tnc(3e9), hlaOf("A*02:05+A*24:02; B*07:02+B*08:01; C*07:01+C*07:02; DRB1*15:01+DRB1*04:01"))
	}
	var units []*bank.Unit
	for i := range n {
		units = append(units, v1(fmt.Sprintf("C%05d", i)))
	}
	x, err := newTestIndex(g, units...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				din := fmt.Sprintf("C%05d", (i*7+w)%n)
				switch i % 3 {
				case 0:
					_ = x.Upsert(v2(din), bankAcc)
				case 1:
					x.Remove(unit.DIN(din))
				default:
					_ = x.Upsert(v1(din), bankAcc)
				}
			}
		}()
	}
	req := baseRequest()
	req.PageSize = MaxPageSize
	for range 100 {
		res := search(t, x, req)
		if res.TotalSize > n || len(res.Matches) != res.TotalSize {
			t.Fatalf("total %d", res.TotalSize)
		}
		for _, m := range res.Matches {
			want := 2e9 / 70
			if m.Grade.Total == 7 {
				want = 3e9 / 70
			}
			if m.TNCPerKg != want {
				t.Fatalf("half-applied update: %s", m.Explanation)
			}
		}
		if _, err := x.SearchDouble(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	wg.Wait()
	// after the writers stop, the index holds exactly what was last written
	x.mu.RLock()
	defer x.mu.RUnlock()
	if len(x.pos) != len(x.entries) || len(x.cold) != len(x.entries) {
		t.Fatalf("position map %d vs entries %d, cold %d", len(x.pos), len(x.entries), len(x.cold))
	}
	for din, i := range x.pos {
		if x.cold[i].din != din {
			t.Fatalf("entry %d holds %s, map says %s", i, x.cold[i].din, din)
		}
	}
}

// TestEntrySize: the scan streams entries; keep them small.
func TestEntrySize(t *testing.T) {
	if n := unsafe.Sizeof(entry{}); n > 32 {
		t.Fatalf("entry is %d bytes, want at most 32", n)
	}
}

func TestIndexUpsertErrors(t *testing.T) {
	g := realGrader(t)
	x, err := newTestIndex(g, testUnit("GOOD"))
	if err != nil {
		t.Fatal(err)
	}
	bad := testUnit("GOOD", hlaOf("A*99:99+A*02:01; B*07:02+B*08:01"))
	if err := x.Upsert(bad, bankAcc); err == nil || x.Len() != 0 {
		t.Fatalf("bad typing: err %v, len %d (stale unit must go)", err, x.Len())
	}
	if err := x.Upsert(testUnit("GOOD"), bankNoAcc); err == nil {
		t.Error("wrong bank accepted")
	}
	if err := x.Load([]*bank.Unit{testUnit("A1"), bad, testUnit("A2")}, banksOf(bankAcc)); err == nil || x.Len() != 2 {
		t.Errorf("Load: err %v len %d", err, x.Len())
	}
	// accreditation follows the bank
	x.UpsertBank(&bank.Bank{ID: bankAcc.ID})
	if res := search(t, x, baseRequest()); res.Excluded[FilterAccredited] != 2 {
		t.Errorf("accreditation change not seen: %v", res.Excluded)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := x.Search(ctx, baseRequest()); err == nil {
		t.Error("cancelled search succeeded")
	}
}

// TestUnitsChangedKeepsNewestVersion: watcher notifications can arrive out
// of order; an older version never replaces a newer one.
func TestUnitsChangedKeepsNewestVersion(t *testing.T) {
	x := NewIndex(NewGrader(nil))
	b := &bank.Bank{ID: "bank-a", Accreditations: []bank.Accreditation{bank.AccreditationAABB}}
	x.BankChanged(b)
	u := &bank.Unit{Bank: "bank-a", DIN: "B123424000001", Type: bank.UnitTypePublic, Status: lifecycle.StatusAvailable,
		Cells: bank.CellCounts{PostProcessingTNC: 1e9}, Version: 2,
		HLA: []bank.LocusTyping{{Locus: "A", Text: "A*02:01+A*24:02"}}}
	old := *u
	old.Version, old.Status = 1, lifecycle.StatusQuarantine
	x.UnitsChanged([]*bank.Unit{u})
	x.UnitsChanged([]*bank.Unit{&old}) // late, stale
	if x.Len() != 1 {
		t.Fatalf("Len = %d", x.Len())
	}
	x.mu.RLock()
	e, cold := x.entries[x.pos[u.DIN]], x.cold[x.pos[u.DIN]]
	x.mu.RUnlock()
	if cold.version != 2 || e.flags&fAvailable == 0 {
		t.Fatalf("stale update applied: %+v", e)
	}
	// A unit of a bank the index was never told about is ignored.
	other := *u
	other.Bank, other.DIN = "nowhere", "B123424000002"
	x.UnitsChanged([]*bank.Unit{&other})
	if x.Len() != 1 {
		t.Fatalf("unit of unknown bank indexed")
	}
}

// TestBankAccreditationChangeReachesUnits: entries carry their bank's
// accreditation; a bank losing or regaining it changes what accredited-only
// searches find at once.
func TestBankAccreditationChangeReachesUnits(t *testing.T) {
	x := NewIndex(NewGrader(nil))
	b := &bank.Bank{ID: "bank-a", Accreditations: []bank.Accreditation{bank.AccreditationAABB}}
	x.BankChanged(b)
	u := &bank.Unit{Bank: "bank-a", DIN: "B123424000001", Type: bank.UnitTypePublic, Status: lifecycle.StatusAvailable,
		Cells: bank.CellCounts{PostProcessingTNC: 2e9}, Version: 1, AttachedSegments: 1, Reduction: bank.ReductionPlasmaAndRBC,
		CollectionDate: unit.DateOf(time.Now().AddDate(-1, 0, 0)),
		HLA: []bank.LocusTyping{{Locus: "A", Text: "A*02:01+A*24:02"}, {Locus: "B", Text: "B*07:02+B*44:02"},
			{Locus: "C", Text: "C*05:01+C*07:02"}, {Locus: "DRB1", Text: "DRB1*04:01+DRB1*15:01"}}}
	x.UnitsChanged([]*bank.Unit{u})
	req := &Request{Patient: Patient{HLA: u.HLA}, WeightKg: 20, Disease: Malignant}
	found := func() int {
		res, err := x.Search(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Matches)
	}
	if found() != 1 {
		t.Fatal("accredited unit not found")
	}
	x.BankChanged(&bank.Bank{ID: "bank-a"})
	if found() != 0 {
		t.Fatal("unit of a bank that lost its accreditation still found by an accredited-only search")
	}
	x.BankChanged(b)
	if found() != 1 {
		t.Fatal("unit not found after its bank regained accreditation")
	}
}
