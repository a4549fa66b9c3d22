package match

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
)

// checkPartition verifies the layout invariants of the index: prime entries
// first, positions pointing back, class counts equal to the entries'.
func checkPartition(t *testing.T, x *Index) {
	t.Helper()
	x.mu.RLock()
	defer x.mu.RUnlock()
	var counts [classMask + 1]int
	for i := range x.entries {
		f := x.entries[i].flags
		counts[f&classMask]++
		if isPrime(f) != (i < x.nPrime) {
			t.Fatalf("entry %d (flags %04b) on the wrong side of nPrime %d", i, f, x.nPrime)
		}
		if p, ok := x.pos[x.cold[i].din]; !ok || int(p) != i {
			t.Fatalf("pos[%s] = %d, %v; want %d", x.cold[i].din, p, ok, i)
		}
	}
	if counts != x.classCount || len(x.pos) != len(x.entries) {
		t.Fatalf("class counts %v, want %v (pos %d entries %d)", x.classCount, counts, len(x.pos), len(x.entries))
	}
}

// naiveExcluded counts, per filter, the units that fail it first, for the
// filters applied before grading.
func naiveExcluded(units map[unit.DIN]*bank.Unit, req *Request, privBank string) map[string]int {
	pol := DefaultPolicy(req.Criterion).apply(&req.Policy, req.Disease)
	banks := banksOf(genBanks...)
	out := map[string]int{}
	for _, u := range units {
		if f := naiveFilter(u, banks[u.Bank], req, pol, privBank); f != "" && f != outOfScope {
			out[f]++
		}
	}
	return out
}

// TestPartitionKeepsSearchesExact changes the flags that partition the
// index (status, type, segments, reduction), removes and re-adds units, and
// checks after each round that the layout holds and that searches, both
// prime-only (default policy) and full scans, equal the naive scan, with
// the same exclusion counts.
func TestPartitionKeepsSearchesExact(t *testing.T) {
	// Split even this small index across workers: their counts are merged.
	defer func(n int) { parallelMin = n }(parallelMin)
	parallelMin = 16
	g := NewGrader(nil)
	gn := newGen(7, 60, false)
	all := gn.units(600, 7)
	x := NewIndex(g)
	if err := x.Load(all, banksOf(genBanks...)); err != nil {
		t.Fatal(err)
	}
	present := map[unit.DIN]*bank.Unit{}
	for _, u := range all {
		present[u.DIN] = u
	}
	r := rand.New(rand.NewPCG(7, 8))
	for round := range 12 {
		for range 60 {
			u := all[r.IntN(len(all))]
			if _, ok := present[u.DIN]; !ok {
				u.Version++
				if err := x.Upsert(u, banksOf(genBanks...)[u.Bank]); err != nil {
					t.Fatal(err)
				}
				present[u.DIN] = u
				continue
			}
			c := *u
			c.Version++
			switch r.IntN(5) {
			case 0:
				c.Status = []lifecycle.Status{lifecycle.StatusAvailable, lifecycle.StatusReserved}[r.IntN(2)]
			case 1:
				c.Type = []bank.UnitType{bank.UnitTypePublic, bank.UnitTypeAutologous}[r.IntN(2)]
			case 2:
				c.AttachedSegments = r.IntN(2)
			case 3:
				c.Reduction = []bank.Reduction{bank.ReductionPlasmaAndRBC, bank.ReductionPlasmaOnly}[r.IntN(2)]
			case 4:
				x.Remove(u.DIN)
				delete(present, u.DIN)
				continue
			}
			x.UnitsChanged([]*bank.Unit{&c})
			*u = c
		}
		checkPartition(t, x)
		units := make([]*bank.Unit, 0, len(present))
		for _, u := range all {
			if present[u.DIN] != nil {
				units = append(units, u)
			}
		}
		for i := range 6 {
			req := gn.request(Criterion8of8)
			req.PageSize = 1000
			priv := ""
			var opts []SearchOption
			switch i % 3 {
			case 1: // full scan: the policy accepts units without segments
				req.Policy = Overrides{RequireAttachedSegment: bp(false), MinMatches: ip(2)}
			case 2: // full scan: private units of one bank
				priv = genBanks[i%len(genBanks)].ID
				opts = append(opts, IncludePrivateOfBank(priv))
			}
			_, res := searchEqualsNaive(t, g, x, units, req, priv, fmt.Sprintf("round %d search %d", round, i), opts...)
			got := maps.Clone(res.Excluded)
			delete(got, FilterMatchGrade)
			delete(got, FilterDSA)
			if wantEx := naiveExcluded(present, req, priv); !maps.Equal(got, wantEx) {
				t.Fatalf("round %d search %d: excluded %v, naive %v", round, i, got, wantEx)
			}
			inScope := 0
			for _, u := range present {
				if !u.IsPrivate() || u.Bank == priv {
					inScope++
				}
			}
			if res.Scanned != inScope {
				t.Fatalf("round %d search %d: scanned %d, want the %d units in scope", round, i, res.Scanned, inScope)
			}
		}
	}
}
