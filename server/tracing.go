package server

import (
	"context"
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
)

// Tracing (OpenTelemetry): when Config.Tracer is set, every REST request
// and gRPC call is a span, the gateway's hop to its own gRPC listener
// carries the trace on (W3C trace context), and the call log names the
// trace. Off unless configured: cordbank serve --otlp-endpoint sets a
// tracer that exports over OTLP.

// propagator is W3C trace context, set explicitly so no process-wide
// OpenTelemetry global is needed.
var propagator = propagation.TraceContext{}

func grpcServerTracing(tp trace.TracerProvider) []grpc.ServerOption {
	if tp == nil {
		return nil
	}
	return []grpc.ServerOption{grpc.StatsHandler(otelgrpc.NewServerHandler(
		otelgrpc.WithTracerProvider(tp), otelgrpc.WithPropagators(propagator)))}
}

// gatewayTracing is the dial option of the gateway's client connection.
func (s *Server) gatewayTracing() []grpc.DialOption {
	if s.cfg.Tracer == nil {
		return nil
	}
	return []grpc.DialOption{grpc.WithStatsHandler(otelgrpc.NewClientHandler(
		otelgrpc.WithTracerProvider(s.cfg.Tracer), otelgrpc.WithPropagators(propagator)))}
}

// httpTracing wraps the REST handler.
func (s *Server) httpTracing(h http.Handler) http.Handler {
	if s.cfg.Tracer == nil {
		return h
	}
	return otelhttp.NewHandler(h, "cordbank.rest", otelhttp.WithTracerProvider(s.cfg.Tracer), otelhttp.WithPropagators(propagator),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + r.URL.Path }))
}

// traceAttrs are the log attributes naming ctx's trace, none without one.
func traceAttrs(ctx context.Context) []any {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return nil
	}
	return []any{"trace_id", sc.TraceID().String(), "span_id", sc.SpanID().String()}
}
