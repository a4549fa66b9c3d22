package match

import (
	"errors"
	"github.com/cordbank/cordbank/bank"
	"math"
	"slices"
	"strings"
	"testing"
)

// With a frequency set loaded, a search ranks a likely 8/8 above a less
// likely one within the dose rules, whatever their definite counts;
// without one (or with probabilities off) definite-before-potential stays
// the rule. HEGL_CAU read against IPD-IMGT/HLA 3.24.0.
func TestSearchRanksByLikelihoodWithASet(t *testing.T) {
	g := realGrader(t)
	cau := heglSet(t, g, "CAU")
	ps, err := NewPredictors([]*Predictor{cau}, "CAU", nil)
	if err != nil {
		t.Fatal(err)
	}
	const pat = "A*01:01+A*02:01; B*08:01+B*07:02; C*07:01+C*07:02; DRB1*03:01+DRB1*15:01"
	units := []*bank.Unit{
		// 7 definite, P(8/8) 0.9971 (A*02:XX may be A*02:05 ...), the largest dose
		testUnit("UB", hlaOf("A*01:01+A*02:XX; B*08:01+B*07:02; C*07:01+C*07:02; DRB1*03:01+DRB1*15:01"), tnc(4e9)),
		// 6 definite, P(8/8) 0.99996
		testUnit("UF", hlaOf("A*01:01+A*02:01; B*08:01+B*07:02; C*07:01+C*07:02; DRB1*03:XX+DRB1*15:XX"), tnc(3e9)),
		// 0 definite, P(8/8) 0.9900
		testUnit("UC", hlaOf("A*01:XX+A*02:XX; B*08:XX+B*07:XX; C*07:XX+C*07:XX; DRB1*03:XX+DRB1*15:XX"), tnc(3.5e9)),
	}
	x, err := newTestIndex(g, units...)
	if err != nil {
		t.Fatal(err)
	}
	req := baseRequest()
	req.Patient.HLA = typings(pat)
	if got := dins(search(t, x, req)); !slices.Equal(got, []string{"UB", "UF", "UC"}) {
		t.Fatalf("without a set: order %v, want [UB UF UC]", got)
	}
	x.SetPredictors(ps)
	res := search(t, x, req)
	for _, m := range res.Matches {
		t.Log(m.DIN, m.Explanation)
	}
	if got := dins(res); !slices.Equal(got, []string{"UF", "UB", "UC"}) {
		t.Fatalf("with HEGL_CAU: order %v, want [UF UB UC]", got)
	}
	if res.FrequencySet != "HEGL_CAU" {
		t.Errorf("frequency set %q", res.FrequencySet)
	}
	for i, m := range res.Matches {
		if m.Prediction == nil || m.Prediction.Set != "HEGL_CAU" || m.Prediction.P8of8 <= 0.98 {
			t.Fatalf("%s prediction %+v", m.DIN, m.Prediction)
		}
		if i > 0 && (m.DecidedBy != RankLikelihood || !strings.Contains(m.Explanation, "below previous by match_probability")) {
			t.Errorf("%s decided by %q: %s", m.DIN, m.DecidedBy, m.Explanation)
		}
	}
	if res.Policy.Order[0] != RankLikelihood {
		t.Errorf("reported order %v", res.Policy.Order)
	}
	if res.LikelihoodWindow != 3 || !res.LikelihoodExact {
		t.Errorf("window %d, exact %v", res.LikelihoodWindow, res.LikelihoodExact)
	}
	// All three are nearly certain 8/8s: typing any of them gains < 1%.
	if len(res.ConfirmTyping) != 0 {
		t.Errorf("confirmatory typing suggested: %+v", res.ConfirmTyping)
	}
	// Probabilities off: today's order, no predictions.
	off := false
	req.Probabilities = &off
	res = search(t, x, req)
	if got := dins(res); !slices.Equal(got, []string{"UB", "UF", "UC"}) || res.Matches[0].Prediction != nil {
		t.Fatalf("probabilities off: order %v", got)
	}
	// Probabilities on but ranking by match count, as asked.
	req.Probabilities = nil
	req.Policy.Order = []RankKey{RankMatchCount, RankTNCDose}
	res = search(t, x, req)
	if got := dins(res); !slices.Equal(got, []string{"UB", "UF", "UC"}) || res.Matches[0].Prediction == nil {
		t.Fatalf("match-count order with probabilities: %v", got)
	}
	// An unknown population names the field.
	req.Patient.Population = "XYZ"
	if _, err := x.Search(t.Context(), req); err == nil || !strings.Contains(err.Error(), "invalid") {
		t.Fatalf("unknown population: %v", err)
	}
}

func TestConfirmTypingGain(t *testing.T) {
	m := func(unit string, p float64) Match {
		return Match{Unit: unit, Prediction: &Prediction{P8of8: p}}
	}
	got := confirmTyping([]Match{m("a", 0.5), m("b", 0.3), m("c", 0.005), m("d", 0)}, Criterion8of8)
	// a: 0.5 x (1 - 0.3) = 0.35; b: 0.3 x (1 - 0.5) = 0.15; c below 1%.
	if len(got) != 2 || got[0].Unit != "a" || !near(got[0].Gain, 0.35) || got[1].Unit != "b" || !near(got[1].Gain, 0.15) {
		t.Fatalf("%+v", got)
	}
	// A certain 8/8 among the results: no typing gains anything.
	if got := confirmTyping([]Match{m("a", 0.5), m("e", 1)}, Criterion8of8); len(got) != 0 {
		t.Fatalf("%+v", got)
	}
}

// Issue 13: a patient typed without HLA-C fails the default 8/8 search
// without a frequency set, with an error naming the criterion that would
// work; with a set loaded it is searched, C imputed.
func TestPatientWithoutC(t *testing.T) {
	g := realGrader(t)
	cau := heglSet(t, g, "CAU")
	ps, err := NewPredictors([]*Predictor{cau}, "CAU", nil)
	if err != nil {
		t.Fatal(err)
	}
	x, err := newTestIndex(g,
		testUnit("U1", hlaOf("A*01:01+A*02:01; B*08:01+B*07:02; C*07:01+C*07:02; DRB1*03:01+DRB1*15:01")),
		testUnit("U2", hlaOf("A*01:01+A*02:01; B*08:01+B*07:02; C*07:01+C*05:01; DRB1*03:01+DRB1*15:01"), tnc(3e9)))
	if err != nil {
		t.Fatal(err)
	}
	req := baseRequest()
	req.Patient.HLA = typings("A*01:01+A*02:01; B*08:01+B*07:02; DRB1*03:01+DRB1*15:01")
	_, err = x.Search(t.Context(), req)
	var be *bank.Error
	if !errors.As(err, &be) || len(be.Violations) != 1 || be.Violations[0].Field != "patient.hla.c" ||
		!strings.Contains(be.Violations[0].Description, "criterion 6/6") || !strings.Contains(be.Violations[0].Description, "--hf-sets") {
		t.Fatalf("without a set: %v", err)
	}
	x.SetPredictors(ps)
	res := search(t, x, req)
	for _, m := range res.Matches {
		t.Log(m.DIN, m.Grade.Describe(), m.Explanation)
	}
	if len(res.Matches) != 2 || res.Matches[0].DIN != "U1" {
		t.Fatalf("with a set: %v", dins(res))
	}
	u1, u2 := res.Matches[0], res.Matches[1]
	if u1.Grade.Total != 8 || u1.Grade.Definite != 6 || u1.Grade.Locus("C") == nil || u1.Grade.Locus("C").Matches != 2 {
		t.Errorf("U1 grade %s", u1.Grade.Describe())
	}
	// B*08:01~C*07:01 and B*07:02~C*07:02 are the common haplotypes: U1's
	// C*07:01+C*07:02 is likelier the patient's than U2's C*07:01+C*05:01.
	if !(u1.Prediction.P8of8 > 0.5 && u2.Prediction.P8of8 < u1.Prediction.P8of8) || u1.Prediction.PatientGenotypes < 2 {
		t.Errorf("predictions %+v / %+v", u1.Prediction, u2.Prediction)
	}
}

// Double-unit searches give every unit of a pair its probabilities too.
func TestSearchDoubleCarriesProbabilities(t *testing.T) {
	g := realGrader(t)
	cau := heglSet(t, g, "CAU")
	ps, err := NewPredictors([]*Predictor{cau}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	x, err := newTestIndex(g,
		testUnit("U1", hlaOf("A*01:XX+A*02:XX; B*08:XX+B*07:XX; DRB1*03:01+DRB1*15:01"), tnc(1.3e9)),
		testUnit("U2", hlaOf("A*01:01+A*02:01; B*08:01+B*07:02; C*07:01+C*07:02; DRB1*03:01+DRB1*15:01"), tnc(1.3e9)))
	if err != nil {
		t.Fatal(err)
	}
	x.SetPredictors(ps)
	req := baseRequest()
	req.Patient.HLA = typings("A*01:01+A*02:01; B*08:01+B*07:02; C*07:01+C*07:02; DRB1*03:01+DRB1*15:01")
	res, err := x.SearchDouble(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Pairs) != 1 || res.FrequencySet != "HEGL_CAU" {
		t.Fatalf("%+v", res)
	}
	for _, m := range res.Pairs[0].Units {
		want := 1.0
		if m.DIN == "U1" {
			want = 0.9845
		}
		if m.Prediction == nil || math.Abs(m.Prediction.P8of8-want) > 0.001 {
			t.Errorf("%s: %+v", m.DIN, m.Prediction)
		}
	}
}

// More units that could be 8/8 than the likelihood window holds: the
// result says the ranking covered only the window.
func TestLikelihoodWindowReported(t *testing.T) {
	g := realGrader(t)
	cau := heglSet(t, g, "CAU")
	ps, err := NewPredictors([]*Predictor{cau}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var units []*bank.Unit
	for range likelihoodWindowMin + 6 {
		units = append(units, testUnit("", hlaOf("A*01:XX+A*02:XX; B*08:XX+B*07:XX; DRB1*03:01+DRB1*15:01")))
	}
	x, err := newTestIndex(g, units...)
	if err != nil {
		t.Fatal(err)
	}
	x.SetPredictors(ps)
	req := baseRequest()
	req.PageSize = 5
	req.Patient.HLA = typings("A*01:01+A*02:01; B*08:01+B*07:02; C*07:01+C*07:02; DRB1*03:01+DRB1*15:01")
	res := search(t, x, req)
	if res.LikelihoodWindow != likelihoodWindowMin || res.LikelihoodExact || len(res.Matches) != 5 || res.TotalSize != likelihoodWindowMin+6 {
		t.Fatalf("window %d exact %v, %d matches of %d", res.LikelihoodWindow, res.LikelihoodExact, len(res.Matches), res.TotalSize)
	}
}
