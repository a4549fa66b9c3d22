package pgtest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/cordbank/cordbank/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestNewDatabase: each call gives an empty database of its own on the
// one server, reachable over the socket and the loopback port.
func TestNewDatabase(t *testing.T) {
	a, b := pgtest.NewDatabase(t), pgtest.NewDatabase(t)
	if a == b {
		t.Fatalf("two databases share the URL %s", a)
	}
	run := func(url, sql string) string {
		t.Helper()
		out, err := exec.Command("psql", "--no-psqlrc", "-At", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql).CombinedOutput()
		if err != nil {
			t.Fatalf("psql %s: %v: %s", sql, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run(a, `CREATE TABLE t (x int); INSERT INTO t VALUES (1)`)
	if got := run(b, `SELECT count(*) FROM pg_tables WHERE tablename = 't'`); got != "0" {
		t.Errorf("table of database a seen in database b: %s", got)
	}
	if got := run(a, `SELECT current_setting('fsync') || ' ' || (SELECT usesuper FROM pg_user WHERE usename = current_user)`); got != "on true" {
		t.Errorf("fsync and superuser = %q, want \"on true\"", got)
	}
	s := pgtest.Shared(t)
	name := a[strings.LastIndex(a, "/")+1 : strings.Index(a, "?")]
	if got := run(s.TCPDatabase(name), `SELECT x FROM t`); got != "1" {
		t.Errorf("over TCP: %q, want 1", got)
	}
}
