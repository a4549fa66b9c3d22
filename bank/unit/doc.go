// Package unit is the rules of a cord blood unit's identity and dates: the
// ISBT 128 Donation Identification Number (DIN) a unit is keyed by, how
// people and scanners write it and how it is normalised, its ISO/IEC 7064
// Mod 37-2 check character, the Facility Identification Number (FIN) that
// ties it to a bank, and the calendar Date (no time, no zone) that the
// collection, processing and birth dates and the status end dates are;
// and the plausibility rules of a unit's values: the limits, the order of
// its dates (Dates.Check), absolute cell counts, volumes in millilitres,
// whole-number ranges and free text.
//
// The unit record itself (bank.Unit) and its use cases stay in bank: every
// concern reads a unit, so it is bank's shared type, keyed by a unit.DIN.
// bank/unit_validate.go applies these rules, with the enumerations and the
// HLA reference data, to a bank.Unit; field violations are added to a
// Violations the caller gives (*bank.Violations is one). The resource name
// of a unit is bank/names'.
//
// # Dependencies
//
// It imports only the standard library, and nothing of package bank (which
// imports it): bank/purity_test.go checks.
package unit
