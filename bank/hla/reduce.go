package hla

import (
	"errors"
	"slices"
	"strings"
)

// Level is a reduction target.
type Level uint8

// Reduction levels.
const (
	LevelG        Level = iota + 1 // G group (A*01:01:01G); alleles in no group stay as they are
	LevelP                         // P group (A*01:01P); alleles in no P group give their lgx name
	LevelLGX                       // two-field ARD name: the P group's name without P
	Level1F                        // first field (A*01)
	LevelSerology                  // serological antigens from rel_dna_ser.txt
)

const numLevels = 4 // levels with precomputed tables: G, P, lgx, serology

const (
	iG = iota
	iP
	iLGX
	iSer
)

// Levels lists every level, in order.
var Levels = []Level{LevelG, LevelP, LevelLGX, Level1F, LevelSerology}

var levelNames = [...]string{"", "g", "p", "lgx", "1f", "serology"}

func (l Level) String() string {
	if int(l) < len(levelNames) {
		return levelNames[l]
	}
	return "unknown"
}

// ParseLevel parses g, p, lgx, 1f or serology (also s), in any case.
func ParseLevel(s string) (Level, error) {
	switch strings.ToLower(s) {
	case "g":
		return LevelG, nil
	case "p":
		return LevelP, nil
	case "lgx":
		return LevelLGX, nil
	case "1f", "1-field", "first":
		return Level1F, nil
	case "s", "serology":
		return LevelSerology, nil
	}
	return 0, errors.New("hla: unknown reduction level " + quote(s) + " (g, p, lgx, 1f, serology)")
}

func (l Level) table() int {
	switch l {
	case LevelG:
		return iG
	case LevelP:
		return iP
	case LevelLGX:
		return iLGX
	}
	return iSer
}

// ErrNoReference is returned for serology reductions without reference data.
var ErrNoReference = errors.New("hla: serology needs IPD-IMGT/HLA reference data")

// ReduceName appends the reduction of n at level to dst and returns it,
// sorted and without duplicates; with a dst of spare capacity it does not
// allocate for allele, group, XX and serology names.
//
// With reference data: alleles (any number of fields) and G/P group names
// reduce through precomputed tables; a deleted allele reduces through its
// current name; one-field names, XX codes and unresolved MACs stay as they
// are at G, P and lgx level (they are allele groups) and give the antigens
// of the whole group at serology level; resolved MACs reduce every allele
// of their expansion that exists in the release, leaving out nulls when
// the code also lists expressed alleles. Serological antigens and
// NEW are returned unchanged at every level, and so is a name without
// antigen (a null, or "?" in rel_dna_ser.txt) at serology level. A name
// the release does not know is an error (*Problem).
//
// Without reference data (r nil): fields are truncated, which is less
// exact: G keeps 3 fields (no group is formed), P and lgx keep 2, and
// serology is ErrNoReference for molecular names.
func (r *Reference) ReduceName(n Name, to Level, dst []Name) ([]Name, error) {
	switch n.Kind {
	case KindSerology, KindNew:
		return append(dst, n), nil
	case KindMAC:
		return r.reduceMAC(n, to, dst)
	case 0:
		return dst, &Problem{Reason: "empty name"}
	}
	if to == Level1F {
		if r.hasData() {
			if _, err := r.lookup(n); err != nil {
				return dst, err
			}
		}
		return append(dst, n.Truncate(1)), nil
	}
	if !r.hasData() {
		return syntaxReduce(n, to, dst)
	}
	e, err := r.lookup(n)
	if err != nil {
		return dst, err
	}
	s := e.sets[to.table()]
	if s == noSet || len(r.sets[s]) == 0 {
		// Unchanged: an allele group at G/P/lgx level, or a name without
		// antigen (null, or "?" in rel_dna_ser.txt) at serology level.
		return append(dst, n), nil
	}
	return append(dst, r.sets[s]...), nil
}

// lookup finds the table entry of an allele, group or XX name, following
// deleted names to their current name.
func (r *Reference) lookup(n Name) (entry, error) {
	k := keyOf(n)
	if e, ok := r.entries[k]; ok {
		return e, nil
	}
	if d, ok := r.deleted[k]; ok && d.current.Kind != 0 {
		if e, ok := r.entries[keyOf(d.current)]; ok {
			return e, nil
		}
	}
	return entry{}, r.unknown(n)
}

// unknown explains why n is not in the release.
func (r *Reference) unknown(n Name) *Problem {
	p := &Problem{Token: n.String()}
	rel := " in IPD-IMGT/HLA " + r.release
	switch n.Kind {
	case KindAllele:
		if d, ok := r.deleted[keyOf(n)]; ok {
			p.Reason = "deleted allele" + rel
			if d.reason != "" {
				p.Reason += " (" + strings.ToLower(d.reason) + ")"
			}
			if d.current.Kind != 0 {
				p.Current = d.current.String()
				p.Reason += "; current name " + p.Current
			}
			return p
		}
		if !n.IsNull() {
			if _, ok := r.entries[akey{n.Locus, n.Fields, 'N'}]; ok {
				p.Reason = "null allele: the name needs its N suffix"
				p.Current = n.String() + "N"
				return p
			}
		}
		if n.NumFields() == 1 && len(n.Fields) > 3 {
			p.Reason = "no allele group " + n.Fields + rel + " (pre-2010 names without colons are not accepted)"
			return p
		}
		p.Reason = "no such allele" + rel
	case KindXX:
		p.Reason = "no allele group " + n.Locus + "*" + n.Fields + rel
	default:
		p.Reason = "no such " + n.Kind.String() + rel
	}
	return p
}

// syntaxReduce is the truncation fallback used without reference data.
func syntaxReduce(n Name, to Level, dst []Name) ([]Name, error) {
	switch to {
	case LevelSerology:
		return dst, ErrNoReference
	case LevelG:
		if n.Kind == KindAllele && n.NumFields() > 3 {
			return append(dst, n.Truncate(3)), nil
		}
		return append(dst, n), nil
	}
	if n.Kind == KindXX || (n.Kind == KindAllele && n.NumFields() < 2) {
		return append(dst, n), nil
	}
	if n.Kind == KindPGroup && to == LevelP {
		return append(dst, n), nil
	}
	return append(dst, n.Truncate(2)), nil
}

// reduceMAC expands a MAC through the MAC table when it can; an unresolved
// MAC is treated as its allele group (A*01:AB as A*01:XX) and kept
// verbatim at G, P and lgx level, never guessed.
func (r *Reference) reduceMAC(n Name, to Level, dst []Name) ([]Name, error) {
	list, err := r.macs().Expand(n)
	if err != nil {
		if to == Level1F {
			return append(dst, n.Truncate(1)), nil
		}
		if to == LevelSerology {
			return r.ReduceName(Name{Kind: KindXX, Locus: n.Locus, Fields: n.Fields}, to, dst)
		}
		return append(dst, n), nil
	}
	// Nulls inside a MAC are ignored when it has expressed alleles, as
	// ATLAS does at search coordinators' request (B*08:ASXJP is B*08:01 at
	// lgx level); FlagMACNull still reports them.
	expressed := 0
	for _, a := range list {
		if !a.IsNull() {
			expressed++
		}
	}
	start := len(dst)
	var firstErr error
	for _, a := range list {
		if expressed > 0 && a.IsNull() {
			continue
		}
		var e error
		dst, e = r.ReduceName(a, to, dst)
		if e != nil && firstErr == nil {
			firstErr = e
		}
	}
	if len(dst) == start {
		if firstErr == nil {
			firstErr = &Problem{Token: n.String(), Reason: "MAC expands to nothing"}
		}
		return dst, firstErr
	}
	// Alleles of the expansion missing from this release are skipped:
	// NMDP codes may list alleles deleted or named after the release.
	tail := sortNames(dst[start:])
	return dst[:start+len(tail)], nil
}

// Reduce returns a copy of g with every name reduced to level, keeping the
// structure: a name that reduces to several becomes an allele list; allele
// lists are sorted and duplicates removed; identical alternatives of a
// genotype list are merged. Output is deterministic. The release used is
// r.Release() (see also ReduceGLSC).
func (r *Reference) Reduce(g *GL, to Level) (*GL, error) {
	var buf []Name
	var rec func(*GL) (*GL, error)
	rec = func(g *GL) (*GL, error) {
		if g.Op == 0 {
			var err error
			buf, err = r.ReduceName(g.Name, to, buf[:0])
			if err != nil {
				return nil, err
			}
			if len(buf) == 1 {
				return Leaf(buf[0]), nil
			}
			out := &GL{Op: OpAlleleList, Items: make([]*GL, len(buf))}
			for i, n := range buf {
				out.Items[i] = Leaf(n)
			}
			return out, nil
		}
		out := &GL{Op: g.Op, Items: make([]*GL, 0, len(g.Items))}
		for _, it := range g.Items {
			x, err := rec(it)
			if err != nil {
				return nil, err
			}
			if g.Op == OpAlleleList && x.Op == OpAlleleList {
				out.Items = append(out.Items, x.Items...)
			} else {
				out.Items = append(out.Items, x)
			}
		}
		return normalize(out), nil
	}
	return rec(g)
}

// normalize sorts and deduplicates allele lists, merges identical
// alternatives of other lists, and collapses one-item nodes.
func normalize(g *GL) *GL {
	switch g.Op {
	case OpAlleleList:
		slices.SortFunc(g.Items, func(a, b *GL) int { return compareNames(a.Name, b.Name) })
		g.Items = slices.CompactFunc(g.Items, func(a, b *GL) bool { return a.Name == b.Name })
	case OpGenotypeList:
		var kept []*GL
		for _, it := range g.Items {
			if !slices.ContainsFunc(kept, it.Equal) {
				kept = append(kept, it)
			}
		}
		g.Items = kept
	}
	if len(g.Items) == 1 {
		return g.Items[0]
	}
	return g
}

// ReduceGLSC reduces g and wraps it with the release used, e.g.
// hla#3.24.0#HLA-A*01:01:01G+HLA-A*02:01:01G. Without reference data the
// version is "syntax-only".
func (r *Reference) ReduceGLSC(g *GL, to Level) (GLSC, error) {
	out, err := r.Reduce(g, to)
	if err != nil {
		return GLSC{}, err
	}
	v := r.Release()
	if v == "" {
		v = "syntax-only"
	}
	return GLSC{Namespace: "hla", Version: v, GL: out}, nil
}
