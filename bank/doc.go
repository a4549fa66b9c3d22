// Package bank is cordbank's domain core: banks and their cord blood units,
// the units' lifecycle and reservations, their freezer storage and the
// tanks' temperature, the audit trail that records every change, and the
// principals and tokens that make changes. Service holds the use cases;
// Store is the persistence port they run over.
//
// # Concerns
//
// The package is flat today; its files and its port split by concern. Each
// concern has a reader and a writer interface in store.go, composed into
// ReadTx and Tx, and its own conformance groups in bank/banktest:
//
//	concern                files                                port (store.go)       banktest groups
//	banks and units        bank.go bank_service.go unit.go      RegistryReader/Writer Banks Units Pagination
//	                       unit_service.go unit_validate.go     CountReader           Import Registry Counts
//	                       unit_mask.go unit_json.go            .SummarizeUnits
//	                       unit_summary.go din.go date.go
//	                       hla_check.go hla_reread.go
//	                       typing_report.go
//	lifecycle and          lifecycle.go reservation.go          ReservationReader/    Lifecycle Reservations
//	reservations           reservation_service.go               Writer
//	inventory: storage     container.go container_service.go    InventoryReader/      Inventory Counts
//	and temperature        container_move.go container_tree.go  Writer, CountReader
//	                       temperature.go inventory_counts.go   .CountInventory
//	audit trail            audit.go audit_service.go            AuditReader/Writer,   Events Privacy
//	                       audit_verify.go audit_state.go       CountReader
//	                       audit_replay.go audit_checkpoint.go  .CountResources
//	                       event_scope.go follow.go
//	principals and tokens  principal.go token_service.go        TokenReader/Writer    Tokens
//	                       caller.go (policy: bank/access)
//	requests (idempotency) service.go (fingerprint, replay)     RequestReader/Writer  Idempotency Requests
//	shared                 service.go (Service, options,        Store, ReadTx, Tx     Tx Store
//	                       Watcher) store.go errors.go
//	                       pagetoken.go
//
// Subpackages: bank/access (roles, the policy table, what each principal
// may see), bank/hla (HLA nomenclature and reference data), bank/match
// (matching and the in-memory search index), bank/jsonenc (the exact JSON
// of audit documents, without reflection), bank/banktest (the conformance
// suite and fixtures; for tests only).
//
// # Invariants
//
// Every mutation appends its audit event in the transaction of the change,
// linked to the previous event by hash, so the trail is one gapless chain
// whatever the concurrency. Every use case checks the caller
// (access.PrincipalFrom) against the access policy inside its own
// transaction and reads only what the caller may see, scoped in the store
// query before paging and counting. Reservations hold at most one open
// hold per unit, and a storage position at most one unit, enforced by the
// store as well as checked by the domain.
//
// # Ownership and concurrency
//
// A Service is safe for concurrent use. Its methods do not change the
// values they are given (CreateUnit and UpdateUnit work on copies,
// ImportUnits copies its batch), with one documented exception:
// PrepareImport takes ownership of its units, because copying each cost an
// import more than validating it. Watchers are told of committed changes
// before the call that made them returns, with the values the call
// returns: they must not change them. Store implementations keep no
// reference to what they are given or return (store.go).
//
// # Dependencies
//
// It imports only the standard library and its own subpackages (bank/hla,
// bank/access, bank/jsonenc); TestDomainImportsOnlyStandardLibrary checks.
// It must never import gRPC, protobuf, a SQL driver or net/http: the server
// converts wire types to these domain types, and storage adapters
// (internal/store/...) implement Store in terms of them. Errors returned from
// this package are *Error values carrying a Kind, a stable Reason and field
// violations, so every transport can report them faithfully.
package bank
