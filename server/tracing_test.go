package server_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/cordbank/cordbank/server"
	"github.com/cordbank/cordbank/server/servertest"
)

// lockedBuffer is a log sink the server's goroutines may share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestTracing: a REST call is one trace, from the HTTP request through
// the gateway's gRPC hop to the gRPC handler, and the call log names it.
func TestTracing(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(t.Context())
	var logs lockedBuffer
	srv, err := servertest.Start(servertest.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))),
		servertest.WithServerConfig(func(c *server.Config) { c.Tracer = tp }))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.HTTPClient().Get(srv.HTTPURL + "/v1/banks")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d", resp.StatusCode)
	}
	srv.Close()
	spans := exp.GetSpans()
	var httpSpan, serverSpan *tracetest.SpanStub
	for i := range spans {
		switch sp := &spans[i]; {
		case sp.Name == "GET /v1/banks":
			httpSpan = sp
		case sp.Name == "cordbank.v1.RegistryService/ListBanks" && sp.SpanKind.String() == "server":
			serverSpan = sp
		}
	}
	if httpSpan == nil || serverSpan == nil {
		var names []string
		for _, sp := range spans {
			names = append(names, sp.Name+" ("+sp.SpanKind.String()+")")
		}
		t.Fatalf("spans %v: want the REST request and the gRPC handler", names)
	}
	if httpSpan.SpanContext.TraceID() != serverSpan.SpanContext.TraceID() {
		t.Errorf("the gRPC handler's span is in trace %s, the REST request's in %s", serverSpan.SpanContext.TraceID(), httpSpan.SpanContext.TraceID())
	}
	if !strings.Contains(logs.String(), `"trace_id":"`+serverSpan.SpanContext.TraceID().String()+`"`) {
		t.Errorf("the call log does not name the trace:\n%s", logs.String())
	}
}
