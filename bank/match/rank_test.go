package match

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/lifecycle"
)

func search(t *testing.T, x *Index, req *Request, opts ...SearchOption) *Result {
	t.Helper()
	res, err := x.Search(context.Background(), req, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func dins(res *Result) []string {
	var out []string
	for _, m := range res.Matches {
		out = append(out, string(m.DIN))
	}
	return out
}

func bp(b bool) *bool { return &b }
func ip(i int) *int   { return &i }

// One table row per rule of domain.md §4.6: the units differ in that rule
// (and in later ones pointing the other way), so the rule must decide.
func TestRankingRules(t *testing.T) {
	g := NewGrader(nil)
	hom := "A*02:01; B*07:02+B*08:01; C*07:01+C*07:02; DRB1*15:01+DRB1*04:01"
	cases := []struct {
		name    string
		units   []*bank.Unit
		patient string
		relax   func(*Overrides)
		abo     bank.ABO
		want    []string
		decided RankKey
	}{
		{name: "1 match count", units: []*bank.Unit{
			testUnit("U1", hlaOf("A*02:05+A*24:02; B*07:02+B*08:01; C*07:01+C*07:02; DRB1*15:01+DRB1*04:01"), tnc(4e9)),
			testUnit("U2")}, want: []string{"U2", "U1"}, decided: RankMatchCount},
		{name: "1 definite before potential", units: []*bank.Unit{
			testUnit("U1", hlaOf("A*02:XX+A*24:02; B*07:02+B*08:01; C*07:01+C*07:02; DRB1*15:01+DRB1*04:01"), tnc(4e9)),
			testUnit("U2")}, want: []string{"U2", "U1"}, decided: RankMatchCount},
		{name: "2 dose adequacy (CD34+ suffices)", units: []*bank.Unit{
			testUnit("U1", tnc(1.6e9), cd34(-1)),
			testUnit("U2", tnc(1.2e9), cd34(1.2e7))}, want: []string{"U2", "U1"}, decided: RankDoseAdequacy},
		{name: "3 no C mismatch", units: []*bank.Unit{
			testUnit("U1", hlaOf("A*02:01+A*24:02; B*07:02+B*08:01; C*07:01+C*03:04; DRB1*15:01+DRB1*04:01"), tnc(4e9)),
			testUnit("U2", hlaOf("A*02:01+A*24:02; B*07:02+B*44:02; C*07:01+C*07:02; DRB1*15:01+DRB1*04:01"))},
			want: []string{"U2", "U1"}, decided: RankCMismatch},
		{name: "3 GvH-only > bidirectional > rejection-only", patient: hom, units: []*bank.Unit{
			testUnit("U1", hlaOf("A*02:01+A*24:02; B*07:02+B*08:01; C*07:01+C*07:02; DRB1*15:01+DRB1*04:01"), tnc(4e9)),
			testUnit("U2", hlaOf("A*02:01; B*07:02+B*44:02; C*07:01+C*07:02; DRB1*15:01+DRB1*04:01"), tnc(3e9)),
			testUnit("U3", hlaOf("A*02:01; B*07:02; C*07:01+C*07:02; DRB1*15:01+DRB1*04:01"))},
			want: []string{"U3", "U2", "U1"}, decided: RankDirection},
		{name: "4 TNC dose", units: []*bank.Unit{testUnit("U1", tnc(2.5e9), cd34(3e7)), testUnit("U2", tnc(3e9))},
			want: []string{"U2", "U1"}, decided: RankTNCDose},
		{name: "5 accredited", relax: func(o *Overrides) { o.RequireAccredited = bp(false) }, units: []*bank.Unit{
			testUnit("U1", ofBank(bankNoAcc), cd34(3e7)), testUnit("U2")}, want: []string{"U2", "U1"}, decided: RankAccredited},
		{name: "5 ABO compatible", abo: bank.ABOA, units: []*bank.Unit{
			testUnit("U1", func(u *bank.Unit) { u.ABO = bank.ABOB }, cd34(3e7)), testUnit("U2", func(u *bank.Unit) { u.ABO = bank.ABOA })},
			want: []string{"U2", "U1"}, decided: RankABOCompatible},
		{name: "5 CD34+ dose (unknown last)", units: []*bank.Unit{testUnit("U1", cd34(-1)), testUnit("U2", cd34(2e7)), testUnit("U3")},
			want: []string{"U2", "U3", "U1"}, decided: RankCD34Dose},
		{name: "5 RBC-depleted", relax: func(o *Overrides) { o.RequireRBCDepleted = bp(false) }, units: []*bank.Unit{
			testUnit("U1", func(u *bank.Unit) { u.Reduction = bank.ReductionNone }, collected(2024, 1, 1)), testUnit("U2")},
			want: []string{"U2", "U1"}, decided: RankRBCDepleted},
		{name: "5 more recent", units: []*bank.Unit{testUnit("U1"), testUnit("U2", collected(2023, 5, 1))},
			want: []string{"U2", "U1"}, decided: RankRecency},
		{name: "final DIN", units: []*bank.Unit{testUnit("U2"), testUnit("U1")}, want: []string{"U1", "U2"}, decided: RankDIN},
		{name: "dose-only order", relax: func(o *Overrides) { o.Order = []RankKey{RankTNCDose} }, units: []*bank.Unit{
			testUnit("U1", hlaOf("A*02:05+A*24:02; B*07:02+B*08:01; C*07:01+C*07:02; DRB1*15:01+DRB1*04:01"), tnc(4e9)),
			testUnit("U2")}, want: []string{"U1", "U2"}, decided: RankTNCDose},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x, err := newTestIndex(g, c.units...)
			if err != nil {
				t.Fatal(err)
			}
			req := baseRequest()
			if c.patient != "" {
				req.Patient.HLA = typings(c.patient)
			}
			if c.abo != "" {
				req.Patient.ABO = c.abo
			}
			if c.relax != nil {
				c.relax(&req.Policy)
			}
			res := search(t, x, req)
			if got := dins(res); !slices.Equal(got, c.want) {
				for _, m := range res.Matches {
					t.Log(m.DIN, m.Explanation)
				}
				t.Fatalf("order %v, want %v", got, c.want)
			}
			for i, m := range res.Matches[1:] {
				if m.DecidedBy != c.decided {
					t.Errorf("result %d decided by %q, want %q (%s)", i+2, m.DecidedBy, c.decided, m.Explanation)
				}
				if !strings.Contains(m.Explanation, "below previous by "+string(c.decided)) {
					t.Errorf("explanation %q", m.Explanation)
				}
			}
			if res.Matches[0].DecidedBy != "" || res.Matches[0].Rank != 1 {
				t.Errorf("first result: %+v", res.Matches[0])
			}
		})
	}
}

func TestFilters(t *testing.T) {
	g := NewGrader(nil)
	units := []*bank.Unit{
		testUnit("OK"),
		testUnit("RESERVED", func(u *bank.Unit) { u.Status = lifecycle.StatusReserved }),
		testUnit("PRIVATE", func(u *bank.Unit) { u.Type = bank.UnitTypeDirected }),
		testUnit("OLD", collected(2014, 1, 1)),
		testUnit("NOACC", ofBank(bankNoAcc)),
		testUnit("NOSEG", func(u *bank.Unit) { u.AttachedSegments = 0 }),
		testUnit("REPLETE", func(u *bank.Unit) { u.Reduction = bank.ReductionPlasmaOnly }),
		testUnit("LOWTNC", tnc(1.0e9)),
		testUnit("LOWCD34", cd34(5e6)),
		testUnit("NOCD34", cd34(-1)),
		testUnit("POOR", hlaOf("A*01:01+A*03:01; B*44:02+B*35:01; C*07:01+C*07:02; DRB1*01:01+DRB1*04:01")),
	}
	x, err := newTestIndex(g, units...)
	if err != nil {
		t.Fatal(err)
	}
	res := search(t, x, baseRequest())
	if got := dins(res); !slices.Equal(got, []string{"OK", "NOCD34"}) && !slices.Equal(got, []string{"NOCD34", "OK"}) {
		t.Fatalf("got %v", got)
	}
	// The private unit is out of the search's scope: neither excluded
	// nor scanned.
	want := map[string]int{FilterStatus: 1, FilterUnitAge: 1, FilterAccredited: 1, FilterSegment: 1,
		FilterRBCDepleted: 1, FilterTNC: 1, FilterCD34: 1, FilterMatchGrade: 1}
	if !mapsEqual(res.Excluded, want) || res.TotalSize != 2 || res.Scanned != len(units)-1 {
		t.Errorf("excluded %v total %d scanned %d", res.Excluded, res.TotalSize, res.Scanned)
	}
	// the owning bank sees its private unit
	res = search(t, x, baseRequest(), IncludePrivateOfBank(bankAcc.ID))
	if !slices.Contains(dins(res), "PRIVATE") {
		t.Errorf("private unit not found for its bank: %v", dins(res))
	}
	if res = search(t, x, baseRequest(), IncludePrivateOfBank(bankNoAcc.ID)); slices.Contains(dins(res), "PRIVATE") {
		t.Error("private unit shown to another bank")
	}
	// relaxing every F5 filter and the age limit
	req := baseRequest()
	req.Policy = Overrides{RequireAccredited: bp(false), RequireAttachedSegment: bp(false), RequireRBCDepleted: bp(false),
		MaxUnitAgeYears: ip(0), MinMatches: ip(0)}
	if res = search(t, x, req); res.TotalSize != 7 {
		t.Errorf("relaxed: %v excluded %v", dins(res), res.Excluded)
	}
	// tightening the match grade
	req = baseRequest()
	req.Policy.MinMatches = ip(8)
	if res = search(t, x, req); res.TotalSize != 2 {
		t.Errorf("8/8 only: %v", dins(res))
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestDoseArithmetic(t *testing.T) {
	g := NewGrader(nil)
	x, err := newTestIndex(g,
		testUnit("EXACT", tnc(1.5e8), cd34(1e6)), // 10 kg: 1.5e7/kg, 1.0e5/kg: on both floors
		testUnit("BELOW", tnc(1.49e8), cd34(1e6)),
		testUnit("ADEQ", tnc(2.5e8), cd34(-1)), // 2.5e7/kg
		testUnit("NM", tnc(5.0e8), cd34(-1)),   // 5.0e7/kg
	)
	if err != nil {
		t.Fatal(err)
	}
	req := baseRequest()
	req.WeightKg = 10
	res := search(t, x, req)
	got := map[string]Match{}
	for _, m := range res.Matches {
		got[string(m.DIN)] = m
	}
	if _, ok := got["BELOW"]; ok || len(got) != 3 {
		t.Fatalf("floors: %v", dins(res))
	}
	if m := got["EXACT"]; m.TNCPerKg != 1.5e7 || m.CD34PerKg != 1e5 || !m.CD34Known || m.DoseAdequate {
		t.Errorf("EXACT: %+v", m)
	}
	if !got["ADEQ"].DoseAdequate || !got["NM"].DoseAdequate || got["ADEQ"].CD34Known {
		t.Error("malignant adequacy at 2.5e7/kg")
	}
	if !strings.Contains(got["ADEQ"].Explanation, "TNC 2.5e7/kg") {
		t.Errorf("explanation %q", got["ADEQ"].Explanation)
	}
	req.Disease = NonMalignant
	res = search(t, x, req)
	for _, m := range res.Matches {
		if m.DoseAdequate != (m.DIN == "NM") {
			t.Errorf("non-malignant adequacy (5.0e7/kg) of %s: %v", m.DIN, m.DoseAdequate)
		}
	}
	if sci(4.14e7) != "4.1e7" || sci(9.96e4) != "1.0e5" {
		t.Errorf("sci: %s %s", sci(4.14e7), sci(9.96e4))
	}
	if math.Abs(got["ADEQ"].TNCPerKg-2.5e7) > 1 {
		t.Error("per-kg")
	}
}

func TestABOCompatible(t *testing.T) {
	for _, c := range []struct {
		p, u bank.ABO
		ok   bool
	}{{"A", "O", true}, {"O", "A", false}, {"AB", "B", true}, {"B", "AB", false}, {"A", "A", true}, {"", "B", true}} {
		if ABOCompatible(c.p, c.u) != c.ok {
			t.Errorf("patient %s unit %s: want %v", c.p, c.u, c.ok)
		}
	}
}
