package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/internal/store/writequeue"
)

// The writer: one goroutine owns the writer connection for the store's
// whole life and runs every write transaction on it. Store.Write hands it
// a job and waits; the writer takes every job queued at that moment,
// runs them one after another inside one BEGIN IMMEDIATE transaction,
// each inside its own SAVEPOINT, and commits them together (group commit:
// one fsync for many writes). A job whose fn fails is rolled back to its
// savepoint alone; the others commit.
//
// Why one owner rather than database/sql's pool of one connection: a
// request's context must decide only whether that request's work commits.
// With a transaction begun under the request's context, database/sql rolls
// it back from its own goroutine when the context ends, and with
// _mutex=no (SQLite's multi-thread mode) anything else still running on
// that connection then races it. Here no statement of a write ever runs
// under a cancellable context (the transaction is begun under
// context.Background and txn strips cancellation from each statement), so
// nothing but the writer goroutine ever touches the connection. The
// request's context is consulted between statements only: before its job
// starts (a cancelled job is skipped) and after its fn returns (a job
// cancelled meanwhile is rolled back to its savepoint), never during one.
// TestWritesUnderRandomCancellation (server) and the kill -9 test in cmd/cordbank check it.

// maxGroup bounds how many queued writes share one transaction: enough to
// turn 64 concurrent clients' writes into a handful of commits, few
// enough that a failed commit (disk full) fails a bounded set.
const maxGroup = 256

// writeJob is one Store.Write call on its way through the writer; its
// Maint, when set instead of Fn, runs on the writer's connection outside
// any transaction (maintenance: pragmas, checkpoints).
type writeJob = writequeue.Job[func(conn *sql.Conn) error]

// WriterStats counts the writer's work since Open.
type WriterStats struct {
	Commits int64 // transactions committed
	Writes  int64 // Write calls committed
	// RolledBack counts Write calls whose fn failed, panicked or whose
	// context ended before their transaction committed.
	RolledBack int64
	// Busy is the time the writer spent in transactions that held a
	// write, BEGIN to the end of COMMIT: Busy over the wall time near 1
	// means the single writer is what limits the write rate.
	Busy time.Duration
}

// QueuedWrites returns the number of Write calls waiting for the writer or
// running on it.
func (s *Store) QueuedWrites() int64 { return s.waiting.Load() }

// WriterStats returns the writer's counters (metrics, group-commit tests).
func (s *Store) WriterStats() WriterStats {
	return WriterStats{Commits: s.stats.commits.Load(), Writes: s.stats.writes.Load(), RolledBack: s.stats.rolledBack.Load(),
		Busy: time.Duration(s.stats.busy.Load())}
}

type writerCounters struct{ commits, writes, rolledBack, busy atomic.Int64 }

// Write runs fn in a write transaction on the writer goroutine (see the
// notes at the top of writer.go). It returns nil only once fn's writes are
// committed durably (synchronous=FULL). When it returns an error, none of
// fn's writes are committed: fn's own error unchanged, ctx's error when
// ctx ended before the commit, or the store's error. fn must not call
// Write (it would wait for the goroutine running it) and must not use tx
// after it returns or from another goroutine.
func (s *Store) Write(ctx context.Context, fn func(tx bank.Tx) error) error {
	if err := s.unavailableIfClosed(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.submit(ctx, writequeue.NewJob[func(conn *sql.Conn) error](ctx, fn))
}

// onWriterConn runs fn on the writer goroutine with its connection, outside
// any transaction, between two groups of writes.
func (s *Store) onWriterConn(ctx context.Context, fn func(conn *sql.Conn) error) error {
	if err := s.unavailableIfClosed(); err != nil {
		return err
	}
	return s.submit(ctx, writequeue.NewMaintenance(ctx, fn))
}

// submit queues j for the writer and waits for its outcome, or for ctx to
// end before the writer has taken it.
func (s *Store) submit(ctx context.Context, j *writeJob) error {
	s.waiting.Add(1)
	defer s.waiting.Add(-1)
	return s.queue.Submit(ctx, j)
}

// runWriter is the writer goroutine. It owns conn.
func (s *Store) runWriter(conn *sql.Conn) {
	defer close(s.writerDone)
	defer conn.Close()
	defer s.raw.close()
	batch := make([]*writeJob, 0, maxGroup)
	for {
		// Everyone already waiting joins this round.
		var more bool
		if batch, more = s.queue.Next(batch); !more {
			return
		}
		s.runBatch(conn, batch)
		clear(batch)
	}
}

// runBatch runs the jobs taken in one round: maintenance jobs between
// groups, outside any transaction; small writes before bulk ones (an
// import batch, bank.IsBulkWrite), each kind in its own transaction, so a
// unary write does not wait for an import batch queued at the same moment.
func (s *Store) runBatch(conn *sql.Conn, batch []*writeJob) {
	var small, bulk []*writeJob
	flush := func() {
		for _, group := range [][]*writeJob{small, bulk} {
			for rest := group; len(rest) > 0; {
				rest = s.runGroup(conn, rest)
			}
		}
		small, bulk = small[:0], bulk[:0]
	}
	for _, j := range batch {
		switch {
		case j.Maint != nil:
			flush()
			s.kept.valid = false // whatever it does to the rows, the next group reads them afresh
			if j.Take() {
				if err := s.subJournalFor(false); err != nil {
					j.Answer(translate(err, "temp_store"))
					continue
				}
				j.Answer(runOnConn(j, conn))
			}
		case j.Bulk:
			bulk = append(bulk, j)
		default:
			small = append(small, j)
		}
	}
	flush()
}

// runGroup runs jobs in one transaction and answers each. It returns the
// jobs it did not get to because SQLite ended the transaction on its own
// (an I/O error, a full disk): they go into a fresh one.
func (s *Store) runGroup(conn *sql.Conn, jobs []*writeJob) (rest []*writeJob) {
	var taken []*writeJob
	for _, j := range jobs {
		if j.Take() {
			taken = append(taken, j)
		}
	}
	if len(taken) == 0 {
		return nil
	}
	// All jobs of a group are of one kind (runBatch).
	if err := s.subJournalFor(!taken[0].Bulk); err != nil {
		failAll(taken, translate(err, "temp_store"))
		return nil
	}
	bg := context.Background()
	began := time.Now()
	sqlTx, err := conn.BeginTx(bg, nil)
	if err != nil {
		failAll(taken, translate(err, "begin write"))
		return nil
	}
	version, verr := s.raw.queryInt(rawDataVersion)
	t := &txn{tx: sqlTx, stmts: &s.wStmts, raw: &s.raw, known: s.kept.resume(version, verr)}
	var pending []*writeJob // ran without error, waiting for the commit
	for i, j := range taken {
		if err := j.Ctx.Err(); err != nil {
			s.finish(j, err)
			continue
		}
		if err := s.raw.exec(rawSavepoint); err != nil {
			return s.abandonGroup(sqlTx, pending, taken[i:], translate(err, "savepoint"))
		}
		before := t.mark()
		err := runJob(j, t)
		if err == nil {
			err = j.Ctx.Err() // ended while fn ran: its caller gets no acknowledgement, so nothing commits
		}
		if err == nil {
			if rerr := s.raw.exec(rawRelease); rerr != nil {
				return s.abandonGroup(sqlTx, pending, taken[i:], translate(rerr, "release savepoint"))
			}
			pending = append(pending, j)
			continue
		}
		// Undo this job alone. A statement error can make SQLite roll the
		// whole transaction back by itself (SQLITE_FULL, SQLITE_IOERR,
		// SQLITE_NOMEM ...); then the savepoint is gone, ROLLBACK TO fails,
		// and so are the pending jobs' writes (TestTransactionEndedBySQLite).
		if rerr := s.rollbackJob(); rerr != nil {
			s.finish(j, err)
			return s.abandonGroup(sqlTx, pending, taken[i+1:], translate(rerr, "rollback to savepoint"))
		}
		t.restore(before) // the job's rows are gone: so is what it taught the cache
		s.finish(j, err)
	}
	if len(pending) == 0 {
		_ = sqlTx.Rollback()
		return nil
	}
	err = sqlTx.Commit()
	took := time.Since(began)
	s.stats.busy.Add(int64(took))
	if s.observe != nil {
		s.observe(len(pending), took, err)
	}
	if err != nil {
		_ = sqlTx.Rollback()
		failAll(pending, translate(err, "commit"))
		s.stats.rolledBack.Add(int64(len(pending)))
		return nil
	}
	if verr == nil {
		s.kept = keptCache{known: t.known, version: version, valid: true}
	}
	s.stats.commits.Add(1)
	s.stats.writes.Add(int64(len(pending)))
	for _, j := range pending {
		j.Answer(nil)
	}
	return nil
}

// subJournalFor sets where the writer's next transaction, or maintenance
// job, keeps the pages its savepoints change: in memory for a group of
// small writes, SQLite's default (a temporary file past 64 KiB) for
// anything that may change many pages. It runs outside any transaction:
// SQLite reads temp_store when one begins. See store.go on temp_store.
func (s *Store) subJournalFor(inMemory bool) error {
	if s.subJournalInMemory == inMemory {
		return nil
	}
	id := rawSubJournalDefault
	if inMemory {
		id = rawSubJournalInMemory
	}
	if err := s.raw.exec(id); err != nil {
		return err
	}
	s.subJournalInMemory = inMemory
	return nil
}

// abandonGroup rolls the transaction back, fails the jobs whose writes it
// held, and returns the jobs not yet run, to be retried in a new one.
func (s *Store) abandonGroup(sqlTx *sql.Tx, pending, notRun []*writeJob, cause error) []*writeJob {
	_ = sqlTx.Rollback()
	failAll(pending, cause)
	s.stats.rolledBack.Add(int64(len(pending)))
	// notRun were taken: put them back in the queued state for the next
	// group, unless their caller has left meanwhile.
	var rest []*writeJob
	for _, j := range notRun {
		if j.Requeue() {
			rest = append(rest, j)
		}
	}
	return rest
}

// rollbackJob undoes the running job's writes: back to its savepoint,
// which it then leaves.
func (s *Store) rollbackJob() error {
	if err := s.raw.exec(rawRollbackTo); err != nil {
		return err
	}
	return s.raw.exec(rawRelease)
}

// keptCache carries the writer's txnCache from one committed group to the
// next, so a group does not begin by reading the chain's head, its stream
// heads and the banks again. A group takes it only when PRAGMA
// data_version, read under the group's write lock, is what it was at the
// last commit: no other connection (another process with the file open,
// a command-line tool) has committed since. A group that does not commit
// leaves nothing kept, and a maintenance job drops it.
// TestWriterCacheSeesOtherConnections fails without the version check.
type keptCache struct {
	known   txnCache
	version int64
	valid   bool
}

// resume returns the cache for a group that has just begun, under the
// write lock, at data version version (verr: it could not be read): the
// kept one if nothing else has committed since, else an empty one. Either
// way nothing stays kept until the group commits.
func (k *keptCache) resume(version int64, verr error) txnCache {
	ok := k.valid && verr == nil && version == k.version
	known := k.known
	*k = keptCache{}
	if !ok {
		return txnCache{}
	}
	return known
}

func (s *Store) finish(j *writeJob, err error) {
	s.stats.rolledBack.Add(1)
	j.Answer(err)
}

func failAll(jobs []*writeJob, err error) {
	for _, j := range jobs {
		j.Answer(err)
	}
}

// runJob runs j.fn, turning a panic into an internal error: the writer
// goroutine must survive a bug in one use case, or every later write
// would wait forever.
func runJob(j *writeJob, t *txn) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = bank.Internal(fmt.Errorf("panic: %v\n%s", r, debug.Stack()), "sqlite: write")
		}
	}()
	return j.Fn(t)
}

func runOnConn(j *writeJob, conn *sql.Conn) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = bank.Internal(fmt.Errorf("panic: %v\n%s", r, debug.Stack()), "sqlite: writer maintenance")
		}
	}()
	return j.Maint(conn)
}

func closedError() error {
	return &bank.Error{Kind: bank.KindUnavailable, Reason: bank.ReasonStoreUnavailable, Message: "the store is closed", Err: errClosed}
}

// PingWrite reports whether the store can take a write now: the writer
// goroutine answers and SQLite grants the write lock (BEGIN IMMEDIATE,
// then ROLLBACK, so nothing is written). Readiness probes use it; Ping
// only proves a reader works.
func (s *Store) PingWrite(ctx context.Context) error {
	return s.onWriterConn(ctx, func(conn *sql.Conn) error {
		bg := context.Background()
		if _, err := conn.ExecContext(bg, `BEGIN IMMEDIATE`); err != nil {
			return translate(err, "ping write")
		}
		_, err := conn.ExecContext(bg, `ROLLBACK`)
		return translate(err, "ping write")
	})
}
