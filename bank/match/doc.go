// Package match is cordbank's cord blood matching engine: it grades a
// patient's HLA typing against units (domain.md §4.2), applies the search
// policy's hard filters (status, attached segment, RBC depletion, unit age,
// accreditation, cell dose per kg, match grade, donor-specific antibodies) and
// ranks the survivors lexicographically (domain.md §4.6), for single units
// and for pairs of units (double-unit grafts).
//
// It imports only the standard library, the domain types of package bank and
// the HLA nomenclature libraries bank/hla and bank/hla/freq. It never touches storage or a
// transport: the server converts wire requests to Request, and storage writes
// keep an Index in sync through Upsert and Remove.
//
// The pieces:
//
//   - Grader prepares typings (parse and reduce once, against one
//     IPD-IMGT/HLA release or none) and grades them: GradeLocus, Grade. These
//     are pure: the result depends only on the typings, the criterion and the
//     release.
//   - Policy holds the filters and the ranking order as data, with the
//     defaults of domain.md §4.6 (DefaultPolicy); a Request may tighten or
//     relax them through Overrides. Request.Validate reports every bad field
//     at once as a *bank.Error of KindInvalid.
//   - Index is an in-memory, concurrency-safe copy of the searchable units,
//     reduced once per unit at Upsert, and searched by a scan over compact
//     24-byte entries (Search, SearchDouble). Entries are kept partitioned
//     with the prime ones (available, public, segment attached, red cells
//     depleted) first, so a default-policy search scans only those.
//   - Predictor computes match probabilities under one haplotype frequency
//     set, exactly over every genotype each side's typing admits (Predict;
//     the method is described at the top of predict.go). Predictors holds
//     the loaded sets (a default, one per bank); with them an Index gives
//     every search result its Prediction, ranks by likelihood by default
//     (RankLikelihood) and names the units worth confirmatory typing.
//
// Decisions where domain.md is silent are documented on the type or function
// that implements them; the package README-style summary lives in the
// comments of Policy (filters and ordering) and of GradeLocus (grading).
package match
