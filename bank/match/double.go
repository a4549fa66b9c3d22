package match

import (
	"cmp"
	"context"
	"slices"
	"strings"
)

// Pair is a double-unit graft: two units ranked together.
type Pair struct {
	// Units are the two units, the better single-unit rank first.
	Units [2]Match
	Rank  int
	// CombinedTNCPerKg is the sum of both units' TNC per kg.
	CombinedTNCPerKg float64
	// Preferred: combined TNC above the preferred figure and every known
	// CD34+ dose at or above the preferred per-unit figure (domain.md §4.3).
	Preferred bool
	// Worse is the grade of the worse-matched unit, the first ranking key.
	Worse       Grade
	Explanation string
	// DecidedBy names the key that placed the pair below the previous one:
	// "worse_match", "preferred_dose", "combined_tnc_dose" or "din".
	DecidedBy string
}

// DoubleResult is the answer to a double-unit search.
type DoubleResult struct {
	Pairs []Pair
	// Candidates is the number of units paired (at most
	// Policy.Double.Candidates, the best by single-unit ranking among
	// TotalSize units that passed every filter and the per-unit floors).
	Candidates int
	TotalSize  int
	Criterion  Criterion
	Release    string
	Policy     Policy
	Excluded   map[string]int
	// FrequencySet names the set the units' match probabilities were
	// computed with ("" when none); pairs keep their dose-first ranking.
	FrequencySet string
}

type pairKeys struct {
	a, b         int // indexes into the candidate list, a ranks better
	wTotal, wDef int8
	preferred    bool
	combined     float64
}

// SearchDouble returns the best pairs of units for req (domain.md §4.6
// double-unit mode): each unit passes the single-unit filters and the
// per-unit double floors; the K best by single ranking are paired (O(K²));
// pairs rank by the worse unit's match (potential total, then definite),
// then the preferred dose class, then combined TNC per kg, then the units'
// DINs. Unit-to-unit HLA match is not required. Errors as Search.
func (x *Index) SearchDouble(ctx context.Context, req *Request, opts ...SearchOption) (*DoubleResult, error) {
	if err := authorize(ctx, opts); err != nil {
		return nil, err
	}
	ps, patPred, perr := x.predictionPlan(req)
	p, err := x.g.compileImputing(req, ps != nil)
	if err = joinInvalid(perr, err); err != nil {
		return nil, err
	}
	dp := p.pol.Double
	x.mu.RLock()
	defer x.mu.RUnlock()
	sc := x.newScan(p, opts)
	defer sc.release()
	top, err := sc.run(ctx, dp.Candidates, func(tncKg, cd34Kg float64) bool {
		ok1, ok2 := passesFloors(dp.MinTNCPerKg, dp.MinCD34PerKg, tncKg, cd34Kg)
		return ok1 && ok2
	})
	if err != nil {
		return nil, err
	}
	res := &DoubleResult{Candidates: len(top), TotalSize: sc.passed, Criterion: p.crit, Release: x.g.Release(),
		Policy: p.pol, Excluded: sc.excludedMap()}
	if ps != nil {
		res.FrequencySet = patPred.name
	}
	pairs := make([]pairKeys, 0, len(top)*(len(top)-1)/2)
	for i := range top {
		for j := i + 1; j < len(top); j++ {
			a, b := &top[i].k, &top[j].k
			pk := pairKeys{a: i, b: j, wTotal: a.total, wDef: a.definite, combined: a.tncKg + b.tncKg}
			if b.total < a.total || (b.total == a.total && b.definite < a.definite) {
				pk.wTotal, pk.wDef = b.total, b.definite
			}
			pk.preferred = pk.combined > dp.PreferredCombinedTNCPerKg &&
				(a.cd34Kg < 0 || a.cd34Kg >= dp.PreferredCD34PerKg) && (b.cd34Kg < 0 || b.cd34Kg >= dp.PreferredCD34PerKg)
			pairs = append(pairs, pk)
		}
	}
	comparePairs := func(p, q *pairKeys) (int, string) {
		if c := cmp.Compare(q.wTotal, p.wTotal); c != 0 {
			return c, "worse_match"
		}
		if c := cmp.Compare(q.wDef, p.wDef); c != 0 {
			return c, "worse_match"
		}
		if c := boolCmp(p.preferred, q.preferred); c != 0 {
			return c, "preferred_dose"
		}
		if c := cmp.Compare(q.combined, p.combined); c != 0 {
			return c, "combined_tnc_dose"
		}
		// candidates are in single-rank order, so indexes break ties
		// deterministically (by DIN in the end)
		if c := strings.Compare(string(top[p.a].k.din), string(top[q.a].k.din)); c != 0 {
			return c, "din"
		}
		return strings.Compare(string(top[p.b].k.din), string(top[q.b].k.din)), "din"
	}
	slices.SortFunc(pairs, func(p, q pairKeys) int { c, _ := comparePairs(&p, &q); return c })
	if len(pairs) > p.pageSize {
		pairs = pairs[:p.pageSize]
	}
	matches := map[int]Match{}
	matchOf := func(i int) Match {
		m, ok := matches[i]
		if !ok {
			m = x.matchOf(p, &top[i])
			m.Rank = i + 1
			if ps != nil {
				m.Prediction = x.predictMatch(ps, patPred, p, &m, top[i].idx)
			}
			m.Explanation = explain(&m)
			matches[i] = m
		}
		return m
	}
	for i := range pairs {
		pk := &pairs[i]
		pr := Pair{Units: [2]Match{matchOf(pk.a), matchOf(pk.b)}, Rank: i + 1,
			CombinedTNCPerKg: pk.combined, Preferred: pk.preferred}
		pr.Worse = pr.Units[0].Grade
		if g := pr.Units[1].Grade; g.Total < pr.Worse.Total || (g.Total == pr.Worse.Total && g.Definite < pr.Worse.Definite) {
			pr.Worse = g
		}
		if i > 0 {
			_, pr.DecidedBy = comparePairs(&pairs[i-1], pk)
		}
		parts := []string{"worse unit " + pr.Worse.String(), "combined TNC " + sci(pk.combined) + "/kg"}
		if pk.preferred {
			parts = append(parts, "preferred double dose")
		}
		if pr.DecidedBy != "" {
			parts = append(parts, "below previous by "+pr.DecidedBy)
		}
		pr.Explanation = strings.Join(parts, "; ")
		res.Pairs = append(res.Pairs, pr)
	}
	return res, nil
}
