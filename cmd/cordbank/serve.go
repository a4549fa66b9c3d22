package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/hla"
	"github.com/cordbank/cordbank/bank/hla/freq"
	"github.com/cordbank/cordbank/bank/match"
	"github.com/cordbank/cordbank/internal/store/sqlite"
	"github.com/cordbank/cordbank/server"
)

type serveConfig struct {
	db         string
	grpcAddr   string
	httpAddr   string
	demo       bool
	demoUnits  int
	hlaData    string
	macFile    string
	logLevel   string
	logFormat  string
	shutdownIn time.Duration
	sweepEvery time.Duration
	tlsCert    string
	tlsKey     string
	clientCA   string
	rateLimit  float64
	rateBurst  int
	hfSets     string
	hfDefault  string
	hfBanks    string
	records    recordsConfig // backups and audit checkpoints (serve_records.go)
	ops        opsConfig     // admin listener and tracing (serve_ops.go)
}

// serveEnv are the environment variables of serve's flags that are not
// plain strings: envFlags parses them with the flag's own parser, so a bad
// value is refused rather than replaced by the default.
var serveEnv = func() map[string]string {
	m := map[string]string{"demo": "CORDBANK_DEMO", "demo-units": "CORDBANK_DEMO_UNITS", "reservation-sweep": "CORDBANK_RESERVATION_SWEEP",
		"rate-limit": "CORDBANK_RATE_LIMIT", "rate-burst": "CORDBANK_RATE_BURST", "shutdown-grace": "CORDBANK_SHUTDOWN_GRACE"}
	for k, v := range recordsEnv {
		m[k] = v
	}
	for k, v := range opsEnv {
		m[k] = v
	}
	return m
}()

func serveFlags(fs *flag.FlagSet) *serveConfig {
	c := &serveConfig{}
	fs.StringVar(&c.db, "db", env("CORDBANK_DB", "cordbank.db"), "SQLite database file, created and migrated if needed (CORDBANK_DB)")
	fs.StringVar(&c.grpcAddr, "grpc-addr", env("CORDBANK_GRPC_ADDR", "127.0.0.1:50051"), "gRPC listen address (CORDBANK_GRPC_ADDR)")
	fs.StringVar(&c.httpAddr, "http-addr", env("CORDBANK_HTTP_ADDR", "127.0.0.1:8080"), "REST gateway listen address; empty disables (CORDBANK_HTTP_ADDR)")
	fs.BoolVar(&c.demo, "demo", false, "seed a demo bank with synthetic units when the database is empty (CORDBANK_DEMO)")
	fs.IntVar(&c.demoUnits, "demo-units", 3000, "number of synthetic units --demo registers (CORDBANK_DEMO_UNITS)")
	fs.StringVar(&c.hlaData, "hla-data", env("CORDBANK_HLA_DATA", ""), "directory of IPD-IMGT/HLA WMDA files; empty checks HLA syntax only (CORDBANK_HLA_DATA)")
	fs.StringVar(&c.macFile, "mac", env("CORDBANK_MAC_FILE", ""), "NMDP multiple allele code file (alpha.v3.txt); empty keeps MACs unresolved (CORDBANK_MAC_FILE)")
	fs.StringVar(&c.hfSets, "hf-sets", env("CORDBANK_HF_SETS", ""), "directory of haplotype frequency sets (HFX, ATLAS JSON, GRIM CSV): searches then carry match probabilities and rank by them (CORDBANK_HF_SETS)")
	fs.StringVar(&c.hfDefault, "hf-default", env("CORDBANK_HF_DEFAULT", ""), "the set (name or population) a patient without population is read against; empty: the first set by name (CORDBANK_HF_DEFAULT)")
	fs.StringVar(&c.hfBanks, "hf-bank-populations", env("CORDBANK_HF_BANK_POPULATIONS", ""), "BANK=SET,... the set each bank's units are read against; others use the patient's (CORDBANK_HF_BANK_POPULATIONS)")
	fs.StringVar(&c.logLevel, "log-level", env("CORDBANK_LOG_LEVEL", "info"), "debug, info, warn or error (CORDBANK_LOG_LEVEL)")
	fs.StringVar(&c.logFormat, "log-format", env("CORDBANK_LOG_FORMAT", "text"), "text or json (CORDBANK_LOG_FORMAT)")
	fs.DurationVar(&c.sweepEvery, "reservation-sweep", 10*time.Second, "how often lapsed reservations are expired (their units become available) (CORDBANK_RESERVATION_SWEEP)")
	fs.StringVar(&c.tlsCert, "tls-cert", env("CORDBANK_TLS_CERT", ""), "PEM certificate: serve gRPC and REST over TLS (CORDBANK_TLS_CERT)")
	fs.StringVar(&c.tlsKey, "tls-key", env("CORDBANK_TLS_KEY", ""), "PEM private key of --tls-cert (CORDBANK_TLS_KEY)")
	fs.StringVar(&c.clientCA, "client-ca", env("CORDBANK_CLIENT_CA", ""), "PEM CA bundle: gRPC clients may authenticate with a certificate it signed, mapped by Common Name (cordbank token create --cert-cn) (CORDBANK_CLIENT_CA)")
	fs.Float64Var(&c.rateLimit, "rate-limit", 50, "calls per second each principal may make; 0 disables (CORDBANK_RATE_LIMIT)")
	fs.IntVar(&c.rateBurst, "rate-burst", 200, "calls a principal may make at once above --rate-limit (CORDBANK_RATE_BURST)")
	fs.DurationVar(&c.shutdownIn, "shutdown-grace", 10*time.Second, "how long in-flight calls may finish on SIGINT/SIGTERM (CORDBANK_SHUTDOWN_GRACE)")
	recordsFlags(fs, &c.records)
	opsFlags(fs, &c.ops)
	return c
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is not text or json", format)
}

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cordbank serve", flag.ContinueOnError)
	c := serveFlags(fs)
	if err := envFlags(fs, serveEnv); err != nil {
		fmt.Fprintln(stderr, "cordbank serve:", err)
		return 2
	}
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if err := c.records.validate(); err != nil {
		fmt.Fprintln(stderr, "cordbank serve:", err)
		return 2
	}
	log, err := newLogger(stderr, c.logLevel, c.logFormat)
	if err != nil {
		fmt.Fprintln(stderr, "cordbank:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, c, log, stdout); err != nil {
		log.Error("serve failed", "err", err)
		return 1
	}
	return 0
}

// serve runs until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, c *serveConfig, log *slog.Logger, stdout io.Writer) error {
	var ref *hla.Reference
	if c.hlaData != "" {
		var err error
		if ref, err = hla.LoadDir(c.hlaData); err != nil {
			return fmt.Errorf("--hla-data: %w", err)
		}
		log.Info("HLA reference data loaded", "release", ref.Release(), "dir", c.hlaData)
	} else {
		log.Info("no --hla-data: HLA typings are checked by syntax only")
	}
	if c.macFile != "" {
		macs, err := hla.LoadMACFile(c.macFile)
		if err != nil {
			return fmt.Errorf("--mac: %w", err)
		}
		ref = ref.WithMACs(macs)
		log.Info("NMDP MAC table loaded", "file", c.macFile)
	}
	if c.records.backupDir != "" {
		// Found missing now, not at the first scheduled backup hours later.
		if err := os.MkdirAll(c.records.backupDir, 0o750); err != nil {
			return fmt.Errorf("--backup-dir: %w", err)
		}
	}
	if err := backupBeforeMigration(ctx, c.db, c.records.backupDir, log); err != nil {
		return err
	}
	metrics := server.NewMetrics()
	store, err := sqlite.Open(ctx, c.db, sqlite.WithCommitObserver(metrics.ObserveCommit))
	if err != nil {
		return fmt.Errorf("open %s: %w", c.db, err)
	}
	defer store.Close()
	metrics.WatchWriterQueue(store.QueuedWrites)
	tracer, stopTracing, err := startTracing(ctx, &c.ops, log)
	if err != nil {
		return err
	}
	defer stopTracing()
	idx := match.NewIndex(match.NewGrader(ref))
	if c.hfSets != "" {
		ps, notes, err := loadPredictors(idx.Grader(), c.hfSets, c.hfDefault, c.hfBanks)
		if err != nil {
			return fmt.Errorf("--hf-sets: %w", err)
		}
		for _, n := range notes {
			log.Info("haplotype frequency set loaded", "set", n)
		}
		idx.SetPredictors(ps)
		log.Info("match probabilities on", "default set", ps.Default().Name())
	}
	svc := bank.NewService(store, bank.WithHLA(bank.NewHLAReader(ref)), bank.WithWatcher(idx))
	signer, err := startCheckpoints(ctx, &c.records, c.db, svc, log, stdout)
	if err != nil {
		return fmt.Errorf("audit checkpoints: %w", err)
	}
	if c.demo {
		if err := seedDemo(ctx, svc, c.demoUnits, log); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	tlsConf, err := serverTLS(c)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := server.BuildIndex(ctx, svc, idx); err != nil {
		// Serve anyway: the units left out are named in the log, and the
		// rest of the registry must stay searchable.
		log.Error("search index incomplete", "err", err)
	}
	metrics.IndexBuilt(time.Since(start))
	log.Info("search index built", "units", idx.Len(), "duration", time.Since(start).Round(time.Millisecond))

	grpcLis, err := net.Listen("tcp", c.grpcAddr)
	if err != nil {
		return err
	}
	cfg := server.Config{Service: svc, Index: idx, Logger: log, TLS: tlsConf,
		RateLimit: server.RateLimit{PerSecond: c.rateLimit, Burst: c.rateBurst}, Metrics: metrics}
	if tracer != nil {
		cfg.Tracer = tracer
	}
	if signer != nil {
		cfg.LatestCheckpoint = signer.Latest
	}
	srv := server.New(cfg)
	go sweepReservations(ctx, svc, c.sweepEvery, log)
	go followTrail(ctx, svc, followEvery, log)
	if c.records.backupDir != "" {
		go scheduleBackups(ctx, c, log, metrics)
	}
	if signer != nil {
		go scheduleCheckpoints(ctx, signer, c.records.checkpointEvery, log)
	}
	var httpLis net.Listener
	if c.httpAddr != "" {
		if httpLis, err = net.Listen("tcp", c.httpAddr); err != nil {
			grpcLis.Close()
			return err
		}
	}
	adminAt, stopAdmin, err := serveAdmin(&c.ops, metrics, log)
	if err != nil {
		grpcLis.Close()
		if httpLis != nil {
			httpLis.Close()
		}
		return err
	}
	defer stopAdmin()
	warnPlainText(log, tlsConf != nil, grpcLis.Addr().String(), c.httpAddr)
	// Tokens only once the listeners are up: a start that fails mints none.
	var demoToks []demoToken
	if c.demo {
		if demoToks, err = demoTokens(ctx, svc, c.db); err != nil {
			grpcLis.Close()
			if httpLis != nil {
				httpLis.Close()
			}
			return fmt.Errorf("demo: %w", err)
		}
	}
	errc := make(chan error, 2)
	go func() { errc <- srv.ServeGRPC(grpcLis) }()
	fmt.Fprintf(stdout, "cordbank: gRPC on %s (database %s)\n", grpcLis.Addr(), c.db)
	if adminAt != "" {
		fmt.Fprintf(stdout, "cordbank: admin on http://%s (/metrics, /debug/pprof)\n", adminAt)
	}
	if httpLis != nil {
		go func() { errc <- srv.ServeHTTP(httpLis, grpcLis.Addr().String()) }()
		scheme := "http"
		if tlsConf != nil {
			scheme = "https"
		}
		base := scheme + "://" + httpLis.Addr().String()
		// Tokens first: the REST line is the last of the start-up output.
		printDemoTokens(stdout, demoToks, base)
		fmt.Fprintf(stdout, "cordbank: REST on %s (OpenAPI at /openapi.json, health at /healthz)\n", base)
	} else {
		printDemoTokens(stdout, demoToks, "")
	}

	select {
	case <-ctx.Done():
		log.Info("shutting down", "grace", c.shutdownIn)
	case err = <-errc:
		if err != nil {
			log.Error("listener failed", "err", err)
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), c.shutdownIn)
	defer cancel()
	srv.Shutdown(sctx)
	if signer != nil {
		// After the last call finished: the head it signs is final.
		signCheckpoint(context.WithoutCancel(ctx), signer, log)
	}
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// serverTLS builds the TLS configuration of --tls-cert, --tls-key and
// --client-ca; nil without --tls-cert.
func serverTLS(c *serveConfig) (*tls.Config, error) {
	if c.tlsCert == "" && c.tlsKey == "" {
		if c.clientCA != "" {
			return nil, errors.New("--client-ca needs --tls-cert and --tls-key")
		}
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(c.tlsCert, c.tlsKey)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	conf := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if c.clientCA != "" {
		pem, err := os.ReadFile(c.clientCA)
		if err != nil {
			return nil, fmt.Errorf("--client-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--client-ca: no PEM certificates in %s", c.clientCA)
		}
		// Verified when given: bearer-token clients (and the REST
		// gateway's own hop) connect without a certificate.
		conf.ClientCAs, conf.ClientAuth = pool, tls.VerifyClientCertIfGiven
	}
	return conf, nil
}

func runMigrate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cordbank migrate", flag.ContinueOnError)
	db := fs.String("db", env("CORDBANK_DB", "cordbank.db"), "SQLite database file (CORDBANK_DB)")
	backupDir := fs.String("backup-dir", env("CORDBANK_BACKUP_DIR", ""), "where the backup taken before migrating goes; default beside the database (CORDBANK_BACKUP_DIR)")
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if err := backupBeforeMigration(context.Background(), *db, *backupDir, log); err != nil {
		fmt.Fprintln(stderr, "cordbank migrate:", err)
		return 1
	}
	store, err := sqlite.Open(context.Background(), *db)
	if err != nil {
		fmt.Fprintln(stderr, "cordbank migrate:", err)
		return 1
	}
	defer store.Close()
	fmt.Fprintf(stdout, "cordbank: %s is at the current schema\n", *db)
	return 0
}

// sweepReservations expires lapsed reservations every interval until ctx
// ends. Correctness does not depend on it (a lapsed hold never blocks a new
// reservation); it makes lapsed units searchable again without anyone
// acting.
func sweepReservations(ctx context.Context, svc *bank.Service, every time.Duration, log *slog.Logger) {
	repeat(ctx, every, func() {
		n, err := svc.ExpireReservations(ctx)
		if err != nil && ctx.Err() == nil {
			log.Error("reservation sweep failed", "err", err)
		} else if n > 0 {
			log.Info("reservations expired", "count", n)
		}
	})
}

// followEvery is how often the search index catches up, in the background,
// with changes other processes committed to the same store. Searches catch
// up before they run whatever this is; this only bounds the backlog a
// search may find.
const followEvery = 2 * time.Second

// followTrail keeps the search index in step with writes of other
// processes on the same database (bank.Service.CatchUp).
func followTrail(ctx context.Context, svc *bank.Service, every time.Duration, log *slog.Logger) {
	repeat(ctx, every, func() {
		if err := svc.CatchUp(ctx); err != nil && ctx.Err() == nil {
			log.Error("search index catch-up failed", "err", err)
		}
	})
}

// repeat runs fn every interval until ctx ends.
func repeat(ctx context.Context, every time.Duration, fn func()) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

// loadPredictors reads the frequency sets of dir against g's release.
func loadPredictors(g *match.Grader, dir, def, banks string) (*match.Predictors, []string, error) {
	sets, err := freq.LoadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	if len(sets) == 0 {
		return nil, nil, fmt.Errorf("no frequency set in %s", dir)
	}
	perBank := map[string]string{}
	for _, kv := range strings.Split(banks, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		b, set, ok := strings.Cut(kv, "=")
		if !ok || b == "" || set == "" {
			return nil, nil, fmt.Errorf("--hf-bank-populations: %q is not BANK=SET", kv)
		}
		perBank[b] = set
	}
	return match.PredictorsFromSets(g, sets, def, perBank)
}
