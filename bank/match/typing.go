package match

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/hla"
)

// Loci are the loci a Typing holds (hla.CoreLoci). Typings of other loci are
// ignored by grading and by the Index.
var Loci = hla.CoreLoci

const nLoci = 11

var locusIndex = func() map[string]int {
	if len(hla.CoreLoci) != nLoci {
		panic("match: hla.CoreLoci changed size")
	}
	m := make(map[string]int, nLoci)
	for i, l := range hla.CoreLoci {
		m[l] = i
	}
	return m
}()

// Grader prepares and grades typings against one IPD-IMGT/HLA release (or
// none: a nil reference is the syntax-only mode, where allele levels
// truncate fields and antigens are approximated by the allele group).
//
// Prepared typings carry ids of the Grader's name table, so a Typing must be
// graded by the Grader that prepared it. A Grader is safe for concurrent
// use; its tables only grow (one entry per distinct reduced name).
type Grader struct {
	ref *hla.Reference

	mu    sync.RWMutex
	ids   map[hla.Name]uint32
	names []hla.Name // by id; names[0] is the zero Name
	group []uint32   // by id: id of the allele group (first field), 0 if none
	rel   map[uint64]hla.Relation
}

// NewGrader returns a Grader for ref (nil: syntax-only).
func NewGrader(ref *hla.Reference) *Grader {
	return &Grader{ref: ref, ids: map[hla.Name]uint32{}, names: []hla.Name{{}}, group: []uint32{0}, rel: map[uint64]hla.Relation{}}
}

// Release is the IPD-IMGT/HLA release used, "" in syntax-only mode.
func (g *Grader) Release() string { return g.ref.Release() }

func (g *Grader) intern(n hla.Name) uint32 {
	g.mu.RLock()
	id, ok := g.ids[n]
	g.mu.RUnlock()
	if ok {
		return id
	}
	var grp uint32
	if n.Kind == hla.KindAllele && n.NumFields() >= 2 {
		grp = g.intern(n.Truncate(1))
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if id, ok := g.ids[n]; ok {
		return id
	}
	id = uint32(len(g.names))
	g.ids[n] = id
	g.names = append(g.names, n)
	g.group = append(g.group, grp)
	return id
}

func (g *Grader) name(id uint32) hla.Name {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.names[id]
}

func (g *Grader) groupOf(id uint32) uint32 {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.group[id]
}

// relation relates two antigen ids, caching what hla.AntigenRelation says.
// Ids of non-serological names (allele-group proxies) relate by identity.
func (g *Grader) relation(a, b uint32) hla.Relation {
	if a == b {
		return hla.RelationMatch
	}
	if a > b {
		a, b = b, a
	}
	k := uint64(a)<<32 | uint64(b)
	g.mu.RLock()
	r, ok := g.rel[k]
	na, nb := g.names[a], g.names[b]
	g.mu.RUnlock()
	if ok {
		return r
	}
	r = hla.RelationMismatch
	if na.Kind == hla.KindSerology && nb.Kind == hla.KindSerology {
		r = g.ref.AntigenRelation(na, nb)
	}
	g.mu.Lock()
	g.rel[k] = r
	g.mu.Unlock()
	return r
}

// position is one of the two copies of a locus, reduced once.
type position struct {
	text    string
	allele  [2][]uint32 // expressed candidates: [0] lgx ids, [1] G ids
	wild    []uint32    // allele-group ids the allele level cannot resolve (XX, unresolved MAC, one field)
	antigen []uint32    // antigens of expressed candidates (or allele-group proxies)
	sero    bool        // typed by serology: the allele level is unknown
	null    bool        // every candidate is a null allele
	mayNull bool        // some, not all, candidates are null
	isNew   bool        // NEW only: matches nothing
	// homNull: this copy was a null allele and now stands for the other,
	// expressed copy (ATLAS: the locus is read as homozygous).
	homNull bool
}

func (p *position) certainAt(lv Level) bool {
	if p.mayNull || p.isNew {
		return false
	}
	if lv == LevelAntigen {
		return len(p.antigen) == 1
	}
	return !p.sero && len(p.wild) == 0 && len(p.allele[lv-LevelAllele]) == 1
}

// locusTyping is the prepared typing of one locus.
type locusTyping struct {
	locus string
	text  string        // canonical GL String
	alts  [][2]position // alternative genotypes ('|'); usually one
	flags hla.Flags
}

// Typing is the prepared HLA typing of a patient or unit: every locus parsed
// and reduced once. Obtain it from Grader.Prepare; the zero Typing has no
// typed locus.
type Typing struct {
	loci [nLoci]*locusTyping
	// imputed marks counted loci a patient was not typed at that a
	// haplotype frequency set imputes (HLA-C of an 8/8 search): graded as
	// two potential matches, like an untyped unit locus, while the match
	// probabilities carry what the set says of them.
	imputed [nLoci]bool
}

// Typed reports whether locus is typed.
func (t *Typing) Typed(locus string) bool {
	i, ok := locusIndex[locus]
	return ok && t != nil && t.loci[i] != nil
}

// Prepare parses and reduces every locus typing. Typings of loci outside
// Loci are ignored. The error (a *LocusError) names the first locus that
// cannot be read; use PrepareLocus to check loci one by one.
func (g *Grader) Prepare(typings []bank.LocusTyping) (*Typing, error) {
	t := &Typing{}
	for _, lt := range typings {
		lt2, err := g.prepareLocus(lt.Locus, lt.Text)
		if err != nil {
			return nil, err
		}
		if lt2 == nil {
			continue
		}
		i := locusIndex[lt2.locus]
		if t.loci[i] != nil {
			return nil, &LocusError{Locus: lt2.locus, Err: errors.New("locus typed twice")}
		}
		t.loci[i] = lt2
	}
	return t, nil
}

// LocusError is a typing that cannot be prepared.
type LocusError struct {
	Locus string
	Err   error
}

func (e *LocusError) Error() string { return "HLA-" + e.Locus + ": " + e.Err.Error() }
func (e *LocusError) Unwrap() error { return e.Err }

// prepareLocus returns nil, nil for a locus outside Loci.
func (g *Grader) prepareLocus(locus, text string) (*locusTyping, error) {
	canon := g.ref.NormalizeLocus(locus)
	if canon == "" {
		return nil, &LocusError{Locus: locus, Err: errors.New("unknown locus")}
	}
	if _, ok := locusIndex[canon]; !ok {
		return nil, nil
	}
	gl, err := g.ref.ParseLocusTyping(canon, text)
	if err != nil {
		return nil, &LocusError{Locus: canon, Err: err}
	}
	if probs := g.ref.Check(gl); len(probs) > 0 {
		return nil, &LocusError{Locus: canon, Err: &probs[0]}
	}
	lt := &locusTyping{locus: canon, text: gl.String(), flags: g.ref.Flags(gl)}
	alts := []*hla.GL{gl}
	if gl.Op == hla.OpGenotypeList {
		alts = gl.Items
	}
	for _, alt := range alts {
		copies := []*hla.GL{alt}
		if alt.Op == hla.OpGenotype {
			copies = alt.Items
		}
		if len(copies) > 2 {
			return nil, &LocusError{Locus: canon, Err: fmt.Errorf("%q lists more than two copies", alt.String())}
		}
		var pair [2]position
		for i, c := range copies {
			if pair[i], err = g.preparePosition(canon, c); err != nil {
				return nil, &LocusError{Locus: canon, Err: err}
			}
		}
		if len(copies) == 1 { // one allele listed: homozygous, counted twice
			pair[1] = pair[0]
		}
		// ATLAS: a locus with one null allele is read as homozygous for the
		// expressed one (domain.md leaves the choice open, see GradeLocus).
		switch {
		case pair[0].null && !pair[1].null:
			pair[0] = pair[1]
			pair[0].homNull = true
		case pair[1].null && !pair[0].null:
			pair[1] = pair[0]
			pair[1].homNull = true
		}
		lt.alts = append(lt.alts, pair)
	}
	return lt, nil
}

func (g *Grader) preparePosition(locus string, c *hla.GL) (position, error) {
	p := position{text: c.String()}
	var names []hla.Name
	c.Names(func(n hla.Name) {
		// A phased copy (DRB1*15:01~DRB5*01:01) contributes its own locus only.
		if n.Kind == hla.KindSerology || n.Locus == locus {
			names = append(names, n)
		}
	})
	var buf []hla.Name
	nulls, news := 0, 0
	for _, n := range names {
		switch {
		case n.Kind == hla.KindNew:
			news++
			continue
		case n.IsNull():
			nulls++
			continue
		case n.Kind == hla.KindSerology:
			p.sero = true
			p.antigen = append(p.antigen, g.intern(n))
			continue
		}
		for li, lv := range [2]hla.Level{hla.LevelLGX, hla.LevelG} {
			var err error
			if buf, err = g.ref.ReduceName(n, lv, buf[:0]); err != nil {
				return p, err
			}
			for _, r := range buf {
				switch {
				case r.IsNull():
					// only for lists that are all null; counted below
				case isGroupName(r):
					if li == 0 {
						p.wild = append(p.wild, g.intern(hla.Name{Kind: hla.KindAllele, Locus: r.Locus, Fields: r.FirstField()}))
					}
				default:
					p.allele[li] = append(p.allele[li], g.intern(r))
				}
			}
		}
		var err error
		buf, err = g.ref.ReduceName(n, hla.LevelSerology, buf[:0])
		if err != nil && !errors.Is(err, hla.ErrNoReference) {
			return p, err
		}
		found := false
		for _, r := range buf {
			if r.Kind == hla.KindSerology {
				p.antigen = append(p.antigen, g.intern(r))
				found = true
			}
		}
		if !found { // WMDA rule: the allele family stands for the antigen
			p.antigen = append(p.antigen, g.intern(antigenProxy(n)))
		}
	}
	p.null = nulls > 0 && nulls+news == len(names)
	p.mayNull = nulls > 0 && !p.null
	p.isNew = news > 0 && news == len(names)
	p.allele[0], p.allele[1] = sortUniq(p.allele[0]), sortUniq(p.allele[1])
	p.wild, p.antigen = sortUniq(p.wild), sortUniq(p.antigen)
	return p, nil
}

// isGroupName reports names that stay allele groups at G/P/lgx level.
func isGroupName(n hla.Name) bool {
	return n.Kind == hla.KindXX || n.Kind == hla.KindMAC || (n.Kind == hla.KindAllele && n.NumFields() == 1)
}

// antigenProxy is the antigen stand-in for an allele without serology (no
// reference data, or "?" in rel_dna_ser.txt): the allele group read as an
// antigen number (A*02 as A2, C*12 as Cw12; anchors.md §3.2 WMDA rule). Loci
// without a one-to-one serological family (DRB3/4/5, DQA1, DPA1, DPB1) use
// the allele group itself.
func antigenProxy(n hla.Name) hla.Name {
	ff := n.FirstField()
	num, err := strconv.Atoi(ff)
	sl := map[string]string{"A": "A", "B": "B", "C": "Cw", "DRB1": "DR", "DQB1": "DQ"}[n.Locus]
	if err != nil || sl == "" {
		return hla.Name{Kind: hla.KindAllele, Locus: n.Locus, Fields: ff}
	}
	return hla.Name{Kind: hla.KindSerology, Locus: sl, Fields: strconv.Itoa(num)}
}

func sortUniq(s []uint32) []uint32 {
	if len(s) < 2 {
		return s
	}
	slices.Sort(s)
	return slices.Compact(s)
}

func lower(s string) string { return strings.ToLower(s) }
