package client

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Error is an error returned by the cordbank server, rebuilt from its gRPC
// status. Branch on Reason (or errors.Is with the sentinels below), never
// on Message.
type Error struct {
	Code    codes.Code
	Reason  string // the ErrorReason name, e.g. "UNIT_ALREADY_EXISTS"
	Message string
	// Violations lists every invalid field of an INVALID_ARGUMENT error.
	Violations []FieldViolation
	// Metadata holds the error's dynamic values (names, etags).
	Metadata map[string]string
	// RetryDelay is how long the server asked the client to wait before
	// trying again (a google.rpc.RetryInfo, sent with RESOURCE_EXHAUSTED
	// when rate limited); 0 when it gave none.
	RetryDelay time.Duration

	status *status.Status // the status it was made from
}

// GRPCStatus returns the gRPC status the error was made from, so
// status.Code(err) and status.FromError(err) read an SDK error as they
// read the error of a generated client.
func (e *Error) GRPCStatus() *status.Status {
	if e.status != nil {
		return e.status
	}
	return status.New(e.Code, e.Message)
}

// FieldViolation is one invalid request field.
type FieldViolation struct {
	Field       string
	Description string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cordbank: %s", e.Message)
	if e.Reason != "" {
		fmt.Fprintf(&b, " (%s)", e.Reason)
	}
	for _, v := range e.Violations {
		fmt.Fprintf(&b, "; %s: %s", v.Field, v.Description)
	}
	return b.String()
}

// Is matches the sentinels: a reason sentinel matches errors with that
// reason, a code sentinel errors with that gRPC code.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case *reasonError:
		return t.reason == e.Reason
	case *codeError:
		return t.code == e.Code
	}
	return false
}

type reasonError struct{ reason string }

func (r *reasonError) Error() string {
	return "cordbank: " + strings.ToLower(strings.ReplaceAll(r.reason, "_", " "))
}

type codeError struct{ code codes.Code }

func (c *codeError) Error() string { return "cordbank: " + c.code.String() }

// Sentinels for errors.Is, by reason.
var (
	ErrInvalidArgument  error = &reasonError{"INVALID_ARGUMENT"}
	ErrBankNotFound     error = &reasonError{"BANK_NOT_FOUND"}
	ErrBankExists       error = &reasonError{"BANK_ALREADY_EXISTS"}
	ErrFINRegistered    error = &reasonError{"FIN_ALREADY_REGISTERED"}
	ErrUnitNotFound     error = &reasonError{"UNIT_NOT_FOUND"}
	ErrUnitExists       error = &reasonError{"UNIT_ALREADY_EXISTS"}
	ErrEtagMismatch     error = &reasonError{"ETAG_MISMATCH"}
	ErrRequestIDReused  error = &reasonError{"REQUEST_ID_REUSED"}
	ErrStoreUnavailable error = &reasonError{"STORE_UNAVAILABLE"}
	// ErrRateLimited: too many calls; wait (the error's RetryInfo says how
	// long) and retry.
	ErrRateLimited error = &reasonError{"RATE_LIMITED"}
	// ErrRequestTooLarge: the message is over the server's size limit;
	// retrying the same call cannot succeed.
	ErrRequestTooLarge error = &reasonError{"REQUEST_TOO_LARGE"}
	// ErrFINNotOwned: the unit's DIN starts with a FIN the bank does not
	// own; a unit collected elsewhere arrives through TransferUnit.
	ErrFINNotOwned error = &reasonError{"FIN_NOT_OWNED"}
)

// Sentinels for errors.Is, by gRPC code (any reason).
var (
	ErrNotFound           error = &codeError{codes.NotFound}
	ErrAlreadyExists      error = &codeError{codes.AlreadyExists}
	ErrInvalid            error = &codeError{codes.InvalidArgument}
	ErrFailedPrecondition error = &codeError{codes.FailedPrecondition}
	ErrAborted            error = &codeError{codes.Aborted}
	ErrUnavailable        error = &codeError{codes.Unavailable}
	// ErrUnauthenticated: no token, or an unknown, revoked or expired one.
	ErrUnauthenticated error = &codeError{codes.Unauthenticated}
	// ErrPermissionDenied: the token's role or organisation may not do this.
	ErrPermissionDenied error = &codeError{codes.PermissionDenied}
)

// convertError turns a gRPC error into an *Error; other errors pass
// through unchanged.
func convertError(err error) error {
	if err == nil {
		return nil
	}
	s, ok := status.FromError(err)
	if !ok {
		return err
	}
	e := &Error{Code: s.Code(), Message: s.Message(), status: s}
	for _, d := range s.Details() {
		switch d := d.(type) {
		case *errdetails.RetryInfo:
			e.RetryDelay = d.GetRetryDelay().AsDuration()
		case *errdetails.ErrorInfo:
			e.Reason, e.Metadata = d.GetReason(), d.GetMetadata()
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				e.Violations = append(e.Violations, FieldViolation{Field: v.GetField(), Description: v.GetDescription()})
			}
		}
	}
	if e.Reason == "" && e.Code == codes.ResourceExhausted {
		// gRPC itself refuses a message over the server's size limit,
		// before cordbank sees it, so that answer has no ErrorInfo.
		e.Reason = "REQUEST_TOO_LARGE"
	}
	return e
}

// AsError returns err as an *Error when it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
