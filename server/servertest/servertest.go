// Package servertest runs a complete cordbank server in-process, on
// loopback ports, over a real SQLite database in a temporary directory. SDK
// users and cordbank's own tests start one to exercise real gRPC and REST
// calls without a separate process.
//
// Authentication is on, as in production: every call needs a bearer
// token. AdminToken is created at Start; Token creates one for any role
// and organisation. AdminAuth and HTTPClient attach the admin token to
// gRPC and REST calls.
package servertest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/hla"
	"github.com/cordbank/cordbank/bank/match"
	"github.com/cordbank/cordbank/internal/store/sqlite"
	"github.com/cordbank/cordbank/server"
)

// Server is a running in-process cordbank.
type Server struct {
	// GRPCAddr is the gRPC listener's address, "127.0.0.1:port".
	GRPCAddr string
	// HTTPURL is the REST gateway's base URL, "http://127.0.0.1:port".
	HTTPURL string
	// Service is the domain service the server runs, for direct setup.
	Service *bank.Service
	// Index is the search index the service keeps in sync.
	Index *match.Index

	srv        *server.Server
	store      *sqlite.Store
	dir        string
	done       chan struct{}
	adminToken string
}

// Option configures Start.
type Option func(*config)

type config struct {
	svcOpts []bank.Option
	ref     *hla.Reference
	log     *slog.Logger
	dbPath  string
	srvCfg  func(*server.Config)
	metrics *server.Metrics
}

// WithMetrics collects the server's and the store's metrics into m.
func WithMetrics(m *server.Metrics) Option { return func(c *config) { c.metrics = m } }

// WithServerConfig lets fn adjust the server's configuration (TLS, rate
// limit) before it starts.
func WithServerConfig(fn func(*server.Config)) Option { return func(c *config) { c.srvCfg = fn } }

// WithHLAReference reads typings and grades searches against ref.
func WithHLAReference(ref *hla.Reference) Option { return func(c *config) { c.ref = ref } }

// WithServiceOptions passes options (clock, HLA checker) to the service.
func WithServiceOptions(opts ...bank.Option) Option {
	return func(c *config) { c.svcOpts = append(c.svcOpts, opts...) }
}

// WithLogger logs server events to log (default: discarded).
func WithLogger(log *slog.Logger) Option { return func(c *config) { c.log = log } }

// WithDatabase uses the SQLite file at path instead of a fresh temporary one.
func WithDatabase(path string) Option { return func(c *config) { c.dbPath = path } }

// Start starts a server on free loopback ports. Call Close to stop it and
// remove its temporary database.
func Start(opts ...Option) (*Server, error) {
	c := &config{}
	for _, o := range opts {
		o(c)
	}
	s := &Server{done: make(chan struct{})}
	if c.dbPath == "" {
		dir, err := os.MkdirTemp("", "cordbank-servertest-")
		if err != nil {
			return nil, err
		}
		s.dir = dir
		c.dbPath = filepath.Join(dir, "cordbank.db")
	}
	var storeOpts []sqlite.Option
	if c.metrics != nil {
		storeOpts = append(storeOpts, sqlite.WithCommitObserver(c.metrics.ObserveCommit))
	}
	store, err := sqlite.Open(context.Background(), c.dbPath, storeOpts...)
	if err != nil {
		s.cleanup()
		return nil, fmt.Errorf("servertest: %w", err)
	}
	s.store = store
	s.Index = match.NewIndex(match.NewGrader(c.ref))
	svcOpts := append([]bank.Option{bank.WithHLA(bank.NewHLAReader(c.ref)), bank.WithWatcher(s.Index)}, c.svcOpts...)
	s.Service = bank.NewService(store, svcOpts...)
	if err := server.BuildIndex(context.Background(), s.Service, s.Index); err != nil {
		s.cleanup()
		return nil, fmt.Errorf("servertest: %w", err)
	}
	s.adminToken, err = s.Token(bank.RoleAdmin, bank.OrgRegistry)
	if err != nil {
		s.cleanup()
		return nil, fmt.Errorf("servertest: admin token: %w", err)
	}
	cfg := server.Config{Service: s.Service, Index: s.Index, Logger: c.log, Metrics: c.metrics}
	if c.metrics != nil {
		c.metrics.WatchWriterQueue(store.QueuedWrites)
	}
	if c.srvCfg != nil {
		c.srvCfg(&cfg)
	}
	s.srv = server.New(cfg)

	gl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.cleanup()
		return nil, err
	}
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		gl.Close()
		s.cleanup()
		return nil, err
	}
	scheme := "http://"
	if cfg.TLS != nil {
		scheme = "https://"
	}
	s.GRPCAddr, s.HTTPURL = gl.Addr().String(), scheme+hl.Addr().String()
	served := make(chan struct{}, 2)
	go func() { _ = s.srv.ServeGRPC(gl); served <- struct{}{} }()
	go func() { _ = s.srv.ServeHTTP(hl, s.GRPCAddr); served <- struct{}{} }()
	go func() { <-served; <-served; close(s.done) }()
	return s, nil
}

// WriterStats returns the store's writer counters: commits and the writes
// they held (benchmarks report writes per commit).
func (s *Server) WriterStats() sqlite.WriterStats { return s.store.WriterStats() }

// Server returns the running server (AuthFailures ...).
func (s *Server) Server() *server.Server { return s.srv }

// Token creates a bearer token for role in org (a bank id, a transplant
// centre id for coordinators, bank.OrgRegistry for administrators and
// registry auditors) and returns its secret. A bank must exist before
// tokens of its roles are created.
func (s *Server) Token(role bank.Role, org string) (string, error) {
	ctx := bank.WithCaller(context.Background(), bank.Caller{Principal: "servertest"})
	name := string(role)
	if org != "" {
		name += "@" + org
	}
	_, secret, err := s.Service.CreateToken(ctx, bank.CreateTokenRequest{Principal: name, Role: role, Org: org})
	return secret, err
}

// AdminToken returns the administrator token created at Start.
func (s *Server) AdminToken() string { return s.adminToken }

// AdminAuth returns a dial option that sends the admin token with every
// call.
func (s *Server) AdminAuth() grpc.DialOption { return BearerAuth(s.adminToken) }

// BearerAuth returns a dial option that sends token with every call, over
// any transport (test servers listen on loopback without TLS).
func BearerAuth(token string) grpc.DialOption {
	return grpc.WithPerRPCCredentials(bearer(token))
}

// BearerCreds returns per-RPC credentials that send token (for
// grpc.PerRPCCredentials call options).
func BearerCreds(token string) credentials.PerRPCCredentials { return bearer(token) }

type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

func (bearer) RequireTransportSecurity() bool { return false }

// HTTPClient returns an HTTP client that sends the admin token.
func (s *Server) HTTPClient() *http.Client { return BearerClient(s.adminToken) }

// BearerClient returns an HTTP client that sends token as
// "Authorization: Bearer".
func BearerClient(token string) *http.Client {
	return &http.Client{Transport: bearerTransport{token: token, next: http.DefaultTransport}}
}

type bearerTransport struct {
	token string
	next  http.RoundTripper
}

func (t bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+t.token)
	return t.next.RoundTrip(r)
}

// Close stops the server, closes the store and removes a temporary
// database.
func (s *Server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.srv.Shutdown(ctx)
	<-s.done
	s.cleanup()
}

func (s *Server) cleanup() {
	if s.store != nil {
		_ = s.store.Close()
	}
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
}
