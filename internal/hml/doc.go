// Package hml reads HML 1.0.x typing reports (NMDP's Histoimmunogenetics
// Markup Language, namespace http://schemas.nmdp.org/spec/hml/1.0.1, which
// HML 1.0.1, 1.0.2 and 1.0.3 all use).
//
// Parse checks a report against the HML schema and returns what it says:
// its samples, each sample's typings (gene family, date, typing methods)
// and their allele assignments (allele-db, allele-version) with haploid,
// genotype-list or glstring calls. Calls turns a sample's HLA assignments
// into one typing text per locus, the form cordbank's domain reads.
//
// The schema check is a structural validator written from the published
// XSDs (hml-1.0.1.xsd … hml-1.0.3.xsd, NMDP, LGPL-3.0; nothing of them is
// copied here): every element's allowed children in their order and
// counts, every required attribute, the enumerations and patterns, xs:date,
// booleans, positions and the ID/IDREF link of consensus sequences. It is
// Go, not libxml2 over cgo, so the package stays pure Go, fuzzable and
// memory-safe on untrusted input, and so each failure can name the element
// and its line in words a laboratory can act on. What it does not check
// is listed in schema.go.
//
// The package imports only the standard library and knows nothing of
// units, banks or the store: the domain (package bank) applies what it
// returns.
package hml
