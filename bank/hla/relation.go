package hla

import "slices"

// Relation is how two serological antigens relate (domain.md §3.3, as
// encoded in the ATLAS validation tests).
type Relation uint8

// Relations. Match, BroadSplit and Associated count as antigen matches.
const (
	RelationUnknown           Relation = iota // an antigen is not in the reference, or no reference data
	RelationMatch                             // the same antigen
	RelationBroadSplit                        // a broad and one of its splits (A9 and A24)
	RelationAssociated                        // an antigen and its associated antigen, or the broad above it (B39 and B3901, A9 and A2403)
	RelationSiblingSplit                      // two splits of one broad (B38 and B39): mismatch
	RelationSiblingAssociated                 // two associated antigens of one antigen (B3901 and B3902): mismatch
	RelationMismatch                          // unrelated antigens, or different loci
	RelationNull                              // a null allele, which never gives an antigen match
)

var relationNames = [...]string{"unknown", "match", "broad-split", "associated", "sibling-split", "sibling-associated", "mismatch", "null"}

func (x Relation) String() string {
	if int(x) < len(relationNames) {
		return relationNames[x]
	}
	return "invalid"
}

// IsMatch reports whether x counts as an antigen match.
func (x Relation) IsMatch() bool {
	return x == RelationMatch || x == RelationBroadSplit || x == RelationAssociated
}

// rank orders relations from best to worst so that the relation of two
// allele typings is the best one over their antigens.
var relationRank = [...]int{RelationMatch: 0, RelationBroadSplit: 1, RelationAssociated: 2,
	RelationSiblingSplit: 3, RelationSiblingAssociated: 4, RelationMismatch: 5, RelationUnknown: 6, RelationNull: 7}

// AntigenRelation relates two names at antigen level. Serological names
// are compared directly with the broad, split and associated relations of
// rel_ser_ser.txt; allele, group, XX and MAC names are first reduced to
// serology and the best relation over their antigens is returned. A null
// allele gives RelationNull (domain.md §4.2: nulls never match, not even
// themselves); NEW gives RelationMismatch. Without reference data only
// identical antigens are known to match and everything else is
// RelationUnknown.
func (r *Reference) AntigenRelation(a, b Name) Relation {
	if a.Kind == KindNew || b.Kind == KindNew {
		return RelationMismatch
	}
	if a.IsNull() || b.IsNull() {
		return RelationNull
	}
	if a.Kind == KindSerology && b.Kind == KindSerology {
		return r.serologyRelation(a, b)
	}
	var bufA, bufB [8]Name
	sa, errA := r.antigensOf(a, bufA[:0])
	sb, errB := r.antigensOf(b, bufB[:0])
	if errA != nil || errB != nil || len(sa) == 0 || len(sb) == 0 {
		return RelationUnknown
	}
	best := RelationUnknown
	for _, x := range sa {
		for _, y := range sb {
			if rel := r.serologyRelation(x, y); relationRank[rel] < relationRank[best] {
				best = rel
			}
		}
	}
	return best
}

func (r *Reference) antigensOf(n Name, dst []Name) ([]Name, error) {
	if n.Kind == KindSerology {
		return append(dst, n), nil
	}
	out, err := r.ReduceName(n, LevelSerology, dst)
	// Names without antigen come back unchanged; they relate to nothing.
	return slices.DeleteFunc(out, func(x Name) bool { return x.Kind != KindSerology }), err
}

func (r *Reference) serologyRelation(a, b Name) Relation {
	if a.Locus != b.Locus {
		// Cw and C, DP and DPw are already one spelling after parsing.
		return RelationMismatch
	}
	if a.Fields == b.Fields {
		return RelationMatch
	}
	if !r.hasData() {
		return RelationUnknown
	}
	ia, okA := r.antigens[keyOf(a)]
	ib, okB := r.antigens[keyOf(b)]
	if !okA || !okB {
		return RelationUnknown
	}
	switch {
	case ia.parent == b.Fields:
		return parentRelation(ia)
	case ib.parent == a.Fields:
		return parentRelation(ib)
	case ia.parent != "" && ia.parent == ib.parent:
		if ia.associated && ib.associated {
			return RelationSiblingAssociated
		}
		if !ia.associated && !ib.associated {
			return RelationSiblingSplit
		}
		return RelationMismatch
	}
	// Two levels: the broad above the antigen an associated antigen
	// belongs to (A9 and A2403, as A2403 belongs to the split A24).
	if ia.associated && r.antigens[akey{a.Locus, ia.parent, '#'}].parent == b.Fields {
		return RelationAssociated
	}
	if ib.associated && r.antigens[akey{b.Locus, ib.parent, '#'}].parent == a.Fields {
		return RelationAssociated
	}
	return RelationMismatch
}

func parentRelation(child antigen) Relation {
	if child.associated {
		return RelationAssociated
	}
	return RelationBroadSplit
}
