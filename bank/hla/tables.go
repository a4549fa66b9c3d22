package hla

import (
	"slices"
	"strings"
)

// build precomputes the reductions of every allele, truncation and group
// so that reducing a name is one map lookup.
func (b *builder) build() *Reference {
	n := len(b.alleles)
	own := make([][numLevels]int32, n)
	for i, a := range b.alleles {
		g := a
		if b.gOf[i].Kind != 0 {
			g = b.gOf[i]
		}
		lgx := b.lgx(i)
		p := lgx
		if b.pOf[i].Kind != 0 {
			p = b.pOf[i]
		}
		own[i] = [numLevels]int32{b.intern1(g), b.intern1(p), b.intern1(lgx), b.internSet(b.serology(i))}
	}

	// Members of every truncation. A name without suffix stands for the
	// expressed alleles below it; null alleles need the N (A*01:01 does not
	// include A*01:01:01:02N, A*01:01N does), as WHO keeps suffixes when
	// names are shortened.
	members := make(map[akey][]int32, 3*n)
	for i, a := range b.alleles {
		nf := a.NumFields()
		for k := 1; k <= nf; k++ {
			f := truncFields(a.Fields, k)
			members[akey{a.Locus, f, a.Suffix}] = append(members[akey{a.Locus, f, a.Suffix}], int32(i))
			if a.Suffix != 0 && a.Suffix != 'N' {
				members[akey{a.Locus, f, 0}] = append(members[akey{a.Locus, f, 0}], int32(i))
			}
		}
	}
	r := b.r
	r.alleleLoci = map[string]struct{}{}
	for _, a := range b.alleles {
		r.alleleLoci[a.Locus] = struct{}{}
	}
	r.entries = make(map[akey]entry, len(members)+len(b.groups))
	for k, m := range members {
		e := b.union(m, own, false)
		if !strings.Contains(k.fields, ":") {
			// One-field names (and XX, unresolved MACs) are allele groups:
			// expanding them to every G group would bury the typing, so they
			// stay as they are except at serology level, where they read as
			// the family's antigen equivalent, not the union of its alleles.
			e.sets[iG], e.sets[iP], e.sets[iLGX] = noSet, noSet, noSet
			if k.suffix == 0 {
				if s, ok := b.familySerology(m); ok {
					e.sets[iSer] = s
				}
			}
		}
		r.entries[k] = e
	}
	for k, m := range b.groups {
		r.entries[k] = b.union(m, own, true)
	}
	b.single, b.multi = nil, nil
	return r
}

// lgx is the two-field ARD name of allele i: the P group's name without
// P; for an expressed allele in no P group, the P group of a G group
// sibling (py-ard's "P in G"); otherwise the allele cut to two fields,
// keeping a null's N (A*01:01:01:02N gives A*01:01N).
func (b *builder) lgx(i int) Name {
	a := b.alleles[i]
	if p := b.pOf[i]; p.Kind != 0 {
		return Name{Kind: KindAllele, Locus: p.Locus, Fields: p.Fields}
	}
	if g := b.gOf[i]; g.Kind != 0 && !a.IsNull() {
		for _, j := range b.groups[keyOf(g)] {
			if p := b.pOf[j]; p.Kind != 0 {
				return Name{Kind: KindAllele, Locus: p.Locus, Fields: p.Fields}
			}
		}
	}
	return a.Truncate(2)
}

// serology of allele i: its rel_dna_ser.txt antigens; for an expressed
// allele without any (not listed, or "?"), the antigens of the alleles
// sharing its P group, which encode the same ARD protein (py-ard issue
// 290: DRB1*07:34 is DR7). Nulls have none.
func (b *builder) serology(i int) []Name {
	if b.alleles[i].IsNull() || len(b.sero[i]) > 0 {
		return b.sero[i]
	}
	p := b.pOf[i]
	if p.Kind == 0 {
		return nil
	}
	var out []Name
	for _, j := range b.groups[keyOf(p)] {
		out = append(out, b.sero[j]...)
	}
	return sortNames(out)
}

// familySerology is the antigen equivalent of an allele family (a
// one-field name, an XX code, an unresolved MAC): the serology a typing of
// that family is expected to express, as registries read it, rather than
// every antigen any of its alleles was ever assigned. The rule, on
// rel_dna_ser.txt's columns (WMDA README: unambiguous, possible, assumed,
// expert-assigned exceptions in search determinants):
//
//  1. Only the unambiguous column counts: the antigen cells carrying the
//     allele were typed as. Possible assignments (A*24:18 is 24 or 3) and
//     assumed ones are guesses about one rare allele.
//  2. Alleles with an expert-assigned exception are left out: the sixth
//     column is the published list of alleles whose serology departs from
//     their family's (B*44:09 types as B45, DRB1*04:22 is searched as DR3
//     by some registries, A*02:55 as A28); such an allele is searched by its
//     own name, never by its family's.
//  3. The most specific antigens are kept: an associated antigen is dropped
//     when the antigen it belongs to is present (A2403 under A24: every
//     associated antigen matches its parent, so the parent stands for it),
//     then a broad when one of its splits is present (A9 for A*24:19, an
//     allele whose cells were only typed to the broad).
//
// When no allele of the family has an unambiguous assignment (C*12 and up,
// DPB1, ...), the assumed column is read the same way; when that is empty
// too, ok is false and the union of every column is kept. Sources:
// rel_dna_ser.txt's README (hla.alleles.org/wmda); the HLA Dictionary
// (Schreuder et al., Tissue Antigens 2005, "expert assigned types" as the
// recommended serologic equivalents); NMDP search determinants (the allele
// family stands for the antigen, domain.md §3.7 [S13]); WMDA B&I antigen vs
// allele mismatch rules (the allele family is the antigen proxy).
func (b *builder) familySerology(m []int32) (int32, bool) {
	collect := func(col [][]Name) []Name {
		var out []Name
		for _, i := range m {
			if !b.expert[i] {
				out = append(out, col[i]...)
			}
		}
		return out
	}
	out := collect(b.unamb)
	if len(out) == 0 {
		out = collect(b.assumed)
	}
	if len(out) == 0 {
		return 0, false
	}
	return b.internSet(b.r.mostSpecific(sortNames(out))), true
}

// mostSpecific removes from a sorted antigen set the associated antigens
// whose parent is in the set, then the broads above any remaining member.
func (r *Reference) mostSpecific(s []Name) []Name {
	has := func(locus, fields string) bool {
		return slices.ContainsFunc(s, func(x Name) bool { return x.Locus == locus && x.Fields == fields })
	}
	s = slices.DeleteFunc(s, func(x Name) bool {
		a := r.antigens[keyOf(x)]
		return a.associated && a.parent != "" && has(x.Locus, a.parent)
	})
	isBroadOfMember := func(x Name) bool {
		for _, y := range s {
			if y == x || y.Locus != x.Locus {
				continue
			}
			p := r.antigens[keyOf(y)]
			for depth := 0; p.parent != "" && depth < 4; depth++ {
				if p.parent == x.Fields && !p.associated {
					return true
				}
				p = r.antigens[akey{y.Locus, p.parent, '#'}]
			}
		}
		return false
	}
	var keep []Name
	for _, x := range s {
		if !isBroadOfMember(x) {
			keep = append(keep, x)
		}
	}
	return keep
}

// union combines the reductions of members. For group names (skipNull),
// null members are left out unless all are null: a G group typing cannot
// tell the null apart and listing it would make every group ambiguous.
func (b *builder) union(m []int32, own [][numLevels]int32, skipNull bool) entry {
	if skipNull {
		var expressed []int32
		for _, i := range m {
			if !b.alleles[i].IsNull() {
				expressed = append(expressed, i)
			}
		}
		if len(expressed) > 0 {
			m = expressed
		}
	}
	var e entry
	for lv := range e.sets {
		first := own[m[0]][lv]
		same := true
		for _, i := range m[1:] {
			if own[i][lv] != first {
				same = false
				break
			}
		}
		if same {
			e.sets[lv] = first
			continue
		}
		var all []Name
		for _, i := range m {
			all = append(all, b.r.sets[own[i][lv]]...)
		}
		e.sets[lv] = b.internSet(sortNames(all))
	}
	return e
}

func (b *builder) intern1(n Name) int32 {
	if i, ok := b.single[n]; ok {
		return i
	}
	i := int32(len(b.r.sets))
	b.r.sets = append(b.r.sets, []Name{n})
	b.single[n] = i
	return i
}

// internSet stores a sorted, duplicate-free set once.
func (b *builder) internSet(s []Name) int32 {
	if len(s) == 1 {
		return b.intern1(s[0])
	}
	var sb strings.Builder
	for _, n := range s {
		n.write(&sb)
		sb.WriteByte('/')
	}
	k := sb.String()
	if i, ok := b.multi[k]; ok {
		return i
	}
	i := int32(len(b.r.sets))
	b.r.sets = append(b.r.sets, slices.Clip(s))
	b.multi[k] = i
	return i
}

// sortNames sorts names in nomenclature order and removes duplicates.
func sortNames(s []Name) []Name {
	slices.SortFunc(s, compareNames)
	return slices.Compact(s)
}

// compareNames orders names by locus, then numerically field by field
// (A*02:09 before A*02:10 before A*02:101), then kind, suffix and code.
func compareNames(a, b Name) int {
	if c := strings.Compare(a.Locus, b.Locus); c != 0 {
		return c
	}
	if c := compareFields(a.Fields, b.Fields); c != 0 {
		return c
	}
	if a.Kind != b.Kind {
		return int(a.Kind) - int(b.Kind)
	}
	if a.Suffix != b.Suffix {
		return int(a.Suffix) - int(b.Suffix)
	}
	return strings.Compare(a.Code, b.Code)
}

func compareFields(a, b string) int {
	for a != "" || b != "" {
		var fa, fb string
		fa, a, _ = strings.Cut(a, ":")
		fb, b, _ = strings.Cut(b, ":")
		if fa == "" || fb == "" {
			return len(fa) - len(fb)
		}
		if len(fa) != len(fb) {
			return len(fa) - len(fb)
		}
		if c := strings.Compare(fa, fb); c != 0 {
			return c
		}
	}
	return 0
}
