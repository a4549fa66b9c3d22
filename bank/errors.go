package bank

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Kind classifies an error the way a caller must react to it. Transports map
// each Kind to one status code (gRPC code, HTTP status).
type Kind int

const (
	// KindInternal is a bug or an infrastructure failure; its detail is never
	// shown to callers.
	KindInternal Kind = iota
	// KindInvalid means the request itself is wrong; retrying it unchanged
	// fails again.
	KindInvalid
	// KindNotFound means the named resource does not exist (or is not
	// visible to the caller).
	KindNotFound
	// KindAlreadyExists means a create collided with an existing resource.
	KindAlreadyExists
	// KindFailedPrecondition means the resource is in a state that forbids
	// the operation.
	KindFailedPrecondition
	// KindAborted means a concurrency conflict (stale etag); re-read and retry.
	KindAborted
	// KindUnavailable means a transient condition (database busy); retry later.
	KindUnavailable
	// KindUnauthenticated means the caller's credentials are missing,
	// unknown, revoked or expired.
	KindUnauthenticated
	// KindPermissionDenied means the caller may not do this (role or
	// organisation). Never used where the answer would reveal a private
	// resource's existence: that is KindNotFound.
	KindPermissionDenied
	// KindResourceExhausted means the caller exceeded its rate limit.
	KindResourceExhausted
)

func (k Kind) String() string {
	switch k {
	case KindInvalid:
		return "invalid"
	case KindNotFound:
		return "not found"
	case KindAlreadyExists:
		return "already exists"
	case KindFailedPrecondition:
		return "failed precondition"
	case KindAborted:
		return "aborted"
	case KindUnavailable:
		return "unavailable"
	case KindUnauthenticated:
		return "unauthenticated"
	case KindPermissionDenied:
		return "permission denied"
	case KindResourceExhausted:
		return "resource exhausted"
	default:
		return "internal"
	}
}

// Reason is a stable, machine-readable cause. Its values are the names of the
// cordbank.v1.ErrorReason proto enum; clients branch on them, never on
// message text.
type Reason string

// Reasons returned by this package. Keep in sync with ErrorReason in
// proto/cordbank/v1/errors.proto (a server test checks every value maps).
const (
	ReasonInvalidArgument      Reason = "INVALID_ARGUMENT"
	ReasonBankNotFound         Reason = "BANK_NOT_FOUND"
	ReasonBankAlreadyExists    Reason = "BANK_ALREADY_EXISTS"
	ReasonUnitNotFound         Reason = "UNIT_NOT_FOUND"
	ReasonUnitAlreadyExists    Reason = "UNIT_ALREADY_EXISTS"
	ReasonEtagMismatch         Reason = "ETAG_MISMATCH"
	ReasonRequestIDReused      Reason = "REQUEST_ID_REUSED"
	ReasonStoreUnavailable     Reason = "STORE_UNAVAILABLE"
	ReasonInternal             Reason = "INTERNAL"
	ReasonFINAlreadyRegistered Reason = "FIN_ALREADY_REGISTERED"
	ReasonFailedPrecondition   Reason = "FAILED_PRECONDITION"
	// ReasonIllegalTransition: the unit's lifecycle state does not allow
	// the action; metadata "status" is the current state, "action" the
	// refused action.
	ReasonIllegalTransition   Reason = "ILLEGAL_TRANSITION"
	ReasonUnitNotReservable   Reason = "UNIT_NOT_RESERVABLE"
	ReasonReservationNotFound Reason = "RESERVATION_NOT_FOUND"

	// Storage reasons (bank/inventory_*.go, from bank/inventory's rules).
	// Metadata names the container ("container") and position
	// ("position") involved.
	ReasonContainerNotFound      Reason = "CONTAINER_NOT_FOUND"
	ReasonContainerAlreadyExists Reason = "CONTAINER_ALREADY_EXISTS"
	ReasonLabelAlreadyExists     Reason = "LABEL_ALREADY_EXISTS"
	ReasonPositionOutOfLayout    Reason = "POSITION_OUT_OF_LAYOUT"
	ReasonPositionOccupied       Reason = "POSITION_OCCUPIED"
	ReasonContainerFull          Reason = "CONTAINER_FULL"
	ReasonContainerCycle         Reason = "CONTAINER_CYCLE"
	ReasonIllegalNesting         Reason = "ILLEGAL_NESTING"
	ReasonContainerNotEmpty      Reason = "CONTAINER_NOT_EMPTY"
	ReasonLayoutMismatch         Reason = "LAYOUT_MISMATCH"
	ReasonUnitNotStorable        Reason = "UNIT_NOT_STORABLE"
	ReasonUnitAlreadyPlaced      Reason = "UNIT_ALREADY_PLACED"
	ReasonUnitNotPlaced          Reason = "UNIT_NOT_PLACED"

	// Access reasons (bank/access.go, bank/credential_service.go, server/auth.go).
	ReasonUnauthenticated  Reason = "UNAUTHENTICATED"
	ReasonPermissionDenied Reason = "PERMISSION_DENIED"
	ReasonRateLimited      Reason = "RATE_LIMITED"
	ReasonTokenNotFound    Reason = "TOKEN_NOT_FOUND"
	// ReasonFINNotOwned: a unit's DIN carries a FIN the bank does not own.
	ReasonFINNotOwned Reason = "FIN_NOT_OWNED"
)

// Violation is one problem with one field of a request. Field is the API's
// field path in snake_case (e.g. "unit.cells.viability_percent",
// "unit.hla.drb1"), the same path a client would put in an update mask.
type Violation struct {
	Field       string
	Description string
}

// Error is the error type of the domain. Use errors.As to read it; use
// errors.Is(err, bank.ErrNotFound) style sentinels for the Kind alone.
type Error struct {
	Kind       Kind
	Reason     Reason
	Message    string
	Violations []Violation
	// Metadata carries the dynamic values of the error (names, etags), so
	// clients need not parse Message.
	Metadata map[string]string
	// Err is an underlying cause, logged but never shown to callers.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	for i, v := range e.Violations {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(v.Field)
		b.WriteString(": ")
		b.WriteString(v.Description)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is a kind sentinel (ErrNotFound, ...) of the
// same Kind, so errors.Is works across wrapping.
func (e *Error) Is(target error) bool {
	t, ok := target.(*kindSentinel)
	return ok && t.kind == e.Kind
}

type kindSentinel struct{ kind Kind }

func (s *kindSentinel) Error() string { return s.kind.String() }

// Sentinels for errors.Is on the Kind of an *Error.
var (
	ErrInvalid            error = &kindSentinel{KindInvalid}
	ErrNotFound           error = &kindSentinel{KindNotFound}
	ErrAlreadyExists      error = &kindSentinel{KindAlreadyExists}
	ErrFailedPrecondition error = &kindSentinel{KindFailedPrecondition}
	ErrAborted            error = &kindSentinel{KindAborted}
	ErrUnavailable        error = &kindSentinel{KindUnavailable}
	ErrUnauthenticated    error = &kindSentinel{KindUnauthenticated}
	ErrPermissionDenied   error = &kindSentinel{KindPermissionDenied}
)

// KindOf returns the Kind of err, KindInternal for foreign errors.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// NewError builds an *Error with metadata given as key, value pairs.
func NewError(kind Kind, reason Reason, msg string, kv ...string) *Error {
	e := &Error{Kind: kind, Reason: reason, Message: msg}
	if len(kv) > 0 {
		e.Metadata = make(map[string]string, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			e.Metadata[kv[i]] = kv[i+1]
		}
	}
	return e
}

// Internal wraps an unexpected failure.
func Internal(err error, format string, args ...any) *Error {
	return &Error{Kind: KindInternal, Reason: ReasonInternal, Message: fmt.Sprintf(format, args...), Err: err}
}

// Violations collects field problems while a request is validated, so the
// caller learns about every bad field at once, not the first one only.
type Violations struct {
	list []Violation
}

// Add records a problem with field.
func (v *Violations) Add(field, format string, args ...any) {
	v.list = append(v.list, Violation{Field: field, Description: fmt.Sprintf(format, args...)})
}

// Has reports whether a problem with field was recorded.
func (v *Violations) Has(field string) bool {
	for _, x := range v.list {
		if x.Field == field {
			return true
		}
	}
	return false
}

// Len is the number of problems recorded.
func (v *Violations) Len() int { return len(v.list) }

// List returns the recorded problems, sorted by field for stable output.
func (v *Violations) List() []Violation {
	out := append([]Violation(nil), v.list...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// Err returns nil when nothing was recorded, else an invalid-argument *Error
// listing every violation.
func (v *Violations) Err(msg string) error {
	if len(v.list) == 0 {
		return nil
	}
	return &Error{Kind: KindInvalid, Reason: ReasonInvalidArgument, Message: msg, Violations: v.List()}
}
