// Package bank is cordbank's domain core: banks and their cord blood units,
// the units' lifecycle and reservations, their freezer storage and the
// tanks' temperature, the audit trail that records every change, and the
// principals and tokens that make changes. Service holds the use cases;
// Store is the persistence port they run over.
//
// # Concerns
//
// Each concern has a reader and a writer interface in store.go, composed
// into ReadTx and Tx, and its own conformance groups in bank/banktest. A
// concern whose rules stand on their own has a subpackage for them (its
// types, validation, state machines and algorithms, with their own tests);
// its use cases stay methods of Service, in bank files named after the
// concern, that run those rules in a transaction, check the caller and
// record the audit events:
//
//	concern                package: files                       port (store.go)       banktest groups
//	banks and units        bank/unit: the DIN, its check        RegistryReader/Writer Banks Units Pagination
//	                       character and the FIN, Date, the     CountReader           Import Registry Counts
//	                       plausibility rules of dates,         .SummarizeUnits
//	                       counts, volumes and text; bank:
//	                       bank.go bank_service.go unit.go
//	                       unit_service.go unit_validate.go
//	                       unit_mask.go unit_json.go
//	                       unit_summary.go hla_check.go
//	                       hla_reread.go typing_report.go
//	lifecycle and          bank/lifecycle: unit statuses, the   ReservationReader/    Lifecycle Reservations
//	reservations           state machine, reservation holds     Writer
//	                       (statuses, expiry, due, allowed
//	                       changes, closing); bank: lifecycle.go
//	                       (rules to errors) reservation.go
//	                       (Reservation) reservation_service.go
//	inventory: storage     bank/inventory: containers and       InventoryReader/      Inventory Counts
//	and temperature        layouts, the container tree,         Writer, CountReader
//	                       placement rules, excursions;         .CountInventory
//	                       bank: inventory.go (Placement, rules
//	                       to errors) inventory_containers.go
//	                       inventory_moves.go
//	                       inventory_temperature.go
//	                       inventory_counts.go
//	audit trail            bank/audit: the change diff, the     AuditReader/Writer,   Events Privacy
//	                       hash chain's encoding and schemes,   CountReader
//	                       chain verification, checkpoints;     .CountResources
//	                       bank: audit.go (Event, appending)
//	                       audit_service.go audit_verify.go
//	                       audit_checkpoint.go audit_state.go
//	                       audit_replay.go event_scope.go
//	                       follow.go
//	principals and tokens  bank/credential: tokens, secrets and TokenReader/Writer    Tokens
//	                       their hashes, expiry, the token
//	                       cache; bank/access: principals,
//	                       roles, the policy; bank:
//	                       credential_service.go access.go
//	                       caller.go
//	requests (idempotency) bank: service.go (fingerprint,       RequestReader/Writer  Idempotency Requests
//	                       replay)
//	shared                 bank: service.go (Service, options,  Store, ReadTx, Tx     Tx Store
//	                       Watcher) store.go errors.go
//	                       pagetoken.go
//
// A concern package imports nothing of bank (bank imports it): what its
// rules need from bank they are given, as parameters or small interfaces
// (inventory.Violations, inventory.Occupants, the token epoch read that
// credential.Cache.Recheck is given, an Event as the audit.Content and
// audit.Link its hash covers, a unit as a lifecycle.Candidate, a Date as a
// lifecycle.Day), and a rule that refuses a change returns the concern's
// own refusal (a refusal.Refusal of its Rule), which bank maps to an
// *Error (inventory.go's refused, lifecycle.go's lifecycleRefused). A
// concern's own enumerations move down with its rules even when other
// concerns read them: lifecycle.Status is the state machine's alphabet,
// so bank.Unit carries a lifecycle.Status, and the DIN and Date are
// bank/unit's (unit.DIN keys a unit everywhere). Types a concern shares
// with the others (Unit, Bank, Event, Error, the page tokens, Placement,
// which keys a unit's place by its DIN, Reservation, which keys a hold by
// the unit's DIN and carries its HLA typing, InventoryCounts, which counts
// units and reservations too) stay in bank, and so does the audit trail's
// state proof (audit_state.go, audit_replay.go): it replays events into
// every resource type of bank and compares them with the store's rows.
//
// Other subpackages: bank/access (roles, the policy table, what each
// principal may see), bank/refusal (how a concern's rule says no, as a
// Refusal of the concern's own Rule type), bank/names (the one place that
// formats resource names: banks/{bank}/units/{din} and its kin), bank/hla (HLA nomenclature and
// reference data), bank/match (matching and the in-memory search index),
// bank/isbt128 (ISBT 128 data structures), bank/jsonenc (the exact JSON of
// audit documents, without reflection), bank/banktest (the conformance suite
// and fixtures; for tests only).
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
// bank/access, bank/audit, bank/credential, bank/inventory, bank/lifecycle,
// bank/unit, bank/names, bank/refusal, bank/jsonenc, ...), and so does each of them; TestDomainImportsOnlyStandardLibrary
// checks.
// It must never import gRPC, protobuf, a SQL driver or net/http: the server
// converts wire types to these domain types, and storage adapters
// (internal/store/...) implement Store in terms of them. Errors returned from
// this package are *Error values carrying a Kind, a stable Reason and field
// violations, so every transport can report them faithfully.
package bank
