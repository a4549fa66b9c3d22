package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"strings"
	"sync/atomic"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/internal/store/schema"
	"github.com/cordbank/cordbank/internal/store/writequeue"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store is a bank.Store on one PostgreSQL database. It is safe for
// concurrent use, and so are several Stores (in one process or in several
// servers) over the same database: writes are serialized by the database,
// not by the process.
type Store struct {
	pool   *pgxpool.Pool
	closed atomic.Bool

	// The writer goroutine (writer.go) and its queue.
	queue      *writequeue.Queue[struct{}]
	stopping   chan struct{} // closed by Close
	writerDone chan struct{} // closed when the writer has ended

	commits    chan struct{} // Commits (notify.go)
	listenDone chan struct{} // closed when the listener has ended
}

var (
	_ bank.Store          = (*Store)(nil)
	_ bank.CommitNotifier = (*Store)(nil)
)

// Option configures Open.
type Option func(*pgxpool.Config)

// WithMaxConns sets the size of the connection pool (default: pgx's,
// the larger of 4 and the number of CPUs; a URL's pool_max_conns wins
// over both).
func WithMaxConns(n int32) Option {
	return func(c *pgxpool.Config) {
		if n > 0 {
			c.MaxConns = n
		}
	}
}

// IsURL reports whether db names a PostgreSQL database (a postgres:// or
// postgresql:// URL) rather than a SQLite file.
func IsURL(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// Open connects to the database the URL names (libpq's postgres:// form;
// pgx reads its parameters, PG* environment variables and ~/.pgpass) and
// migrates it to the schema this binary knows; ErrSchemaTooNew when a
// newer binary migrated it. Several servers may open one database at
// once: they migrate it once between them.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message may quote the URL, password included.
		return nil, errors.New("postgres: the database URL does not parse (want postgres://user@host:port/database?options)")
	}
	for _, o := range opts {
		o(cfg)
	}
	// Times go out and come back as integers; the session time zone
	// never matters, but a fixed one keeps psql output of now() readable.
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	migs, err := schema.Load(migrationFS)
	if err == nil {
		err = migrate(ctx, pool, migs)
	}
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	s := &Store{pool: pool, stopping: make(chan struct{}), writerDone: make(chan struct{}),
		commits: make(chan struct{}, 1), listenDone: make(chan struct{})}
	s.queue = writequeue.New[struct{}](maxGroup, s.stopping, closedError)
	go s.runWriter()
	go s.listen(cfg.ConnConfig.Copy())
	return s, nil
}

var errClosed = errors.New("postgres store is closed")

func closedError() error {
	return &bank.Error{Kind: bank.KindUnavailable, Reason: bank.ReasonStoreUnavailable, Message: "the store is closed", Err: errClosed}
}

// Read runs fn in a REPEATABLE READ, READ ONLY transaction: every
// statement of fn sees the snapshot of its first one, and a read never
// waits for a writer. Statements run under ctx: a cancelled read ends
// (pgx drops the connection; nothing is at stake).
func (s *Store) Read(ctx context.Context, fn func(tx bank.ReadTx) error) error {
	if s.closed.Load() {
		return closedError()
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return translate(err, "begin read")
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	return run(fn, bank.ReadTx(readOnly{&txn{tx: tx}, s.pool}), "read")
}

// readOnly hides the write methods of txn from type assertions.
type readOnly struct {
	bank.ReadTx
	pool *pgxpool.Pool
}

// run calls fn, turning a panic into an internal error so the transaction
// is rolled back and the connection returned.
func run[T any](fn func(T) error, tx T, op string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = bank.Internal(fmt.Errorf("panic: %v\n%s", r, debug.Stack()), "postgres: %s", op)
		}
	}()
	return fn(tx)
}

// Ping checks that the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	if s.closed.Load() {
		return closedError()
	}
	var n int
	return translate(s.pool.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n), "ping")
}

// Close closes the pool, waiting for connections in use to be returned;
// later calls fail with KindUnavailable.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	// The writer finishes the group it is running; Writes still waiting
	// to be taken fail with KindUnavailable.
	close(s.stopping)
	<-s.writerDone
	<-s.listenDone
	s.pool.Close()
	return nil
}

// translate turns a driver error into a bank error. *bank.Error values
// pass through unchanged.
func translate(err error, op string) error {
	if err == nil {
		return nil
	}
	var be *bank.Error
	if errors.As(err, &be) {
		return err
	}
	if errors.Is(err, context.Canceled) {
		return context.Canceled
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return context.DeadlineExceeded
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "40001", pe.Code == "40P01", // serialization failure, deadlock
			pe.Code == "55P03",                // lock not available
			pe.Code == "53300",                // too many connections
			strings.HasPrefix(pe.Code, "57P"), // admin shutdown, crash shutdown, cannot connect now
			strings.HasPrefix(pe.Code, "08"):  // connection exceptions
			return unavailable(err, op)
		}
		return bank.Internal(err, "postgres: %s", op)
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || errors.As(err, &ne) || pgconn.SafeToRetry(err) || errors.Is(err, net.ErrClosed) {
		return unavailable(err, op)
	}
	return bank.Internal(err, "postgres: %s", op)
}

func unavailable(err error, op string) error {
	return &bank.Error{Kind: bank.KindUnavailable, Reason: bank.ReasonStoreUnavailable,
		Message: "the database is unavailable: retry later", Err: fmt.Errorf("%s: %w", op, err)}
}

// constraintOf returns the name of the unique or foreign key constraint
// err violated ("" for any other error) and its SQLSTATE class: "23505"
// unique, "23503" foreign key.
func constraintOf(err error) (code, constraint string) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "23505" || pe.Code == "23503") {
		return pe.Code, pe.ConstraintName
	}
	return "", ""
}

const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)
