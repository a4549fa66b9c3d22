// Package checkpoint keeps the files that make the audit trail's
// checkpoints trustworthy: the Ed25519 signing key (a PEM file, never in
// the database) and the checkpoint log (one signed audit.Checkpoint per
// line, appended and fsynced, outside the database).
//
// It depends on the domain (bank) and the standard library only; the
// signing itself is audit.SignCheckpoint, so the signed form has one
// definition.
package checkpoint
