package match

import "slices"

// dsaLocus appends to dst the specificities of abs that target a copy of
// the unit's typing u at locus li that the patient (p, nil when untyped)
// does not share (domain.md §4.4, policy F4).
//
// Choices: serological antibodies are compared at antigen level (A9
// targets A23 and A24), allele antibodies at allele level; every
// alternative of an ambiguous unit typing counts, so a possible DSA is a
// DSA; a unit copy is shared only when a patient copy matches it
// definitely, so an ambiguous or untyped patient locus never hides a DSA.
func (g *Grader) dsaLocus(p, u *locusTyping, abs []*antibody, li int, dst []string) []string {
	if u == nil {
		return dst
	}
	for _, ab := range abs {
		if slices.Contains(dst, ab.spec) {
			continue
		}
	alts:
		for ai := range u.alts {
			for di := range u.alts[ai] {
				if g.targets(ab, p, &u.alts[ai][di], li) {
					dst = append(dst, ab.spec)
					break alts
				}
			}
		}
	}
	return dst
}

// targets reports whether antibody ab is donor-specific against the unit
// copy d at locus li: it recognises d, and the patient (p) has no copy
// that definitely matches d.
func (g *Grader) targets(ab *antibody, p *locusTyping, d *position, li int) bool {
	if !slices.Contains(ab.loci, li) {
		return false
	}
	if c, _ := g.matchAt(ab.level, &ab.pos, d); c == Mismatch {
		return false
	}
	return !g.sharedWith(p, d, ab.level)
}

func (g *Grader) sharedWith(p *locusTyping, d *position, lv Level) bool {
	if p == nil {
		return false
	}
	for ai := range p.alts {
		for pi := range p.alts[ai] {
			if c, _ := g.matchAt(lv, &p.alts[ai][pi], d); c == Definite {
				return true
			}
		}
	}
	return false
}

// DSA returns the specificities of antibodies at or above minMFI that
// target a unit antigen or allele the patient lacks, in antibody order.
// The error is a *bank.Error (KindInvalid) naming antibodies[i].specificity
// when a specificity cannot be read and antibodies[i].mfi when an MFI is
// not finite, negative or implausibly high.
func (g *Grader) DSA(patient, unit *Typing, antibodies []Antibody, minMFI float64) ([]string, error) {
	abs, err := g.compileAntibodies(antibodies, minMFI)
	if err != nil {
		return nil, err
	}
	return g.dsaTyping(patient, unit, abs), nil
}

func (g *Grader) compileAntibodies(antibodies []Antibody, minMFI float64) ([]*antibody, error) {
	var out []*antibody
	var v violations
	for i, a := range antibodies {
		if problem := mfiProblem(a.MFI); problem != "" {
			v.addMFI(i, problem)
		}
		ab, err := g.prepareAntibody(a.Specificity)
		if err != nil {
			v.add(i, err)
			continue
		}
		if a.MFI >= minMFI {
			out = append(out, ab)
		}
	}
	return out, v.err()
}

func (g *Grader) dsaTyping(patient, unit *Typing, abs []*antibody) []string {
	var out []string
	if unit == nil || len(abs) == 0 {
		return nil
	}
	for li := range nLoci {
		var p *locusTyping
		if patient != nil {
			p = patient.loci[li]
		}
		out = g.dsaLocus(p, unit.loci[li], abs, li, out)
	}
	// antibody order, not locus order
	var ordered []string
	for _, ab := range abs {
		if slices.Contains(out, ab.spec) && !slices.Contains(ordered, ab.spec) {
			ordered = append(ordered, ab.spec)
		}
	}
	return ordered
}
