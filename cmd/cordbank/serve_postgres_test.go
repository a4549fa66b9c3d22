package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cordbank/cordbank/internal/pgtest"
)

// TestServeOnPostgres: `serve --db postgres://...` serves a registry kept
// in PostgreSQL (a token made by `token create` on the same URL works, a
// bank and a unit registered over REST are read back after a restart),
// and the SQLite-file features refuse with a clear message.
func TestServeOnPostgres(t *testing.T) {
	url := pgtest.NewDatabase(t)
	var out, errOut bytes.Buffer
	if code := run([]string{"token", "create", "--db", url, "--role", "admin", "--principal", "pg-admin"}, &out, &errOut); code != 0 {
		t.Fatalf("token create: exit %d: %s", code, errOut.String())
	}
	token := strings.TrimSpace(out.String())

	base, stop := serveInProcess(t, "--db", url)
	if code, body := httpDo(t, token, "POST", base+"/v1/banks?bankId=pgbank", `{"displayName": "PG Bank", "fin": "G1234", "country": "US"}`); code != 200 {
		t.Fatalf("create bank: %d %s", code, body)
	}
	if code, body := httpDo(t, token, "POST", base+"/v1/banks/pgbank/units", e2eUnitJSON); code != 200 {
		t.Fatalf("create unit: %d %s", code, body)
	}
	stop()
	base, stop = serveInProcess(t, "--db", url)
	defer stop()
	code, body := httpDo(t, token, "GET", base+"/v1/banks/pgbank/units/G123498654321", "")
	if code != 200 || !strings.Contains(body, `"din":"G123498654321"`) {
		t.Fatalf("the unit after a restart: %d %s", code, body)
	}
	code, body = httpDo(t, token, "POST", base+"/v1/auditTrail:verify", `{}`)
	if code != 200 || strings.Contains(body, "problems") {
		t.Errorf("audit verify over REST: %d %s", code, body)
	}

	for _, args := range [][]string{
		{"backup", "--db", url, "--to", t.TempDir() + "/b.db"},
		{"restore", "--db", url, "--from", t.TempDir() + "/b.db"},
		{"migrate", "--db", url, "--backup-dir", t.TempDir()},
	} {
		out.Reset()
		errOut.Reset()
		if code := run(args, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "on PostgreSQL use the server's own tools") {
			t.Errorf("%s on PostgreSQL: exit %d, %q; want 2 and the reason", args[0], code, errOut.String())
		}
	}
	c := parseServe(t, "--db", url, "--backup-dir", t.TempDir())
	if err := serve(t.Context(), c, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard); err == nil || !strings.Contains(err.Error(), "--backup-dir") {
		t.Errorf("serve --backup-dir on PostgreSQL: %v, want a refusal naming --backup-dir", err)
	}
}

func parseServe(t *testing.T, args ...string) *serveConfig {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c := serveFlags(fs)
	if err := fs.Parse(append([]string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--log-level", "warn"}, args...)); err != nil {
		t.Fatal(err)
	}
	return c
}

// serveInProcess runs serve with args until stop, and returns its REST
// base URL once it listens.
func serveInProcess(t *testing.T, args ...string) (base string, stop func()) {
	t.Helper()
	c := parseServe(t, args...)
	ctx, cancel := context.WithCancel(t.Context())
	lines := &lineWatcher{match: "REST on ", found: make(chan string, 1)}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, c, slog.New(slog.NewTextHandler(io.Discard, nil)), lines) }()
	select {
	case line := <-lines.found:
		base = strings.Fields(line[strings.Index(line, "REST on ")+len("REST on "):])[0]
	case err := <-done:
		cancel()
		t.Fatalf("serve ended before listening: %v", err)
	case <-time.After(time.Minute):
		cancel()
		t.Fatal("serve did not listen within a minute")
	}
	return base, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}
}

// lineWatcher is serve's stdout: it sends the first line containing
// match.
type lineWatcher struct {
	match string
	buf   []byte
	found chan string
	sent  bool
}

func (w *lineWatcher) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(w.buf[:i])
		w.buf = w.buf[i+1:]
		if !w.sent && strings.Contains(line, w.match) {
			w.sent = true
			w.found <- line
		}
	}
}
