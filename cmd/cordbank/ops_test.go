package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestAdminListener: serve --admin-addr exposes the Prometheus metrics,
// domain gauges included, and the Go profiles, on a listener of its own.
func TestAdminListener(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	db := filepath.Join(t.TempDir(), "ops.db")
	p := startBinary(t, bin, "--db", db, "--demo", "--demo-units", "40", "--admin-addr", "127.0.0.1:0")
	if p.adminURL == "" {
		t.Fatal("no admin address printed")
	}
	get := func(path string) string {
		t.Helper()
		resp, err := http.Get(p.adminURL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	metrics := get("/metrics")
	for _, want := range []string{`cordbank_units{bank="demo",status="AVAILABLE",unit_type="PUBLIC"}`, "cordbank_writer_commit_seconds_bucket",
		"cordbank_search_index_units 40", "grpc_server_handled_total", "go_goroutines"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if !strings.Contains(get("/debug/pprof/"), "goroutine") {
		t.Error("/debug/pprof/ lists no profiles")
	}
	// The public REST listener does not serve them.
	resp, err := http.Get(p.httpURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == 200 {
		t.Error("/metrics is served on the public REST listener")
	}
	p.stop(t)
}

// TestPlainTextWarning: a listener without TLS off loopback is warned
// about; loopback is not.
func TestPlainTextWarning(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	warnPlainText(log, false, "127.0.0.1:50051", "localhost:8080")
	if buf.Len() != 0 {
		t.Fatalf("warned about loopback: %s", buf.String())
	}
	warnPlainText(log, false, "0.0.0.0:8080", ":50051")
	if n := strings.Count(buf.String(), "plain text"); n != 2 {
		t.Fatalf("%d warnings for two exposed listeners: %s", n, buf.String())
	}
	buf.Reset()
	warnPlainText(log, true, "0.0.0.0:8080")
	if buf.Len() != 0 {
		t.Fatalf("warned although TLS is on: %s", buf.String())
	}
}

// TestTracingFlag: --otlp-endpoint turns tracing on; without it there is
// no tracer and nothing is exported.
func TestTracingFlag(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	tp, stop, err := startTracing(context.Background(), &opsConfig{}, log)
	if err != nil || tp != nil {
		t.Fatalf("no endpoint: %v, %v", tp, err)
	}
	stop()
	tp, stop, err = startTracing(context.Background(), &opsConfig{otlpEndpoint: "127.0.0.1:4317", otlpInsecure: true}, log)
	if err != nil || tp == nil {
		t.Fatalf("with an endpoint: %v, %v", tp, err)
	}
	stop()
}
