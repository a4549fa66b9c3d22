package match

import (
	"context"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/hla/freq"
	"github.com/cordbank/cordbank/bank/unit"
	"github.com/cordbank/cordbank/internal/benchsize"
)

// heglGen draws genotypes from a resolved frequency set and types them the
// way cord units and patients are typed.
type heglGen struct {
	r    *rand.Rand
	set  *freq.Resolved
	cum  []float64
	loci map[string]int
}

func newHEGLGen(seed uint64, set *freq.Resolved) *heglGen {
	g := &heglGen{r: rand.New(rand.NewPCG(seed, 99)), set: set, loci: map[string]int{}}
	t := 0.0
	for _, f := range set.Freq {
		t += f
		g.cum = append(g.cum, t)
	}
	for i := range g.cum {
		g.cum[i] /= t
	}
	for j, l := range set.Loci {
		g.loci[l] = j
	}
	return g
}

func (g *heglGen) hap() []string {
	i, _ := slices.BinarySearch(g.cum, g.r.Float64())
	h := g.set.Haplotypes[min(i, len(g.cum)-1)]
	out := make([]string, len(h))
	for j, n := range h {
		out[j] = n.String()
	}
	return out
}

func family(a string) string { return a[:strings.LastIndexByte(a, ':')] + ":XX" }

// unitTyping: A and B at the first field (XX) half the time, C untyped
// four times in ten and at the first field two in ten, DRB1 at two fields,
// as cord inventories are typed.
func (g *heglGen) unitTyping() []bank.LocusTyping {
	h1, h2 := g.hap(), g.hap()
	var out []bank.LocusTyping
	for _, l := range outcomeLoci {
		a, b := h1[g.loci[l]], h2[g.loci[l]]
		x := g.r.IntN(10)
		switch {
		case l == "C" && x < 4:
			continue
		case (l == "A" || l == "B") && x < 5, l == "C" && x < 6:
			a, b = family(a), family(b)
		}
		out = append(out, bank.LocusTyping{Locus: l, Text: a + "+" + b})
	}
	return out
}

// patientTyping: two fields at A, B, C and DRB1.
func (g *heglGen) patientTyping() []bank.LocusTyping {
	h1, h2 := g.hap(), g.hap()
	var out []bank.LocusTyping
	for _, l := range outcomeLoci {
		out = append(out, bank.LocusTyping{Locus: l, Text: h1[g.loci[l]] + "+" + h2[g.loci[l]]})
	}
	return out
}

// BenchmarkSearchProbabilities: a 6/6 search over 1,000,000 units typed at
// mixed resolution from HEGL_CAU (IPD-IMGT/HLA 3.24.0), with and without
// match probabilities for every returned unit, alternating the two on the
// same 200 patients in the same run. Reports p50/p99 of each and their
// ratio, and the cost per returned unit. Run:
//
//	go test -run '^$' -bench SearchProbabilities -benchtime 1x ./bank/match
//
// CORDBANK_BENCH_PROB_UNITS sets the size (default 1,000,000).
func BenchmarkSearchProbabilities(b *testing.B) {
	g := realGrader(b)
	cau := heglSet(b, g, "CAU")
	res, err := freq.Resolve(freq.Find(heglSets, "CAU"), g.ref)
	if err != nil {
		b.Fatal(err)
	}
	size := envInt("CORDBANK_BENCH_PROB_UNITS", benchsize.Of(1_000_000, 2_000))
	gn := newHEGLGen(13, res)
	x := NewIndex(g, WithClock(func() time.Time { return testNow }))
	base := synthUnits(size)
	for i := 0; i < size; i += 20_000 {
		batch := base[i:min(i+20_000, size)]
		for _, u := range batch {
			u.HLA = gn.unitTyping()
		}
		if err := x.Load(batch, banksOf(genBanks...)); err != nil {
			b.Fatal(err)
		}
	}
	base = nil
	runtime.GC()
	ps, err := NewPredictors([]*Predictor{cau}, "CAU", nil)
	if err != nil {
		b.Fatal(err)
	}
	x.SetPredictors(ps)
	var reqs []*Request
	for range 200 {
		reqs = append(reqs, &Request{Patient: Patient{HLA: gn.patientTyping()}, WeightKg: 20 + 50*gn.r.Float64(),
			Disease: Malignant, Criterion: Criterion6of6, AsOf: unit.DateOf(testNow)})
	}
	off, on := false, true
	b.ResetTimer()
	for range b.N {
		lat := map[string][]float64{}
		results := map[string]int{}
		for _, r := range reqs {
			for _, m := range []struct {
				name  string
				prob  *bool
				order []RankKey
			}{
				{"without", &off, nil},
				{"with-probabilities", &on, DefaultOrder}, // today's order, probabilities per result
				{"with-likelihood-ranking", &on, nil},     // the default with a set: ranked by P(6/6)
			} {
				req := *r
				req.Probabilities = m.prob
				req.Policy.Order = m.order
				start := time.Now()
				res, err := x.Search(context.Background(), &req)
				if err != nil {
					b.Fatal(err)
				}
				lat[m.name] = append(lat[m.name], float64(time.Since(start).Microseconds())/1000)
				results[m.name] += len(res.Matches)
			}
		}
		for name, l := range lat {
			slices.Sort(l)
			b.ReportMetric(l[len(l)/2], name+"-p50-ms")
			b.ReportMetric(l[len(l)*99/100], name+"-p99-ms")
		}
		w := lat["without"]
		for _, name := range []string{"with-probabilities", "with-likelihood-ranking"} {
			l := lat[name]
			b.ReportMetric(l[len(l)*99/100]/w[len(w)*99/100], name+"-p99-ratio")
			sumOn, sumOff := 0.0, 0.0
			for i := range l {
				sumOn += l[i]
				sumOff += w[i]
			}
			b.ReportMetric(1000*(sumOn-sumOff)/float64(results[name]), name+"-us/result")
		}
		b.ReportMetric(float64(results["without"])/float64(len(reqs)), "results/search")
		b.ReportMetric(float64(x.Len()), "units")
	}
}

// synthUnits are n generated units (doses, dates, banks) whose typings the
// benchmark replaces.
func synthUnits(n int) []*bank.Unit { return newGen(42, 0, false).units(n, 0) }

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkLoadHEGL2007 loads the four HEGL 2007 sets, reads them against
// IPD-IMGT/HLA 3.24.0 and prepares them for prediction, reporting the heap
// they keep (MB) and the time (the ns/op). Run:
//
//	go test -run '^$' -bench LoadHEGL2007 -benchmem ./bank/match
func BenchmarkLoadHEGL2007(b *testing.B) {
	g := realGrader(b)
	heglSet(b, g, "CAU") // skips when absent
	dir := heglDir()
	var keep *Predictors
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for range b.N {
		sets, err := freq.LoadDir(dir)
		if err != nil {
			b.Fatal(err)
		}
		ps, _, err := PredictorsFromSets(g, sets, "CAU", nil)
		if err != nil {
			b.Fatal(err)
		}
		keep = ps
	}
	b.StopTimer()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/1e6, "MB-kept")
	b.ReportMetric(float64(len(keep.Sets())), "sets")
}
