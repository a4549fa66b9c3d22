package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// rawWriter runs the import's per-row inserts on the writer's driver
// connection directly. database/sql converts every argument and allocates
// a []driver.NamedValue for each statement it runs; on an import (a unit
// row of 57 columns and an event row per unit) that was a fifth of the
// single writer's time and most of its garbage.
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
	// result of the last exec, kept here so the Raw callback below is a
	// method value allocated once rather than a closure per row.
	id  rawID
	res driver.Result
	run func(dc any) error
}

// rawID names a statement the rawWriter runs.
type rawID int

const (
	rawInsertUnit rawID = iota
	rawAppendEvent
	numRaw
)

var rawSQL = [numRaw]string{
	// ON CONFLICT DO NOTHING turns a duplicate DIN into "0 rows affected"
	// instead of an error, so one duplicate in an import batch neither
	// aborts the transaction nor costs an error round trip.
	rawInsertUnit:  `INSERT INTO units (` + unitColumnList + `) VALUES (` + unitPlaceholders + `) ON CONFLICT (din) DO NOTHING`,
	rawAppendEvent: `INSERT INTO events (` + eventColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
}

var errNoRawConn = errors.New("sqlite: the writer connection is not a go-sqlite3 connection")

// exec runs statement id with args on the writer connection, in the
// current transaction. args must hold driver values only (string, int64,
// float64, nil). Only the writer goroutine calls it, from inside a job.
func (r *rawWriter) exec(id rawID, args []any) (driver.Result, error) {
	nv := r.nv[:0]
	for i, a := range args {
		nv = append(nv, driver.NamedValue{Ordinal: i + 1, Value: a})
	}
	r.nv, r.id = nv, id
	if r.run == nil {
		r.run = r.execRaw
	}
	err := r.conn.Raw(r.run)
	clear(nv) // drop references to the row's strings
	res := r.res
	r.res = nil
	return res, err
}

// execRaw runs inside sql.Conn.Raw, with the connection locked.
func (r *rawWriter) execRaw(dc any) error {
	c, ok := dc.(*sqlite3.SQLiteConn)
	if !ok {
		return errNoRawConn
	}
	if c != r.on {
		r.closeStmts()
		r.on = c
	}
	st := r.stmts[r.id]
	if st == nil {
		var err error
		if st, err = c.Prepare(rawSQL[r.id]); err != nil {
			return err
		}
		r.stmts[r.id] = st
	}
	// context.Background: a statement of the writer is never interrupted
	// (see writer.go); go-sqlite3 then also runs it on this goroutine.
	res, err := st.(driver.StmtExecContext).ExecContext(context.Background(), r.nv)
	r.res = res
	return err
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
