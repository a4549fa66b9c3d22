package freq

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/cordbank/cordbank/bank/hla"
)

// Resolved is a Set read against one IPD-IMGT/HLA release: every allele
// reduced to its two-field ARD (lgx) name, identical haplotypes merged.
type Resolved struct {
	Set     *Set
	Release string // the release names were read against ("" = syntax only)
	// Loci as in Set.Loci; Haplotypes[i][j] is the allele at Loci[j].
	Loci       []string
	Haplotypes [][]hla.Name
	Freq       []float64
	Report     Report
}

// Report says what reading a set against a release changed or dropped.
type Report struct {
	Haplotypes int // rows of the set
	Kept       int // distinct haplotypes after reduction and merging
	// Renamed lists names that are deleted in the release and were read as
	// their current name (old -> current), in order.
	Renamed []string
	// Unknown lists the names the release does not know; their rows are
	// dropped and their mass counted in DroppedMass.
	Unknown     []string
	DroppedMass float64
	// Split counts rows whose name spans several ARD names (the mass is
	// divided equally among them).
	Split int
	// Total is the set's frequency sum; Mass the kept sum.
	Total, Mass float64
}

// maxSplit bounds the haplotypes one row may split into.
const maxSplit = 64

// Resolve reads s against r (nil: syntax only, names cut to two fields).
// Names are followed through hla_nom.txt when deleted or renamed; an
// unknown name drops its row. An error means nothing of s could be read.
func Resolve(s *Set, r *hla.Reference) (*Resolved, error) {
	out := &Resolved{Set: s, Release: r.Release(), Loci: make([]string, len(s.Loci))}
	for i, l := range s.Loci {
		canon := r.NormalizeLocus(l)
		if canon == "" {
			return nil, fmt.Errorf("freq: %s: unknown locus %q", s.Name, l)
		}
		out.Loci[i] = canon
	}
	type memo struct {
		lgx     []hla.Name
		unknown bool
	}
	cache := map[string]memo{}
	renamed, unknown := map[string]string{}, map[string]bool{}
	index := map[string]int{}
	rep := &out.Report
	rep.Haplotypes = len(s.Haplotypes)
	var key strings.Builder
	for _, h := range s.Haplotypes {
		rep.Total += h.Freq
		per := make([][]hla.Name, len(h.Alleles))
		ok, combos := true, 1
		for j, a := range h.Alleles {
			m, seen := cache[a]
			if !seen {
				m = resolveName(r, a, out.Loci[j], renamed)
				cache[a] = m
			}
			if m.unknown {
				unknown[a] = true
				ok = false
				break
			}
			per[j] = m.lgx
			combos *= len(m.lgx)
		}
		if !ok || combos > maxSplit {
			rep.DroppedMass += h.Freq
			continue
		}
		if combos > 1 {
			rep.Split++
		}
		f := h.Freq / float64(combos)
		idx := make([]int, len(per))
		for {
			names := make([]hla.Name, len(per))
			key.Reset()
			for j := range per {
				names[j] = per[j][idx[j]]
				key.WriteString(names[j].String())
				key.WriteByte('~')
			}
			if i, dup := index[key.String()]; dup {
				out.Freq[i] += f
			} else {
				index[key.String()] = len(out.Haplotypes)
				out.Haplotypes = append(out.Haplotypes, names)
				out.Freq = append(out.Freq, f)
			}
			// next combination
			j := len(idx) - 1
			for ; j >= 0; j-- {
				idx[j]++
				if idx[j] < len(per[j]) {
					break
				}
				idx[j] = 0
			}
			if j < 0 {
				break
			}
		}
	}
	for old, cur := range renamed {
		rep.Renamed = append(rep.Renamed, old+" -> "+cur)
	}
	sort.Strings(rep.Renamed)
	for n := range unknown {
		rep.Unknown = append(rep.Unknown, n)
	}
	sort.Strings(rep.Unknown)
	rep.Kept = len(out.Haplotypes)
	for _, f := range out.Freq {
		rep.Mass += f
	}
	if rep.Kept == 0 {
		return nil, fmt.Errorf("freq: %s: no haplotype could be read against IPD-IMGT/HLA %s (unknown: %s)", s.Name, r.Release(), strings.Join(rep.Unknown, ", "))
	}
	return out, nil
}

// resolveName reduces one allele name of a set to its lgx names. Deleted
// names read as their current name (recorded in renamed).
func resolveName(r *hla.Reference, text, locus string, renamed map[string]string) (m struct {
	lgx     []hla.Name
	unknown bool
}) {
	n, err := r.ParseName(text)
	if err != nil || n.Kind == hla.KindSerology || n.Kind == hla.KindNew || n.Locus != locus {
		m.unknown = true
		return m
	}
	if ps := r.Check(hla.Leaf(n)); len(ps) > 0 {
		if ps[0].Current == "" {
			m.unknown = true
			return m
		}
		renamed[n.String()] = ps[0].Current
	}
	out, err := r.ReduceName(n, hla.LevelLGX, nil)
	var p *hla.Problem
	if err != nil && (errors.As(err, &p) || errors.Is(err, hla.ErrNoReference)) || len(out) == 0 {
		m.unknown = true
		return m
	}
	// An allele group (one field, XX) stays a group at lgx level; a set
	// entry must name one ARD protein, so such rows are unknown.
	if slices.ContainsFunc(out, func(x hla.Name) bool { return x.Kind != hla.KindAllele || x.NumFields() < 2 }) {
		m.unknown = true
		return m
	}
	m.lgx = out
	return m
}
