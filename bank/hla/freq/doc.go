// Package freq reads haplotype frequency sets and resolves them against an
// IPD-IMGT/HLA release, for match prediction (bank/match.Predictor).
//
// Three published forms are read (anchors-2.md §3.3):
//
//   - HFX 0.1.0 (Haplotype Frequency eXchange, NMDP): JSON metadata with
//     the cohort's population, the nomenclature version the set was made
//     under, per-locus output resolution and an MD5 checksum, and the
//     frequencies in a CSV beside it (frequencyLocation file://NAME, columns
//     named by frequencyFileHeader) or inline (frequencyData);
//   - ATLAS HF set JSON (Anthony Nolan): nomenclatureVersion, populationId,
//     ethn, donPool and frequencies[] of {a, b, c, drb1, dqb1, frequency};
//   - GRIM CSV (NMDP py-graph-imputation): haplotype,count,freq with
//     ~-joined haplotypes, an optional header, optionally gzipped.
//
// A Set keeps the names as written. Resolve reads them against a loaded
// release: every name is reduced to its two-field ARD (lgx) name, so that
// the set's g/G/P-level entries compare with typings at the level allele
// matching uses; deleted and renamed alleles are followed to their current
// names (hla_nom.txt), and names the release does not know are dropped
// with their frequency counted as unexplained mass, never guessed. Every
// such decision is reported (Report), not hidden.
//
// The package imports only the standard library and bank/hla.
package freq
