package server

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"unicode/utf8"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"

	"github.com/cordbank/cordbank/bank"
)

// ErrorDomain is the google.rpc.ErrorInfo domain of every cordbank error.
const ErrorDomain = "cordbank.org"

// Reasons the transport raises itself; the domain's are in bank/errors.go.
// Each is the name of an ErrorReason value (errors.proto).
const (
	reasonMalformed        = "MALFORMED_REQUEST"
	reasonNotFound         = "NOT_FOUND"
	reasonMethodNotAllowed = "METHOD_NOT_ALLOWED"
	reasonTooLarge         = "REQUEST_TOO_LARGE"
	reasonCancelled        = "CANCELLED"
	reasonDeadline         = "DEADLINE_EXCEEDED"
)

var kindCodes = map[bank.Kind]codes.Code{
	bank.KindInternal:           codes.Internal,
	bank.KindInvalid:            codes.InvalidArgument,
	bank.KindNotFound:           codes.NotFound,
	bank.KindAlreadyExists:      codes.AlreadyExists,
	bank.KindFailedPrecondition: codes.FailedPrecondition,
	bank.KindAborted:            codes.Aborted,
	bank.KindUnavailable:        codes.Unavailable,
	bank.KindUnauthenticated:    codes.Unauthenticated,
	bank.KindPermissionDenied:   codes.PermissionDenied,
	bank.KindResourceExhausted:  codes.ResourceExhausted,
}

// toStatus converts any error a handler returns into a gRPC status with
// an ErrorInfo (and a BadRequest for field violations). Internal errors
// are logged with their cause and replaced by a message that names only
// the request id; so are internal statuses raised outside the domain (the
// gRPC runtime's), unless they already carry an ErrorInfo (then they were
// masked already). A call the caller cancelled or let run past its
// deadline is the caller's doing, not an internal error: it becomes
// CANCELLED or DEADLINE_EXCEEDED and is logged at INFO. Other statuses
// pass through, with an ErrorInfo added when they lack one. Messages and
// metadata are made valid UTF-8, so the status can always be marshalled.
func toStatus(ctx context.Context, log *slog.Logger, err error) error {
	if err == nil {
		return nil
	}
	if st, ok := endedByCaller(ctx, err); ok {
		if _, isStatus := status.FromError(err); !isStatus {
			log.InfoContext(ctx, "call ended by the caller", "request_id", RequestID(ctx), "code", st.Code().String(), "err", err)
		}
		return st.Err()
	}
	var de *bank.Error
	if !errors.As(err, &de) {
		s, ok := status.FromError(err)
		if !ok {
			de = bank.Internal(err, "unexpected error")
		} else if c := s.Code(); (c == codes.Internal || c == codes.Unknown || c == codes.DataLoss) && errorInfoOf(s) == nil {
			de = bank.Internal(err, "internal status")
		} else {
			return withErrorInfo(validUTF8Status(s), reasonForCode(s.Code()), nil).Err()
		}
	}
	code := kindCodes[de.Kind]
	msg := de.Message
	if code == codes.Internal {
		rid := RequestID(ctx)
		log.ErrorContext(ctx, "internal error", "request_id", rid, "err", err)
		msg = "internal error; report request id " + rid
		de = &bank.Error{Kind: bank.KindInternal, Reason: bank.ReasonInternal, Metadata: map[string]string{"request_id": rid}}
	}
	s := status.New(code, strings.ToValidUTF8(msg, "\uFFFD"))
	return withErrorInfo(s, string(de.Reason), de).Err()
}

// endedByCaller returns the status for an error that the caller caused by
// cancelling or by its deadline: a CANCELLED or DEADLINE_EXCEEDED status
// (the gateway's hop reports those when the REST client goes away), or,
// once the call's own context has ended, a context error or an internal
// error (a statement the cancellation interrupted). While the call's
// context is live, a context error is the server's own (a timeout of its
// making) and stays internal.
func endedByCaller(ctx context.Context, err error) (*status.Status, bool) {
	code := codes.OK
	if s, ok := status.FromError(err); ok {
		code = s.Code()
	}
	var de *bank.Error
	internal := errors.As(err, &de) && de.Kind == bank.KindInternal
	switch {
	case code == codes.Canceled || code == codes.DeadlineExceeded:
	case ctx.Err() == nil:
		return nil, false
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || internal:
		code = codes.Canceled
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			code = codes.DeadlineExceeded
		}
	default:
		return nil, false
	}
	if s, ok := status.FromError(err); ok && s.Code() == code && errorInfoOf(s) != nil {
		return s, true
	}
	msg := "the caller cancelled the call before it finished"
	if code == codes.DeadlineExceeded {
		msg = "the call's deadline passed before it finished"
	}
	return withErrorInfo(status.New(code, msg), reasonForCode(code), nil), true
}

func errorInfoOf(s *status.Status) *errdetails.ErrorInfo {
	for _, d := range s.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info
		}
	}
	return nil
}

// validUTF8Status returns s with a message that is valid UTF-8: protobuf
// refuses to marshal a status whose message is not, and a message can
// quote what a client sent.
func validUTF8Status(s *status.Status) *status.Status {
	if utf8.ValidString(s.Message()) {
		return s
	}
	p := s.Proto()
	p.Message = strings.ToValidUTF8(p.Message, "\uFFFD")
	return status.FromProto(p)
}

func withErrorInfo(s *status.Status, reason string, de *bank.Error) *status.Status {
	if errorInfoOf(s) != nil {
		return s
	}
	info := &errdetails.ErrorInfo{Reason: reason, Domain: ErrorDomain}
	var br *errdetails.BadRequest
	if de != nil {
		info.Metadata = validUTF8Map(de.Metadata)
		for _, v := range de.Violations {
			if br == nil {
				br = &errdetails.BadRequest{}
			}
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
				Field: strings.ToValidUTF8(v.Field, "\uFFFD"), Description: strings.ToValidUTF8(v.Description, "\uFFFD")})
		}
	}
	var ds []protoadapt.MessageV1
	ds = append(ds, info)
	if br != nil {
		ds = append(ds, br)
	}
	withDetails, err := s.WithDetails(ds...)
	if err != nil {
		return s
	}
	return withDetails
}

func validUTF8Map(m map[string]string) map[string]string {
	for k, v := range m {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			out := make(map[string]string, len(m))
			for k, v := range m {
				out[strings.ToValidUTF8(k, "\uFFFD")] = strings.ToValidUTF8(v, "\uFFFD")
			}
			return out
		}
	}
	return m
}

// reasonForCode names errors raised outside the domain (the gRPC runtime,
// the gateway's JSON decoding, routing, the caller's cancellation): every
// code maps to an ErrorReason value, so a client can always branch on the
// reason (TestEveryCodeHasAnErrorReason).
func reasonForCode(c codes.Code) string {
	switch c {
	case codes.InvalidArgument, codes.OutOfRange:
		return reasonMalformed
	case codes.NotFound, codes.Unimplemented:
		return reasonNotFound
	case codes.Unavailable:
		return string(bank.ReasonStoreUnavailable)
	case codes.Canceled:
		return reasonCancelled
	case codes.DeadlineExceeded:
		return reasonDeadline
	case codes.ResourceExhausted:
		// The domain's own (the rate limit) carry their reason; the gRPC
		// runtime raises this code for a message over the size limit.
		return reasonTooLarge
	case codes.Unauthenticated:
		return string(bank.ReasonUnauthenticated)
	case codes.PermissionDenied:
		return string(bank.ReasonPermissionDenied)
	case codes.FailedPrecondition, codes.AlreadyExists, codes.Aborted:
		return string(bank.ReasonFailedPrecondition)
	}
	return string(bank.ReasonInternal)
}

// invalid builds an INVALID_ARGUMENT domain error for one field.
func invalid(field string, err error) error {
	var v bank.Violations
	v.Add(field, "%v", err)
	return v.Err("invalid request")
}
