package match

import "github.com/cordbank/cordbank/bank/hla"

// PositionGrade is the comparison of one patient copy with the unit copy it
// was paired with.
type PositionGrade struct {
	Patient, Unit string // the copies as typed (canonical GL String)
	Confidence    Confidence
	// Relation is the best antigen relation found at antigen level
	// ("match", "broad-split", "associated", "sibling-split" ...), empty at
	// allele level.
	Relation string
}

// LocusGrade is the grade of one locus.
type LocusGrade struct {
	Locus   string
	Level   Level
	Counted bool // counts toward the criterion's total
	// UnitTyped is false when the unit has no typing at this locus: both
	// positions are then potential matches (as ATLAS counts untyped loci).
	UnitTyped bool
	Cross     bool // the cross orientation (P1-D2, P2-D1) was kept
	Matches   int  // matched positions, definite or potential (0-2)
	Definite  int  // of which definite
	Positions [2]PositionGrade
	// GvH and HvG count mismatched positions per direction (domain.md §4.2
	// rule 4); Direction summarises them.
	GvH, HvG  int
	Direction Direction
	// Notes explain special readings: null alleles read as homozygous,
	// genotype lists, ambiguity.
	Notes []string
}

// matchAt compares two copies at a level.
func (g *Grader) matchAt(lv Level, a, b *position) (Confidence, hla.Relation) {
	if a.isNew || b.isNew || a.null || b.null {
		if a.null || b.null {
			return Mismatch, hla.RelationNull
		}
		return Mismatch, hla.RelationMismatch
	}
	if lv == LevelAntigen || a.sero || b.sero {
		best := hla.RelationMismatch
		for _, x := range a.antigen {
			for _, y := range b.antigen {
				if r := g.relation(x, y); relRank(r) < relRank(best) {
					best = r
				}
			}
		}
		if !best.IsMatch() {
			return Mismatch, best
		}
		if lv == LevelAntigen && a.certainAt(lv) && b.certainAt(lv) {
			return Definite, best
		}
		// At allele level, serology only says the allele may match.
		return Potential, best
	}
	i := lv - LevelAllele
	if intersects(a.allele[i], b.allele[i]) {
		if a.certainAt(lv) && b.certainAt(lv) {
			return Definite, hla.RelationMatch
		}
		return Potential, hla.RelationMatch
	}
	if g.wildMatch(a, b, i) || g.wildMatch(b, a, i) {
		return Potential, hla.RelationMatch
	}
	return Mismatch, hla.RelationMismatch
}

// wildMatch: an unresolved allele group of a covers a candidate of b.
func (g *Grader) wildMatch(a, b *position, i Level) bool {
	for _, w := range a.wild {
		if containsID(b.wild, w) {
			return true
		}
		for _, x := range b.allele[i] {
			if g.groupOf(x) == w {
				return true
			}
		}
	}
	return false
}

func relRank(r hla.Relation) int {
	switch r {
	case hla.RelationMatch:
		return 0
	case hla.RelationBroadSplit:
		return 1
	case hla.RelationAssociated:
		return 2
	case hla.RelationSiblingSplit:
		return 3
	case hla.RelationSiblingAssociated:
		return 4
	case hla.RelationMismatch:
		return 5
	case hla.RelationUnknown:
		return 6
	}
	return 7
}

func intersects(a, b []uint32) bool {
	// both sorted and short
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			return true
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return false
}

func containsID(s []uint32, x uint32) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// GradeLocus grades the patient's typing of one locus against the unit's
// at level lv. Either Typing may lack the locus: an untyped unit locus gives
// two potential matches (ATLAS), an untyped patient locus gives ok false.
//
// Rules (domain.md §4.2), with the choices made where it is silent:
//   - both orientations are tried, the one with more matches kept (then
//     more definite matches, then the direct one);
//   - a typing listing one allele is homozygous: the allele counts twice;
//   - a locus with one null allele is read as homozygous for its expressed
//     allele (the ATLAS rule, since a null presents nothing to mismatch);
//     a null that remains (both copies null) never matches, at any level;
//   - a possible null in an allele list is ignored for matching but makes
//     the position potential;
//   - at antigen level broads match their splits and associated antigens,
//     sibling splits mismatch (hla.AntigenRelation); without serology the
//     allele group stands for the antigen (WMDA rule, less exact);
//   - a match is Definite only when both copies name exactly one value at
//     the level, otherwise Potential; serology-only typings give at most
//     Potential at allele level; XX codes, unresolved MACs and one-field
//     names match any allele of their group, potentially;
//   - genotype lists ('|'): every combination is graded, the best kept,
//     and its matches are at most Potential;
//   - direction: a mismatched patient copy absent from both unit copies is
//     a GvH mismatch, a mismatched unit copy absent from both patient copies
//     an HvG (rejection) mismatch, so a homozygous patient gives HvG only
//     and a homozygous unit GvH only.
func (g *Grader) GradeLocus(patient, unit *Typing, locus string, lv Level) (lg LocusGrade, ok bool) {
	i, known := locusIndex[locus]
	if known && patient != nil && patient.loci[i] == nil && patient.imputed[i] {
		lg := LocusGrade{Locus: locus, Level: lv, Matches: 2,
			Notes: []string{"patient not typed at this locus: imputed from the haplotype frequency set (see the match probabilities)"}}
		lg.Positions = [2]PositionGrade{{Confidence: Potential}, {Confidence: Potential}}
		if unit != nil && unit.loci[i] != nil {
			lg.UnitTyped = true
			lg.Positions[0].Unit, lg.Positions[1].Unit = unit.loci[i].alts[0][0].text, unit.loci[i].alts[0][1].text
		}
		return lg, true
	}
	if !known || patient == nil || patient.loci[i] == nil {
		return LocusGrade{Locus: locus, Level: lv}, false
	}
	var u *locusTyping
	if unit != nil {
		u = unit.loci[i]
	}
	return g.gradeLocus(patient.loci[i], u, lv), true
}

func (g *Grader) gradeLocus(p, u *locusTyping, lv Level) LocusGrade {
	lg := LocusGrade{Locus: p.locus, Level: lv}
	if u == nil {
		lg.Matches = 2
		lg.Positions = [2]PositionGrade{{Patient: p.alts[0][0].text, Confidence: Potential}, {Patient: p.alts[0][1].text, Confidence: Potential}}
		lg.Notes = []string{"unit not typed at this locus"}
		return lg
	}
	lg.UnitTyped = true
	first := true
	for pi := range p.alts {
		for ui := range u.alts {
			c := g.gradePair(&p.alts[pi], &u.alts[ui], lv)
			if first || c.Matches > lg.Matches || (c.Matches == lg.Matches && c.Definite > lg.Definite) {
				c.Locus, c.Level, c.UnitTyped = lg.Locus, lg.Level, true
				lg = c
				first = false
			}
		}
	}
	if len(p.alts) > 1 || len(u.alts) > 1 {
		lg.Definite = 0
		for k := range lg.Positions {
			if lg.Positions[k].Confidence == Definite {
				lg.Positions[k].Confidence = Potential
			}
		}
		lg.Notes = append(lg.Notes, "genotype list: matches are potential")
	}
	return lg
}

// pairCounts reads a comparison of two patient copies (rows) with two unit
// copies (columns): it keeps the orientation, direct (P1-D1, P2-D2) or
// cross, with more matches (then more definite ones), and counts the
// mismatched positions per direction: GvH when the patient copy matches
// neither unit copy, HvG when the unit copy matches neither patient copy
// (domain.md §4.2). The scan's fast path and gradePair share it, so the two
// can never grade differently.
func pairCounts(m *[2][2]Confidence) (cross bool, matches, definite, gvh, hvg int) {
	score := func(a, b Confidence) (int, int) {
		n, def := 0, 0
		for _, c := range [2]Confidence{a, b} {
			if c != Mismatch {
				n++
			}
			if c == Definite {
				def++
			}
		}
		return n, def
	}
	dn, dd := score(m[0][0], m[1][1])
	cn, cd := score(m[0][1], m[1][0])
	pair := [2]int{0, 1}
	matches, definite = dn, dd
	if cn > dn || (cn == dn && cd > dd) {
		cross, pair, matches, definite = true, [2]int{1, 0}, cn, cd
	}
	for i := range 2 {
		j := pair[i]
		if m[i][j] != Mismatch {
			continue
		}
		if m[i][0] == Mismatch && m[i][1] == Mismatch {
			gvh++
		}
		if m[0][j] == Mismatch && m[1][j] == Mismatch {
			hvg++
		}
	}
	return
}

func (g *Grader) gradePair(p, d *[2]position, lv Level) LocusGrade {
	var m [2][2]Confidence
	var rel [2][2]hla.Relation
	for i := range 2 {
		for j := range 2 {
			m[i][j], rel[i][j] = g.matchAt(lv, &p[i], &d[j])
		}
	}
	var lg LocusGrade
	lg.Cross, lg.Matches, lg.Definite, lg.GvH, lg.HvG = pairCounts(&m)
	pair := [2]int{0, 1}
	if lg.Cross {
		pair = [2]int{1, 0}
	}
	for i := range 2 {
		j := pair[i]
		pg := PositionGrade{Patient: p[i].text, Unit: d[j].text, Confidence: m[i][j]}
		if lv == LevelAntigen {
			pg.Relation = rel[i][j].String()
		}
		lg.Positions[i] = pg
	}
	lg.Direction = directionOf(lg.GvH > 0, lg.HvG > 0)
	for i := range 2 {
		if p[i].homNull {
			lg.Notes = append(lg.Notes, "patient null allele: locus read as homozygous for the expressed allele")
		}
		if d[i].homNull {
			lg.Notes = append(lg.Notes, "unit null allele: locus read as homozygous for the expressed allele")
		}
	}
	return lg
}
