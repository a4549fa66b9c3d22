package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/cordbank/cordbank/bank"
)

// stmtID names a statement of the fixed set every transaction may use.
type stmtID int

const (
	stmtGetBank stmtID = iota
	stmtListBanks
	stmtGetUnit
	stmtGetRequest
	stmtLastEvent
	stmtStreamHead
	stmtInsertBank
	stmtUpdateBank
	stmtUpdateUnit
	stmtPutRequest
	numStmts
)

// numReadStmts: the statements before it also run on readers; the others
// only on the writer.
const numReadStmts = stmtInsertBank

var stmtSQL = [numStmts]string{
	stmtGetBank:    `SELECT ` + bankSelect + ` FROM banks WHERE id = ?`,
	stmtListBanks:  `SELECT ` + bankSelect + ` FROM banks WHERE id > ? ORDER BY id LIMIT ?`,
	stmtGetUnit:    `SELECT ` + unitColumnList + ` FROM units WHERE din = ? AND bank_id = ?`,
	stmtGetRequest: `SELECT request_id, method, fingerprint, resource, create_time FROM requests WHERE request_id = ?`,
	stmtInsertBank: `INSERT INTO banks (` + bankColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
	stmtUpdateBank: `UPDATE banks SET display_name = ?, fin = ?, country = ?, accreditations = ?, create_time = ?, update_time = ?, version = ? WHERE id = ?`,
	stmtUpdateUnit: `UPDATE units SET ` + unitAssignments + ` WHERE din = ? AND bank_id = ?`,
	stmtPutRequest: `INSERT INTO requests (request_id, method, fingerprint, resource, create_time) VALUES (?, ?, ?, ?, ?)`,
	stmtLastEvent:  `SELECT ` + eventColumns + ` FROM events ORDER BY seq DESC LIMIT 1`,
	stmtStreamHead: `SELECT coalesce(max(stream_seq), 0) FROM events WHERE stream = ?`,
}

// stmtSet holds statements prepared on one *sql.DB. database/sql prepares
// each again, once, on every connection of the pool that runs it, and keeps
// it: a transaction binds them with Tx.StmtContext without re-parsing SQL.
type stmtSet [numStmts]*sql.Stmt

func (s *stmtSet) prepare(ctx context.Context, db *sql.DB, write bool) error {
	n := numReadStmts
	if write {
		n = numStmts
	}
	for i := range n {
		st, err := db.PrepareContext(ctx, stmtSQL[i])
		if err != nil {
			return fmt.Errorf("statement %d: %w", i, err)
		}
		s[i] = st
	}
	return nil
}

func (s *stmtSet) close() {
	for i, st := range s {
		if st != nil {
			st.Close()
			s[i] = nil
		}
	}
}

// txn implements bank.Tx (and so bank.ReadTx) over one SQL transaction.
// Statements are bound to the transaction on first use and reused for the
// rest of it: an import of 1000 units binds the insert once.
type txn struct {
	tx    *sql.Tx
	stmts *stmtSet
	bound [numStmts]*sql.Stmt
	args  []any      // scratch for one row's arguments, reused across inserts
	raw   *rawWriter // the writer's driver connection; nil for readers
	known txnCache   // what this write transaction has read or written (writer only)
}

// txnCache remembers the rows every unary write reads again: the audit
// chain's head and its streams' heads (each write links its event to
// them) and the banks (each unit write checks its bank's FINs). It is
// sound because the transaction holds SQLite's write lock (BEGIN
// IMMEDIATE) from its start: no other connection or process can change
// these rows while it lasts, and this transaction's own changes go
// through the methods that update or drop the entries. A job rolled back
// to its savepoint restores the cache as it was before the job (mark,
// restore). A committed group's cache is carried to the next group only
// while no other connection has committed in between (keptCache,
// writer.go); otherwise a transaction starts empty.
type txnCache struct {
	// head is the newest event when headKnown and not empty (a value: an
	// import appends thousands of events, each becoming the head).
	head      bank.Event
	headKnown bool
	empty     bool                  // with headKnown: the chain has no event yet
	banks     map[string]*bank.Bank // by ID, as stored; never handed out (callers get copies)
	streams   map[string]int64      // each stream's last StreamSeq, as StreamHead reads it
}

// mark returns the cache as it is, for restore after a rollback.
func (t *txn) mark() txnCache {
	m := t.known
	m.banks = nil   // a job's bank writes drop entries; restore starts the banks over
	m.streams = nil // likewise the stream heads
	return m
}

// restore puts the cache back as mark found it, after ROLLBACK TO.
func (t *txn) restore(m txnCache) {
	t.known = m
}

// caching reports whether t may remember rows: only a writer transaction,
// which holds the write lock.
func (t *txn) caching() bool { return t.raw != nil }

var _ bank.Tx = (*txn)(nil)

// bounded returns the context for one statement: ctx without its
// cancellation. On the writer, a statement must never be interrupted (an
// interrupted statement can end the whole transaction, which holds other
// requests' writes too; see writer.go): the writer consults each
// request's context between statements instead. On a reader, go-sqlite3
// would start a goroutine per statement to watch a cancellable context,
// which costs more than a one-row read, while the read transaction itself
// still honours ctx (database/sql rolls it back when ctx is done, and the
// next statement fails).
func bounded(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

func (t *txn) stmt(ctx context.Context, id stmtID) *sql.Stmt {
	if st := t.bound[id]; st != nil {
		return st
	}
	// Read hands out its txn as a bare bank.ReadTx, so only the writer
	// ever asks for a write statement.
	st := t.tx.StmtContext(bounded(ctx), t.stmts[id])
	t.bound[id] = st
	return st
}
