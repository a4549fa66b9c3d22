package match

import (
	"slices"
	"testing"
)

// Issue 13: a 6/6 search for a patient typed at the first field ranked
// first, as "6/6 (6 potential)", a unit whose A locus A*03:01+A*68:01
// shares no antigen with A*02+A*24 (the old reading of A*02:XX included A28
// from A*02:55's expert column and that of A*24:XX included A3 from
// A*24:18's possible column). With the family rule the unit is 4/6 and
// ranks below the real 5/6 unit. IPD-IMGT/HLA 3.24.0.
func TestSixOfSixFirstFieldPatientRanksRealMatchesFirst(t *testing.T) {
	g := realGrader(t)
	const rest = "; B*07:02+B*44:02; C*07:01+C*07:02; DRB1*15:01+DRB1*04:01"
	wrongA := testUnit("U1", hlaOf("A*03:01+A*68:01"+rest), tnc(4e9))
	fiveOfSix := testUnit("U2", hlaOf("A*02:01+A*01:01"+rest))
	sixOfSix := testUnit("U3", hlaOf("A*02:01+A*24:02"+rest), tnc(1.5e9))
	x, err := newTestIndex(g, wrongA, fiveOfSix, sixOfSix)
	if err != nil {
		t.Fatal(err)
	}
	req := baseRequest()
	req.Criterion = Criterion6of6
	req.Patient.HLA = typings("A*02+A*24; B*07+B*44; DRB1*15+DRB1*04")
	res := search(t, x, req)
	for _, m := range res.Matches {
		t.Log(m.DIN, m.Grade.String(), m.Explanation)
	}
	if got := dins(res); !slices.Equal(got, []string{"U3", "U2", "U1"}) {
		t.Fatalf("order %v, want [U3 U2 U1]", got)
	}
	want := map[string]int{"U1": 4, "U2": 5, "U3": 6}
	for _, m := range res.Matches {
		if m.Grade.Total != want[string(m.DIN)] {
			t.Errorf("%s graded %s, want %d/6", m.DIN, m.Grade.String(), want[string(m.DIN)])
		}
	}
}
