package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"sync/atomic"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// rawWriter runs the import's per-row inserts on the writer's driver
// connection directly. database/sql converts every argument and allocates
// a []driver.NamedValue for each statement it runs; on an import (a unit
// row of 57 columns and an event row per unit) that was a fifth of the
// single writer's time and most of its garbage.
//
// It is safe because the writer pool has exactly one connection and a
// Write holds it for the whole transaction: the statements run in that
// transaction, on the goroutine that runs the Write, between database/sql
// calls of the same goroutine.
type rawWriter struct {
	conn atomic.Pointer[sqlite3.SQLiteConn] // set by the driver's connect hook
	// Per connection: prepared statements and the argument buffer.
	on    *sqlite3.SQLiteConn
	stmts [numRaw]driver.Stmt
	nv    []driver.NamedValue
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

// connector opens the writer's connections with the driver of one store,
// whose connect hook records the connection.
type connector struct {
	dsn string
	drv *sqlite3.SQLiteDriver
}

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c connector) Driver() driver.Driver                        { return c.drv }

func (r *rawWriter) hook(c *sqlite3.SQLiteConn) error {
	r.conn.Store(c)
	return nil
}

var errNoRawConn = errors.New("sqlite: the writer connection is not known")

// exec runs statement id with args on the writer connection, in the
// current transaction. args must hold driver values only (string, int64,
// float64, nil).
func (r *rawWriter) exec(id rawID, args []any) (driver.Result, error) {
	c := r.conn.Load()
	if c == nil {
		return nil, errNoRawConn
	}
	if c != r.on {
		// A new connection (the pool replaced a broken one): the old
		// statements died with their connection.
		r.on, r.stmts = c, [numRaw]driver.Stmt{}
	}
	st := r.stmts[id]
	if st == nil {
		var err error
		if st, err = c.Prepare(rawSQL[id]); err != nil {
			return nil, err
		}
		r.stmts[id] = st
	}
	nv := r.nv[:0]
	for i, a := range args {
		nv = append(nv, driver.NamedValue{Ordinal: i + 1, Value: a})
	}
	r.nv = nv
	res, err := st.(driver.StmtExecContext).ExecContext(context.Background(), nv)
	clear(nv) // drop references to the row's strings
	return res, err
}

// close finalizes the statements; the store calls it before closing the
// writer connection.
func (r *rawWriter) close() {
	for i, st := range r.stmts {
		if st != nil {
			st.Close()
			r.stmts[i] = nil
		}
	}
}
