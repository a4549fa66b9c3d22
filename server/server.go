package server

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/audit"
	"github.com/cordbank/cordbank/bank/match"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// Config is what a Server needs.
type Config struct {
	// Service runs the use cases. Required.
	Service *bank.Service
	// Index answers searches. Required; the Service must have it as a
	// watcher (bank.WithWatcher) so it sees every write (see BuildIndex).
	Index *match.Index
	// Logger receives one line per call and every internal error; nil
	// discards.
	Logger *slog.Logger
	// HealthInterval is how often the store is pinged to update the gRPC
	// health status; 0 means 5 seconds.
	HealthInterval time.Duration
	// TLS, when set, serves gRPC and REST over TLS. With ClientCAs and
	// ClientAuth tls.VerifyClientCertIfGiven, a verified client
	// certificate authenticates as the principal bound to its Common Name
	// (bank.CreateTokenRequest.CertCN); bearer tokens keep working. Its
	// first certificate must be the server's (the gateway pins it).
	TLS *tls.Config
	// RateLimit bounds each principal's calls; the zero value disables it.
	RateLimit RateLimit
	// Metrics, when set, collects the server's Prometheus metrics (serve
	// Metrics.Handler on an admin listener).
	Metrics *Metrics
	// Tracer, when set, traces every REST request and gRPC call
	// (OpenTelemetry; tracing.go). Nil: no tracing.
	Tracer trace.TracerProvider
	// LatestCheckpoint returns the latest signed checkpoint of the audit
	// chain's head (nil when none is signed yet), for
	// GetLatestAuditCheckpoint; nil when the server signs none.
	LatestCheckpoint func() *audit.Checkpoint
}

// Server is the gRPC server plus the REST gateway in front of it.
type Server struct {
	cfg    Config
	log    *slog.Logger
	grpc   *grpc.Server
	health *health.Server
	guard  *guard

	mu       sync.Mutex
	http     *http.Server
	gwConn   ioCloser
	stopOnce sync.Once
	stop     chan struct{}
}

type ioCloser = io.Closer

// New builds a Server; nothing listens until Serve* is called.
func New(cfg Config) *Server {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.HealthInterval == 0 {
		cfg.HealthInterval = 5 * time.Second
	}
	g := &guard{svc: cfg.Service, log: log, limit: newLimiter(cfg.RateLimit)}
	codec := newRequestCodec(log)
	unary, stream := interceptors(log, g, codec)
	if m := cfg.Metrics; m != nil {
		g.metrics = m
		// Outermost: every call is counted, refused ones included.
		unary = append([]grpc.UnaryServerInterceptor{m.grpc.UnaryServerInterceptor()}, unary...)
		stream = append([]grpc.StreamServerInterceptor{m.grpc.StreamServerInterceptor()}, stream...)
	}
	opts := []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
		grpc.ForceServerCodecV2(codec),
		grpc.MaxRecvMsgSize(MaxMessageBytes),
		grpc.MaxHeaderListSize(maxGRPCHeaderBytes),
	}
	if cfg.TLS != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(cfg.TLS)))
	}
	opts = append(opts, grpcServerTracing(cfg.Tracer)...)
	s := &Server{
		cfg:    cfg,
		log:    log,
		guard:  g,
		health: health.NewServer(),
		stop:   make(chan struct{}),
		grpc:   grpc.NewServer(opts...),
	}
	pb.RegisterAdminServiceServer(s.grpc, &admin{svc: cfg.Service})
	reg := &registry{svc: cfg.Service, log: s.log}
	pb.RegisterRegistryServiceServer(s.grpc, reg)
	pb.RegisterInterchangeServiceServer(s.grpc, &interchange{reg: reg, svc: cfg.Service, log: s.log})
	pb.RegisterSearchServiceServer(s.grpc, &search{idx: cfg.Index, svc: cfg.Service})
	pb.RegisterLifecycleServiceServer(s.grpc, &lifecycleService{svc: cfg.Service})
	pb.RegisterAuditServiceServer(s.grpc, &auditService{svc: cfg.Service, stop: s.stop, checkpoint: cfg.LatestCheckpoint})
	pb.RegisterReservationServiceServer(s.grpc, &reservations{svc: cfg.Service})
	pb.RegisterInventoryServiceServer(s.grpc, &inventoryService{svc: cfg.Service})
	pb.RegisterTypingServiceServer(s.grpc, &typing{svc: cfg.Service})
	pb.RegisterLabelServiceServer(s.grpc, &labels{svc: cfg.Service})
	if m := cfg.Metrics; m != nil {
		m.grpc.InitializeMetrics(s.grpc)
		m.WatchInventory(cfg.Service)
		if cfg.Index != nil {
			m.WatchSearchIndex(cfg.Index.Len)
		}
	}
	healthpb.RegisterHealthServer(s.grpc, s.health)
	reflection.Register(s.grpc)
	s.checkHealth()
	go s.watchHealth()
	return s
}

// AuthFailures returns how many calls failed authentication since New.
func (s *Server) AuthFailures() int64 { return s.guard.failures.Load() }

// GRPCServer returns the underlying gRPC server (to register more
// services before serving).
func (s *Server) GRPCServer() *grpc.Server { return s.grpc }

// checkHealth sets the overall and per-service health from a store ping.
func (s *Server) checkHealth() {
	st := healthpb.HealthCheckResponse_SERVING
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.cfg.Service.Store().Ping(ctx); err != nil {
		s.log.Warn("store not ready", "err", err)
		st = healthpb.HealthCheckResponse_NOT_SERVING
	}
	s.health.SetServingStatus("", st)
	// Every registered service reports the store's readiness.
	for name := range s.grpc.GetServiceInfo() {
		s.health.SetServingStatus(name, st)
	}
}

func (s *Server) watchHealth() {
	t := time.NewTicker(s.cfg.HealthInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.checkHealth()
		}
	}
}

// ServeGRPC serves gRPC on lis until Shutdown.
func (s *Server) ServeGRPC(lis net.Listener) error {
	err := s.grpc.Serve(lis)
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}

// ServeHTTP serves the REST gateway, /openapi.json and /healthz on lis
// until Shutdown. The gateway calls the gRPC server at grpcAddr, so REST
// requests pass through the same interceptors as gRPC ones.
func (s *Server) ServeHTTP(lis net.Listener, grpcAddr string) error {
	h, conn, err := s.gatewayHandler(grpcAddr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: s.httpTracing(h), ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: httpMaxHeaderBackstop,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	if s.cfg.TLS != nil {
		// REST callers authenticate with bearer tokens: no client
		// certificates are asked for on the HTTP listener.
		tc := s.cfg.TLS.Clone()
		tc.ClientAuth, tc.ClientCAs = tls.NoClientCert, nil
		tc.NextProtos = []string{"h2", "http/1.1"}
		lis = tls.NewListener(lis, tc)
	}
	s.mu.Lock()
	select {
	case <-s.stop: // Shutdown came first: never start serving.
		s.mu.Unlock()
		_ = conn.Close()
		_ = lis.Close()
		return nil
	default:
	}
	s.http, s.gwConn = hs, conn
	s.mu.Unlock()
	err = hs.Serve(lis)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops serving: health turns NOT_SERVING, the HTTP server stops
// accepting and drains, then gRPC drains in-flight calls. When ctx ends
// first, the remaining calls are cut off.
func (s *Server) Shutdown(ctx context.Context) {
	s.health.Shutdown()
	s.mu.Lock()
	s.stopOnce.Do(func() { close(s.stop) })
	hs, conn := s.http, s.gwConn
	s.mu.Unlock()
	if hs != nil {
		if err := hs.Shutdown(ctx); err != nil {
			_ = hs.Close()
		}
	}
	done := make(chan struct{})
	go func() { s.grpc.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		s.grpc.Stop()
		<-done
	}
	if conn != nil {
		_ = conn.Close()
	}
}
