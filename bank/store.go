package bank

import (
	"context"
	"time"

	"github.com/cordbank/cordbank/bank/credential"
	"github.com/cordbank/cordbank/bank/inventory"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
)

// Store is the persistence port of the domain. Implementations live in
// internal/store/... and must pass the conformance suite in bank/banktest.
//
// Stores keep no reference to the values they are given, and the values
// they return are the caller's to change.
//
// All methods are safe for concurrent use. A Write transaction is
// serializable: two concurrent Writes behave as if run one after the other.
// Errors are *Error values: KindNotFound, KindAlreadyExists,
// KindFailedPrecondition (a constraint a method's contract names),
// KindUnavailable (busy, retry later) or KindInternal; or the context's
// error when ctx ended first.
type Store interface {
	// Read runs fn in a read-only transaction that sees one consistent
	// snapshot. fn must not retain tx after it returns.
	Read(ctx context.Context, fn func(tx ReadTx) error) error
	// Write runs fn in a read-write transaction. When fn returns nil, all
	// of its writes are committed durably together; when it returns an
	// error, none are, and that error is returned unchanged.
	Write(ctx context.Context, fn func(tx Tx) error) error
	// Ping reports whether the store can serve requests (health checks).
	Ping(ctx context.Context) error
	// Close releases the store. Later calls fail with KindUnavailable
	// (Write without running fn); closing again returns nil.
	Close() error
}

// bulkKey marks a write context as bulk (see WithBulkWrite).
type bulkKey struct{}

// WithBulkWrite marks ctx's Write as bulk work, one that may change
// thousands of rows (an import batch, an evacuation, a page of the HLA
// re-read): a store may commit the small writes queued with it first, so
// a unary write never waits for a whole import batch that arrived at the
// same moment, and it need not keep the bulk write's undo pages in memory
// (the SQLite store's sub-journal). TestManyRowWritesAreBulk.
func WithBulkWrite(ctx context.Context) context.Context {
	return context.WithValue(ctx, bulkKey{}, true)
}

// IsBulkWrite reports whether ctx was marked by WithBulkWrite.
func IsBulkWrite(ctx context.Context) bool { b, _ := ctx.Value(bulkKey{}).(bool); return b }

// ReadTx reads inside a transaction: every concern's reader, over one
// snapshot. It is composed from per-concern interfaces (as openfga composes
// its storage interface) so a helper can ask for the one concern it reads
// and bank/banktest can hold a conformance group per concern; the method
// set is the sum of them and nothing more.
type ReadTx interface {
	RegistryReader
	ReservationReader
	InventoryReader
	AuditReader
	TokenReader
	RequestReader
	CountReader
}

// Tx reads and writes inside a transaction: ReadTx plus every concern's
// writer. A writer's changes are visible to the same transaction's reads
// at once, and to others only after Write commits.
type Tx interface {
	ReadTx
	RegistryWriter
	ReservationWriter
	InventoryWriter
	AuditWriter
	TokenWriter
	RequestWriter
}

// Units and banks (bank.go, unit*.go; conformance: banktest groups Banks,
// Units, Pagination, Import, Registry).

// RegistryReader reads banks and their units. Units are returned with
// their HLA readings, private part and lifecycle fields exactly as last
// written.
type RegistryReader interface {
	// GetBank returns the bank with id, or KindNotFound.
	GetBank(ctx context.Context, id string) (*Bank, error)
	// ListBanks returns up to limit banks with ID > after, ordered by ID.
	ListBanks(ctx context.Context, after string, limit int) ([]*Bank, error)
	// GetUnit returns the unit of bank with din, or KindNotFound (also when
	// the DIN belongs to another bank).
	GetUnit(ctx context.Context, bank string, din unit.DIN) (*Unit, error)
	// ListUnits returns up to q.Limit units matching q, ordered by DIN.
	ListUnits(ctx context.Context, q UnitQuery) ([]*Unit, error)
}

// RegistryWriter writes banks and units. Version, times and status are
// the domain's to set: the store writes them as given.
type RegistryWriter interface {
	// InsertBank stores a new bank; KindAlreadyExists when the ID or the
	// FIN is taken (Reason says which).
	InsertBank(ctx context.Context, b *Bank) error
	// UpdateBank replaces a bank's mutable fields, keyed by ID.
	UpdateBank(ctx context.Context, b *Bank) error
	// InsertUnit stores a new unit; KindAlreadyExists when its DIN is
	// registered (in any bank: DINs are globally unique).
	InsertUnit(ctx context.Context, u *Unit) error
	// InsertUnits stores new units in order, as InsertUnit would one by
	// one: errs[i] is the KindAlreadyExists error of a unit whose DIN is
	// registered (also earlier in the same call), nil when it was stored.
	// Any other failure is returned as err, and the transaction must then
	// be abandoned. Stores use it to encode rows off the writer.
	InsertUnits(ctx context.Context, units []*Unit) (errs []error, err error)
	// UpdateUnit replaces a unit's stored fields, keyed by DIN.
	UpdateUnit(ctx context.Context, u *Unit) error
}

// Lifecycle and reservations (lifecycle.go, reservation*.go; conformance:
// banktest groups Lifecycle, Reservations).

// ReservationReader reads reservations (holds on units). Open means ACTIVE
// or SHIPMENT_REQUESTED (Reservation.Open).
type ReservationReader interface {
	// GetReservation returns the reservation with id, or KindNotFound.
	GetReservation(ctx context.Context, id string) (*Reservation, error)
	// OpenReservation returns the open (ACTIVE or SHIPMENT_REQUESTED)
	// reservation of the unit with din, or (nil, nil).
	OpenReservation(ctx context.Context, din unit.DIN) (*Reservation, error)
	// ListReservations returns up to q.Limit reservations matching q, in
	// id order after q.AfterID.
	ListReservations(ctx context.Context, q ReservationQuery) ([]*Reservation, error)
	// DueReservations returns up to limit ACTIVE reservations whose expiry
	// is at or before now, oldest expiry first.
	DueReservations(ctx context.Context, now time.Time, limit int) ([]*Reservation, error)
}

// ReservationWriter writes reservations; CTTyping is kept as submitted
// (each typing's Locus and Text, not a Reading). At most one reservation of a unit
// is open at any time, whatever the concurrency: the store enforces it
// (a constraint, not only the domain's read-then-write), so two
// transactions reserving one unit cannot both commit.
type ReservationWriter interface {
	// InsertReservation stores a new reservation; KindFailedPrecondition
	// (ReasonUnitNotReservable) when the unit already has an open one.
	InsertReservation(ctx context.Context, r *Reservation) error
	// UpdateReservation replaces a reservation, keyed by ID: KindNotFound
	// (ReasonReservationNotFound) for an unknown ID, KindFailedPrecondition
	// (ReasonUnitNotReservable) when it would reopen a hold on a unit that
	// has another open one.
	UpdateReservation(ctx context.Context, r *Reservation) error
}

// Inventory: freezer storage and temperature (rules: bank/inventory; use
// cases: inventory_*.go; conformance: banktest group Inventory).

// InventoryReader reads a bank's containers, the units' placements in
// them, and the tanks' temperature excursions. Every query is within one
// bank: ids of another bank's containers are never found.
type InventoryReader interface {
	// GetContainer returns a container of bank, or KindNotFound with
	// ReasonContainerNotFound.
	GetContainer(ctx context.Context, bank, id string) (*inventory.Container, error)
	// ListContainers returns up to q.Limit containers (all when 0) matching
	// q, ordered by ID.
	ListContainers(ctx context.Context, q ContainerQuery) ([]*inventory.Container, error)
	// GetPlacement returns where a unit of bank is stored, or (nil, nil).
	GetPlacement(ctx context.Context, bank string, din unit.DIN) (*Placement, error)
	// ListPlacements returns the placements in the given containers of
	// bank (every placement of the bank when containers is nil).
	ListPlacements(ctx context.Context, bank string, containers []string) ([]*Placement, error)
	// CountPlacements returns the number of units in each container of
	// bank that holds any.
	CountPlacements(ctx context.Context, bank string) (map[string]int, error)
	// GetOpenExcursion returns the open excursion of a tank, or (nil, nil).
	GetOpenExcursion(ctx context.Context, bank, container string) (*inventory.Excursion, error)
	// ListExcursions returns up to q.Limit excursions matching q, by ID.
	ListExcursions(ctx context.Context, q ExcursionQuery) ([]*inventory.Excursion, error)
}

// InventoryWriter writes containers, placements, readings and excursions.
// Whatever the concurrency, a position of a container holds at most one
// unit and at most one child container, and a tank has at most one open
// excursion: the store enforces these (constraints back the domain's own
// checks), so two transactions filling one position cannot both commit.
// Readings and excursions are stored only for a tank the domain has read
// in the same transaction; a store may refuse others with any error.
type InventoryWriter interface {
	// InsertContainer stores a new container; KindAlreadyExists with
	// ReasonContainerAlreadyExists (ID taken in the bank) or
	// ReasonLabelAlreadyExists (label taken in the bank); a taken position
	// of the parent as UpdateContainer.
	InsertContainer(ctx context.Context, c *inventory.Container) error
	// UpdateContainer replaces a container's stored fields, keyed by bank
	// and ID (KindNotFound, ReasonContainerNotFound, for an unknown one).
	// Two containers in one position of a parent are refused with
	// KindFailedPrecondition, ReasonPositionOccupied.
	UpdateContainer(ctx context.Context, c *inventory.Container) error
	// PutPlacement stores where a unit is, replacing its earlier
	// placement. A position already holding another unit is refused with
	// KindFailedPrecondition, ReasonPositionOccupied (a UNIQUE constraint
	// backs the domain's own check); an unknown container or unit with
	// KindNotFound, ReasonContainerNotFound.
	PutPlacement(ctx context.Context, p *Placement) error
	// DeletePlacement removes a unit's placement; no error when it had none.
	DeletePlacement(ctx context.Context, bank string, din unit.DIN) error
	// InsertReading stores a temperature reading.
	InsertReading(ctx context.Context, r *inventory.TemperatureReading) error
	// InsertExcursion stores a new excursion and sets its ID, greater than
	// every ID before it. A second open excursion of one tank is refused
	// with KindFailedPrecondition (ReasonFailedPrecondition).
	InsertExcursion(ctx context.Context, e *inventory.Excursion) error
	// UpdateExcursion replaces an excursion's stored fields, keyed by ID.
	UpdateExcursion(ctx context.Context, e *inventory.Excursion) error
}

// Audit events (rules: bank/audit; use cases: audit_*.go; conformance:
// banktest group Events).

// AuditReader reads the audit trail. Events are returned exactly as
// appended (every field, Changes in order), so hashes recomputed from them
// match.
type AuditReader interface {
	// ListEvents returns up to q.Limit audit events with Seq > q.AfterSeq
	// matching q, in Seq order. Events become visible in Seq order with no
	// holes (a Write is serializable and each event links its
	// predecessor), so a reader that saw event n has seen every event
	// before it: paging on Seq never skips a committed event.
	ListEvents(ctx context.Context, q EventQuery) ([]*Event, error)
	// LastEvent returns the newest audit event, or (nil, nil) when there is
	// none.
	LastEvent(ctx context.Context) (*Event, error)
	// StreamHead returns the StreamSeq of the newest event of stream (see
	// Event.Stream), 0 when the stream has none.
	StreamHead(ctx context.Context, stream string) (int64, error)
	// StreamEventSeq returns the Seq of the event at position streamSeq of
	// stream, or KindNotFound. Page tokens and resumed watches name events
	// by stream position; this finds their place in the chain.
	StreamEventSeq(ctx context.Context, stream string, streamSeq int64) (int64, error)
	// ListEventsByResource returns up to limit events ordered by resource
	// name, then Seq, after the event (afterResource, afterSeq): every
	// event of one resource together, for Service.VerifyState.
	ListEventsByResource(ctx context.Context, afterResource string, afterSeq int64, limit int) ([]*Event, error)
}

// AuditWriter appends to the audit trail; nothing updates or deletes an
// event. A Seq is stored at most once, and a StreamSeq at most once in its
// Stream, so two transactions that read the same head and append after it
// cannot both commit: the trail, and each stream in it, stays gapless under
// concurrent writers.
type AuditWriter interface {
	// AppendEvent stores an audit event exactly as given (the domain sets
	// Seq, PrevHash, Hash, HashScheme, Stream and StreamSeq);
	// KindAlreadyExists when its Seq, or its StreamSeq in its Stream, is
	// taken.
	AppendEvent(ctx context.Context, e *Event) error
	// AppendEvents is AppendEvent for consecutive events, in order.
	AppendEvents(ctx context.Context, events []*Event) error
}

// Principals and tokens (rules: bank/credential; use cases:
// credential_service.go; conformance: banktest group Tokens).

// TokenReader reads API tokens and certificate mappings. A store holds
// only secrets' hashes, never a secret.
type TokenReader interface {
	// GetToken returns the token with id, or KindNotFound with
	// ReasonTokenNotFound.
	GetToken(ctx context.Context, id string) (*credential.Token, error)
	// GetTokenByHash returns the token whose Hash is hash: the unrevoked
	// one when there is one (at most one is), else the newest revoked one;
	// (nil, nil) when none has it.
	GetTokenByHash(ctx context.Context, hash string) (*credential.Token, error)
	// ListTokens returns every token, ordered by ID.
	ListTokens(ctx context.Context) ([]*credential.Token, error)
	// TokenEpoch returns a number that changes whenever a token is
	// created or revoked, by any process using the store's database: the
	// token cache (TokenRecheckEvery) reads it to notice a revocation made
	// elsewhere. It must be cheap (a store holds tens of tokens).
	TokenEpoch(ctx context.Context) (int64, error)
}

// TokenWriter writes tokens. Among unrevoked tokens a Hash is unique, so
// a secret (or certificate name) authenticates at most one principal; a
// revoked token's hash may be issued again.
type TokenWriter interface {
	// InsertToken stores a new token; KindAlreadyExists when its ID or an
	// unrevoked token's Hash is taken.
	InsertToken(ctx context.Context, t *credential.Token) error
	// UpdateToken replaces a token's revoke and last-use times, keyed by
	// ID: KindNotFound (ReasonTokenNotFound) for an unknown ID, an error
	// when un-revoking it would give its Hash a second unrevoked token.
	UpdateToken(ctx context.Context, t *credential.Token) error
}

// Requests and idempotency (service.go replay; conformance: banktest
// groups Idempotency, Requests).

// RequestReader reads the records of requests that carried a request_id.
// Request ids are global, across banks and methods.
type RequestReader interface {
	// GetRequest returns the record of an earlier request with this id, or
	// (nil, nil) when there is none.
	GetRequest(ctx context.Context, requestID string) (*RequestRecord, error)
}

// RequestWriter records completed requests in the transaction of their
// change, so a retry finds the record exactly when the change committed.
type RequestWriter interface {
	// PutRequest records a completed non-idempotent request, so a retry
	// with the same id can be answered with the first result.
	PutRequest(ctx context.Context, r *RequestRecord) error
}

// Counts across concerns (audit_state.go, inventory_counts.go,
// unit_summary.go; conformance: banktest group Counts).

// CountReader counts rows of several concerns in the transaction's one
// snapshot, so the numbers of one call agree with each other and with
// what the same transaction lists.
type CountReader interface {
	// CountResources counts the bank, unit, reservation, container and
	// storage position rows.
	CountResources(ctx context.Context) (ResourceCounts, error)
	// CountInventory counts units by bank, status and type (ordered so),
	// open reservations by bank (ordered by bank; with the ACTIVE ones
	// expiring strictly before expiringBefore), and open excursions by
	// bank. Groups with nothing in them are left out.
	CountInventory(ctx context.Context, expiringBefore time.Time) (*InventoryCounts, error)
	// SummarizeUnits counts the units of bank (public ones only when
	// publicOnly) into a NewUnitSummary: each unit once through Add (its
	// status, type, ABO group and collection year), each AVAILABLE one's
	// post-processing TNC through AddAvailableTNC.
	SummarizeUnits(ctx context.Context, bank string, publicOnly bool) (*UnitSummary, error)
}

// ContainerQuery selects containers of one bank.
type ContainerQuery struct {
	Bank string
	// Parent selects the children of one container; "" with TopLevel
	// selects containers without a parent; "" without TopLevel selects all.
	Parent   string
	TopLevel bool
	AfterID  string // keyset cursor
	Limit    int    // 0: no limit
}

// ExcursionQuery selects excursions of one bank.
type ExcursionQuery struct {
	Bank      string
	Container string // "" for every tank
	// Open: nil for all, else only open (true) or closed (false) ones.
	Open    *bool
	AfterID int64
	Limit   int
}

// ReservationQuery selects reservations. Empty fields match all.
type ReservationQuery struct {
	Bank             string
	DIN              unit.DIN
	TransplantCenter string
	OpenOnly         bool
	// PublicUnitsOnly leaves out the reservations of private units.
	PublicUnitsOnly bool
	AfterID         string
	Limit           int
}

// EventQuery selects audit events. Empty fields match all.
type EventQuery struct {
	Bank     string // events of one bank's resources
	Resource string // events of one resource (a unit's chain of custody)
	// ResourcePrefix keeps events whose resource name starts with it
	// ("banks/b1/units/" for every unit of a bank).
	ResourcePrefix string
	// Methods keeps events recorded by one of these use cases.
	Methods []string
	// Since and Until bound the event time: Since inclusive, Until
	// exclusive; zero means unbounded.
	Since, Until time.Time
	// WithholdPrivateUnits keeps only the public stream (Event.Stream ""),
	// leaving out the events of private (autologous, directed) units and of
	// resources below them (their reservations): the audit trail as
	// readers outside the owning bank may see it.
	WithholdPrivateUnits bool
	AfterSeq             int64 // only events after this position
	Limit                int
}

// UnitQuery selects units. Empty filter slices match all.
type UnitQuery struct {
	// Bank restricts the query to one bank; "" means every bank (used by
	// maintenance tasks and index builds, never by client-facing lists).
	Bank     string
	Statuses []lifecycle.Status
	Types    []UnitType
	ABOs     []ABO
	// CollectedFrom and CollectedTo bound the collection date, inclusive;
	// zero means unbounded.
	CollectedFrom unit.Date
	CollectedTo   unit.Date
	// AfterDIN is the keyset cursor: only DINs greater than it.
	AfterDIN unit.DIN
	Limit    int
	// WithoutReadings returns the units without their HLA readings (each
	// LocusTyping's Reading zero; Text as stored): the search index grades
	// the typing text and reads no reading, and decoding them is the
	// larger part of reading a unit row.
	WithoutReadings bool
}

// RequestRecord remembers a request that carried a request_id (AIP-155).
type RequestRecord struct {
	ID string
	// Method is the use case, e.g. "CreateUnit".
	Method string
	// Fingerprint is a hash of the request's content: a retry must carry
	// the same content, a different request under the same id is refused.
	Fingerprint string
	// Resource is the name of the resource the request created.
	Resource   string
	CreateTime time.Time
}
