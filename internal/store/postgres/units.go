package postgres

import (
	"context"
	"errors"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/unit"
	"github.com/cordbank/cordbank/internal/store/rowenc"
	"github.com/jackc/pgx/v5"
)

var (
	unitInsertSQL = `INSERT INTO units (` + rowenc.UnitColumnList + `) VALUES (` +
		placeholders(1, len(rowenc.UnitColumns)) + `) ON CONFLICT (din) DO NOTHING`
	// unitUpdateSQL sets every column but the key (din, bank_id), which
	// comes last.
	unitUpdateSQL = `UPDATE units SET ` + assignments(rowenc.UnitColumns[2:], 1) + ` WHERE din = $` +
		itoa(len(rowenc.UnitColumns)-1) + ` AND bank_id = $` + itoa(len(rowenc.UnitColumns))
)

// GetUnit implements bank.ReadTx. A DIN registered by another bank is
// reported as not found, like one never registered.
func (t *txn) GetUnit(ctx context.Context, bankID string, din unit.DIN) (*bank.Unit, error) {
	var r rowenc.UnitRow
	err := t.tx.QueryRow(t.c(ctx), `SELECT `+rowenc.UnitColumnList+` FROM units WHERE din = $1 AND bank_id = $2`, string(din), bankID).Scan(r.Dest()...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, rowenc.UnitNotFound(bankID, din)
	}
	if err != nil {
		return nil, translate(err, "get unit")
	}
	u, err := r.Unit()
	if err != nil {
		return nil, bank.Internal(err, "postgres: read unit")
	}
	return u, nil
}

// ListUnits implements bank.ReadTx with keyset pagination on DIN.
func (t *txn) ListUnits(ctx context.Context, q bank.UnitQuery) ([]*bank.Unit, error) {
	if q.Limit <= 0 {
		return nil, nil
	}
	var b query
	b.sql(`SELECT `, rowenc.UnitColumnList, ` FROM units WHERE din > `, b.arg(string(q.AfterDIN)))
	if q.Bank != "" {
		b.sql(` AND bank_id = `, b.arg(q.Bank))
	}
	inList(&b, "status", q.Statuses)
	inList(&b, "unit_type", q.Types)
	inList(&b, "abo", q.ABOs)
	if !q.CollectedFrom.IsZero() {
		b.sql(` AND collection_date >= `, b.arg(q.CollectedFrom.String()))
	}
	if !q.CollectedTo.IsZero() {
		b.sql(` AND collection_date <= `, b.arg(q.CollectedTo.String()))
	}
	b.sql(` ORDER BY din LIMIT `, b.arg(q.Limit))
	rows, err := t.tx.Query(t.c(ctx), b.b.String(), b.args...)
	if err != nil {
		return nil, translate(err, "list units")
	}
	defer rows.Close()
	units, err := rowenc.CollectUnits(rows, q.WithoutReadings, q.Limit)
	return units, translate(err, "list units")
}

// InsertUnit implements bank.Tx. A duplicate DIN (in any bank) is
// KindAlreadyExists with reason UNIT_ALREADY_EXISTS and metadata "din";
// ON CONFLICT DO NOTHING keeps the transaction usable.
func (t *txn) InsertUnit(ctx context.Context, u *bank.Unit) error {
	args, err := rowenc.UnitArgs(nil, u)
	if err != nil {
		return bank.Internal(err, "postgres: encode unit %s", u.DIN)
	}
	tag, err := t.tx.Exec(t.c(ctx), unitInsertSQL, args...)
	if err != nil {
		return unitInsertError(err, u.Bank)
	}
	if tag.RowsAffected() == 0 {
		return rowenc.UnitExists(u.DIN)
	}
	return nil
}

func unitInsertError(err error, bankID string) error {
	if code, _ := constraintOf(err); code == foreignKeyViolation {
		return rowenc.BankNotFound(bankID)
	}
	return translate(err, "insert unit")
}

// InsertUnits implements bank.Tx with one COPY: the DINs already stored
// are looked up first (writes are serialized, so none can appear between
// the look-up and the COPY), duplicates within the call are refused here,
// and the rest are streamed in binary COPY while a second goroutine
// encodes them.
func (t *txn) InsertUnits(ctx context.Context, units []*bank.Unit) ([]error, error) {
	c := t.c(ctx)
	dins := make([]string, len(units))
	for i, u := range units {
		dins[i] = string(u.DIN)
	}
	rows, err := t.tx.Query(c, `SELECT din FROM units WHERE din = ANY($1)`, dins)
	stored, err := collect(rows, err, "insert units", func(r pgx.Rows) (string, error) {
		var s string
		return s, r.Scan(&s)
	})
	if err != nil {
		return nil, err
	}
	taken := make(map[string]bool, len(stored)+len(units))
	for _, s := range stored {
		taken[s] = true
	}
	errs := make([]error, len(units))
	var fresh []*bank.Unit
	for i, u := range units {
		if taken[string(u.DIN)] {
			errs[i] = rowenc.UnitExists(u.DIN)
			continue
		}
		taken[string(u.DIN)] = true
		fresh = append(fresh, u)
	}
	if len(fresh) == 0 {
		return errs, nil
	}
	src := newUnitSource(fresh)
	defer src.stop()
	if _, err := t.tx.CopyFrom(c, pgx.Identifier{"units"}, rowenc.UnitColumns, src); err != nil {
		if src.err != nil {
			return nil, bank.Internal(src.err, "postgres: encode units")
		}
		return nil, unitInsertError(err, fresh[0].Bank)
	}
	return errs, nil
}

// unitSource feeds COPY the rows a goroutine encodes ahead of it.
type unitSource struct {
	rows <-chan []any
	quit chan struct{}
	cur  []any
	err  error // an encoding error, which ends the COPY
	errc chan error
}

func newUnitSource(units []*bank.Unit) *unitSource {
	rows := make(chan []any, 256)
	s := &unitSource{rows: rows, quit: make(chan struct{}), errc: make(chan error, 1)}
	go func() {
		defer close(rows)
		for _, u := range units {
			args, err := rowenc.UnitArgs(make([]any, 0, len(rowenc.UnitColumns)), u)
			if err != nil {
				s.errc <- err
				return
			}
			select {
			case rows <- args:
			case <-s.quit:
				return
			}
		}
	}()
	return s
}

func (s *unitSource) Next() bool {
	r, ok := <-s.rows
	if !ok {
		select {
		case s.err = <-s.errc:
		default:
		}
		return false
	}
	s.cur = r
	return true
}

func (s *unitSource) Values() ([]any, error) { return s.cur, nil }

// Err reports an encoding error, which makes pgx abort the COPY.
func (s *unitSource) Err() error { return s.err }

// stop ends the encoder when the COPY ended early.
func (s *unitSource) stop() { close(s.quit) }

// UpdateUnit implements bank.Tx, keyed by DIN and bank.
func (t *txn) UpdateUnit(ctx context.Context, u *bank.Unit) error {
	args, err := rowenc.UnitArgs(make([]any, 0, len(rowenc.UnitColumns)+2), u)
	if err != nil {
		return bank.Internal(err, "postgres: encode unit %s", u.DIN)
	}
	args = append(args[2:], string(u.DIN), u.Bank)
	tag, err := t.tx.Exec(t.c(ctx), unitUpdateSQL, args...)
	if err != nil {
		return translate(err, "update unit")
	}
	if tag.RowsAffected() == 0 {
		return rowenc.UnitNotFound(u.Bank, u.DIN)
	}
	return nil
}
