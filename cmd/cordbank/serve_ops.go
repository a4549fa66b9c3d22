package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/cordbank/cordbank/client"
	"github.com/cordbank/cordbank/server"
)

// opsConfig: what bank IT runs the service with besides the API: the
// admin listener (metrics, profiles) and tracing.
type opsConfig struct {
	adminAddr    string
	otlpEndpoint string
	otlpInsecure bool
}

func opsFlags(fs *flag.FlagSet, c *opsConfig) {
	fs.StringVar(&c.adminAddr, "admin-addr", env("CORDBANK_ADMIN_ADDR", ""), "admin listener for /metrics (Prometheus) and /debug/pprof; empty disables; keep it on loopback or an operators' network: its counts include private units (CORDBANK_ADMIN_ADDR)")
	fs.StringVar(&c.otlpEndpoint, "otlp-endpoint", env("CORDBANK_OTLP_ENDPOINT", ""), "OpenTelemetry collector host:port: trace every REST request and gRPC call over OTLP/gRPC; empty: no tracing (CORDBANK_OTLP_ENDPOINT)")
	fs.BoolVar(&c.otlpInsecure, "otlp-insecure", false, "send traces to --otlp-endpoint in plain text (CORDBANK_OTLP_INSECURE)")
}

// opsEnv are the non-string flags' variables (envFlags).
var opsEnv = map[string]string{"otlp-insecure": "CORDBANK_OTLP_INSECURE"}

// startTracing returns the tracer provider of --otlp-endpoint (nil without
// one) and its shutdown, which flushes the spans still buffered.
func startTracing(ctx context.Context, c *opsConfig, log *slog.Logger) (*sdktrace.TracerProvider, func(), error) {
	if c.otlpEndpoint == "" {
		return nil, func() {}, nil
	}
	opts := []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(c.otlpEndpoint)}
	if c.otlpInsecure {
		opts = append(opts, otlptracegrpc.WithInsecure())
	}
	exp, err := otlptracegrpc.New(ctx, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("--otlp-endpoint: %w", err)
	}
	res := resource.NewWithAttributes(semconv.SchemaURL, semconv.ServiceName("cordbank"), semconv.ServiceVersion(version()))
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	log.Info("tracing on", "otlp_endpoint", c.otlpEndpoint)
	return tp, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tp.Shutdown(sctx); err != nil {
			log.Warn("tracing: spans not flushed", "err", err)
		}
	}, nil
}

// adminHandler serves the metrics and the Go profiles.
func adminHandler(m *server.Metrics) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// serveAdmin listens on --admin-addr; it returns the listener's address
// ("" when disabled) and a stop function.
func serveAdmin(c *opsConfig, m *server.Metrics, log *slog.Logger) (string, func(), error) {
	if c.adminAddr == "" {
		return "", func() {}, nil
	}
	lis, err := net.Listen("tcp", c.adminAddr)
	if err != nil {
		return "", nil, fmt.Errorf("--admin-addr: %w", err)
	}
	if !client.IsLoopback(lis.Addr().String()) {
		log.Warn("the admin listener is not on loopback: its metrics count every bank's units, private ones included", "addr", lis.Addr().String())
	}
	hs := &http.Server{Handler: adminHandler(m), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := hs.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("admin listener failed", "err", err)
		}
	}()
	return lis.Addr().String(), func() { _ = hs.Close() }, nil
}

// warnPlainText warns when a listener without TLS is reachable from other
// machines: tokens and patients' typings would cross the network in clear.
func warnPlainText(log *slog.Logger, tls bool, addrs ...string) {
	if tls {
		return
	}
	for _, a := range addrs {
		if a != "" && !client.IsLoopback(a) {
			log.Warn("serving plain text on a non-loopback address: tokens and typings cross the network in clear; serve with --tls-cert and --tls-key", "addr", a)
		}
	}
}
