package match

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/cordbank/cordbank/bank"
)

// DSA rules (domain.md §4.4, F4) against IPD-IMGT/HLA 3.24.0.
func TestDSA(t *testing.T) {
	g := realGrader(t)
	a11 := "A*02:01+A*11:01; B*07:02+B*08:01; C*07:01+C*07:02; DRB1*15:01+DRB1*04:01"
	a23 := "A*02:01+A*23:01; B*07:02+B*08:01; C*07:01+C*07:02; DRB1*15:01+DRB1*04:01"
	dq := fullHLA + "; DQB1*06:02+DQB1*03:01"
	cases := []struct {
		name string
		unit string
		abs  []Antibody
		dsa  []string // nil: no DSA
	}{
		{"antigen not shared", a11, []Antibody{{"A11", 3000}}, []string{"A11"}},
		{"below MFI threshold", a11, []Antibody{{"A11", 999}}, nil},
		{"at MFI threshold", a11, []Antibody{{"A11", 1000}}, []string{"A11"}},
		{"shared antigen", a11, []Antibody{{"A2", 5000}}, nil},
		{"allele specificity", a11, []Antibody{{"A*11:01", 5000}}, []string{"A*11:01"}},
		{"other allele", a11, []Antibody{{"A*11:02", 5000}}, nil},
		{"broad targets split", a23, []Antibody{{"A9", 2000}}, []string{"A9"}},
		{"split does not target sibling", a23, []Antibody{{"A24", 2000}}, nil},
		{"untyped patient locus hides nothing", dq, []Antibody{{"DQ6", 2000}, {"B8", 4000}}, []string{"DQ6"}},
		{"several, antibody order", a11, []Antibody{{"DQ6", 2000}, {"A*11:01", 4000}, {"A11", 4000}}, []string{"A*11:01", "A11"}},
	}
	patient := prep(t, g, fullHLA)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := g.DSA(patient, prep(t, g, c.unit), c.abs, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.dsa) {
				t.Errorf("DSA %v, want %v", got, c.dsa)
			}
			// the index excludes the unit, or keeps it with its DSA listed
			x, err := newTestIndex(g, testUnit("U1", hlaOf(c.unit)))
			if err != nil {
				t.Fatal(err)
			}
			req := baseRequest()
			req.Antibodies = c.abs
			res := search(t, x, req)
			if excluded := len(res.Matches) == 0; excluded != (c.dsa != nil) || (excluded && res.Excluded[FilterDSA] != 1) {
				t.Errorf("excluded=%v (%v), want %v", excluded, res.Excluded, c.dsa != nil)
			}
			req.Policy.ExcludeDSA = bp(false)
			res = search(t, x, req)
			if len(res.Matches) != 1 || !slices.Equal(res.Matches[0].DSA, c.dsa) {
				t.Errorf("kept unit DSA %+v, want %v", res.Matches, c.dsa)
			}
		})
	}
	if _, err := g.DSA(patient, patient, []Antibody{{"A99", 5000}}, 1000); bank.KindOf(err) != bank.KindInvalid {
		t.Errorf("unknown specificity: %v", err)
	}
	// An infinite MFI is not "very strong": it is refused, naming the field.
	_, err := g.DSA(patient, patient, []Antibody{{"A11", 3000}, {"A11", math.Inf(1)}}, 1000)
	var be *bank.Error
	if !errors.As(err, &be) || len(be.Violations) != 1 || be.Violations[0].Field != "antibodies[1].mfi" {
		t.Errorf("infinite MFI: %v", err)
	}
}
