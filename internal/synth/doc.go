// Package synth generates realistic synthetic cord blood units: plausible
// HLA typings drawn from per-locus allele frequencies, cell counts drawn
// around published medians (domain.md §1.6), and consistent dates. It
// feeds the demo inventory (`cordbank serve --demo`), benchmarks and
// property tests. Output is deterministic for a given seed.
//
// The data describe no real person; the frequencies are rounded
// illustrations of common alleles, not a population's reference set.
package synth
