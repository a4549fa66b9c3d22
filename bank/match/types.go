package match

import "fmt"

// Criterion is the match criterion a search counts matches for.
type Criterion uint8

// Criteria (domain.md §4.1). The zero value means "not given" and is read as
// Criterion8of8 by Request.
const (
	// Criterion6of6: HLA-A and -B at antigen level, HLA-DRB1 at allele level
	// (the historical cord standard).
	Criterion6of6 Criterion = iota + 1
	// Criterion8of8: HLA-A, -B, -C and -DRB1 at allele level (current).
	Criterion8of8
	// Criterion10of10: 8/8 plus HLA-DQB1 at allele level.
	Criterion10of10
)

// LocusRule is one counted locus of a criterion and the level it is graded at.
type LocusRule struct {
	Locus   string
	Antigen bool // graded at antigen level; otherwise at allele level
}

var criterionLoci = [...][]LocusRule{
	Criterion6of6:   {{"A", true}, {"B", true}, {"DRB1", false}},
	Criterion8of8:   {{"A", false}, {"B", false}, {"C", false}, {"DRB1", false}},
	Criterion10of10: {{"A", false}, {"B", false}, {"C", false}, {"DRB1", false}, {"DQB1", false}},
}

// Loci returns the counted loci of c, in report order.
func (c Criterion) Loci() []LocusRule {
	if !c.valid() {
		return nil
	}
	return criterionLoci[c]
}

// Total is the number of counted positions: 6, 8 or 10.
func (c Criterion) Total() int { return 2 * len(c.Loci()) }

func (c Criterion) valid() bool { return c >= Criterion6of6 && c <= Criterion10of10 }

func (c Criterion) String() string {
	if !c.valid() {
		return fmt.Sprintf("Criterion(%d)", uint8(c))
	}
	return fmt.Sprintf("%d/%d", c.Total(), c.Total())
}

// ParseCriterion reads "6/6", "8/8" or "10/10".
func ParseCriterion(s string) (Criterion, error) {
	for c := Criterion6of6; c <= Criterion10of10; c++ {
		if c.String() == s {
			return c, nil
		}
	}
	return 0, fmt.Errorf("unknown match criterion %q (6/6, 8/8 or 10/10)", s)
}

// Level is the resolution a position is compared at.
type Level uint8

// Levels.
const (
	// LevelAntigen compares serological antigens, with the broad/split
	// rules of rel_ser_ser.txt; without serology (no reference data, or an
	// allele without assignment) the allele group stands for the antigen.
	LevelAntigen Level = iota + 1
	// LevelAllele compares two-field ARD names (lgx, the P group's name).
	LevelAllele
	// LevelAlleleG compares G groups: stricter, so a two-field typing that
	// spans several G groups is only a potential match.
	LevelAlleleG
)

func (l Level) String() string {
	switch l {
	case LevelAntigen:
		return "antigen"
	case LevelAllele:
		return "allele"
	case LevelAlleleG:
		return "allele-g"
	}
	return fmt.Sprintf("Level(%d)", uint8(l))
}

// Confidence grades one compared position (after ATLAS, simplified).
type Confidence uint8

// Confidences, worst first.
const (
	// Mismatch: no candidate of one side matches a candidate of the other.
	Mismatch Confidence = iota
	// Potential: some candidates match but at least one side is ambiguous at
	// the level compared (allele list, MAC, XX, serology where alleles are
	// needed, genotype list, possible null, untyped unit locus). Never
	// reported as a definite match.
	Potential
	// Definite: both sides name exactly one value at the level compared and
	// the values match.
	Definite
)

func (c Confidence) String() string {
	switch c {
	case Potential:
		return "potential"
	case Definite:
		return "definite"
	}
	return "mismatch"
}

// Direction is the vector of the mismatches of a locus or of a unit
// (domain.md §4.2 rule 4).
type Direction uint8

// Directions, best first (the ranking order of domain.md §4.6 rule 3).
const (
	// DirectionNone: no mismatch.
	DirectionNone Direction = iota
	// DirectionGvHOnly: only patient antigens/alleles absent from the unit
	// (the unit is homozygous where it mismatches).
	DirectionGvHOnly
	// DirectionBidirectional: mismatches in both directions.
	DirectionBidirectional
	// DirectionHvGOnly: only unit antigens/alleles absent from the patient,
	// "rejection-only" (the patient is homozygous where it mismatches).
	DirectionHvGOnly
)

func directionOf(gvh, hvg bool) Direction {
	switch {
	case gvh && hvg:
		return DirectionBidirectional
	case gvh:
		return DirectionGvHOnly
	case hvg:
		return DirectionHvGOnly
	}
	return DirectionNone
}

func (d Direction) String() string {
	switch d {
	case DirectionGvHOnly:
		return "GvH-only"
	case DirectionBidirectional:
		return "bidirectional"
	case DirectionHvGOnly:
		return "rejection-only"
	}
	return "none"
}

// Disease is the patient's disease class, which sets the dose floors and
// the single-unit adequacy threshold (domain.md §4.3).
type Disease uint8

// Disease classes. The zero value is "not given" and is invalid in a Request.
const (
	Malignant Disease = iota + 1
	NonMalignant
)

func (d Disease) String() string {
	switch d {
	case Malignant:
		return "MALIGNANT"
	case NonMalignant:
		return "NON_MALIGNANT"
	}
	return "DISEASE_UNSPECIFIED"
}
