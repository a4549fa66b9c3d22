package match

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/hla/freq"
)

// Predictors are the haplotype frequency sets an Index predicts with: a
// default set and, per bank, the set of the bank's donor population (a
// bank's units are read against it; the patient against the request's
// population or the default).
type Predictors struct {
	sets    []*Predictor
	def     *Predictor
	perBank map[string]*Predictor
}

// NewPredictors returns the sets with def (a name Find accepts; "" means
// the first set) as the default and bankPopulation mapping bank ids to the
// set of their units.
func NewPredictors(sets []*Predictor, def string, bankPopulation map[string]string) (*Predictors, error) {
	if len(sets) == 0 {
		return nil, fmt.Errorf("match: no frequency set")
	}
	ps := &Predictors{sets: sets, def: sets[0], perBank: map[string]*Predictor{}}
	if def != "" {
		if ps.def = ps.Find(def); ps.def == nil {
			return nil, fmt.Errorf("match: default frequency set %q is not loaded (%s)", def, ps.names())
		}
	}
	for b, pop := range bankPopulation {
		p := ps.Find(pop)
		if p == nil {
			return nil, fmt.Errorf("match: frequency set %q of bank %s is not loaded (%s)", pop, b, ps.names())
		}
		ps.perBank[b] = p
	}
	return ps, nil
}

// Default is the default set.
func (ps *Predictors) Default() *Predictor { return ps.def }

// Sets lists the loaded sets.
func (ps *Predictors) Sets() []*Predictor { return slices.Clone(ps.sets) }

// Find returns the set freq.Find would: by name, else population, else
// name suffix (AFA finds HEGL_AFA), case ignored; nil when none.
func (ps *Predictors) Find(name string) *Predictor {
	if i := freq.FindIndex(name, len(ps.sets), func(i int) (string, string) { return ps.sets[i].name, ps.sets[i].population }); i >= 0 {
		return ps.sets[i]
	}
	return nil
}

func (ps *Predictors) names() string {
	var n []string
	for _, p := range ps.sets {
		n = append(n, p.name)
	}
	return "loaded: " + strings.Join(n, ", ")
}

func (ps *Predictors) forBank(bankID string, patient *Predictor) *Predictor {
	if p, ok := ps.perBank[bankID]; ok {
		return p
	}
	return patient
}

// WithPredictors makes the index predict with ps.
func WithPredictors(ps *Predictors) IndexOption { return func(x *Index) { x.predictors.Store(ps) } }

// SetPredictors replaces the frequency sets (nil: none).
func (x *Index) SetPredictors(ps *Predictors) { x.predictors.Store(ps) }

// Predictors returns the frequency sets in use, nil when none.
func (x *Index) Predictors() *Predictors { return x.predictors.Load() }

// predictionPlan decides whether and with which patient set a search
// predicts. The error is a *bank.Error of KindInvalid.
func (x *Index) predictionPlan(req *Request) (*Predictors, *Predictor, error) {
	ps := x.predictors.Load()
	var v bank.Violations
	var pat *Predictor
	switch {
	case ps == nil && req.Patient.Population != "":
		v.Add("patient.population", "no haplotype frequency set is loaded (start the server with --hf-sets)")
	case ps == nil:
	case req.Patient.Population != "":
		if pat = ps.Find(req.Patient.Population); pat == nil {
			v.Add("patient.population", "no frequency set %q (%s)", req.Patient.Population, ps.names())
		}
	default:
		pat = ps.def
	}
	if req.Probabilities != nil && *req.Probabilities && ps == nil {
		v.Add("match_probabilities", "no haplotype frequency set is loaded (start the server with --hf-sets)")
	}
	if slices.Contains(req.Policy.Order, RankLikelihood) && (ps == nil || (req.Probabilities != nil && !*req.Probabilities)) {
		v.Add("policy.order", "%q needs match probabilities (a loaded frequency set, match_probabilities not false)", RankLikelihood)
	}
	if err := v.Err("invalid search request"); err != nil {
		return nil, nil, err
	}
	if ps == nil || (req.Probabilities != nil && !*req.Probabilities) {
		return nil, nil, nil
	}
	return ps, pat, nil
}

// PredictorsFromSets reads every set against g's release and returns the
// Predictors (see NewPredictors for def and bankPopulation) with, per set,
// a line saying what reading it changed or dropped, for the operator.
func PredictorsFromSets(g *Grader, sets []*freq.Set, def string, bankPopulation map[string]string) (*Predictors, []string, error) {
	var preds []*Predictor
	var notes []string
	for _, s := range sets {
		r, err := freq.Resolve(s, g.ref)
		if err != nil {
			return nil, nil, err
		}
		p, err := NewPredictor(g, r)
		if err != nil {
			return nil, nil, err
		}
		preds = append(preds, p)
		rep := r.Report
		note := fmt.Sprintf("%s (%s, population %s, IPD-IMGT/HLA %s read as %s): %d haplotypes, %d kept, mass %.4f",
			s.Name, s.Format, s.Population, orUnknown(s.Nomenclature), orUnknown(r.Release), rep.Haplotypes, rep.Kept, rep.Mass)
		if len(rep.Renamed) > 0 {
			note += "; renamed " + strings.Join(rep.Renamed, ", ")
		}
		if len(rep.Unknown) > 0 {
			note += fmt.Sprintf("; unknown (dropped, mass %.4f) %s", rep.DroppedMass, strings.Join(rep.Unknown, ", "))
		}
		for _, w := range s.Warnings {
			note += "; " + w
		}
		notes = append(notes, note)
	}
	ps, err := NewPredictors(preds, def, bankPopulation)
	if err != nil {
		return nil, nil, err
	}
	return ps, notes, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
