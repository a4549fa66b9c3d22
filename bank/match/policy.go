package match

import "github.com/cordbank/cordbank/bank"

// RankKey names one rule of the lexicographic ordering (domain.md §4.6).
// Its text is the proto enum value name a SearchUnitsRequest would use.
type RankKey string

// Ranking rules. Results are always finally ordered by DIN, then bank, so
// the order is total and deterministic (DINs embed the bank's FIN, so this
// is the unit name order for practical purposes).
const (
	// RankMatchCount: potential total descending, then definite matches
	// descending (8/8 > 8/8 with a potential match > 7/8).
	RankMatchCount RankKey = "match_count"
	// RankDoseAdequacy: meets single-unit adequacy for the disease class
	// (TNC/kg or CD34+/kg at or above the adequate floors) before not.
	RankDoseAdequacy RankKey = "dose_adequacy"
	// RankCMismatch: no known allele-level HLA-C mismatch before one.
	RankCMismatch RankKey = "c_mismatch"
	// RankDirection: no mismatch > GvH-only > bidirectional > rejection-only
	// over the counted loci.
	RankDirection RankKey = "mismatch_direction"
	// RankTNCDose: TNC per kg descending.
	RankTNCDose RankKey = "tnc_dose"
	// RankAccredited: FACT-NetCord or AABB accredited bank first.
	RankAccredited RankKey = "accredited"
	// RankABOCompatible: ABO compatible first (see ABOCompatible).
	RankABOCompatible RankKey = "abo_compatible"
	// RankCD34Dose: CD34+ per kg descending; unknown CD34+ last.
	RankCD34Dose RankKey = "cd34_dose"
	// RankRBCDepleted: RBC-depleted first.
	RankRBCDepleted RankKey = "rbc_depleted"
	// RankRecency: more recent collection first.
	RankRecency RankKey = "recency"
	// RankDIN is the final tie-break; it never appears in Policy.Order but
	// is reported as the rule that separated two results.
	RankDIN RankKey = "din"
	// RankLikelihood: match probability descending (P(8/8), or P(6/6) for a
	// 6/6 search), then expected mismatches ascending, then the match count
	// as RankMatchCount; units a frequency set cannot represent rank after
	// the represented ones. It needs a loaded haplotype frequency set, and
	// replaces RankMatchCount in the default order when one is loaded (see
	// Index.Search).
	RankLikelihood RankKey = "match_probability"
)

var knownKeys = map[RankKey]bool{RankMatchCount: true, RankDoseAdequacy: true, RankCMismatch: true, RankDirection: true,
	RankTNCDose: true, RankAccredited: true, RankABOCompatible: true, RankCD34Dose: true, RankRBCDepleted: true, RankRecency: true,
	RankLikelihood: true}

// DefaultOrder is the ordering of domain.md §4.6: match count, dose
// adequacy, mismatch quality (C, then direction), TNC dose, then the
// tie-breakers accredited, ABO, CD34+, RBC depletion, recency.
var DefaultOrder = []RankKey{RankMatchCount, RankDoseAdequacy, RankCMismatch, RankDirection, RankTNCDose,
	RankAccredited, RankABOCompatible, RankCD34Dose, RankRBCDepleted, RankRecency}

// DoseRule holds the cell-dose figures of one disease class, in cells per
// kg of patient weight. Every floor is inclusive (≥); a CD34+ floor never
// drops a unit whose CD34+ count is unknown (bank.CellCounts).
type DoseRule struct {
	// MinTNCPerKg and MinCD34PerKg are the hard filter F3.
	MinTNCPerKg, MinCD34PerKg float64
	// AdequateTNCPerKg and AdequateCD34PerKg define single-unit adequacy
	// (ranking rule 2): either one met is enough ("and/or" in the
	// sources); 0 disables a figure.
	AdequateTNCPerKg, AdequateCD34PerKg float64
}

// DoublePolicy holds the double-unit figures (domain.md §4.3, §4.6).
type DoublePolicy struct {
	// Candidates is K: pairs are formed from the K best single units that
	// pass the filters and the per-unit floors, so pairing is O(K²).
	Candidates int
	// MinTNCPerKg and MinCD34PerKg are each unit's floors (≥; unknown
	// CD34+ passes), applied on top of the single-unit filters.
	MinTNCPerKg, MinCD34PerKg float64
	// PreferredCombinedTNCPerKg and PreferredCD34PerKg define the preferred
	// pair class: combined TNC above the first and every known CD34+ at or
	// above the second.
	PreferredCombinedTNCPerKg, PreferredCD34PerKg float64
}

// Policy is a search policy: the hard filters and the ordering, as data.
// DefaultPolicy gives the domain.md §4.6 defaults; a Request's Overrides
// tighten or relax them. Status AVAILABLE is always required (F1): a
// reserved or shipped unit is never offered.
type Policy struct {
	// MinMatches is F2: the minimum potential total (default 4 of 6 or 8,
	// 6 of 10).
	MinMatches int
	// AlleleLevel grades allele-level loci: LevelAllele (lgx, default) or
	// LevelAlleleG.
	AlleleLevel Level
	// Malignant and NonMalignant are the dose figures per disease class.
	Malignant, NonMalignant DoseRule
	// DSAMinMFI: patient antibodies at or above this MFI count (F4).
	DSAMinMFI float64
	// ExcludeDSA drops units with a (possible) donor-specific antibody;
	// when false they are kept and their DSA listed.
	ExcludeDSA bool
	// MaxUnitAgeYears: units collected longer ago are dropped; 0 = no limit.
	MaxUnitAgeYears int
	// F5 defaults a centre may relax.
	RequireAccredited, RequireAttachedSegment, RequireRBCDepleted bool
	// Order is the ranking, applied lexicographically, DIN last.
	Order  []RankKey
	Double DoublePolicy
}

// DefaultPolicy returns the defaults of domain.md §4.3 and §4.6 for c.
func DefaultPolicy(c Criterion) Policy {
	minMatches := 4
	if c == Criterion10of10 {
		minMatches = 6
	}
	return Policy{
		MinMatches:  minMatches,
		AlleleLevel: LevelAllele,
		// NMDP listing floor for both classes; adequacy per Eurocord.
		Malignant:              DoseRule{MinTNCPerKg: 1.5e7, MinCD34PerKg: 1.0e5, AdequateTNCPerKg: 2.5e7, AdequateCD34PerKg: 1.5e5},
		NonMalignant:           DoseRule{MinTNCPerKg: 1.5e7, MinCD34PerKg: 1.0e5, AdequateTNCPerKg: 5.0e7},
		DSAMinMFI:              1000,
		ExcludeDSA:             true,
		MaxUnitAgeYears:        10,
		RequireAccredited:      true,
		RequireAttachedSegment: true,
		RequireRBCDepleted:     true,
		Order:                  append([]RankKey(nil), DefaultOrder...),
		Double: DoublePolicy{Candidates: 200, MinTNCPerKg: 1.5e7, MinCD34PerKg: 1.0e5,
			PreferredCombinedTNCPerKg: 3.5e7, PreferredCD34PerKg: 0.7e5},
	}
}

// Dose returns the dose rule of disease class d.
func (p *Policy) Dose(d Disease) *DoseRule {
	if d == NonMalignant {
		return &p.NonMalignant
	}
	return &p.Malignant
}

// Overrides are a request's changes to the default policy; nil fields keep
// the default. Dose fields apply to the request's disease class. Field
// names in validation errors are "policy.<snake_case>".
type Overrides struct {
	MinMatches        *int     // policy.min_matches
	AlleleLevel       Level    // policy.allele_level (0 = default)
	MinTNCPerKg       *float64 // policy.min_tnc_per_kg
	MinCD34PerKg      *float64 // policy.min_cd34_per_kg
	AdequateTNCPerKg  *float64 // policy.adequate_tnc_per_kg
	AdequateCD34PerKg *float64 // policy.adequate_cd34_per_kg
	DSAMinMFI         *float64 // policy.dsa_min_mfi
	ExcludeDSA        *bool    // policy.exclude_dsa
	MaxUnitAgeYears   *int     // policy.max_unit_age_years (0 = no limit)
	// policy.require_accredited, policy.require_attached_segment,
	// policy.require_rbc_depleted
	RequireAccredited, RequireAttachedSegment, RequireRBCDepleted *bool
	Order                                                         []RankKey // policy.order; replaces the default when not empty
	DoubleCandidates                                              *int      // policy.double_candidates
	DoubleMinTNCPerKg                                             *float64  // policy.double_min_tnc_per_kg
	DoubleMinCD34PerKg                                            *float64  // policy.double_min_cd34_per_kg
	DoublePreferredCombinedTNCPerKg                               *float64  // policy.double_preferred_combined_tnc_per_kg
}

// apply returns p changed by o for disease d (o is assumed valid).
func (p Policy) apply(o *Overrides, d Disease) Policy {
	setI := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	setF := func(dst *float64, v *float64) {
		if v != nil {
			*dst = *v
		}
	}
	setB := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	setI(&p.MinMatches, o.MinMatches)
	if o.AlleleLevel != 0 {
		p.AlleleLevel = o.AlleleLevel
	}
	dr := p.Dose(d)
	setF(&dr.MinTNCPerKg, o.MinTNCPerKg)
	setF(&dr.MinCD34PerKg, o.MinCD34PerKg)
	setF(&dr.AdequateTNCPerKg, o.AdequateTNCPerKg)
	setF(&dr.AdequateCD34PerKg, o.AdequateCD34PerKg)
	setF(&p.DSAMinMFI, o.DSAMinMFI)
	setB(&p.ExcludeDSA, o.ExcludeDSA)
	setI(&p.MaxUnitAgeYears, o.MaxUnitAgeYears)
	setB(&p.RequireAccredited, o.RequireAccredited)
	setB(&p.RequireAttachedSegment, o.RequireAttachedSegment)
	setB(&p.RequireRBCDepleted, o.RequireRBCDepleted)
	if len(o.Order) > 0 {
		p.Order = append([]RankKey(nil), o.Order...)
	}
	setI(&p.Double.Candidates, o.DoubleCandidates)
	setF(&p.Double.MinTNCPerKg, o.DoubleMinTNCPerKg)
	setF(&p.Double.MinCD34PerKg, o.DoubleMinCD34PerKg)
	setF(&p.Double.PreferredCombinedTNCPerKg, o.DoublePreferredCombinedTNCPerKg)
	return p
}

// ABOCompatible reports whether a unit of group unit is compatible with a
// patient of group patient: identical or major-compatible (the unit's red
// cells carry no A or B antigen the patient lacks). Unknown groups count as
// compatible, so they neither win nor lose the tie-break.
func ABOCompatible(patient, unit bank.ABO) bool {
	if patient == "" || unit == "" {
		return true
	}
	has := func(g bank.ABO, a byte) bool {
		for i := 0; i < len(g); i++ {
			if g[i] == a {
				return true
			}
		}
		return false
	}
	return (!has(unit, 'A') || has(patient, 'A')) && (!has(unit, 'B') || has(patient, 'B'))
}
