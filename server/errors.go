package server

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"

	"github.com/cordbank/cordbank/bank"
)

// ErrorDomain is the google.rpc.ErrorInfo domain of every cordbank error.
const ErrorDomain = "cordbank.org"

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
// the request id. Errors that already are statuses pass through, with an
// ErrorInfo added when they lack one.
func toStatus(ctx context.Context, log *slog.Logger, err error) error {
	if err == nil {
		return nil
	}
	var de *bank.Error
	if !errors.As(err, &de) {
		if s, ok := status.FromError(err); ok {
			return withErrorInfo(s, reasonForCode(s.Code()), nil).Err()
		}
		if errors.Is(err, context.Canceled) {
			return status.Error(codes.Canceled, "request canceled")
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return status.Error(codes.DeadlineExceeded, "deadline exceeded")
		}
		de = bank.Internal(err, "unexpected error")
	}
	code := kindCodes[de.Kind]
	msg := de.Message
	if code == codes.Internal {
		rid := RequestID(ctx)
		log.ErrorContext(ctx, "internal error", "request_id", rid, "err", err)
		msg = "internal error; report request id " + rid
		de = &bank.Error{Kind: bank.KindInternal, Reason: bank.ReasonInternal, Metadata: map[string]string{"request_id": rid}}
	}
	s := status.New(code, msg)
	return withErrorInfo(s, string(de.Reason), de).Err()
}

func withErrorInfo(s *status.Status, reason string, de *bank.Error) *status.Status {
	for _, d := range s.Details() {
		if _, ok := d.(*errdetails.ErrorInfo); ok {
			return s
		}
	}
	info := &errdetails.ErrorInfo{Reason: reason, Domain: ErrorDomain}
	var br *errdetails.BadRequest
	if de != nil {
		info.Metadata = de.Metadata
		for _, v := range de.Violations {
			if br == nil {
				br = &errdetails.BadRequest{}
			}
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description})
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

// reasonForCode names errors raised outside the domain (the gRPC runtime,
// the gateway's JSON decoding, routing).
func reasonForCode(c codes.Code) string {
	switch c {
	case codes.InvalidArgument:
		return "MALFORMED_REQUEST"
	case codes.NotFound, codes.Unimplemented:
		return "NOT_FOUND"
	case codes.Unavailable:
		return "STORE_UNAVAILABLE"
	case codes.Internal, codes.Unknown:
		return "INTERNAL"
	}
	return c.String()
}

// invalid builds an INVALID_ARGUMENT domain error for one field.
func invalid(field string, err error) error {
	var v bank.Violations
	v.Add(field, "%v", err)
	return v.Err("invalid request")
}
