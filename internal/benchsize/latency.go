package benchsize

import (
	"slices"
	"testing"
	"time"
)

// Percentiles returns the median and the 99th percentile of ds (not
// changed). ds must not be empty.
func Percentiles(ds []time.Duration) (p50, p99 time.Duration) {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2], s[len(s)*99/100]
}

// Micros is d in microseconds, as the benchmarks report latencies.
func Micros(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }

// ReportLatencies calls call samples times, one after another, and
// reports the p50 and p99 of their durations (p50-µs, p99-µs).
func ReportLatencies(b *testing.B, samples int, call func(i int)) {
	b.Helper()
	ds := make([]time.Duration, 0, samples)
	for i := range samples {
		t0 := time.Now()
		call(i)
		ds = append(ds, time.Since(t0))
	}
	p50, p99 := Percentiles(ds)
	b.ReportMetric(Micros(p50), "p50-µs")
	b.ReportMetric(Micros(p99), "p99-µs")
}
