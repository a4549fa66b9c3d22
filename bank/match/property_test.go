package match

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
)

// naiveSearch is the reference implementation: prepare and grade every
// unit with the plain grading functions, filter, sort, cut.
func naiveSearch(t *testing.T, g *Grader, units []*bank.Unit, req *Request, privBank string) ([]Match, int) {
	t.Helper()
	crit := req.Criterion
	pol := DefaultPolicy(crit).apply(&req.Policy, req.Disease)
	dose := pol.Dose(req.Disease)
	patient, err := g.Prepare(req.Patient.HLA)
	if err != nil {
		t.Fatal(err)
	}
	banks := banksOf(genBanks...)
	var out []Match
	for _, u := range units {
		b := banks[u.Bank]
		tncKg, cd34Kg, known := u.Cells.PostProcessingTNC/req.WeightKg, 0.0, u.Cells.PostProcessingCD34 != nil
		if known {
			cd34Kg = *u.Cells.PostProcessingCD34 / req.WeightKg
		}
		if naiveFilter(u, b, req, pol, privBank) != "" {
			continue
		}
		ut, err := g.Prepare(u.HLA)
		if err != nil {
			t.Fatal(err)
		}
		gr := g.Grade(patient, ut, crit, pol.AlleleLevel)
		if gr.Total < pol.MinMatches {
			continue
		}
		dsa, err := g.DSA(patient, ut, req.Antibodies, pol.DSAMinMFI)
		if err != nil {
			t.Fatal(err)
		}
		if len(dsa) > 0 && pol.ExcludeDSA {
			continue
		}
		m := Match{Unit: u.Name(), Bank: u.Bank, DIN: u.DIN, Grade: gr, TNCPerKg: tncKg, CD34Known: known,
			DoseAdequate:  (dose.AdequateTNCPerKg > 0 && tncKg >= dose.AdequateTNCPerKg) || (known && dose.AdequateCD34PerKg > 0 && cd34Kg >= dose.AdequateCD34PerKg),
			Accredited:    b.IsAccredited(),
			ABOCompatible: ABOCompatible(req.Patient.ABO, u.ABO), RBCDepleted: u.Reduction.RBCDepleted(),
			CollectionDate: u.CollectionDate, DSA: dsa}
		if known {
			m.CD34PerKg = cd34Kg
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Match) int { return pol.Compare(&a, &b) })
	total := len(out)
	ps := req.PageSize
	if ps == 0 {
		ps = DefaultPageSize
	}
	return out[:min(ps, len(out))], total
}

// outOfScope is naiveFilter's answer for a private unit the search may
// not see: not a filter, it is neither scanned nor counted.
const outOfScope = "(out of scope)"

// naiveFilter returns the first filter before grading that u fails under
// pol, in the documented filter order, or "".
func naiveFilter(u *bank.Unit, b *bank.Bank, req *Request, pol Policy, privBank string) string {
	dose := pol.Dose(req.Disease)
	var cutoff unit.Date
	if pol.MaxUnitAgeYears > 0 {
		cutoff = unit.DateOf(req.AsOf.Time().AddDate(-pol.MaxUnitAgeYears, 0, 0))
	}
	cd34 := u.Cells.PostProcessingCD34
	switch {
	case u.IsPrivate() && u.Bank != privBank:
		return outOfScope
	case u.Status != lifecycle.StatusAvailable:
		return FilterStatus
	case pol.RequireAttachedSegment && u.AttachedSegments == 0:
		return FilterSegment
	case pol.RequireRBCDepleted && !u.Reduction.RBCDepleted():
		return FilterRBCDepleted
	case !cutoff.IsZero() && u.CollectionDate.Before(cutoff):
		return FilterUnitAge
	case pol.RequireAccredited && !b.IsAccredited():
		return FilterAccredited
	case u.Cells.PostProcessingTNC/req.WeightKg < dose.MinTNCPerKg:
		return FilterTNC
	case cd34 != nil && *cd34/req.WeightKg < dose.MinCD34PerKg:
		return FilterCD34
	}
	return ""
}

func summary(m *Match) string {
	return fmt.Sprintf("%s %s def=%d dir=%v c=%v tnc=%g cd34=%g/%v adeq=%v acc=%v abo=%v rbc=%v coll=%s dsa=%v [%s]",
		m.Unit, m.Grade.String(), m.Grade.Definite, m.Grade.Direction, m.Grade.CMismatch, m.TNCPerKg, m.CD34PerKg, m.CD34Known,
		m.DoseAdequate, m.Accredited, m.ABOCompatible, m.RBCDepleted, m.CollectionDate, m.DSA, m.Grade.Describe())
}

// Property: for random registries and patients, the indexed search returns
// exactly what the naive scan returns (syntax-only and IMGT/HLA 3.24.0).
func TestIndexEqualsNaiveScan(t *testing.T) {
	graders := map[string]*Grader{"syntax-only": NewGrader(nil)}
	if testing.Short() {
		t.Log("short: syntax-only only")
	} else if realRefAvailable(t) {
		graders["imgt-"+imgtRelease] = realGrader(t)
	}
	for name, g := range graders {
		t.Run(name, func(t *testing.T) {
			nonEmpty, potential := 0, 0
			defer func(n int) { parallelMin = n }(parallelMin)
			for seed := uint64(1); seed <= 4; seed++ {
				// Even seeds split the scan across workers.
				parallelMin = []int{16, 1 << 20}[seed%2]
				gn := newGen(seed, 60, g.Release() != "")
				units := gn.units(400, seed)
				x := NewIndex(g)
				if err := x.Load(units, banksOf(genBanks...)); err != nil {
					t.Fatal(err)
				}
				for i := range 40 {
					crit := Criterion(1 + i%3)
					req := gn.request(crit)
					req.PageSize = []int{0, 5, 1000}[i%3]
					var opts []SearchOption
					priv := ""
					if i%7 == 0 {
						priv = genBanks[i%len(genBanks)].ID
						opts = append(opts, IncludePrivateOfBank(priv))
					}
					if i%5 == 0 {
						req.Policy = Overrides{MinMatches: ip(crit.Total() - 3), ExcludeDSA: bp(false), RequireAccredited: bp(false), MaxUnitAgeYears: ip(0)}
					}
					if i%11 == 0 {
						req.Policy.AlleleLevel = LevelAlleleG
					}
					want, _ := searchEqualsNaive(t, g, x, units, req, priv, fmt.Sprintf("seed %d request %d", seed, i), opts...)
					if len(want) > 0 {
						nonEmpty++
					}
					for k := range want {
						potential += want[k].Grade.Potential()
					}
				}
			}
			// the property must not hold vacuously
			if nonEmpty < 40 || potential == 0 {
				t.Errorf("only %d non-empty searches, %d potential matches", nonEmpty, potential)
			}
			t.Logf("%d of 160 searches non-empty, %d potential matches compared", nonEmpty, potential)
		})
	}
}

// searchEqualsNaive runs req on x and fails the test unless it returns
// what naiveSearch returns over units; it returns the naive matches.
func searchEqualsNaive(t *testing.T, g *Grader, x *Index, units []*bank.Unit, req *Request, priv, label string, opts ...SearchOption) ([]Match, *Result) {
	t.Helper()
	want, total := naiveSearch(t, g, units, req, priv)
	res, err := x.Search(context.Background(), req, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if res.TotalSize != total || len(res.Matches) != len(want) {
		t.Fatalf("%s: %d/%d results, naive %d/%d", label, len(res.Matches), res.TotalSize, len(want), total)
	}
	for k := range want {
		if a, b := summary(&res.Matches[k]), summary(&want[k]); a != b {
			t.Fatalf("%s result %d:\nindex %s\nnaive %s", label, k, a, b)
		}
	}
	return want, res
}

func realRefAvailable(t *testing.T) bool {
	ok := true
	t.Run("load-imgt", func(t *testing.T) {
		realGrader(t)
		ok = !t.Skipped()
	})
	return ok && realRef != nil
}
