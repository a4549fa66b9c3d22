// Package jsonenc appends JSON values to byte slices exactly as
// encoding/json writes them, without reflection or intermediate
// allocations.
//
// It exists for the few documents cordbank writes once per unit on the
// import path (a unit's audit snapshot, an event's change list, a unit's
// HLA readings), where encoding/json's reflection and allocations cost as
// much as storing the unit. Byte-for-byte equality with encoding/json is
// the contract, checked by tests and fuzzing, so a document is the same
// whichever path wrote it: audit hashes cover these bytes.
//
// It lives in the domain because the audit snapshot is the domain's
// document; storage adapters use it too, to write the same bytes. It
// imports only the standard library.
package jsonenc
