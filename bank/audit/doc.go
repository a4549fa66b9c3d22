// Package audit is the audit trail's rules: how a change is recorded as
// the fields it changed (Diff), how an event is encoded and hashed into
// the registry-wide hash chain (the three hash schemes), how a chain is
// verified link by link, and the signed checkpoints that pin its head
// outside the database.
//
// The event itself is bank.Event, shared by every concern; this package
// sees it as its Content (what the content hash covers) and its Link (its
// place in the chain and its stream). The use cases that append, list,
// follow and verify events, and the replay that proves the tables from
// the trail (it reads bank's own resource types and the store), are
// bank.Service's, in bank/audit_*.go.
//
// # Changes
//
// A change is recorded as FieldChanges: each leaf field of the resource
// that differs, under its snake_case path ("cells.post_processing_tnc"),
// its value before and after as JSON ("" for zero). Structs are walked
// into, except times and types with their own JSON encoding, which are
// one value (unit.Date as "YYYY-MM-DD"); slices are one value. The state
// replay in bank walks the resource types with the same Flatten, Leaf and
// FieldName, so it decodes each change into the field it came from.
//
// # Encoding
//
// Every field is written with its length first (varint), so no two
// different events share an encoding. Scheme 1 hashes the position, the
// content and the previous hash in one pass; schemes 2 and 3 hash the
// content alone first (before the write transaction) and then link that
// hash with the position (and, in 3, the stream), so the single writer
// only links. TestHashesAreStable pins each scheme to fixed digests.
//
// # Dependencies
//
// It imports only the standard library, never package bank (which imports
// it): bank/purity_test.go checks.
package audit
