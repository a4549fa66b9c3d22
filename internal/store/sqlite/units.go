package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/unit"
	"github.com/cordbank/cordbank/internal/store/rowenc"
)

var unitNotFound = rowenc.UnitNotFound

// GetUnit implements bank.ReadTx. A DIN registered by another bank is
// reported as not found, like one never registered.
func (t *txn) GetUnit(ctx context.Context, bankID string, din unit.DIN) (*bank.Unit, error) {
	var r unitRow
	err := t.stmt(ctx, stmtGetUnit).QueryRowContext(bounded(ctx), string(din), bankID).Scan(r.Dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, unitNotFound(bankID, din)
	}
	if err != nil {
		return nil, translate(err, "get unit")
	}
	u, err := r.Unit()
	if err != nil {
		return nil, bank.Internal(err, "sqlite: read unit")
	}
	return u, nil
}

// ListUnits implements bank.ReadTx with keyset pagination: the cursor is
// the last DIN returned, so rows inserted while a client pages through
// never shift the pages. A non-positive Limit returns no units.
func (t *txn) ListUnits(ctx context.Context, q bank.UnitQuery) ([]*bank.Unit, error) {
	if q.Limit <= 0 {
		return nil, nil
	}
	var b strings.Builder
	b.Grow(len(unitColumnList) + 256)
	args := make([]any, 0, 8+len(q.Statuses)+len(q.Types)+len(q.ABOs))
	b.WriteString(`SELECT `)
	b.WriteString(unitColumnList)
	b.WriteString(` FROM units WHERE 1`)
	if q.Bank != "" {
		b.WriteString(` AND bank_id = ?`)
		args = append(args, q.Bank)
	}
	args = inList(&b, args, "status", q.Statuses)
	args = inList(&b, args, "unit_type", q.Types)
	args = inList(&b, args, "abo", q.ABOs)
	if !q.CollectedFrom.IsZero() {
		b.WriteString(` AND collection_date >= ?`)
		args = append(args, q.CollectedFrom.String())
	}
	if !q.CollectedTo.IsZero() {
		b.WriteString(` AND collection_date <= ?`)
		args = append(args, q.CollectedTo.String())
	}
	b.WriteString(` AND din > ? ORDER BY din LIMIT ?`)
	args = append(args, string(q.AfterDIN), q.Limit)

	// The query text varies with the filters; the driver's per-connection
	// statement cache (_stmt_cache_size) keeps the common shapes prepared.
	rows, err := t.tx.QueryContext(bounded(ctx), b.String(), args...)
	if err != nil {
		return nil, translate(err, "list units")
	}
	defer rows.Close()
	units, err := rowenc.CollectUnits(rows, q.WithoutReadings, q.Limit)
	return units, translate(err, "list units")
}

// inList adds "AND col IN (?, ...)" for a non-empty filter.
func inList[T ~string](b *strings.Builder, args []any, col string, vals []T) []any {
	if len(vals) == 0 {
		return args
	}
	b.WriteString(` AND `)
	b.WriteString(col)
	b.WriteString(` IN (`)
	for i, v := range vals {
		if i > 0 {
			b.WriteString(`, `)
		}
		b.WriteByte('?')
		args = append(args, string(v))
	}
	b.WriteByte(')')
	return args
}

// InsertUnit implements bank.Tx. A duplicate DIN (in any bank) is
// KindAlreadyExists with reason UNIT_ALREADY_EXISTS and metadata "din"; the
// transaction stays usable, so an import goes on with the next unit.
func (t *txn) InsertUnit(ctx context.Context, u *bank.Unit) error {
	args, err := unitArgs(t.args[:0], u)
	if err != nil {
		return bank.Internal(err, "sqlite: encode unit %s", u.DIN)
	}
	t.args = args
	err = t.insertUnitRow(ctx, u, args)
	clear(args) // drop references to u's strings until the next insert
	return err
}

// InsertUnits implements bank.Tx. The units' rows are encoded by a second
// goroutine while this one inserts: encoding (JSON readings, dates) costs
// about as much as the insert itself, and this goroutine holds the only
// writer, so it should spend its time in SQLite.
func (t *txn) InsertUnits(ctx context.Context, units []*bank.Unit) ([]error, error) {
	type row struct {
		*scratch
		err error
	}
	// Buffered for every unit: the encoder never blocks, so it ends on its
	// own even when an insert fails and this function returns early.
	rows := make(chan row, len(units))
	go func() {
		defer close(rows)
		for _, u := range units {
			sc := newScratch()
			var err error
			sc.args, sc.buf, err = unitArgsBuf(sc.args, sc.buf, u)
			rows <- row{sc, err}
		}
	}()
	errs := make([]error, len(units))
	err := t.raw.batch(func(run rawExec) error {
		for i, u := range units {
			r := <-rows
			if r.err != nil {
				return bank.Internal(r.err, "sqlite: encode unit %s", u.DIN)
			}
			err := insertUnitResult(u, run, r.args)
			r.release() // bound: SQLite copied what it keeps
			switch {
			case err == nil:
			case bank.KindOf(err) == bank.KindAlreadyExists:
				errs[i] = err
			default:
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return errs, nil
}

// scratch is one row's encoding on its way from an encoder goroutine to
// the writer: its arguments, and the buffer their JSON strings share
// bytes with. Scratches are pooled, so an import allocates none per row;
// one is released once its statement has run (SQLite copies bound values).
type scratch struct {
	args []any
	buf  []byte
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{args: make([]any, 0, len(unitColumns)), buf: make([]byte, 0, 2048)}
}}

func newScratch() *scratch { return scratchPool.Get().(*scratch) }

func (s *scratch) release() {
	clear(s.args)
	s.args, s.buf = s.args[:0], s.buf[:0]
	if cap(s.buf) <= 64<<10 { // do not keep an outsized row's buffer
		scratchPool.Put(s)
	}
}

// insertUnitRow runs the insert of u with its encoded arguments.
func (t *txn) insertUnitRow(ctx context.Context, u *bank.Unit, args []any) error {
	return t.raw.batch(func(run rawExec) error { return insertUnitResult(u, run, args) })
}

// insertUnitResult runs the insert of u with run and turns its outcome
// into the domain's terms.
func insertUnitResult(u *bank.Unit, run rawExec, args []any) error {
	res, err := run(rawInsertUnit, args)
	if err != nil {
		if isForeignKey(err) {
			return rowenc.BankNotFound(u.Bank)
		}
		return translate(err, "insert unit")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(err, "insert unit")
	}
	if n == 0 {
		return rowenc.UnitExists(u.DIN)
	}
	return nil
}

// UpdateUnit implements bank.Tx. The unit is found by DIN and bank: a unit
// never moves to another bank, so a mismatch is KindNotFound.
func (t *txn) UpdateUnit(ctx context.Context, u *bank.Unit) error {
	args, err := unitArgs(make([]any, 0, len(unitColumns)+2), u)
	if err != nil {
		return bank.Internal(err, "sqlite: encode unit %s", u.DIN)
	}
	// unitArgs starts with the key (din, bank_id); UPDATE wants it last.
	args = append(args[2:], string(u.DIN), u.Bank)
	res, err := t.stmt(ctx, stmtUpdateUnit).ExecContext(bounded(ctx), args...)
	if err != nil {
		return translate(err, "update unit")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(err, "update unit")
	}
	if n == 0 {
		return unitNotFound(u.Bank, u.DIN)
	}
	return nil
}
