package postgres

import (
	"context"
	"strconv"
	"strings"

	"github.com/cordbank/cordbank/bank"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// txn implements bank.Tx (and so bank.ReadTx) over one pgx transaction.
type txn struct {
	tx    pgx.Tx
	write bool
}

var _ bank.Tx = (*txn)(nil)

// c returns the context for one statement. A write's statements run
// without the request's cancellation (see Store.Write); a read's run
// under it.
func (t *txn) c(ctx context.Context) context.Context {
	if t.write {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// guarded runs one statement that may violate a constraint the caller
// translates into a domain error, inside a savepoint: PostgreSQL aborts
// the whole transaction on any error, SQLite only the statement, and the
// domain may go on after such an error (an import goes on after a
// duplicate). The savepoint, the statement and its release go out in one
// round trip.
func (t *txn) guarded(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	c := t.c(ctx)
	b := &pgx.Batch{}
	b.Queue(`SAVEPOINT guard`)
	b.Queue(sql, args...)
	b.Queue(`RELEASE SAVEPOINT guard`)
	br := t.tx.SendBatch(c, b)
	_, err := br.Exec()
	var tag pgconn.CommandTag
	if err == nil {
		tag, err = br.Exec()
		if err == nil {
			_, err = br.Exec()
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// Back to before the statement; the transaction goes on. If even
		// this fails the transaction is lost, and its next statement says so.
		_, _ = t.tx.Exec(c, `ROLLBACK TO SAVEPOINT guard; RELEASE SAVEPOINT guard`)
	}
	return tag, err
}

// query builds a statement with numbered parameters.
type query struct {
	b    strings.Builder
	args []any
}

// arg adds v as the next parameter and returns its placeholder.
func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

func (q *query) sql(s ...string) *query {
	for _, x := range s {
		q.b.WriteString(x)
	}
	return q
}

// in adds " AND col = ANY($n)" for a non-empty filter.
func inList[T ~string](q *query, col string, vals []T) {
	if len(vals) == 0 {
		return
	}
	s := make([]string, len(vals))
	for i, v := range vals {
		s[i] = string(v)
	}
	q.sql(` AND `, col, ` = ANY(`, q.arg(s), `)`)
}

// placeholders returns "$from, $from+1, ..." for n parameters.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(from + i))
	}
	return b.String()
}

// assignments returns "a = $from, b = $from+1, ..." for cols.
func assignments(cols []string, from int) string {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c)
		b.WriteString(" = $")
		b.WriteString(strconv.Itoa(from + i))
	}
	return b.String()
}

// collect reads every row with scan, translating errors as op.
func collect[T any](rows pgx.Rows, err error, op string, scan func(pgx.Rows) (T, error)) ([]T, error) {
	if err != nil {
		return nil, translate(err, op)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, translate(err, op)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, op)
	}
	return out, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
