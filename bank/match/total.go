package match

import (
	"fmt"
	"strings"
)

// Grade is the grade of a unit for a patient under a criterion.
type Grade struct {
	Criterion Criterion
	// Total is the number of matched positions over the counted loci,
	// definite or potential (the "potential total"); Definite counts the
	// definite ones only. OutOf is Criterion.Total().
	Total, Definite, OutOf int
	// Loci are the counted loci in criterion order, then HLA-C when it is
	// not counted (6/6) and both sides are typed, then DPB1 when both sides
	// are typed (reported, never counted).
	Loci []LocusGrade
	// Direction summarises the mismatches of the counted loci: GvH-only,
	// rejection-only or bidirectional (domain.md §4.6 rule 3).
	Direction Direction
	// CMismatch reports a known allele-level HLA-C mismatch (both sides
	// typed), counted or not.
	CMismatch bool
}

// Potential is the number of matches that are only potential.
func (g *Grade) Potential() int { return g.Total - g.Definite }

// String gives "7/8" or "8/8 (2 potential)".
func (g *Grade) String() string {
	s := fmt.Sprintf("%d/%d", g.Total, g.OutOf)
	if p := g.Potential(); p > 0 {
		s += fmt.Sprintf(" (%d potential)", p)
	}
	return s
}

// Locus returns the grade of locus, or nil when it was not graded.
func (g *Grade) Locus(locus string) *LocusGrade {
	for i := range g.Loci {
		if g.Loci[i].Locus == locus {
			return &g.Loci[i]
		}
	}
	return nil
}

// Grade grades a unit for a patient: the counted loci of c (antigen level
// where c says so, else alleleLevel: LevelAllele or LevelAlleleG; zero means
// LevelAllele), plus HLA-C and DPB1 for the report. The patient must be
// typed at every counted locus (Request validation ensures it); an untyped
// patient locus is reported with no match.
func (gr *Grader) Grade(patient, unit *Typing, c Criterion, alleleLevel Level) Grade {
	if alleleLevel != LevelAlleleG {
		alleleLevel = LevelAllele
	}
	g := Grade{Criterion: c, OutOf: c.Total()}
	gvh, hvg := false, false
	counted := map[string]bool{}
	for _, rule := range c.Loci() {
		lv := alleleLevel
		if rule.Antigen {
			lv = LevelAntigen
		}
		counted[rule.Locus] = true
		lg, ok := gr.GradeLocus(patient, unit, rule.Locus, lv)
		lg.Counted = true
		if ok {
			g.Total += lg.Matches
			g.Definite += lg.Definite
			gvh = gvh || lg.GvH > 0
			hvg = hvg || lg.HvG > 0
		} else {
			lg.Notes = append(lg.Notes, "patient not typed at this locus")
		}
		if rule.Locus == "C" {
			g.CMismatch = lg.UnitTyped && lg.Matches < 2
		}
		g.Loci = append(g.Loci, lg)
	}
	g.Direction = directionOf(gvh, hvg)
	for _, extra := range []string{"C", "DPB1"} {
		if counted[extra] || !unit.Typed(extra) {
			continue
		}
		if lg, ok := gr.GradeLocus(patient, unit, extra, alleleLevel); ok {
			if extra == "C" {
				g.CMismatch = lg.Matches < 2
			}
			g.Loci = append(g.Loci, lg)
		}
	}
	return g
}

// Describe returns a one-line summary of the per-locus grades, e.g.
// "A 2/2, B 1/2 (GvH-only), C 2/2, DRB1 2/2 (1 potential)".
func (g *Grade) Describe() string {
	var parts []string
	for _, lg := range g.Loci {
		s := fmt.Sprintf("%s %d/2", lg.Locus, lg.Matches)
		var extra []string
		if p := lg.Matches - lg.Definite; p > 0 {
			extra = append(extra, fmt.Sprintf("%d potential", p))
		}
		if lg.Direction != DirectionNone {
			extra = append(extra, lg.Direction.String())
		}
		if !lg.Counted {
			extra = append(extra, "not counted")
		}
		if len(extra) > 0 {
			s += " (" + strings.Join(extra, ", ") + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}
