// Package postgres implements bank.Store on a PostgreSQL database through
// github.com/jackc/pgx/v5, for registries that outgrow one machine or keep
// their records where their IT already backs up and replicates them.
//
// Its job is the same as internal/store/sqlite's, on the same schema
// (migrations/, mirroring SQLite's final schema column for column, with the
// same encoding from internal/store/rowenc), so the conformance suite in
// bank/banktest passes on both and `cordbank migrate-store` copies a
// database from one to the other with every value, and so every audit
// hash, unchanged.
//
// Rules:
//   - It speaks domain types only (package bank); callers never see a pgx
//     type or a PostgreSQL error: unique violations become
//     KindAlreadyExists or KindFailedPrecondition with the reason SQLite's
//     adapter gives, lost connections and serialization failures
//     KindUnavailable, anything unexpected KindInternal.
//   - Writes are serialized by one transaction-level advisory lock, taken
//     first in every write transaction (see Store.Write for why), so the
//     audit chain stays one gapless chain with any number of Store values
//     or servers over one database.
//   - No statement of a write runs under a cancellable context: a request's
//     context decides only whether its transaction is committed, checked
//     before the lock and before COMMIT.
//   - It enforces no business rule; the schema only refuses what would
//     make the data unreadable or break an invariant the domain relies on
//     (one open hold per unit, one unit per position).
package postgres
