package match

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/names"
	"github.com/cordbank/cordbank/bank/unit"
)

// SearchOption changes what a search covers.
type SearchOption func(*searchOpts)

type searchOpts struct {
	privateBank string
}

// IncludePrivateOfBank also searches the autologous and directed units of
// bank bankID (public units of every bank are always searched). Only that
// bank's own principals may ask for it: the search refuses anyone else
// with KindPermissionDenied.
func IncludePrivateOfBank(bankID string) SearchOption {
	return func(o *searchOpts) { o.privateBank = bankID }
}

// Filter names, as reported in Result.Excluded, in the order they apply (a
// unit is counted under the first filter it fails). Private units outside
// the search's scope (IncludePrivateOfBank) are not a filter: they are
// neither scanned nor counted.
const (
	FilterStatus      = "status"
	FilterSegment     = "attached_segment"
	FilterRBCDepleted = "rbc_depleted"
	FilterUnitAge     = "unit_age"
	FilterAccredited  = "accreditation"
	FilterTNC         = "tnc_dose"
	FilterCD34        = "cd34_dose"
	FilterDoubleDose  = "double_unit_dose"
	FilterMatchGrade  = "match_grade"
	FilterDSA         = "dsa"
)

// Result is the answer to a single-unit search.
type Result struct {
	Matches []Match
	// FrequencySet names the haplotype frequency set the patient was read
	// against ("" when no probabilities were computed).
	FrequencySet string
	// ConfirmTyping names the returned units whose confirmatory typing has
	// the highest expected gain, best first (see confirmTyping).
	ConfirmTyping []ConfirmSuggestion
	// LikelihoodWindow is the number of candidates predicted and re-ranked
	// when ranking by likelihood (0 otherwise); LikelihoodExact reports that
	// every unit that could fully match was among them, so the ranking by
	// probability is exact, not limited to the window.
	LikelihoodWindow int
	LikelihoodExact  bool
	// TotalSize is the number of units that passed every filter (Matches
	// holds the best PageSize of them).
	TotalSize int
	Criterion Criterion
	Release   string // IPD-IMGT/HLA release graded against ("" = syntax-only)
	Policy    Policy // the effective policy
	// Excluded counts the units in scope dropped per filter.
	Excluded map[string]int
	// Scanned is the number of units in the search's scope: every public
	// unit, and the private units of the bank IncludePrivateOfBank names.
	// It never depends on other private units.
	Scanned int
}

// cand is a unit that passed the filters, with its ranking keys.
type cand struct {
	k   keys
	idx int32
	dsa bool
}

// Search returns the best units for req. Errors: a *bank.Error of
// KindInvalid for a bad request; ctx's error when cancelled.
func (x *Index) Search(ctx context.Context, req *Request, opts ...SearchOption) (*Result, error) {
	if err := authorize(ctx, opts); err != nil {
		return nil, err
	}
	ps, patPred, perr := x.predictionPlan(req)
	p, err := x.g.compileImputing(req, ps != nil)
	if err = joinInvalid(perr, err); err != nil {
		return nil, err
	}
	// Ranking by likelihood: by default whenever a set is loaded, or when
	// the request's order names it. The scan ranks by match count in its
	// place (a unit can only be 8/8 if its potential total is 8) and keeps a
	// window of the best candidates, which are predicted and re-ranked.
	reported := p.pol.Order
	likelihood := false
	if ps != nil {
		if len(req.Policy.Order) == 0 {
			reported = slices.Clone(p.pol.Order)
			if i := slices.Index(reported, RankMatchCount); i >= 0 {
				reported[i] = RankLikelihood
			}
		}
		likelihood = slices.Contains(reported, RankLikelihood)
	}
	want := p.pageSize
	if likelihood {
		var scanOrder []RankKey
		for _, k := range reported {
			if k == RankLikelihood {
				k = RankMatchCount
			}
			if !slices.Contains(scanOrder, k) {
				scanOrder = append(scanOrder, k)
			}
		}
		p.pol.Order = scanOrder
		want = min(max(likelihoodWindowFactor*p.pageSize, likelihoodWindowMin), MaxPageSize*likelihoodWindowFactor)
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	sc := x.newScan(p, opts)
	defer sc.release()
	top, err := sc.run(ctx, want, nil)
	if err != nil {
		return nil, err
	}
	p.pol.Order = reported
	res := &Result{TotalSize: sc.passed, Criterion: p.crit, Release: x.g.Release(), Policy: p.pol,
		Excluded: sc.excludedMap(), Scanned: sc.scanned}
	ms := make([]Match, 0, len(top))
	ks := make([]keys, 0, len(top))
	for i := range top {
		ms = append(ms, x.matchOf(p, &top[i]))
		ks = append(ks, top[i].k)
	}
	if ps != nil {
		res.FrequencySet = patPred.name
		for i := range ms {
			ms[i].Prediction = x.predictMatch(ps, patPred, p, &ms[i], top[i].idx)
		}
	}
	order := make([]int, len(ms))
	for i := range order {
		order[i] = i
	}
	if likelihood {
		res.LikelihoodWindow = len(top)
		// Every unit that can fully match is in the window when the scan
		// returned fewer than it could, or when the likelihood rule comes
		// first and the window ends below the full count (a unit whose
		// potential total is short of it has probability 0).
		res.LikelihoodExact = len(top) < want ||
			(reported[0] == RankLikelihood && len(top) > 0 && int(top[len(top)-1].k.total) < p.crit.Total())
		slices.SortStableFunc(order, func(a, b int) int {
			c, _ := compareLikely(reported, p.crit, &ms[a], &ks[a], &ms[b], &ks[b])
			return c
		})
		if len(order) > p.pageSize {
			order = order[:p.pageSize]
		}
	}
	for i, oi := range order {
		m := ms[oi]
		m.Rank = i + 1
		if i > 0 {
			prev := order[i-1]
			if likelihood {
				_, m.DecidedBy = compareLikely(reported, p.crit, &ms[prev], &ks[prev], &m, &ks[oi])
			} else {
				_, m.DecidedBy = compareKeys(reported, &ks[prev], &ks[oi])
			}
		}
		m.Explanation = explain(&m)
		res.Matches = append(res.Matches, m)
	}
	res.ConfirmTyping = confirmTyping(res.Matches, p.crit)
	return res, nil
}

// predictMatch predicts entry idx (reported as m) for the plan's patient.
func (x *Index) predictMatch(ps *Predictors, patPred *Predictor, p *plan, m *Match, idx int32) *Prediction {
	pr, err := Predict(patPred, p.patient, ps.forBank(m.Bank, patPred), x.typingOf(idx))
	if err != nil {
		// A typing the expansion cannot handle keeps its grade and says why.
		return &Prediction{Set: patPred.name, Population: patPred.population, NomenclatureVersion: patPred.version,
			Unrepresented: "unit (" + err.Error() + ")"}
	}
	return pr
}

// The likelihood window: how many candidates (by match count) are predicted
// and re-ranked per result returned.
const (
	likelihoodWindowFactor = 4
	likelihoodWindowMin    = 64
)

// likelihoodOf is the probability a likelihood ranking compares: P(6/6)
// for a 6/6 search, else P(8/8); ok false when the unit is unrepresented.
func likelihoodOf(m *Match, c Criterion) (p, expected float64, ok bool) {
	pr := m.Prediction
	if pr == nil || pr.Unrepresented != "" {
		return 0, 0, false
	}
	if c == Criterion6of6 {
		return pr.P6of6, pr.ExpectedMismatches, true
	}
	return pr.P8of8, pr.ExpectedMismatches, true
}

// compareLikely is compareKeys with RankLikelihood decided by the
// predictions (then by the match count, as RankMatchCount).
func compareLikely(order []RankKey, c Criterion, ma *Match, ka *keys, mb *Match, kb *keys) (int, RankKey) {
	for i, k := range order {
		if k != RankLikelihood {
			continue
		}
		if r, k := compareRules(order[:i], ka, kb); r != 0 {
			return r, k
		}
		pa, ea, oka := likelihoodOf(ma, c)
		pb, eb, okb := likelihoodOf(mb, c)
		r := boolCmp(oka, okb)
		if r == 0 && oka {
			// Probabilities equal to 1e-9 are ties: sums of products are not
			// exact to the last bit.
			if d := pb - pa; d > 1e-9 || d < -1e-9 {
				r = cmp.Compare(pb, pa)
			} else if d := ea - eb; d > 1e-9 || d < -1e-9 {
				r = cmp.Compare(ea, eb)
			}
		}
		if r == 0 {
			r, _ = compareRules([]RankKey{RankMatchCount}, ka, kb)
		}
		if r != 0 {
			return r, RankLikelihood
		}
		return compareKeys(order[i+1:], ka, kb)
	}
	return compareKeys(order, ka, kb)
}

// ConfirmSuggestion is a unit worth confirmatory typing.
type ConfirmSuggestion struct {
	Unit string
	// Gain is the expected gain in the probability of holding a confirmed
	// match: P(this unit matches) × (1 − the best P(match) among the other
	// returned units). A unit already certain gains nothing by typing.
	Gain float64
}

// maxConfirm is how many units a search names for confirmatory typing.
const maxConfirm = 3

// confirmTyping names the units whose confirmatory typing has the highest
// expected gain: if typing shows the unit matches (probability p), the
// centre holds a confirmed match it would otherwise have had only with the
// best other unit's probability q; the gain is p·(1−q). Units already
// certain (p 0 or 1) gain nothing, and gains below 1% are not named.
func confirmTyping(ms []Match, c Criterion) []ConfirmSuggestion {
	var out []ConfirmSuggestion
	for i := range ms {
		p, _, ok := likelihoodOf(&ms[i], c)
		if !ok || p <= 1e-9 || p >= 1-1e-9 {
			continue
		}
		q := 0.0
		for j := range ms {
			if pj, _, okj := likelihoodOf(&ms[j], c); okj && j != i && pj > q {
				q = pj
			}
		}
		if g := p * (1 - q); g >= 0.01 {
			out = append(out, ConfirmSuggestion{Unit: ms[i].Unit, Gain: g})
		}
	}
	slices.SortStableFunc(out, func(a, b ConfirmSuggestion) int { return cmp.Compare(b.Gain, a.Gain) })
	if len(out) > maxConfirm {
		out = out[:maxConfirm]
	}
	return out
}

// matchOf builds the reported Match of a candidate: the full grade is
// recomputed from the shared typings (same functions as the scan).
func (x *Index) matchOf(p *plan, c *cand) Match {
	e := &x.entries[c.idx]
	b := x.banks[e.bank]
	u := x.typingOf(c.idx)
	din := x.cold[c.idx].din
	m := Match{Unit: names.Unit(b.id, string(din)), Bank: b.id, DIN: din,
		Grade: x.g.Grade(p.patient, u, p.crit, p.pol.AlleleLevel), TNCPerKg: c.k.tncKg,
		DoseAdequate: c.k.adequate, Accredited: c.k.accredited, ABOCompatible: c.k.aboOK,
		RBCDepleted: c.k.rbc, CollectionDate: unit.DateOf(unixDay(c.k.coll))}
	if c.k.cd34Kg >= 0 {
		m.CD34PerKg, m.CD34Known = c.k.cd34Kg, true
	}
	if c.dsa {
		m.DSA = x.g.dsaTyping(p.patient, u, p.abs)
	}
	return m
}

// topN keeps the n best candidates in a heap whose root is the worst kept.
type topN struct {
	order []RankKey
	n     int
	items []cand
}

func (t *topN) worse(i, j int) bool {
	c, _ := compareKeys(t.order, &t.items[i].k, &t.items[j].k)
	return c > 0
}

func (t *topN) offer(c *cand) {
	if len(t.items) < t.n {
		t.items = append(t.items, *c)
		for i := len(t.items) - 1; i > 0; {
			parent := (i - 1) / 2
			if !t.worse(i, parent) {
				break
			}
			t.items[i], t.items[parent] = t.items[parent], t.items[i]
			i = parent
		}
		return
	}
	if r, _ := compareKeys(t.order, &c.k, &t.items[0].k); r >= 0 {
		return
	}
	t.items[0] = *c
	for i := 0; ; {
		l, r, w := 2*i+1, 2*i+2, i
		if l < len(t.items) && t.worse(l, w) {
			w = l
		}
		if r < len(t.items) && t.worse(r, w) {
			w = r
		}
		if w == i {
			return
		}
		t.items[i], t.items[w] = t.items[w], t.items[i]
		i = w
	}
}

func (t *topN) sorted() []cand {
	slices.SortFunc(t.items, func(a, b cand) int {
		c, _ := compareKeys(t.order, &a.k, &b.k)
		return c
	})
	return t.items
}

// joinInvalid merges two validation errors so that the caller hears of
// every bad field at once.
func joinInvalid(a, b error) error {
	var ea, eb *bank.Error
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case errors.As(a, &ea) && errors.As(b, &eb):
		c := *eb
		c.Violations = append(slices.Clone(ea.Violations), eb.Violations...)
		slices.SortStableFunc(c.Violations, func(x, y bank.Violation) int { return strings.Compare(x.Field, y.Field) })
		return &c
	}
	return a
}
