package match

import (
	"context"
	"slices"
	"testing"
)

func pairNames(r *DoubleResult) [][2]string {
	var out [][2]string
	for _, p := range r.Pairs {
		out = append(out, [2]string{string(p.Units[0].DIN), string(p.Units[1].DIN)})
	}
	return out
}

func TestDoublePairing(t *testing.T) {
	g := NewGrader(nil)
	mm := hlaOf("A*02:05+A*24:02; B*07:02+B*08:01; C*07:01+C*07:02; DRB1*15:01+DRB1*04:01")
	x, err := newTestIndex(g,
		testUnit("D1", tnc(1.2e9), cd34(-1)), // 8/8, 1.71e7/kg
		testUnit("D2", tnc(1.1e9), cd34(-1)), // 8/8, 1.57e7/kg
		testUnit("D3", mm, tnc(3e9)),         // 7/8, 4.29e7/kg
		testUnit("D4", tnc(1.0e9)),           // below the per-unit floor
	)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	req := baseRequest()
	res, err := x.SearchDouble(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{"D1", "D2"}, {"D1", "D3"}, {"D2", "D3"}}
	if got := pairNames(res); !slices.Equal(got, want) {
		t.Fatalf("pairs %v, want %v", got, want)
	}
	p := res.Pairs
	if p[0].Preferred || !p[1].Preferred || p[0].Worse.Total != 8 || p[1].Worse.Total != 7 {
		t.Errorf("pair keys: %+v %+v", p[0].Explanation, p[1].Explanation)
	}
	if p[1].DecidedBy != "worse_match" || p[2].DecidedBy != "combined_tnc_dose" {
		t.Errorf("decided by %q, %q", p[1].DecidedBy, p[2].DecidedBy)
	}
	if d := p[1].CombinedTNCPerKg - (1.2e9/70 + 3e9/70); d != 0 {
		t.Errorf("combined dose off by %g", d)
	}
	// K bounds the pairing to the best K single units
	req.Policy.DoubleCandidates = ip(2)
	if res, _ = x.SearchDouble(ctx, req); !slices.Equal(pairNames(res), want[:1]) || res.Candidates != 2 {
		t.Errorf("K=2: %v", pairNames(res))
	}
	// per-unit double floor
	req = baseRequest()
	req.Policy.DoubleMinTNCPerKg = f64(1.6e7)
	res, err = x.SearchDouble(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if got := pairNames(res); !slices.Equal(got, [][2]string{{"D1", "D3"}}) || res.Excluded[FilterDoubleDose] != 1 {
		t.Errorf("floor: %v %v", got, res.Excluded)
	}
}
