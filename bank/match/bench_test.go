package match

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/cordbank/cordbank/internal/benchsize"
)

// BenchmarkRegistry builds an index of a synthetic public registry (100,000
// and 1,000,000 units; IPD-IMGT/HLA 3.24.0 when present, else syntax-only)
// and reports build time (s/build), heap per unit (B/unit) and the p50/p99
// latency of 200 searches for random patients drawn from the same
// frequencies, with the default filters. Run:
//
//	go test -run '^$' -bench . -benchtime 1x -benchmem ./bank/match
func BenchmarkRegistry(b *testing.B) {
	var g *Grader
	if realRefAvailableB(b) {
		g = realGrader(b)
	} else {
		g = NewGrader(nil)
	}
	for _, size := range benchsize.Sizes([]int{100_000, 1_000_000}, 2_000) {
		b.Run(fmt.Sprintf("units=%d", size), func(b *testing.B) {
			var x *Index
			gn := newGen(42, 300, g.Release() != "")
			b.Run("build", func(b *testing.B) {
				runtime.GC()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				x = NewIndex(g, WithClock(func() time.Time { return testNow }))
				var build time.Duration
				const batch = 20_000
				for done := 0; done < size; done += batch {
					units := gn.units(min(batch, size-done), uint64(done))
					start := time.Now()
					if err := x.Load(units, banksOf(genBanks...)); err != nil {
						b.Fatal(err)
					}
					build += time.Since(start)
				}
				runtime.GC()
				var after runtime.MemStats
				runtime.ReadMemStats(&after)
				b.ReportMetric(build.Seconds(), "s/build")
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(x.Len()), "B/unit")
				b.ReportMetric(float64(x.Len()), "units")
			})
			if x == nil {
				b.Skip("no index")
			}
			for _, c := range []struct {
				name   string
				crit   Criterion
				double bool
			}{{"search-8of8", Criterion8of8, false}, {"search-6of6", Criterion6of6, false}, {"double-8of8", Criterion8of8, true}} {
				b.Run(c.name, func(b *testing.B) {
					var lat []float64
					found := 0
					for range 200 {
						req := gn.request(c.crit)
						start := time.Now()
						if c.double {
							res, err := x.SearchDouble(context.Background(), req)
							if err != nil {
								b.Fatal(err)
							}
							found += len(res.Pairs)
						} else {
							res, err := x.Search(context.Background(), req)
							if err != nil {
								b.Fatal(err)
							}
							found += len(res.Matches)
						}
						lat = append(lat, float64(time.Since(start).Microseconds())/1000)
					}
					slices.Sort(lat)
					b.ReportMetric(lat[len(lat)/2], "p50-ms")
					b.ReportMetric(lat[len(lat)*99/100], "p99-ms")
					b.ReportMetric(float64(found)/float64(len(lat)), "results/search")
				})
			}
		})
	}
}

func realRefAvailableB(b *testing.B) bool {
	ok := false
	b.Run("load-imgt", func(b *testing.B) {
		realGrader(b)
		ok = realRef != nil
	})
	return ok
}
