package pgtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// EnvURL names an existing server to use instead of starting one: a
// postgres:// URL of a role that may create databases.
const EnvURL = "CORDBANK_TEST_POSTGRES"

// EnvRequire, when "1", turns a server that cannot be started into a test
// failure instead of a skip (.ci/run sets it: CI installs the package, so
// a skip there would hide a broken setup).
const EnvRequire = "CORDBANK_REQUIRE_POSTGRES"

// Server is one running PostgreSQL server.
type Server struct {
	// URL connects as the superuser to the database "postgres"; Database
	// returns URLs of other databases on the same server.
	URL string
	// TCPURL is URL over the loopback port instead of the unix socket.
	TCPURL string

	dir  string    // the cluster, its socket and its log; removed by Stop
	cmd  *exec.Cmd // nil for an external server (EnvURL)
	bin  string
	done chan error // the postgres process's exit
}

var (
	mainCalled bool
	startOnce  sync.Once
	shared     *Server
	sharedErr  error // why the server could not be started
	dbSeq      atomic.Int64
)

// Main runs the tests and then stops the server, if one was started:
// call it from TestMain as os.Exit(pgtest.Main(m)). The server starts at
// the first Shared or NewDatabase, so a test binary whose selected tests
// need none (a fuzzing worker, -run of other tests) starts none. A server
// that cannot be started does not stop the tests: NewDatabase skips (or
// fails, with EnvRequire) with the reason.
func Main(m *testing.M) int {
	mainCalled = true
	code := m.Run()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest: stop:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// Shared returns the server Main started, skipping t (or failing it with
// EnvRequire) when there is none.
func Shared(t testing.TB) *Server {
	t.Helper()
	if mainCalled {
		startOnce.Do(func() { shared, sharedErr = Start() })
	}
	if shared == nil {
		err := sharedErr
		if err == nil {
			err = errors.New("pgtest.Main was not called from TestMain: without it the server would never be stopped")
		}
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("PostgreSQL: %v", err)
		}
		t.Skipf("PostgreSQL not available, skipping: %v (install Debian's postgresql package: apt-get install -y postgresql; or set %s)", err, EnvURL)
	}
	return shared
}

// NewDatabase creates a fresh, empty database on the shared server for t
// and returns its URL; it is dropped when t ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	s := Shared(t)
	name, err := s.CreateDatabase()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		// WITH (FORCE) ends sessions a failed test left behind.
		if err := s.psql(`DROP DATABASE IF EXISTS "` + name + `" WITH (FORCE)`); err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
		}
	})
	return s.Database(name)
}

// CreateDatabase creates a new empty database with a unique name.
func (s *Server) CreateDatabase() (string, error) {
	name := fmt.Sprintf("cordbank_test_%d_%d", os.Getpid(), dbSeq.Add(1))
	if err := s.psql(`CREATE DATABASE "` + name + `"`); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return name, nil
}

// Database returns the URL of database name on s (over the unix socket).
func (s *Server) Database(name string) string { return withDatabase(s.URL, name) }

// TCPDatabase returns the URL of database name over the loopback port.
func (s *Server) TCPDatabase(name string) string { return withDatabase(s.TCPURL, name) }

func withDatabase(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Path = "/" + name
	return u.String()
}

// psql runs one SQL command as the superuser with the server's psql.
func (s *Server) psql(sql string) error {
	psql := "psql"
	if s.bin != "" {
		psql = filepath.Join(s.bin, "psql")
	}
	cmd := exec.Command(psql, "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-q", "-d", s.URL, "-c", sql)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("psql %q: %v: %s", sql, err, bytes.TrimSpace(out))
	}
	return nil
}

// Start starts a server in a new temporary directory (or uses the one
// EnvURL names). The caller must Stop it.
func Start() (*Server, error) {
	if u := os.Getenv(EnvURL); u != "" {
		return &Server{URL: u, TCPURL: u}, nil
	}
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	cred, owner, err := serverUser()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "cordbank-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, bin: bin}
	if err := s.start(cred, owner); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// findBin finds the directory of initdb and postgres: Debian keeps them
// under /usr/lib/postgresql/<major>/bin, off PATH. The newest major wins.
func findBin() (string, error) {
	majors, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	sort.Slice(majors, func(i, j int) bool { return versionOf(majors[i]) > versionOf(majors[j]) })
	for _, p := range majors {
		if _, err := os.Stat(filepath.Join(filepath.Dir(p), "initdb")); err == nil {
			return filepath.Dir(p), nil
		}
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		if _, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	return "", errors.New("no PostgreSQL server binaries (initdb, postgres) under /usr/lib/postgresql/*/bin or on PATH")
}

func versionOf(path string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return n
}

// serverUser returns the credential to run the server with: PostgreSQL
// refuses to run as root, so a root test process runs it as the
// `postgres` system user (which Debian's package creates). owner is that
// user's uid and gid, for the directory it needs to own; nil credential
// means the current (unprivileged) user.
func serverUser() (*syscall.Credential, *[2]int, error) {
	if os.Geteuid() != 0 {
		return nil, nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, nil, fmt.Errorf("running as root and there is no unprivileged `postgres` user to run the server as (%v); Debian's postgresql package creates it", err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		return nil, nil, fmt.Errorf("user postgres: uid %q gid %q", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, &[2]int{uid, gid}, nil
}

func (s *Server) start(cred *syscall.Credential, owner *[2]int) error {
	data := filepath.Join(s.dir, "data")
	if owner != nil {
		if err := os.Chown(s.dir, owner[0], owner[1]); err != nil {
			return err
		}
	}
	initdb := exec.Command(filepath.Join(s.bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust",
		"-E", "UTF8", "--locale=C.UTF-8", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Dir = s.dir
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %v: %s", err, bytes.TrimSpace(out))
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	logFile, err := os.Create(filepath.Join(s.dir, "postgres.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	// fsync stays on: benchmarks compare this server with SQLite at
	// synchronous=FULL, and tests see the server as a registry runs it.
	s.cmd = exec.Command(filepath.Join(s.bin, "postgres"), "-D", data,
		"-c", "listen_addresses=127.0.0.1", "-c", "port="+strconv.Itoa(port),
		"-c", "unix_socket_directories="+s.dir, "-c", "max_connections=300",
		"-c", "shared_buffers=128MB", "-c", "log_min_messages=warning")
	// Pdeathsig: if the test binary dies, the server is told to stop
	// (SIGQUIT: immediate) rather than left running.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	s.cmd.Dir = s.dir
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	s.done = make(chan error, 1)
	go func() { s.done <- s.cmd.Wait() }()
	s.URL = fmt.Sprintf("postgres://postgres@/postgres?host=%s&port=%d&sslmode=disable", url.QueryEscape(s.dir), port)
	s.TCPURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	return s.waitReady(data)
}

// waitReady waits until the server accepts connections: as pg_ctl -w
// does, it reads postmaster.pid, whose status line the server sets to
// "ready" once it accepts connections. It gives up when the process exits
// or after a minute (a loaded machine runs crash recovery slowly).
func (s *Server) waitReady(data string) error {
	deadline := time.Now().Add(time.Minute)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(filepath.Join(data, "postmaster.pid")); err == nil {
			lines := strings.Split(string(b), "\n")
			if len(lines) > 7 && strings.TrimSpace(lines[7]) == "ready" {
				return nil
			}
		}
		select {
		case err := <-s.done:
			s.done <- err
			log, _ := os.ReadFile(filepath.Join(s.dir, "postgres.log"))
			return fmt.Errorf("postgres exited before it was ready (%v): %s", err, bytes.TrimSpace(log))
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			return errors.New("postgres was not ready after a minute")
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

var stopOnce sync.Mutex

// Stop shuts the server down (fast shutdown: sessions are ended, the
// cluster is checkpointed) and removes its directory.
func (s *Server) Stop() error {
	stopOnce.Lock()
	defer stopOnce.Unlock()
	var err error
	if s.cmd != nil && s.cmd.Process != nil && s.done != nil {
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case werr := <-s.done:
			s.done <- werr
			var ee *exec.ExitError
			if werr != nil && !errors.As(werr, &ee) {
				err = werr
			}
		case <-time.After(2 * time.Minute):
			_ = s.cmd.Process.Kill()
			err = errors.New("postgres did not stop within two minutes; killed")
		}
		s.cmd = nil
	}
	if s.dir != "" {
		if rerr := os.RemoveAll(s.dir); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}
