// Package benchsize gives the benchmarks their workload: the size the
// README's figures are measured at, or a small one under -short; and the
// one way they time calls and report latency percentiles (latency.go). `make
// test` runs every benchmark once that way (`-short -bench . -benchtime
// 1x`), because compiling a benchmark does not prove it still runs: two
// benchmarks that wrote rows straight into the store broke silently when
// a migration added NOT NULL columns. Figures are never read from a short
// run.
package benchsize

import "testing"

// Of returns full, or short under -short.
func Of(full, short int) int {
	if testing.Short() {
		return short
	}
	return full
}

// Sizes returns full, or short under -short (benchmarks that run at
// several registry sizes).
func Sizes(full []int, short ...int) []int {
	if testing.Short() {
		return short
	}
	return full
}
