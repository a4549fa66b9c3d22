package match

import (
	"context"
	"slices"

	"github.com/cordbank/cordbank/bank"
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
	p, err := x.g.compile(req)
	if err != nil {
		return nil, err
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	sc := x.newScan(p, opts)
	defer sc.release()
	top, err := sc.run(ctx, p.pageSize, nil)
	if err != nil {
		return nil, err
	}
	res := &Result{TotalSize: sc.passed, Criterion: p.crit, Release: x.g.Release(), Policy: p.pol,
		Excluded: sc.excludedMap(), Scanned: sc.scanned}
	for i := range top {
		m := x.matchOf(p, &top[i])
		m.Rank = i + 1
		if i > 0 {
			_, m.DecidedBy = compareKeys(p.pol.Order, &top[i-1].k, &top[i].k)
		}
		m.Explanation = explain(&m)
		res.Matches = append(res.Matches, m)
	}
	return res, nil
}

// matchOf builds the reported Match of a candidate: the full grade is
// recomputed from the shared typings (same functions as the scan).
func (x *Index) matchOf(p *plan, c *cand) Match {
	e := &x.entries[c.idx]
	b := x.banks[e.bank]
	u := x.typingOf(c.idx)
	din := x.cold[c.idx].din
	m := Match{Unit: "banks/" + b.id + "/units/" + string(din), Bank: b.id, DIN: din,
		Grade: x.g.Grade(p.patient, u, p.crit, p.pol.AlleleLevel), TNCPerKg: c.k.tncKg,
		DoseAdequate: c.k.adequate, Accredited: c.k.accredited, ABOCompatible: c.k.aboOK,
		RBCDepleted: c.k.rbc, CollectionDate: bank.DateOf(unixDay(c.k.coll))}
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
