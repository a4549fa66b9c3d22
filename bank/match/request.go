package match

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/hla"
	"github.com/cordbank/cordbank/bank/unit"
)

// Patient is the patient side of a search.
type Patient struct {
	// HLA is the patient's typing, one entry per locus (GL String fragment
	// per locus, as for units). Every counted locus of the criterion is
	// required.
	HLA []bank.LocusTyping
	// ABO is optional ("" = unknown: every unit counts as compatible).
	ABO bank.ABO
	// Population names the haplotype frequency set the patient's typing is
	// read against (a set's name or population, see Predictors.Find); ""
	// means the default set.
	Population string
}

// Antibody is one anti-HLA antibody of the patient (domain.md §4.4).
type Antibody struct {
	// Specificity is a serological antigen ("A2", "B44", "DR15", "Cw3") or
	// an allele ("A*02:01"), with or without the HLA- prefix.
	Specificity string
	MFI         float64
}

// Limits of a Request.
const (
	MinWeightKg     = 0.5
	MaxWeightKg     = 250.0
	DefaultPageSize = 50
	MaxPageSize     = 1000
	maxCandidates   = 5000
	// MaxMFI bounds an antibody's mean fluorescence intensity: single
	// antigen bead assays saturate near 30,000, so a larger figure is a
	// typing or unit error, and an infinite one would make every antibody
	// count as donor-specific.
	MaxMFI = 100_000
)

// mfiProblem says what is wrong with an MFI (of an antibody or a
// threshold), "" when it is a plausible one.
func mfiProblem(x float64) string {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return "must be a finite number"
	case x < 0:
		return "must not be negative"
	case x > MaxMFI:
		return fmt.Sprintf("%g is implausibly high (at most %d)", x, MaxMFI)
	}
	return ""
}

// Request is a search for units for one patient. Field names of validation
// errors are those of a SearchUnitsRequest proto (snake_case).
type Request struct {
	Patient    Patient    // patient.hla.<locus>, patient.abo
	WeightKg   float64    // weight_kg: actual body weight (domain.md §7.6 leaves the basis open)
	Disease    Disease    // disease: required
	Antibodies []Antibody // antibodies[i].specificity, antibodies[i].mfi
	Criterion  Criterion  // criterion: 0 means 8/8
	Policy     Overrides  // policy.*
	PageSize   int        // page_size: results (or pairs) returned, 0 means DefaultPageSize
	// AsOf is the day unit ages are computed at; zero means the Index's
	// clock.
	AsOf unit.Date
	// Probabilities (match_probabilities) asks for match probabilities per
	// result; nil means yes when a frequency set is loaded.
	Probabilities *bool
}

// plan is a validated, prepared request.
type plan struct {
	crit     Criterion
	pol      Policy
	dose     DoseRule
	disease  Disease
	patient  *Typing
	abo      bank.ABO
	abs      []*antibody // at or above the MFI threshold
	weight   float64
	pageSize int
	asOf     unit.Date
}

type antibody struct {
	spec  string
	sero  bool
	loci  []int // locus indexes it can target
	pos   position
	level Level
}

// Validate checks req against g's release and returns nil or a *bank.Error
// of KindInvalid with one Violation per bad field.
func (g *Grader) Validate(req *Request) error {
	_, err := g.compile(req)
	return err
}

func (g *Grader) compile(req *Request) (*plan, error) { return g.compileImputing(req, false) }

// compileImputing is compile; with imputeC (a frequency set will predict
// the search) a patient without HLA-C may be searched 8/8 or 10/10, C
// imputed.
func (g *Grader) compileImputing(req *Request, imputeC bool) (*plan, error) {
	var v bank.Violations
	p := &plan{crit: req.Criterion, disease: req.Disease, abo: req.Patient.ABO, weight: req.WeightKg, asOf: req.AsOf}
	if p.crit == 0 {
		p.crit = Criterion8of8
	}
	if !p.crit.valid() {
		v.Add("criterion", "unknown match criterion %d (6/6, 8/8 or 10/10)", req.Criterion)
		p.crit = Criterion8of8
	}
	p.patient = g.patientTyping(req.Patient.HLA, p.crit, imputeC, &v)
	if req.Patient.ABO != "" && !bank.ValidABO(req.Patient.ABO) {
		v.Add("patient.abo", "unknown ABO group %q (A, B, AB or O)", req.Patient.ABO)
	}
	switch w := req.WeightKg; {
	case math.IsNaN(w) || w <= 0:
		v.Add("weight_kg", "must be positive")
	case w < MinWeightKg || w > MaxWeightKg:
		v.Add("weight_kg", "implausible patient weight %g kg (expected %g to %g kg)", w, MinWeightKg, MaxWeightKg)
	}
	if req.Disease != Malignant && req.Disease != NonMalignant {
		v.Add("disease", "required: MALIGNANT or NON_MALIGNANT")
	}
	if req.PageSize < 0 || req.PageSize > MaxPageSize {
		v.Add("page_size", "must be between 0 and %d", MaxPageSize)
	}
	p.pageSize = req.PageSize
	if p.pageSize == 0 {
		p.pageSize = DefaultPageSize
	}
	validateOverrides(&req.Policy, p.crit, &v)
	if v.Len() == 0 {
		p.pol = DefaultPolicy(p.crit).apply(&req.Policy, req.Disease)
		p.dose = *p.pol.Dose(req.Disease)
	}
	for i, ab := range req.Antibodies {
		field := fmt.Sprintf("antibodies[%d]", i)
		if problem := mfiProblem(ab.MFI); problem != "" {
			v.Add(field+".mfi", "%s", problem)
		}
		a, err := g.prepareAntibody(ab.Specificity)
		if err != nil {
			v.Add(field+".specificity", "%v", err)
			continue
		}
		if v.Len() == 0 && ab.MFI >= p.pol.DSAMinMFI {
			p.abs = append(p.abs, a)
		}
	}
	if err := v.Err("invalid search request"); err != nil {
		return nil, err
	}
	return p, nil
}

func (g *Grader) patientTyping(typings []bank.LocusTyping, c Criterion, imputeC bool, v *bank.Violations) *Typing {
	t := &Typing{}
	for _, lt := range typings {
		canon := g.ref.NormalizeLocus(lt.Locus)
		field := "patient.hla." + lower(canon)
		if canon == "" {
			v.Add("patient.hla", "unknown locus %q", lt.Locus)
			continue
		}
		prep, err := g.prepareLocus(canon, lt.Text)
		var le *LocusError
		if errors.As(err, &le) {
			err = le.Err
		}
		switch {
		case err != nil:
			v.Add(field, "%v", err)
		case prep == nil: // a locus the engine does not grade: ignored
		case t.loci[locusIndex[canon]] != nil:
			v.Add(field, "locus typed twice")
		default:
			t.loci[locusIndex[canon]] = prep
		}
	}
	for _, rule := range c.Loci() {
		field := "patient.hla." + lower(rule.Locus)
		switch {
		case t.Typed(rule.Locus) || v.Has(field):
		case rule.Locus == "C" && imputeC:
			t.imputed[locusIndex["C"]] = true
		default:
			v.Add(field, "required for %s matching%s", c, workingCriteria(t, c, rule.Locus))
		}
	}
	return t
}

// workingCriteria says, for an error, which criteria the patient's typed
// loci would allow, and that a frequency set lets HLA-C be imputed.
func workingCriteria(t *Typing, asked Criterion, missing string) string {
	var ok []string
	for c := Criterion6of6; c <= Criterion10of10; c++ {
		all := true
		for _, r := range c.Loci() {
			all = all && t.Typed(r.Locus)
		}
		if all && c != asked {
			ok = append(ok, c.String())
		}
	}
	var hints []string
	if len(ok) > 0 {
		hints = append(hints, "search with criterion "+strings.Join(ok, " or ")+", which the typed loci allow")
	}
	if missing == "C" {
		hints = append(hints, "have the server load a haplotype frequency set (--hf-sets) so that HLA-C is imputed")
	}
	if len(hints) == 0 {
		return ""
	}
	return " (type it, " + strings.Join(hints, ", or ") + ")"
}

func validateOverrides(o *Overrides, c Criterion, v *bank.Violations) {
	if o.MinMatches != nil && (*o.MinMatches < 0 || *o.MinMatches > c.Total()) {
		v.Add("policy.min_matches", "must be between 0 and %d for %s", c.Total(), c)
	}
	if o.AlleleLevel != 0 && o.AlleleLevel != LevelAllele && o.AlleleLevel != LevelAlleleG {
		v.Add("policy.allele_level", "must be allele (lgx) or allele-g")
	}
	floats := []struct {
		name string
		v    *float64
	}{
		{"min_tnc_per_kg", o.MinTNCPerKg}, {"min_cd34_per_kg", o.MinCD34PerKg},
		{"adequate_tnc_per_kg", o.AdequateTNCPerKg}, {"adequate_cd34_per_kg", o.AdequateCD34PerKg},
		{"dsa_min_mfi", o.DSAMinMFI}, {"double_min_tnc_per_kg", o.DoubleMinTNCPerKg},
		{"double_min_cd34_per_kg", o.DoubleMinCD34PerKg}, {"double_preferred_combined_tnc_per_kg", o.DoublePreferredCombinedTNCPerKg},
	}
	for _, f := range floats {
		if f.v != nil && (math.IsNaN(*f.v) || math.IsInf(*f.v, 0) || *f.v < 0) {
			v.Add("policy."+f.name, "must be a finite number, zero or more")
		}
	}
	if o.DSAMinMFI != nil && !v.Has("policy.dsa_min_mfi") {
		if problem := mfiProblem(*o.DSAMinMFI); problem != "" {
			v.Add("policy.dsa_min_mfi", "%s", problem)
		}
	}
	if o.MaxUnitAgeYears != nil && *o.MaxUnitAgeYears < 0 {
		v.Add("policy.max_unit_age_years", "must be zero (no limit) or more")
	}
	if o.DoubleCandidates != nil && (*o.DoubleCandidates < 2 || *o.DoubleCandidates > maxCandidates) {
		v.Add("policy.double_candidates", "must be between 2 and %d", maxCandidates)
	}
	seen := map[RankKey]bool{}
	for i, k := range o.Order {
		switch {
		case !knownKeys[k]:
			v.Add(fmt.Sprintf("policy.order[%d]", i), "unknown ranking rule %q", k)
		case seen[k]:
			v.Add(fmt.Sprintf("policy.order[%d]", i), "ranking rule %q listed twice", k)
		}
		seen[k] = true
	}
}

// prepareAntibody reads a specificity: a serological antigen or an allele
// that exists in the release (syntax only without reference data).
func (g *Grader) prepareAntibody(spec string) (*antibody, error) {
	s := strings.TrimSpace(spec)
	if s == "" {
		return nil, errors.New("required")
	}
	n, err := g.ref.ParseName(s)
	if err != nil {
		return nil, fmt.Errorf("unknown antibody specificity %q: %v", spec, err)
	}
	if probs := g.ref.Check(hla.Leaf(n)); len(probs) > 0 {
		return nil, fmt.Errorf("unknown antibody specificity %q: %v", spec, &probs[0])
	}
	a := &antibody{spec: n.String()}
	switch n.Kind {
	case hla.KindSerology:
		l := n.MolecularLocus()
		if l == "" || n.Locus == "Bw" || n.Locus == "Dw" {
			return nil, fmt.Errorf("unsupported antibody specificity %q: public epitopes (Bw, Dw) are not matched", spec)
		}
		a.sero, a.level, a.loci = true, LevelAntigen, []int{locusIndex[l]}
		a.pos = position{text: a.spec, sero: true, antigen: []uint32{g.intern(n)}}
	case hla.KindAllele:
		i, ok := locusIndex[n.Locus]
		if !ok || n.IsNull() {
			return nil, fmt.Errorf("unsupported antibody specificity %q: not an expressed allele of %s", spec, strings.Join(Loci, ", "))
		}
		if a.pos, err = g.preparePosition(n.Locus, hla.Leaf(n)); err != nil {
			return nil, fmt.Errorf("unknown antibody specificity %q: %v", spec, err)
		}
		a.level, a.loci = LevelAllele, []int{i}
	default:
		return nil, fmt.Errorf("antibody specificity %q must be an antigen (A2) or an allele (A*02:01), not a %s", spec, n.Kind)
	}
	return a, nil
}
