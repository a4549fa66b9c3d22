package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/internal/store/schema"
	"github.com/cordbank/cordbank/internal/store/writequeue"
	sqlite3 "github.com/mattn/go-sqlite3"
)

// Store is a bank.Store on one SQLite database file. It is safe for
// concurrent use. Writes are serialized on one connection; reads run in
// parallel on a pool and never wait for a writer (WAL).
type Store struct {
	w, r   *sql.DB
	wStmts stmtSet // prepared on the writer connection
	rStmts stmtSet // prepared lazily on each reader connection
	raw    rawWriter
	closed atomic.Bool

	// The writer goroutine (writer.go) and its queue.
	queue      *writequeue.Queue[func(conn *sql.Conn) error]
	kept       keptCache     // the writer goroutine's, between groups
	stopping   chan struct{} // closed by Close
	writerDone chan struct{} // closed when the writer goroutine has ended
	stats      writerCounters
	waiting    atomic.Int64 // Write calls queued or running (tests wait on it)
	observe    CommitObserver
	// subJournalInMemory is the writer connection's temp_store: true
	// while it is MEMORY (subJournalFor). The writer goroutine's.
	subJournalInMemory bool
}

var _ bank.Store = (*Store)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	readConns   int
	busyTimeout time.Duration
	migrations  []schema.File // nil: the embedded migrations
	observe     CommitObserver
}

// CommitObserver is told of every transaction the writer ended: how many
// Write calls it held, how long it took from BEGIN to the end of COMMIT
// (or the rollback), and the commit's error. It runs on the writer
// goroutine, so it must be quick (a metrics histogram).
type CommitObserver func(writes int, took time.Duration, err error)

// WithCommitObserver sets the store's CommitObserver.
func WithCommitObserver(f CommitObserver) Option { return func(o *options) { o.observe = f } }

// WithReadConns sets the size of the read pool (default 4).
func WithReadConns(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.readConns = n
		}
	}
}

// WithBusyTimeout sets how long a connection waits for a lock held by
// another process (a backup, the migrate command) before the call fails
// with KindUnavailable (default 5s).
func WithBusyTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.busyTimeout = d
		}
	}
}

// withMigrations replaces the embedded migrations (tests step through
// schema versions with it).
func withMigrations(m []schema.File) Option { return func(o *options) { o.migrations = m } }

// Open opens the database file at path, creating it if absent, and migrates
// it to the schema this binary knows. It fails with ErrSchemaTooNew when the
// file was migrated by a newer binary. The path must name a file: WAL mode
// with separate writer and reader handles does not work on ":memory:" (tests
// use a file under t.TempDir()).
//
// Connection settings and why:
//   - journal_mode=WAL: readers see a snapshot and never block the writer.
//   - synchronous=FULL on the writer: the WAL is fsynced at every commit,
//     so a unit whose registration returned OK survives a power cut. With
//     NORMAL (the WAL default of go-sqlite3) the last commits can be lost on
//     power loss; one fsync per transaction is cheap because imports commit
//     ~1000 units per transaction.
//   - _txlock=immediate: a Write takes the write lock at BEGIN, so it never
//     fails half-way with SQLITE_BUSY on lock upgrade.
//   - one writer connection, owned by one goroutine for the store's life
//     (writer.go): Write queues its fn there, and concurrent Writes are
//     committed together (group commit, one fsync for many).
//   - foreign_keys=on: a unit cannot name a bank that does not exist.
//   - temp_store=MEMORY on the writer for groups of small writes only
//     (Store.subJournalFor): every write runs in a savepoint of its group
//     (writer.go), and SQLite keeps the original of each page a savepoint
//     changes in a sub-journal, which by default spills to a temporary
//     file past 64 KiB. A group of small writes passed that mark often:
//     two pwrites per page, ~2.5 pages a create (strace of
//     BenchmarkCreateUnitLayers/layer=service). In memory it costs a copy
//     of each page, and it holds one write's pages at a time (RELEASE
//     empties it). Bulk groups (bank.WithBulkWrite: import batches of up
//     to 2,500 units, evacuations, pages of the HLA re-read), maintenance
//     jobs and the migrations keep the default, so a write of many pages
//     never holds them all in memory (bank's TestManyRowWritesAreBulk).
//     TestWriterKeepsSubJournalsInMemory.
//   - readers have query_only=on so a bug cannot write outside the writer's
//     transaction discipline.
//   - _mutex=no (SQLite's multi-thread mode) on the writer only: the
//     writer goroutine is the only code that holds its connection, and no
//     statement on it runs under a cancellable context, so no second
//     thread ever enters it (the per-connection mutex cost about a tenth
//     of an import's insert). Readers keep SQLite's own mutex: their
//     statements run under request contexts, and database/sql and the
//     driver act on cancellation from goroutines of their own.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := options{readConns: 4, busyTimeout: 5 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: open %q: need a plain file path", path)
	}
	if o.migrations == nil {
		m, err := schema.Load(migrationFS)
		if err != nil {
			return nil, err
		}
		o.migrations = m
	}
	file := "file:" + escapePath(path)
	common := fmt.Sprintf("_busy_timeout=%d&_foreign_keys=on&_stmt_cache_size=32", o.busyTimeout.Milliseconds())
	s := &Store{stopping: make(chan struct{}), writerDone: make(chan struct{}), observe: o.observe}
	s.queue = writequeue.New[func(conn *sql.Conn) error](maxGroup, s.stopping, closedError)
	w, err := sql.Open("sqlite3", file+"?_txlock=immediate&_journal_mode=WAL&_synchronous=FULL&_cache_size=-32000&_mutex=no&"+common)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	// One writer connection that lives as long as the store: its prepared
	// statements stay valid.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s.w = w
	if err := migrate(ctx, w, o.migrations); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: migrate %q: %w", path, err)
	}
	r, err := sql.Open("sqlite3", file+"?_query_only=on&_cache_size=-8000&"+common)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %q for reading: %w", path, err)
	}
	r.SetMaxOpenConns(o.readConns)
	r.SetMaxIdleConns(o.readConns)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)
	s.r = r
	if err := s.wStmts.prepare(ctx, w, true); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("sqlite: prepare: %w", err)
	}
	if err := s.rStmts.prepare(ctx, r, false); err != nil {
		s.wStmts.close()
		r.Close()
		w.Close()
		return nil, fmt.Errorf("sqlite: prepare: %w", err)
	}
	// The writer goroutine takes the pool's only connection for good.
	conn, err := w.Conn(context.Background())
	if err != nil {
		s.rStmts.close()
		s.wStmts.close()
		r.Close()
		w.Close()
		return nil, fmt.Errorf("sqlite: writer connection: %w", err)
	}
	s.raw.conn = conn
	go s.runWriter(conn)
	return s, nil
}

// escapePath quotes the characters that have a meaning in an SQLite URI.
func escapePath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// errClosed is the cause of the error every call returns after Close.
var errClosed = errors.New("sqlite store is closed")

func (s *Store) unavailableIfClosed() error {
	if s.closed.Load() {
		return closedError()
	}
	return nil
}

// Read runs fn in a deferred transaction on a reader connection: in WAL mode
// it sees the snapshot of its first read until it ends, and it never blocks
// or is blocked by the writer.
func (s *Store) Read(ctx context.Context, fn func(tx bank.ReadTx) error) error {
	if err := s.unavailableIfClosed(); err != nil {
		return err
	}
	sqlTx, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		return translate(err, "begin read")
	}
	// A read transaction has nothing to commit; rolling back ends the snapshot.
	defer sqlTx.Rollback()
	// readOnly hides the write methods of txn from type assertions.
	err = fn(readOnly{&txn{tx: sqlTx, stmts: &s.rStmts}})
	if err != nil && ctx.Err() != nil && bank.KindOf(err) == bank.KindInternal {
		// Cancelled mid-read: database/sql ends the transaction from its own
		// goroutine, and the next statement reports the ended transaction
		// (sql.ErrTxDone) rather than the cancellation. The caller's doing,
		// not a store failure.
		return ctx.Err()
	}
	return err
}

type readOnly struct{ bank.ReadTx }

// Ping checks that a reader connection can query the database.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.unavailableIfClosed(); err != nil {
		return err
	}
	var n int
	if err := s.r.QueryRowContext(bounded(ctx), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		return translate(err, "ping")
	}
	return nil
}

// Close closes both handles; later calls fail with KindUnavailable. Closing
// the last connection checkpoints the WAL into the database file.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	// The writer finishes the group it is running and ends; Writes that
	// were still waiting to be taken fail with KindUnavailable.
	close(s.stopping)
	<-s.writerDone
	var errs []error
	s.rStmts.close()
	s.wStmts.close()
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	errs = append(errs, s.w.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// translate turns a driver error into a bank error. *bank.Error values pass
// through unchanged.
func translate(err error, op string) error {
	if err == nil {
		return nil
	}
	var be *bank.Error
	if errors.As(err, &be) {
		return err
	}
	// The caller's context ended (a read under a cancelled request): the
	// client's doing, not a store failure, so not an internal error.
	if errors.Is(err, context.Canceled) {
		return context.Canceled
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return context.DeadlineExceeded
	}
	var se sqlite3.Error
	if errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked) {
		return &bank.Error{Kind: bank.KindUnavailable, Reason: bank.ReasonStoreUnavailable,
			Message: "the database is busy: retry later", Err: fmt.Errorf("%s: %w", op, err)}
	}
	return bank.Internal(err, "sqlite: %s", op)
}

// isUnique reports whether err is a UNIQUE or PRIMARY KEY violation and
// returns its message, which names the table.column ("UNIQUE constraint
// failed: banks.fin"): SQLite reports no other way to tell which
// constraint failed.
func isUnique(err error) (string, bool) {
	var se sqlite3.Error
	if errors.As(err, &se) && (se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey) {
		return se.Error(), true
	}
	return "", false
}

// isForeignKey reports whether err is a FOREIGN KEY violation.
func isForeignKey(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintForeignKey
}
