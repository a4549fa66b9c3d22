package match

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/cordbank/cordbank/bank"
)

func TestRequestValidation(t *testing.T) {
	g := realGrader(t)
	cases := []struct {
		name   string
		change func(*Request)
		fields []string
	}{
		{"valid", func(*Request) {}, nil},
		{"missing C for 8/8", func(r *Request) { r.Patient.HLA = typings("A*02:01+A*24:02; B*07:02+B*08:01; DRB1*15:01") }, []string{"patient.hla.c"}},
		{"6/6 needs no C", func(r *Request) {
			r.Criterion = Criterion6of6
			r.Patient.HLA = typings("A*02:01+A*24:02; B*07:02+B*08:01; DRB1*15:01")
		}, nil},
		{"10/10 needs DQB1", func(r *Request) { r.Criterion = Criterion10of10 }, []string{"patient.hla.dqb1"}},
		{"bad typing", func(r *Request) { r.Patient.HLA[0].Text = "A*99:99+A*02:01" }, []string{"patient.hla.a"}},
		{"unknown locus", func(r *Request) { r.Patient.HLA = append(r.Patient.HLA, bank.LocusTyping{Locus: "XYZ", Text: "x"}) }, []string{"patient.hla"}},
		{"zero weight", func(r *Request) { r.WeightKg = 0 }, []string{"weight_kg"}},
		{"heavy", func(r *Request) { r.WeightKg = 251 }, []string{"weight_kg"}},
		{"tiny", func(r *Request) { r.WeightKg = 0.4 }, []string{"weight_kg"}},
		{"no disease", func(r *Request) { r.Disease = 0 }, []string{"disease"}},
		{"bad ABO", func(r *Request) { r.Patient.ABO = "C" }, []string{"patient.abo"}},
		{"antibodies", func(r *Request) {
			r.Antibodies = []Antibody{{"A2", 3000}, {"B44", 500}, {"A99", 2000}, {"", 10}, {"A*02:01", -1}, {"Bw4", 5000}}
		}, []string{"antibodies[2].specificity", "antibodies[3].specificity", "antibodies[4].mfi", "antibodies[5].specificity"}},
		{"non-finite and absurd MFIs", func(r *Request) {
			r.Antibodies = []Antibody{{"A2", math.Inf(1)}, {"B44", math.NaN()}, {"A1", math.Inf(-1)}, {"A3", 1e9}, {"A11", MaxMFI}}
		}, []string{"antibodies[0].mfi", "antibodies[1].mfi", "antibodies[2].mfi", "antibodies[3].mfi"}},
		{"non-finite weight", func(r *Request) { r.WeightKg = math.Inf(1) }, []string{"weight_kg"}},
		{"NaN weight", func(r *Request) { r.WeightKg = math.NaN() }, []string{"weight_kg"}},
		{"DSA threshold", func(r *Request) { r.Policy.DSAMinMFI = f64(math.Inf(1)) }, []string{"policy.dsa_min_mfi"}},
		{"absurd DSA threshold", func(r *Request) { r.Policy.DSAMinMFI = f64(2e6) }, []string{"policy.dsa_min_mfi"}},
		{"NaN floor", func(r *Request) { r.Policy.AdequateCD34PerKg = f64(math.NaN()) }, []string{"policy.adequate_cd34_per_kg"}},
		{"min matches above total", func(r *Request) { r.Policy.MinMatches = ip(9) }, []string{"policy.min_matches"}},
		{"negative floor", func(r *Request) { r.Policy.MinTNCPerKg = f64(-1) }, []string{"policy.min_tnc_per_kg"}},
		{"bad order", func(r *Request) { r.Policy.Order = []RankKey{RankTNCDose, "beauty", RankTNCDose} }, []string{"policy.order[1]", "policy.order[2]"}},
		{"bad level and age", func(r *Request) {
			r.Policy.AlleleLevel = LevelAntigen
			r.Policy.MaxUnitAgeYears = ip(-1)
		}, []string{"policy.allele_level", "policy.max_unit_age_years"}},
		{"double candidates", func(r *Request) { r.Policy.DoubleCandidates = ip(1) }, []string{"policy.double_candidates"}},
		{"page size", func(r *Request) { r.PageSize = MaxPageSize + 1 }, []string{"page_size"}},
		{"criterion", func(r *Request) { r.Criterion = 9 }, []string{"criterion"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := baseRequest()
			c.change(req)
			err := g.Validate(req)
			if c.fields == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var be *bank.Error
			if !errors.As(err, &be) || be.Kind != bank.KindInvalid || !errors.Is(err, bank.ErrInvalid) {
				t.Fatalf("want *bank.Error KindInvalid, got %v", err)
			}
			var got []string
			for _, v := range be.Violations {
				got = append(got, v.Field)
			}
			slices.Sort(got)
			want := slices.Clone(c.fields)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("fields %v, want %v (%v)", got, want, err)
			}
		})
	}
}

func TestOverridesApply(t *testing.T) {
	p := DefaultPolicy(Criterion8of8).apply(&Overrides{MinTNCPerKg: f64(2e7), ExcludeDSA: bp(false), Order: []RankKey{RankTNCDose}}, NonMalignant)
	if p.NonMalignant.MinTNCPerKg != 2e7 || p.Malignant.MinTNCPerKg != 1.5e7 || p.ExcludeDSA || !slices.Equal(p.Order, []RankKey{RankTNCDose}) {
		t.Errorf("%+v", p)
	}
	if d := DefaultPolicy(Criterion10of10); d.MinMatches != 6 || !slices.Equal(d.Order, DefaultOrder) || d.DSAMinMFI != 1000 || d.MaxUnitAgeYears != 10 {
		t.Errorf("defaults %+v", d)
	}
}
