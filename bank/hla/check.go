package hla

import "strings"

// ParseLocusTyping parses the typing submitted for one locus of a unit or
// patient, e.g. locus "A" with text "A*02:01+A*24:02", "A*01:AB+A2",
// "A*01:01/02+A*03:01" or "NEW+A*01:01" (a bare NEW means locus*NEW
// here). The locus is case-insensitive and may carry the HLA- prefix.
// Syntax only; call Reference.Check for existence checks. The error is a
// *Problem naming the offending token: unknown locus, a name of another
// locus, '^' (which joins loci), or text that is not HLA syntax.
func ParseLocusTyping(locus, text string) (*GL, error) {
	return (*Reference)(nil).ParseLocusTyping(locus, text)
}

// ParseLocusTyping is like the package function but also accepts loci of r.
func (r *Reference) ParseLocusTyping(locus, text string) (*GL, error) {
	l := r.NormalizeLocus(locus)
	if l == "" {
		return nil, &Problem{Token: locus, Reason: "unknown locus " + quote(locus)}
	}
	if strings.Contains(text, string(OpLoci)) {
		return nil, &Problem{Token: text, Reason: "'^' joins loci; give the typing of locus " + l + " only"}
	}
	p := glParser{r: r, locus: l}
	g, err := p.parse(text)
	if err != nil {
		return nil, err
	}
	var bad *Problem
	g.Names(func(n Name) {
		if bad != nil {
			return
		}
		nl := n.Locus
		if n.Kind == KindSerology {
			nl = n.MolecularLocus()
		}
		if nl != l {
			bad = &Problem{Token: n.String(), Reason: "belongs to locus " + nl + ", not " + l}
		}
	})
	if bad != nil {
		return nil, bad
	}
	return g, nil
}

// Check validates every name of g against the release and returns the
// problems found, in order, nil when none. Without reference data names
// were already checked by syntax and Check returns nil. It reports: alleles
// that never existed, deleted or renamed alleles (with Current set to the
// current name), unknown G/P groups and allele groups, deleted or unknown
// antigens, loci absent from the release, and MAC codes missing from a
// loaded MAC table or invalid for their allele group. A MAC with no table
// loaded is not a problem: it is flagged FlagUnresolvedMAC.
func (r *Reference) Check(g *GL) []Problem {
	if g == nil {
		return []Problem{{Reason: "empty typing"}}
	}
	var out []Problem
	g.Names(func(n Name) {
		if p := r.checkName(n); p != nil {
			out = append(out, *p)
		}
	})
	return out
}

func (r *Reference) checkName(n Name) *Problem {
	if !r.hasData() {
		if n.Kind == KindMAC && r.macs() != nil {
			if _, err := r.macs().Expand(n); err != nil {
				return err.(*Problem)
			}
		}
		return nil
	}
	switch n.Kind {
	case KindNew:
		return nil
	case KindSerology:
		a, ok := r.antigens[keyOf(n)]
		switch {
		case !ok:
			return &Problem{Token: n.String(), Reason: "no such antigen in IPD-IMGT/HLA " + r.release}
		case a.deleted:
			return &Problem{Token: n.String(), Reason: "deleted antigen in IPD-IMGT/HLA " + r.release}
		}
		return nil
	case KindMAC:
		if r.macs() == nil {
			return nil
		}
		list, err := r.macs().Expand(n)
		if err != nil {
			return err.(*Problem)
		}
		for _, a := range list {
			if _, ok := r.entries[keyOf(a)]; ok {
				return nil
			}
		}
		return &Problem{Token: n.String(), Reason: "no allele of the MAC expansion exists in IPD-IMGT/HLA " + r.release}
	}
	if !r.hasLocus(n.Locus) {
		return &Problem{Token: n.String(), Reason: "locus " + n.Locus + " has no alleles in IPD-IMGT/HLA " + r.release}
	}
	if _, ok := r.entries[keyOf(n)]; !ok {
		return r.unknown(n)
	}
	return nil
}

func (r *Reference) hasLocus(l string) bool {
	_, ok := r.alleleLoci[l]
	return ok
}
