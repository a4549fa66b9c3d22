// Package sqlite implements bank.Store on one SQLite database file through
// github.com/mattn/go-sqlite3 (cgo).
//
// Its job: keep banks, units and request records durably, in a schema a bank
// can read with plain SQL for decades (one column per field, dates as
// 'YYYY-MM-DD', enums as their names, HLA as the submitted text), migrate
// that schema with the embedded SQL files in migrations/, and translate
// driver errors into *bank.Error values (unique DIN -> KindAlreadyExists,
// busy -> KindUnavailable, anything unexpected -> KindInternal).
//
// Rules:
//   - It speaks domain types only (package bank). It never imports wire
//     types (protobuf, gRPC) or the server, and callers never see a driver
//     type or a driver error.
//   - Every write runs on the single writer connection inside Store.Write;
//     reads run on a separate query_only pool inside Store.Read.
//   - It enforces no business rule: validation and lifecycle live in bank.
//     The schema only refuses what would make the data unreadable.
//   - It must pass the conformance suite in bank/banktest.
//   - Backups (backup.go, restore.go) open connections of their own to the
//     file, never the store's: an online backup is a snapshot read, and a
//     restore needs the file closed by every store.
//
// A stored unit's HLA typings come back in a fixed locus order (A, B, C,
// DRB1, DRB3, DRB4, DRB5, DQA1, DQB1, DPA1, DPB1, then any other locus in
// submission order), whatever the order they were submitted in.
package sqlite
