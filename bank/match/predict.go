package match

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/cordbank/cordbank/bank/hla"
	"github.com/cordbank/cordbank/bank/hla/freq"
)

// Match prediction (anchors-2.md §3.5): the probability that a patient and
// a unit match, given what each side's typing admits under a haplotype
// frequency set.
//
// Each side's typing admits the genotypes (unordered pairs of the set's
// haplotypes) whose two alleles fit the typing at every typed locus of the
// set, in either orientation, for one of the typing's alternatives. A
// genotype {h1, h2} weighs f(h1)·f(h2), twice when h1 ≠ h2 (Hardy-Weinberg),
// normalised over the genotypes the side admits. The patient and unit sides
// are independent, so
//
//	P(outcome) = Σ_p Σ_u w(p)·w(u)·[outcome(p, u)]
//
// summed exactly over every admitted genotype: nothing is truncated. The
// outcome of a genotype pair is graded as GradeLocus grades two certain
// typings at allele level (two-field ARD names, best of both orientations,
// a null read as its partner, ATLAS) and, for 6/6, at antigen level at A
// and B, so a pair of unambiguous typings gives 0 or 1 and agrees with the
// grade. A side whose typing is unambiguous at A, B, C and DRB1 is one
// genotype of weight 1 without the set (ATLAS does the same), so a rare
// allele the set lacks does not make a high-resolution patient
// unrepresented.
//
// What a set cannot explain is reported, not hidden: the mass of the
// haplotypes a set does not list (1 minus its kept sum, when below 1;
// sets that sum to 1 or more leave none) is spread over each locus's
// alleles as the listed haplotypes carry them, loci independent (the
// unlisted remainder is rare haplotypes, about which the set says nothing
// else). The share of a side's admitted weight that involves an unlisted
// haplotype is that side's unexplained mass, and Prediction.Unexplained
// combines both sides. The probabilities are
// conditional on the listed haplotypes: the truth lies within Unexplained
// of them. A side none of whose genotypes the set lists is unrepresented
// and gets no probabilities.

// outcomeLoci are the loci an outcome is graded at, in 8/8 order.
var outcomeLoci = [4]string{"A", "B", "C", "DRB1"}

// PredictedLoci names the loci of Prediction.Locus, in order.
var PredictedLoci = outcomeLoci

// Predictor predicts matches under one resolved haplotype frequency set.
// It is safe for concurrent use.
type Predictor struct {
	g          *Grader
	name       string
	population string
	version    string // nomenclature the set was made under
	missing    float64

	// Set loci: core-locus index of each (-1 when not a core locus) and
	// the set-locus index of each outcome locus.
	loci    []int
	outcome [4]int
	// Per set locus, the distinct allele ids and, per haplotype, the local
	// index of its allele.
	alleles [][]uint32
	local   [][]int32 // [haplotype][set locus]
	freq    []float64
	marg    [][]float64          // [set locus][local allele]: allele frequency among listed haplotypes
	pos     map[uint32]*position // prepared position of every set allele, for antigens

	mu          sync.Mutex
	cache       map[string]*expansion
	cachedGenos int      // genotypes held by cache, to bound its memory
	ant         sync.Map // uint64 -> bool: antigen match of two allele ids
}

// maxExpansionCache bounds the cached expansions (one per distinct typing)
// and maxCachedGenos the genotypes they hold (40 bytes each: 40 MB).
const (
	maxExpansionCache = 1 << 16
	maxCachedGenos    = 1 << 20
)

// NewPredictor prepares r for prediction with g (the Grader of the index
// whose typings will be predicted). The set must hold A, B, C and DRB1.
func NewPredictor(g *Grader, r *freq.Resolved) (*Predictor, error) {
	p := &Predictor{g: g, name: r.Set.Name, population: r.Set.Population, version: r.Set.Nomenclature,
		loci: make([]int, len(r.Loci)), outcome: [4]int{-1, -1, -1, -1},
		alleles: make([][]uint32, len(r.Loci)), pos: map[uint32]*position{}, cache: map[string]*expansion{}}
	for j, l := range r.Loci {
		p.loci[j] = -1
		if li, ok := locusIndex[l]; ok {
			p.loci[j] = li
		}
		for k, o := range outcomeLoci {
			if o == l {
				p.outcome[k] = j
			}
		}
	}
	for k, j := range p.outcome {
		if j < 0 {
			return nil, fmt.Errorf("match: frequency set %s has no HLA-%s", r.Set.Name, outcomeLoci[k])
		}
	}
	localOf := make([]map[uint32]int32, len(r.Loci))
	for j := range localOf {
		localOf[j] = map[uint32]int32{}
	}
	mass := 0.0
	for i, h := range r.Haplotypes {
		row := make([]int32, len(h))
		for j, n := range h {
			id := g.intern(n)
			if _, ok := p.pos[id]; !ok {
				ps, err := g.preparePosition(r.Loci[j], hla.Leaf(n))
				if err != nil {
					return nil, fmt.Errorf("match: frequency set %s: %s: %w", r.Set.Name, n, err)
				}
				p.pos[id] = &ps
			}
			li, ok := localOf[j][id]
			if !ok {
				li = int32(len(p.alleles[j]))
				localOf[j][id] = li
				p.alleles[j] = append(p.alleles[j], id)
			}
			row[j] = li
		}
		p.local = append(p.local, row)
		p.freq = append(p.freq, r.Freq[i])
		mass += r.Freq[i]
	}
	p.missing = math.Max(0, 1-mass)
	p.marg = make([][]float64, len(r.Loci))
	for j := range p.marg {
		p.marg[j] = make([]float64, len(p.alleles[j]))
	}
	for h, row := range p.local {
		for j, a := range row {
			p.marg[j][a] += p.freq[h] / mass
		}
	}
	return p, nil
}

// Name is the set's name (HEGL_CAU); Population its population (CAU).
func (p *Predictor) Name() string       { return p.name }
func (p *Predictor) Population() string { return p.population }

// Nomenclature is the IPD-IMGT/HLA version the set was made under.
func (p *Predictor) Nomenclature() string { return p.version }

// geno is one genotype at the outcome loci: allele ids per locus (a null
// read as its partner; 0 when both are null), with its weight.
type geno struct {
	a [4][2]uint32
	w float64
}

// expansion is what one side's typing admits.
type expansion struct {
	genos         []geno // distinct outcome genotypes, weights summing to 1
	pairs         int    // haplotype pairs admitted
	unexplained   float64
	direct        bool // unambiguous typing: no set needed
	unrepresented bool
	err           error
}

// Prediction is the probability of each outcome for one patient and unit.
type Prediction struct {
	Set        string // the frequency set used (the patient's; UnitSet when it differs)
	UnitSet    string
	Population string
	// NomenclatureVersion is the IPD-IMGT/HLA version the patient's set was
	// made under (its names were read against the loaded release).
	NomenclatureVersion string
	// P8of8, P7of8 and P6orFewerOf8 count allele-level matches at A, B, C
	// and DRB1; P6of6 is a match at A and B antigen level and DRB1 allele
	// level (the cord 6/6).
	P8of8, P7of8, P6orFewerOf8, P6of6 float64
	// Locus is the probability of a match at both positions of A, B, C and
	// DRB1 at allele level, in that order.
	Locus [4]float64
	// ExpectedMismatches of 8.
	ExpectedMismatches float64
	// Unexplained is the share of the two sides' admitted mass that
	// involves haplotypes the set does not list (see the package notes).
	Unexplained float64
	// PatientGenotypes and UnitGenotypes count the distinct A-B-C-DRB1
	// genotypes each side admits (1 for an unambiguous typing).
	PatientGenotypes, UnitGenotypes int
	// Unrepresented is "patient", "unit" or "patient and unit" when a side
	// admits no genotype of its set; the probabilities are then 0 and
	// meaningless.
	Unrepresented string
}

// certainID returns the allele id a position names for sure, ok false when
// the position is ambiguous at allele level.
func certainID(ps *position) (uint32, bool) {
	if ps.sero || ps.isNew || ps.mayNull || ps.null || len(ps.wild) > 0 || len(ps.allele[0]) != 1 {
		return 0, false
	}
	return ps.allele[0][0], true
}

// direct returns the one genotype of a typing unambiguous at every outcome
// locus.
func directGeno(t *Typing) (geno, bool) {
	var gn geno
	for k, l := range outcomeLoci {
		lt := t.loci[locusIndex[l]]
		if lt == nil || len(lt.alts) != 1 {
			return gn, false
		}
		for s := 0; s < 2; s++ {
			id, ok := certainID(&lt.alts[0][s])
			if !ok {
				return gn, false
			}
			gn.a[k][s] = id
		}
	}
	gn.w = 1
	return gn, true
}

// expand returns what t admits under the set, cached by t's text.
func (p *Predictor) expand(t *Typing) *expansion {
	if gn, ok := directGeno(t); ok {
		return &expansion{genos: []geno{gn}, direct: true, pairs: 1}
	}
	var key strings.Builder
	for j, li := range p.loci {
		if li >= 0 && t.loci[li] != nil {
			key.WriteString(t.loci[li].text)
		}
		if j < len(p.loci)-1 {
			key.WriteByte('^')
		}
	}
	k := key.String()
	p.mu.Lock()
	e, ok := p.cache[k]
	p.mu.Unlock()
	if ok {
		return e
	}
	e = p.expandUncached(t)
	p.mu.Lock()
	if len(p.cache) >= maxExpansionCache || p.cachedGenos+len(e.genos) > maxCachedGenos {
		clear(p.cache)
		p.cachedGenos = 0
	}
	p.cache[k] = e
	p.cachedGenos += len(e.genos)
	p.mu.Unlock()
	return e
}

// maxAlternatives is the number of genotype alternatives ('|') of one locus
// the expansion handles (a bit each in a uint32).
const maxAlternatives = 32

var errTooManyAlternatives = errors.New("a locus typing lists more than 32 alternative genotypes")

func (p *Predictor) expandUncached(t *Typing) *expansion {
	// masks[j][local allele] = which (alternative, position) the allele fits.
	type fit struct{ s0, s1 uint32 }
	var typed []int
	masks := make([][]fit, len(p.loci))
	for j, li := range p.loci {
		if li < 0 || t.loci[li] == nil {
			continue
		}
		lt := t.loci[li]
		if len(lt.alts) > maxAlternatives {
			return &expansion{err: errTooManyAlternatives}
		}
		typed = append(typed, j)
		m := make([]fit, len(p.alleles[j]))
		for ai, id := range p.alleles[j] {
			for k := range lt.alts {
				if p.admits(&lt.alts[k][0], id) {
					m[ai].s0 |= 1 << k
				}
				if p.admits(&lt.alts[k][1], id) {
					m[ai].s1 |= 1 << k
				}
			}
		}
		masks[j] = m
	}
	// Candidates: haplotypes fitting one position at every typed locus.
	nt := len(typed)
	var cand []int32
	var cfit []fit // [candidate*nt + t]
	for h, row := range p.local {
		ok := true
		for _, j := range typed {
			f := masks[j][row[j]]
			if f.s0|f.s1 == 0 {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		cand = append(cand, int32(h))
		for _, j := range typed {
			cfit = append(cfit, masks[j][p.local[h][j]])
		}
	}
	e := &expansion{}
	sum := 0.0
	acc := map[[4][2]uint32]float64{}
	for x, hx := range cand {
		fx := cfit[x*nt : x*nt+nt]
		for y := x; y < len(cand); y++ {
			fy := cfit[y*nt : y*nt+nt]
			ok := true
			for i := range fx {
				if (fx[i].s0&fy[i].s1)|(fx[i].s1&fy[i].s0) == 0 {
					ok = false
					break
				}
			}
			if !ok {
				continue
			}
			hy := cand[y]
			w := p.freq[hx] * p.freq[hy]
			if x != y {
				w *= 2
			}
			e.pairs++
			sum += w
			acc[p.outcomeKey(hx, hy)] += w
		}
	}
	unlisted := 0.0
	if p.missing > 0 {
		// A listed candidate with an unlisted haplotype: per typed locus,
		// the marginal mass of the alleles the candidate's allele can pair
		// with; and two unlisted haplotypes.
		for x, hx := range cand {
			q := 1.0
			for i, j := range typed {
				f := cfit[x*nt+i]
				qj := 0.0
				for b, mb := range masks[j] {
					if (f.s0&mb.s1)|(f.s1&mb.s0) != 0 {
						qj += p.marg[j][b]
					}
				}
				q *= qj
			}
			unlisted += 2 * p.freq[hx] * p.missing * q
		}
		qq := 1.0
		for _, j := range typed {
			qj := 0.0
			for a, ma := range masks[j] {
				for b, mb := range masks[j] {
					if (ma.s0&mb.s1)|(ma.s1&mb.s0) != 0 {
						qj += p.marg[j][a] * p.marg[j][b]
					}
				}
			}
			qq *= qj
		}
		unlisted += p.missing * p.missing * qq
	}
	if sum == 0 {
		e.unrepresented = true
		e.unexplained = 1
		return e
	}
	e.unexplained = unlisted / (sum + unlisted)
	e.genos = make([]geno, 0, len(acc))
	for k, w := range acc {
		e.genos = append(e.genos, geno{a: k, w: w / sum})
	}
	// Deterministic order (map iteration is random; sums must not depend on it).
	slices.SortFunc(e.genos, func(a, b geno) int {
		for k := range a.a {
			for s := range a.a[k] {
				if a.a[k][s] != b.a[k][s] {
					if a.a[k][s] < b.a[k][s] {
						return -1
					}
					return 1
				}
			}
		}
		return 0
	})
	return e
}

// outcomeKey is the genotype of haplotypes hx and hy at the outcome loci,
// each locus sorted, a null read as its partner.
func (p *Predictor) outcomeKey(hx, hy int32) [4][2]uint32 {
	var k [4][2]uint32
	for o, j := range p.outcome {
		a, b := p.alleles[j][p.local[hx][j]], p.alleles[j][p.local[hy][j]]
		na, nb := p.pos[a].null, p.pos[b].null
		switch {
		case na && nb:
			a, b = 0, 0
		case na:
			a = b
		case nb:
			b = a
		}
		if a > b {
			a, b = b, a
		}
		k[o] = [2]uint32{a, b}
	}
	return k
}

// admits reports whether a typing position admits set allele id.
func (p *Predictor) admits(ps *position, id uint32) bool {
	if ps.isNew {
		return true // NEW: typed, but the allele is unknown
	}
	ap := p.pos[id]
	if ps.null || ap.null {
		return ps.null && ap.null
	}
	if ps.sero {
		for _, x := range ps.antigen {
			for _, y := range ap.antigen {
				if p.g.relation(x, y).IsMatch() {
					return true
				}
			}
		}
		return false
	}
	if _, ok := slices.BinarySearch(ps.allele[0], id); ok {
		return true
	}
	if grp := p.g.groupOf(id); grp != 0 {
		if _, ok := slices.BinarySearch(ps.wild, grp); ok {
			return true
		}
	}
	return false
}

// antigenMatch reports whether two allele ids match at antigen level, as
// GradeLocus compares certain positions (the best relation of their
// antigens).
func (p *Predictor) antigenMatch(a, b uint32) bool {
	if a == 0 || b == 0 {
		return false
	}
	if a == b {
		return true
	}
	if a > b {
		a, b = b, a
	}
	k := uint64(a)<<32 | uint64(b)
	if v, ok := p.ant.Load(k); ok {
		return v.(bool)
	}
	pa, pb := p.positionOf(a), p.positionOf(b)
	m := false
	for _, x := range pa.antigen {
		for _, y := range pb.antigen {
			if p.g.relation(x, y).IsMatch() {
				m = true
			}
		}
	}
	p.ant.Store(k, m)
	return m
}

// positionOf is the prepared position of an allele id: a set allele's, or,
// for the alleles of an unambiguous typing the set lacks, prepared now.
func (p *Predictor) positionOf(id uint32) *position {
	if ps, ok := p.pos[id]; ok {
		return ps
	}
	n := p.g.name(id)
	ps, err := p.g.preparePosition(n.Locus, hla.Leaf(n))
	if err != nil {
		return &position{}
	}
	return &ps
}

// locusMatches counts the matched positions (0, 1 or 2) of two genotypes at
// one locus, best of both orientations.
func locusMatches(a, b [2]uint32, eq func(x, y uint32) bool) int {
	direct, cross := 0, 0
	if eq(a[0], b[0]) {
		direct++
	}
	if eq(a[1], b[1]) {
		direct++
	}
	if eq(a[0], b[1]) {
		cross++
	}
	if eq(a[1], b[0]) {
		cross++
	}
	return max(direct, cross)
}

func alleleEq(x, y uint32) bool { return x != 0 && x == y }

// Predict computes the prediction for a patient typing under pp and a unit
// typing under pu (the unit's population's set; pass pp again when the
// same). An error is returned only for typings the expansion cannot handle.
func Predict(pp *Predictor, patient *Typing, pu *Predictor, unit *Typing) (*Prediction, error) {
	ep, eu := pp.expand(patient), pu.expand(unit)
	for _, e := range []*expansion{ep, eu} {
		if e.err != nil {
			return nil, e.err
		}
	}
	out := &Prediction{Set: pp.name, Population: pp.population, NomenclatureVersion: pp.version, PatientGenotypes: len(ep.genos), UnitGenotypes: len(eu.genos)}
	if pu != pp {
		out.UnitSet = pu.name
	}
	out.Unexplained = 1 - (1-ep.unexplained)*(1-eu.unexplained)
	switch {
	case ep.unrepresented && eu.unrepresented:
		out.Unrepresented = "patient and unit"
	case ep.unrepresented:
		out.Unrepresented = "patient"
	case eu.unrepresented:
		out.Unrepresented = "unit"
	}
	if out.Unrepresented != "" {
		return out, nil
	}
	antEq := func(x, y uint32) bool { return pp.antigenMatch(x, y) }
	for _, a := range ep.genos {
		for _, b := range eu.genos {
			w := a.w * b.w
			total := 0
			for k := range outcomeLoci {
				m := locusMatches(a.a[k], b.a[k], alleleEq)
				total += m
				if m == 2 {
					out.Locus[k] += w
				}
			}
			switch {
			case total == 8:
				out.P8of8 += w
			case total == 7:
				out.P7of8 += w
			default:
				out.P6orFewerOf8 += w
			}
			out.ExpectedMismatches += w * float64(8-total)
			if locusMatches(a.a[3], b.a[3], alleleEq) == 2 &&
				locusMatches(a.a[0], b.a[0], antEq) == 2 && locusMatches(a.a[1], b.a[1], antEq) == 2 {
				out.P6of6 += w
			}
		}
	}
	// Sums of normalised weights can stray from [0, 1] by a rounding
	// error (1.0000000000000002); a probability is never reported outside.
	for _, x := range []*float64{&out.P8of8, &out.P7of8, &out.P6orFewerOf8, &out.P6of6, &out.Locus[0], &out.Locus[1], &out.Locus[2], &out.Locus[3]} {
		*x = min(max(*x, 0), 1)
	}
	out.ExpectedMismatches = min(max(out.ExpectedMismatches, 0), 8)
	return out, nil
}
