// Package hla parses and reduces HLA typings written in WHO nomenclature.
//
// It is cordbank's HLA nomenclature library and imports only the Go
// standard library. It understands:
//
//   - WHO allele names with one to four fields and an expression suffix
//     (A*02:01:01:131, B*15:220, A*01:01:01:02N), with or without the
//     "HLA-" prefix, which never changes behaviour;
//   - G and P group names (A*01:01:01G, A*01:01P), XX codes (DRB1*13:XX),
//     NMDP multiple allele codes (A*01:AB), NEW (A*NEW) and serological
//     antigens (A2, Cw3, DR15, B3901);
//   - GL Strings (^ | + ~ /, lowest precedence first) and the GLSC wrapper
//     hla#VERSION#GLSTRING.
//
// Reference data (the WMDA files of an IPD-IMGT/HLA release, see LoadDir)
// turns syntax checks into existence checks and makes reductions exact:
// G group, P group, lgx (two-field ARD level), first field and serology.
// A nil *Reference is the first-class "syntax only" mode: every method
// works on it, names are checked by syntax only and reductions truncate
// fields, which is less exact (see Reduce).
//
// Canonical form: String never writes the HLA- prefix (GLSC.String does,
// as GLSC expects full names); allele lists written in short form
// (A*01:06/07) are expanded to full names (A*01:06/A*01:07).
// Parsing the output of String always gives back an equal value.
//
// NEW is written LOCUS*NEW (A*NEW); a bare NEW is accepted only by
// ParseLocusTyping, where the locus is known. It never matches anything.
//
// Reductions are deterministic: allele lists come out sorted in
// nomenclature order (numeric field by field) without duplicates.
//
// A *Reference is immutable after loading and safe for concurrent use.
package hla
