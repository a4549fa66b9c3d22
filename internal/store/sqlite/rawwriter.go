package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// rawWriter runs the import's per-row inserts, and the statements every
// group and job of the writer runs (savepoints, the data version), on the
// writer's driver connection directly. database/sql converts every
// argument and allocates a []driver.NamedValue for each statement it runs;
// on an import (a unit row of 57 columns and an event row per unit) that
// was a fifth of the single writer's time and most of its garbage.
//
// It reaches the driver connection only through sql.Conn.Raw, which holds
// database/sql's lock on that connection for the call: whatever else
// database/sql might do with the connection waits for the statement. The
// writer goroutine owns the sql.Conn (writer.go), so in practice nothing
// else does; the lock makes that a property of the code, not a promise.
type rawWriter struct {
	conn *sql.Conn // the writer's connection, owned by the writer goroutine
	// Per driver connection: prepared statements and the argument buffer.
	on    *sqlite3.SQLiteConn
	stmts [numRaw]driver.Stmt
	nv    []driver.NamedValue
}

// rawID names a statement the rawWriter runs.
type rawID int

const (
	rawInsertUnit rawID = iota
	rawAppendEvent
	rawSavepoint
	rawRelease
	rawRollbackTo
	rawDataVersion
	rawSubJournalInMemory
	rawSubJournalDefault
	numRaw
)

var rawSQL = [numRaw]string{
	// ON CONFLICT DO NOTHING turns a duplicate DIN into "0 rows affected"
	// instead of an error, so one duplicate in an import batch neither
	// aborts the transaction nor costs an error round trip.
	rawInsertUnit:  `INSERT INTO units (` + unitColumnList + `) VALUES (` + unitPlaceholders + `) ON CONFLICT (din) DO NOTHING`,
	rawAppendEvent: `INSERT INTO events (` + eventColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	// Each job of a group runs inside its own savepoint (writer.go).
	rawSavepoint:  `SAVEPOINT job`,
	rawRelease:    `RELEASE job`,
	rawRollbackTo: `ROLLBACK TO job`,
	// Changes when another connection (another process) has committed
	// since this connection last looked; never for its own commits.
	rawDataVersion: `PRAGMA data_version`,
	// Where savepoints keep the pages they change (Store.subJournalFor).
	rawSubJournalInMemory: `PRAGMA temp_store=MEMORY`,
	rawSubJournalDefault:  `PRAGMA temp_store=DEFAULT`,
}

var errNoRawConn = errors.New("sqlite: the writer connection is not a go-sqlite3 connection")

// rawExec runs one statement inside batch.
type rawExec func(id rawID, args []any) (driver.Result, error)

// batch runs fn with the writer's driver connection locked (sql.Conn.Raw)
// for all of fn's statements: an import locks it once per batch rather
// than once per row. fn must run raw statements only: a database/sql call
// on the same connection inside it would wait for the lock fn holds.
func (r *rawWriter) batch(fn func(run rawExec) error) error {
	return r.conn.Raw(func(dc any) error {
		c, ok := dc.(*sqlite3.SQLiteConn)
		if !ok {
			return errNoRawConn
		}
		if c != r.on {
			r.closeStmts()
			r.on = c
		}
		return fn(r.execOn)
	})
}

// exec runs one argument-free statement (a savepoint's).
func (r *rawWriter) exec(id rawID) error {
	return r.batch(func(run rawExec) error {
		_, err := run(id, nil)
		return err
	})
}

// queryInt runs an argument-free statement whose answer is one integer.
func (r *rawWriter) queryInt(id rawID) (n int64, err error) {
	err = r.batch(func(rawExec) error {
		st, err := r.prepared(id)
		if err != nil {
			return err
		}
		rows, err := st.(driver.StmtQueryContext).QueryContext(context.Background(), nil)
		if err != nil {
			return err
		}
		defer rows.Close()
		dest := make([]driver.Value, 1)
		if err := rows.Next(dest); err != nil {
			return err
		}
		var ok bool
		if n, ok = dest[0].(int64); !ok {
			return fmt.Errorf("sqlite: %s answered %T", rawSQL[id], dest[0])
		}
		return nil
	})
	return n, err
}

// prepared returns statement id prepared on r.on, which batch has locked.
func (r *rawWriter) prepared(id rawID) (driver.Stmt, error) {
	if st := r.stmts[id]; st != nil {
		return st, nil
	}
	st, err := r.on.Prepare(rawSQL[id])
	if err != nil {
		return nil, err
	}
	r.stmts[id] = st
	return st, nil
}

// execOn runs statement id on r.on, which batch has locked.
func (r *rawWriter) execOn(id rawID, args []any) (driver.Result, error) {
	st, err := r.prepared(id)
	if err != nil {
		return nil, err
	}
	nv := r.nv[:0]
	for i, a := range args {
		nv = append(nv, driver.NamedValue{Ordinal: i + 1, Value: a})
	}
	r.nv = nv
	// context.Background: a statement of the writer is never interrupted
	// (see writer.go); go-sqlite3 then also runs it on this goroutine.
	res, err := st.(driver.StmtExecContext).ExecContext(context.Background(), nv)
	clear(nv) // drop references to the row's strings
	return res, err
}

func (r *rawWriter) closeStmts() {
	for i, st := range r.stmts {
		if st != nil {
			st.Close()
			r.stmts[i] = nil
		}
	}
}

// close finalizes the statements; the writer goroutine calls it before it
// closes its connection.
func (r *rawWriter) close() {
	if r.conn == nil || r.on == nil {
		return
	}
	_ = r.conn.Raw(func(any) error { r.closeStmts(); return nil })
}
