package match

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/cordbank/cordbank/bank/hla/freq"
)

// Calibration on HEGL_CAU (IPD-IMGT/HLA 3.24.0): units drawn from the
// population (two haplotypes by frequency) and typed as cord units are (A,
// B at the first field half the time, C untyped or at the first field,
// DRB1 at two fields); for each, a high-resolution patient chosen from the
// typing alone (a genotype the unit's typing admits, drawn by its
// posterior weight, so the choice knows nothing of the unit's true
// genotype). The predicted P(8/8) is compared with the truth.
//
// Bound: in every decile with at least 100 pairs the observed rate lies
// within 3 standard errors (plus 0.02 for the set's unlisted mass) of the
// mean prediction; overall within 3 standard errors; and the Brier score is
// below the no-skill score of always predicting the base rate.
func TestPredictionCalibration(t *testing.T) {
	g := realGrader(t)
	cau := heglSet(t, g, "CAU")
	set, err := freq.Resolve(freq.Find(heglSets, "CAU"), g.ref)
	if err != nil {
		t.Fatal(err)
	}
	gn := newHEGLGen(2026, set)
	rng := rand.New(rand.NewPCG(5, 13))
	const trials = 4000
	type obs struct {
		p     float64
		truth bool
	}
	var all []obs
	for range trials {
		h1, h2 := gn.hap(), gn.hap()
		var truth [4][2]string
		var unit []string
		for k, l := range outcomeLoci {
			a, b := h1[gn.loci[l]], h2[gn.loci[l]]
			truth[k] = [2]string{a, b}
			x := rng.IntN(10)
			switch {
			case l == "C" && x < 4:
				continue
			case (l == "A" || l == "B") && x < 5, l == "C" && x < 6:
				a, b = family(a), family(b)
			}
			unit = append(unit, a+"+"+b)
		}
		ut := prep(t, g, strings.Join(unit, "; "))
		e := cau.expand(ut)
		if e.unrepresented || len(e.genos) == 0 {
			t.Fatalf("a unit drawn from the set is unrepresented: %v", unit)
		}
		// Draw the patient from the typing's posterior.
		r, pick := rng.Float64(), len(e.genos)-1
		for i, gg := range e.genos {
			if r -= gg.w; r <= 0 {
				pick = i
				break
			}
		}
		var pat []string
		var pnames [4][2]string
		for k := range outcomeLoci {
			a, b := e.genos[pick].a[k][0], e.genos[pick].a[k][1]
			pnames[k] = [2]string{g.name(a).String(), g.name(b).String()}
			pat = append(pat, pnames[k][0]+"+"+pnames[k][1])
		}
		pr, err := Predict(cau, prep(t, g, strings.Join(pat, "; ")), cau, ut)
		if err != nil {
			t.Fatal(err)
		}
		match := true
		for k := range truth {
			u := nullAsPartner(truth[k])
			p := pnames[k]
			if !((u[0] == p[0] && u[1] == p[1]) || (u[0] == p[1] && u[1] == p[0])) {
				match = false
			}
		}
		all = append(all, obs{pr.P8of8, match})
	}
	var rows []string
	brier, base, sumP, sumVar, hits := 0.0, 0.0, 0.0, 0.0, 0.0
	for _, o := range all {
		y := 0.0
		if o.truth {
			y = 1
		}
		brier += (o.p - y) * (o.p - y)
		sumP += o.p
		sumVar += o.p * (1 - o.p)
		hits += y
	}
	n := float64(len(all))
	rate := hits / n
	for _, o := range all {
		y := 0.0
		if o.truth {
			y = 1
		}
		base += (rate - y) * (rate - y)
	}
	brier /= n
	base /= n
	for d := 0; d < 10; d++ {
		lo, hi := float64(d)/10, float64(d+1)/10
		var bin []obs
		for _, o := range all {
			if o.p >= lo && (o.p < hi || (d == 9 && o.p <= 1)) {
				bin = append(bin, o)
			}
		}
		if len(bin) == 0 {
			continue
		}
		mp, mo, v := 0.0, 0.0, 0.0
		for _, o := range bin {
			mp += o.p
			v += o.p * (1 - o.p)
			if o.truth {
				mo++
			}
		}
		k := float64(len(bin))
		mp, mo = mp/k, mo/k
		se := math.Sqrt(v) / k
		rows = append(rows, fmt.Sprintf("| %.1f-%.1f | %d | %.3f | %.3f |", lo, hi, len(bin), mp, mo))
		if len(bin) >= 100 && math.Abs(mo-mp) > 3*se+0.02 {
			t.Errorf("decile %.1f-%.1f: predicted %.3f, observed %.3f over %d pairs (bound %.3f)", lo, hi, mp, mo, len(bin), 3*se+0.02)
		}
	}
	t.Logf("calibration of P(8/8), %d pairs (HEGL_CAU, IPD-IMGT/HLA 3.24.0):\n| P(8/8) | pairs | mean predicted | observed |\n|---|---|---|---|\n%s\nBrier %.4f (no-skill %.4f); predicted %.4f, observed %.4f",
		len(all), strings.Join(rows, "\n"), brier, base, sumP/n, rate)
	if d := math.Abs(sumP/n - rate); d > 3*math.Sqrt(sumVar)/n+0.005 {
		t.Errorf("overall: predicted %.4f, observed %.4f", sumP/n, rate)
	}
	if brier >= base {
		t.Errorf("Brier score %.4f is no better than the base rate's %.4f", brier, base)
	}
	if spread := slices.MaxFunc(all, func(a, b obs) int { return cmpFloat(a.p, b.p) }).p - slices.MinFunc(all, func(a, b obs) int { return cmpFloat(a.p, b.p) }).p; spread < 0.5 {
		t.Errorf("predictions span only %.2f: the test does not exercise calibration", spread)
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// nullAsPartner reads a null allele as its partner (ATLAS, as the grade).
func nullAsPartner(p [2]string) [2]string {
	na, nb := strings.HasSuffix(p[0], "N"), strings.HasSuffix(p[1], "N")
	switch {
	case na && !nb:
		p[0] = p[1]
	case nb && !na:
		p[1] = p[0]
	}
	return p
}
