package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/internal/store/writequeue"
	"github.com/jackc/pgx/v5"
)

// The writer: one goroutine per Store runs every write transaction of
// that Store. Store.Write hands it a job and waits; the writer takes every
// job queued at that moment (small writes before bulk imports), runs them
// one after another in one transaction, each inside its own savepoint,
// and commits them together: one WAL flush for many writes (group
// commit), which is what lets 64 clients write faster than one fsync at
// a time. A job whose fn fails is rolled back to its savepoint alone.
//
// Serialization. Every write transaction takes one transaction-level
// advisory lock (writeLockKey) before its first read, at READ COMMITTED,
// so write transactions run one after another across every connection,
// Store and server on the database, and each statement sees every write
// committed before the lock was granted (PostgreSQL makes a commit
// visible before it releases the committer's locks). Within a group the
// jobs run one after another. That is what the port promises (two Writes
// behave as if one ran after the other) and what the audit chain needs:
// the domain reads LastEvent and appends Seq+1 with its hash, so two
// writers must never read the same head. SERIALIZABLE with a retry on
// 40001 would give the same outcome, but every write appends to the chain,
// so concurrent writes would conflict nearly always and be retried,
// re-running fn, which the port does not allow (fn may have effects
// outside the transaction). A row lock on a chain-head row would serialize
// the same way, but only from the moment a write touches the chain, after
// its reads; the advisory lock covers the whole transaction and needs no
// row.
//
// Cancellation. No statement of a write runs under a request's context
// (txn.c strips it), so a cancelled request never breaks a connection
// mid-write or ends a transaction that holds other requests' writes. The
// request's context is consulted between statements only: before its job
// starts (a cancelled job is skipped) and after its fn returns (a job
// cancelled meanwhile is rolled back to its savepoint). A Write that
// returned nil was committed; one that returned an error was not, except
// when the connection is lost during COMMIT itself, which is reported as
// KindUnavailable: then the group was committed wholly or not at all
// (retry with the same request_id to learn which).

// maxGroup bounds how many queued writes share one transaction: each job
// is a subtransaction, and PostgreSQL caches 64 per backend before other
// sessions' visibility checks must consult pg_subtrans.
const maxGroup = 48

// beginWrite starts a write transaction, waits for the write lock and
// queues the commit notification (notify.go): PostgreSQL delivers a NOTIFY
// only when its transaction commits, so sending it with BEGIN saves the
// round trip it would cost before COMMIT, and a group rolled back whole
// notifies nobody.
var beginWrite = fmt.Sprintf(`BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(%d); NOTIFY %s`, writeLockKey, commitChannel)

// writeJob is one Store.Write call on its way through the writer (this
// store has no maintenance jobs).
type writeJob = writequeue.Job[struct{}]

// Write runs fn in a write transaction on the writer goroutine (see
// above). It returns nil only once fn's writes are committed
// (synchronous_commit as the server has it, on by default: flushed to the
// WAL on disk). When it returns an error, none of fn's writes are
// committed: fn's own error unchanged, ctx's error when ctx ended before
// the commit, or the store's error. fn must not call Write and must not
// use tx after it returns or from another goroutine.
func (s *Store) Write(ctx context.Context, fn func(tx bank.Tx) error) error {
	if s.closed.Load() {
		return closedError()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.queue.Submit(ctx, writequeue.NewJob[struct{}](ctx, fn))
}

func (s *Store) runWriter() {
	defer close(s.writerDone)
	batch := make([]*writeJob, 0, maxGroup)
	for {
		var more bool
		if batch, more = s.queue.Next(batch); !more {
			return
		}
		writequeue.SmallFirst(batch)
		s.runGroup(batch)
		clear(batch)
	}
}

// runGroup runs the jobs in one transaction and tells each its outcome.
func (s *Store) runGroup(jobs []*writeJob) {
	bg := context.Background()
	committed := false
	outcome := make([]error, len(jobs))
	ran := make([]bool, len(jobs)) // fn succeeded: waits for the commit
	finish := func(commitErr error) {
		for i, j := range jobs {
			if !j.Taken() {
				continue // abandoned: its caller has gone
			}
			err := outcome[i]
			if ran[i] {
				err = commitErr
			}
			j.Answer(err)
		}
	}
	// The lock is taken before the jobs are: a caller whose context ends
	// while another server holds the lock is not kept waiting.
	var lockErr error
	// BEGIN and the lock go in one round trip (one simple-protocol query).
	tx, err := s.pool.BeginTx(bg, pgx.TxOptions{BeginQuery: beginWrite})
	if err != nil {
		lockErr = translate(err, "begin write and take the write lock")
	} else {
		defer func() {
			if !committed {
				_ = tx.Rollback(bg)
			}
		}()
	}
	live := 0
	for i, j := range jobs {
		if !j.Take() {
			continue
		}
		switch err := j.Ctx.Err(); {
		case lockErr != nil:
			outcome[i] = lockErr
		case err != nil:
			outcome[i] = err
		default:
			live++
		}
	}
	if live == 0 {
		finish(nil)
		return
	}
	t := &txn{tx: tx, write: true}
	// One job alone needs no savepoint: its failure rolls back the whole
	// transaction, which holds nothing else.
	alone := live == 1
	for i, j := range jobs {
		if !j.Taken() || outcome[i] != nil {
			continue
		}
		if err := j.Ctx.Err(); err != nil {
			outcome[i] = err
			continue
		}
		if !alone {
			if _, err := tx.Exec(bg, `SAVEPOINT job`); err != nil {
				s.abandonGroup(jobs, outcome, ran, translate(err, "savepoint"))
				finish(nil)
				return
			}
		}
		err := run(j.Fn, bank.Tx(t), "write")
		if err == nil {
			err = j.Ctx.Err() // cancelled while fn ran: not committed unheard
		}
		if err != nil {
			outcome[i] = err
			if alone {
				finish(nil)
				return
			}
			if _, rerr := tx.Exec(bg, `ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job`); rerr != nil {
				s.abandonGroup(jobs, outcome, ran, translate(rerr, "roll back a write"))
				finish(nil)
				return
			}
			continue
		}
		if !alone {
			if _, err := tx.Exec(bg, `RELEASE SAVEPOINT job`); err != nil {
				// fn returned nil over a failed statement (the transaction
				// is aborted): this job fails alone if its savepoint can
				// still be rolled back to.
				outcome[i] = translate(err, "release a write")
				if _, rerr := tx.Exec(bg, `ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job`); rerr != nil {
					s.abandonGroup(jobs, outcome, ran, translate(rerr, "roll back a write"))
					finish(nil)
					return
				}
				continue
			}
		}
		ran[i] = true
	}
	if !slices.Contains(ran, true) {
		finish(nil)
		return
	}
	err = tx.Commit(bg)
	committed = err == nil
	finish(translate(err, "commit"))
}

// failTaken fails every taken job that has no outcome yet with err.
func (s *Store) failTaken(jobs []*writeJob, outcome []error, err error) {
	for i, j := range jobs {
		if j.Taken() && outcome[i] == nil {
			outcome[i] = err
		}
	}
}

// abandonGroup fails the whole group: the transaction is lost, so even
// the jobs that ran are not committed.
func (s *Store) abandonGroup(jobs []*writeJob, outcome []error, ran []bool, err error) {
	for i := range ran {
		if ran[i] {
			ran[i] = false
			outcome[i] = err
		}
	}
	s.failTaken(jobs, outcome, err)
}
