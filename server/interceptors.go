package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/cordbank/cordbank/bank"
)

// RequestIDHeader is the metadata key (and HTTP header) carrying the
// request id: taken from the caller when it sends a sane one, generated
// otherwise, and always returned in the response headers.
const RequestIDHeader = "x-request-id"

type requestIDKey struct{}

// RequestID returns the request id of ctx, "" outside a request.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func incomingRequestID(ctx context.Context) string {
	md, _ := metadata.FromIncomingContext(ctx)
	for _, id := range md.Get(RequestIDHeader) {
		if len(id) > 0 && len(id) <= 64 && printable(id) {
			return id
		}
	}
	return newRequestID()
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// interceptors returns the unary and stream chains, outer to inner:
// request id -> logging -> decode check (codec.go) -> auth (authentication, rate limit,
// authorization, response filtering: auth.go, authz.go) -> error mapping
// -> recovery (architecture.md). Recovery is innermost so a panic becomes
// an error the mapping and the log see like any other. Auth maps its own
// errors; it sits outside the error mapping so that its response filters
// see the handler's final answer.
func interceptors(log *slog.Logger, g *guard, codec *requestCodec) ([]grpc.UnaryServerInterceptor, []grpc.StreamServerInterceptor) {
	unary := []grpc.UnaryServerInterceptor{
		func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			ctx = withRequestID(ctx)
			start := time.Now()
			resp, err := h(ctx, req)
			logCall(ctx, log, info.FullMethod, start, err)
			return resp, err
		},
		codec.unary,
		g.unary,
		func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			resp, err := h(ctx, req)
			if err != nil {
				err = withWireEnumValues(toStatus(ctx, log, err), methodInput(info.FullMethod))
			}
			return resp, err
		},
		func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
			defer recoverInto(ctx, log, info.FullMethod, &err)
			return h(ctx, req)
		},
	}
	stream := []grpc.StreamServerInterceptor{
		func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			ctx := withRequestID(ss.Context())
			start := time.Now()
			err := h(srv, &ctxStream{ServerStream: ss, ctx: ctx})
			logCall(ctx, log, info.FullMethod, start, err)
			return err
		},
		codec.stream,
		g.stream,
		func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			err := toStatus(ss.Context(), log, h(srv, ss))
			if err != nil {
				err = withWireEnumValues(err, methodInput(info.FullMethod))
			}
			return err
		},
		func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) (err error) {
			defer recoverInto(ss.Context(), log, info.FullMethod, &err)
			return h(srv, ss)
		},
	}
	return unary, stream
}

func withRequestID(ctx context.Context) context.Context {
	id := incomingRequestID(ctx)
	_ = grpc.SetHeader(ctx, metadata.Pairs(RequestIDHeader, id))
	// The auth interceptor replaces the principal with the authenticated
	// one; only open methods (health, reflection) stay anonymous.
	ctx = bank.WithCaller(ctx, bank.Caller{Principal: "anonymous", RequestID: id})
	ctx = context.WithValue(ctx, callNoteKey{}, &callNote{})
	return context.WithValue(ctx, requestIDKey{}, id)
}

// callNote lets inner interceptors tell the logging interceptor, which
// runs outside them, who the caller was.
type callNote struct{ principal string }

type callNoteKey struct{}

func recoverInto(ctx context.Context, log *slog.Logger, method string, err *error) {
	if r := recover(); r != nil {
		log.ErrorContext(ctx, "panic", "method", method, "request_id", RequestID(ctx), "panic", r, "stack", string(debug.Stack()))
		*err = bank.Internal(fmt.Errorf("panic: %v", r), "panic in %s", method)
	}
}

func logCall(ctx context.Context, log *slog.Logger, method string, start time.Time, err error) {
	code := status.Code(err)
	level := slog.LevelInfo
	switch code {
	case codes.Internal, codes.Unknown, codes.DataLoss:
		level = slog.LevelError
	}
	attrs := []any{"method", method, "code", code.String(), "duration", time.Since(start), "request_id", RequestID(ctx)}
	if n, ok := ctx.Value(callNoteKey{}).(*callNote); ok && n.principal != "" {
		attrs = append(attrs, "principal", n.principal)
	}
	attrs = append(attrs, traceAttrs(ctx)...)
	log.Log(ctx, level, "rpc", attrs...)
}

type ctxStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *ctxStream) Context() context.Context { return s.ctx }
