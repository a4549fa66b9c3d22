package bank

import (
	"context"
	"time"
)

// Store is the persistence port of the domain. Implementations live in
// internal/store/... and must pass the conformance suite in bank/banktest.
//
// All methods are safe for concurrent use. A Write transaction is
// serializable: two concurrent Writes behave as if run one after the other.
// Errors are *Error values: KindNotFound, KindAlreadyExists,
// KindUnavailable (busy, retry later) or KindInternal.
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
	// Close releases the store; later calls fail.
	Close() error
}

// bulkKey marks a write context as bulk (see WithBulkWrite).
type bulkKey struct{}

// WithBulkWrite marks ctx's Write as bulk work (an import batch): a store
// may commit the small writes queued with it first, so a unary write never
// waits for a whole import batch that arrived at the same moment.
func WithBulkWrite(ctx context.Context) context.Context {
	return context.WithValue(ctx, bulkKey{}, true)
}

// IsBulkWrite reports whether ctx was marked by WithBulkWrite.
func IsBulkWrite(ctx context.Context) bool { b, _ := ctx.Value(bulkKey{}).(bool); return b }

// ReadTx reads inside a transaction.
type ReadTx interface {
	// GetBank returns the bank with id, or KindNotFound.
	GetBank(ctx context.Context, id string) (*Bank, error)
	// ListBanks returns up to limit banks with ID > after, ordered by ID.
	ListBanks(ctx context.Context, after string, limit int) ([]*Bank, error)
	// GetUnit returns the unit of bank with din, or KindNotFound (also when
	// the DIN belongs to another bank).
	GetUnit(ctx context.Context, bank string, din DIN) (*Unit, error)
	// ListUnits returns up to q.Limit units matching q, ordered by DIN.
	ListUnits(ctx context.Context, q UnitQuery) ([]*Unit, error)
	// GetRequest returns the record of an earlier request with this id, or
	// (nil, nil) when there is none.
	GetRequest(ctx context.Context, requestID string) (*RequestRecord, error)
	// ListEvents returns up to q.Limit audit events with Seq > q.AfterSeq
	// matching q, in Seq order. Events become visible in Seq order with no
	// holes (a Write is serializable and each event links its
	// predecessor), so a reader that saw event n has seen every event
	// before it: paging on Seq never skips a committed event.
	ListEvents(ctx context.Context, q EventQuery) ([]*Event, error)
	// LastEvent returns the newest audit event, or (nil, nil) when there is
	// none.
	LastEvent(ctx context.Context) (*Event, error)
	// ListEventsByResource returns up to limit events ordered by resource
	// name, then Seq, after the event (afterResource, afterSeq): every
	// event of one resource together, for Service.VerifyState.
	ListEventsByResource(ctx context.Context, afterResource string, afterSeq int64, limit int) ([]*Event, error)
	// CountResources counts the bank, unit, reservation, container and
	// storage position rows.
	CountResources(ctx context.Context) (ResourceCounts, error)
	// GetReservation returns the reservation with id, or KindNotFound.
	GetReservation(ctx context.Context, id string) (*Reservation, error)
	// OpenReservation returns the open (ACTIVE or SHIPMENT_REQUESTED)
	// reservation of the unit with din, or (nil, nil).
	OpenReservation(ctx context.Context, din DIN) (*Reservation, error)
	// ListReservations returns up to q.Limit reservations matching q, in
	// id order after q.AfterID.
	ListReservations(ctx context.Context, q ReservationQuery) ([]*Reservation, error)
	// DueReservations returns up to limit ACTIVE reservations whose expiry
	// is at or before now, oldest expiry first.
	DueReservations(ctx context.Context, now time.Time, limit int) ([]*Reservation, error)
	// CountInventory counts units by bank, status and type, open
	// reservations by bank (with the ACTIVE ones expiring before
	// expiringBefore), and open excursions by bank.
	CountInventory(ctx context.Context, expiringBefore time.Time) (*InventoryCounts, error)
	// SummarizeUnits counts the units of bank (public ones only when
	// publicOnly) as AddToSummary does.
	SummarizeUnits(ctx context.Context, bank string, publicOnly bool) (*UnitSummary, error)

	// Storage (bank/container.go, bank/temperature.go).

	// GetContainer returns a container of bank, or KindNotFound with
	// ReasonContainerNotFound.
	GetContainer(ctx context.Context, bank, id string) (*Container, error)
	// ListContainers returns up to q.Limit containers (all when 0) matching
	// q, ordered by ID.
	ListContainers(ctx context.Context, q ContainerQuery) ([]*Container, error)
	// GetPlacement returns where a unit of bank is stored, or (nil, nil).
	GetPlacement(ctx context.Context, bank string, din DIN) (*Placement, error)
	// ListPlacements returns the placements in the given containers of
	// bank (every placement of the bank when containers is nil).
	ListPlacements(ctx context.Context, bank string, containers []string) ([]*Placement, error)
	// CountPlacements returns the number of units in each container of
	// bank that holds any.
	CountPlacements(ctx context.Context, bank string) (map[string]int, error)
	// GetOpenExcursion returns the open excursion of a tank, or (nil, nil).
	GetOpenExcursion(ctx context.Context, bank, container string) (*Excursion, error)
	// ListExcursions returns up to q.Limit excursions matching q, by ID.
	ListExcursions(ctx context.Context, q ExcursionQuery) ([]*Excursion, error)

	// Credentials (bank/principal.go).

	// GetToken returns the token with id, or KindNotFound with
	// ReasonTokenNotFound.
	GetToken(ctx context.Context, id string) (*Token, error)
	// GetTokenByHash returns the newest token whose Hash is hash, or
	// (nil, nil).
	GetTokenByHash(ctx context.Context, hash string) (*Token, error)
	// ListTokens returns every token, ordered by ID.
	ListTokens(ctx context.Context) ([]*Token, error)
	// TokenEpoch returns a number that changes whenever a token is
	// created or revoked, by any process using the store's database: the
	// token cache (TokenRecheckEvery) reads it to notice a revocation made
	// elsewhere. It must be cheap (a store holds tens of tokens).
	TokenEpoch(ctx context.Context) (int64, error)
}

// Tx reads and writes inside a transaction.
type Tx interface {
	ReadTx
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
	// PutRequest records a completed non-idempotent request, so a retry
	// with the same id can be answered with the first result.
	PutRequest(ctx context.Context, r *RequestRecord) error
	// AppendEvent stores an audit event exactly as given (the domain sets
	// Seq, PrevHash, Hash and HashScheme); KindAlreadyExists when its Seq is taken.
	AppendEvent(ctx context.Context, e *Event) error
	// AppendEvents is AppendEvent for consecutive events, in order.
	AppendEvents(ctx context.Context, events []*Event) error
	// InsertReservation stores a new reservation; KindFailedPrecondition
	// (ReasonUnitNotReservable) when the unit already has an open one.
	InsertReservation(ctx context.Context, r *Reservation) error
	// UpdateReservation replaces a reservation, keyed by ID.
	UpdateReservation(ctx context.Context, r *Reservation) error

	// InsertContainer stores a new container; KindAlreadyExists with
	// ReasonContainerAlreadyExists (ID taken) or ReasonLabelAlreadyExists
	// (label taken in the bank).
	InsertContainer(ctx context.Context, c *Container) error
	// UpdateContainer replaces a container's stored fields, keyed by bank
	// and ID. Two containers in one position of a parent are refused with
	// KindFailedPrecondition, ReasonPositionOccupied.
	UpdateContainer(ctx context.Context, c *Container) error
	// PutPlacement stores where a unit is, replacing its earlier
	// placement. A position already holding another unit is refused with
	// KindFailedPrecondition, ReasonPositionOccupied (a UNIQUE constraint
	// backs the domain's own check).
	PutPlacement(ctx context.Context, p *Placement) error
	// DeletePlacement removes a unit's placement; no error when it had none.
	DeletePlacement(ctx context.Context, bank string, din DIN) error
	// InsertReading stores a temperature reading.
	InsertReading(ctx context.Context, r *TemperatureReading) error
	// InsertExcursion stores a new excursion and sets its ID.
	InsertExcursion(ctx context.Context, e *Excursion) error
	// UpdateExcursion replaces an excursion's stored fields, keyed by ID.
	UpdateExcursion(ctx context.Context, e *Excursion) error

	// InsertToken stores a new token; KindAlreadyExists when its ID or an
	// unrevoked token's Hash is taken.
	InsertToken(ctx context.Context, t *Token) error
	// UpdateToken replaces a token's revoke and last-use times, keyed by ID.
	UpdateToken(ctx context.Context, t *Token) error
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
	DIN              DIN
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
	// WithholdPrivateUnits leaves out the events of private (autologous,
	// directed) units and of resources below them (their reservations):
	// the audit trail as readers outside the owning bank may see it. A
	// unit's type never changes, so neither does this selection.
	WithholdPrivateUnits bool
	AfterSeq             int64 // only events after this position
	Limit                int
}

// UnitQuery selects units. Empty filter slices match all.
type UnitQuery struct {
	// Bank restricts the query to one bank; "" means every bank (used by
	// maintenance tasks and index builds, never by client-facing lists).
	Bank     string
	Statuses []Status
	Types    []UnitType
	ABOs     []ABO
	// CollectedFrom and CollectedTo bound the collection date, inclusive;
	// zero means unbounded.
	CollectedFrom Date
	CollectedTo   Date
	// AfterDIN is the keyset cursor: only DINs greater than it.
	AfterDIN DIN
	Limit    int
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
