package sqlite

import (
	"context"
	"strings"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/unit"
	"github.com/cordbank/cordbank/internal/store/rowenc"
)

var (
	reservationColumns = rowenc.ReservationColumns
	reservationArgs    = rowenc.ReservationArgs
)

// InsertReservation implements bank.Tx.
func (t *txn) InsertReservation(ctx context.Context, r *bank.Reservation) error {
	args, err := reservationArgs(r)
	if err != nil {
		return bank.Internal(err, "encode reservation")
	}
	_, err = t.tx.ExecContext(bounded(ctx), `INSERT INTO reservations (`+reservationColumns+`) VALUES (`+
		strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")+`)`, args...)
	if msg, ok := isUnique(err); ok && strings.Contains(msg, "reservations.din") {
		return rowenc.OpenReservationExists(r.DIN)
	}
	if err != nil {
		return translate(err, "insert reservation")
	}
	return nil
}

// UpdateReservation implements bank.Tx.
func (t *txn) UpdateReservation(ctx context.Context, r *bank.Reservation) error {
	args, err := reservationArgs(r)
	if err != nil {
		return bank.Internal(err, "encode reservation")
	}
	cols := strings.Split(strings.ReplaceAll(reservationColumns, "\n\t", " "), ", ")
	res, err := t.tx.ExecContext(bounded(ctx), `UPDATE reservations SET `+strings.Join(cols[1:], " = ?, ")+` = ? WHERE id = ?`,
		append(args[1:], r.ID)...)
	if msg, ok := isUnique(err); ok && strings.Contains(msg, "reservations.din") {
		return rowenc.OpenReservationExists(r.DIN)
	}
	if err != nil {
		return translate(err, "update reservation")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return rowenc.ReservationNotFound(r.ID)
	}
	return nil
}

func (t *txn) queryReservations(ctx context.Context, where string, args ...any) ([]*bank.Reservation, error) {
	rows, err := t.tx.QueryContext(bounded(ctx), `SELECT `+reservationColumns+` FROM reservations `+where, args...)
	if err != nil {
		return nil, translate(err, "list reservations")
	}
	defer rows.Close()
	var out []*bank.Reservation
	for rows.Next() {
		var row rowenc.ReservationRow
		if err := rows.Scan(row.Dest()...); err != nil {
			return nil, translate(err, "scan reservation")
		}
		r, err := row.Reservation()
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, translate(rows.Err(), "list reservations")
}

// GetReservation implements bank.ReadTx.
func (t *txn) GetReservation(ctx context.Context, id string) (*bank.Reservation, error) {
	rs, err := t.queryReservations(ctx, `WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, rowenc.ReservationNotFound(id)
	}
	return rs[0], nil
}

// OpenReservation implements bank.ReadTx.
func (t *txn) OpenReservation(ctx context.Context, din unit.DIN) (*bank.Reservation, error) {
	rs, err := t.queryReservations(ctx, `WHERE din = ? AND status IN ('ACTIVE', 'SHIPMENT_REQUESTED')`, string(din))
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	return rs[0], nil
}

// ListReservations implements bank.ReadTx.
func (t *txn) ListReservations(ctx context.Context, q bank.ReservationQuery) ([]*bank.Reservation, error) {
	if q.Limit <= 0 {
		return nil, nil
	}
	var b strings.Builder
	b.WriteString(`WHERE id > ?`)
	args := []any{q.AfterID}
	if q.Bank != "" {
		b.WriteString(` AND bank_id = ?`)
		args = append(args, q.Bank)
	}
	if q.DIN != "" {
		b.WriteString(` AND din = ?`)
		args = append(args, string(q.DIN))
	}
	if q.TransplantCenter != "" {
		b.WriteString(` AND transplant_center = ?`)
		args = append(args, q.TransplantCenter)
	}
	if q.OpenOnly {
		b.WriteString(` AND status IN ('ACTIVE', 'SHIPMENT_REQUESTED')`)
	}
	if q.PublicUnitsOnly {
		b.WriteString(` AND NOT EXISTS (SELECT 1 FROM units u WHERE u.din = reservations.din AND u.unit_type <> 'PUBLIC')`)
	}
	b.WriteString(` ORDER BY id LIMIT ?`)
	return t.queryReservations(ctx, b.String(), append(args, q.Limit)...)
}

// DueReservations implements bank.ReadTx.
func (t *txn) DueReservations(ctx context.Context, now time.Time, limit int) ([]*bank.Reservation, error) {
	return t.queryReservations(ctx, `WHERE status = 'ACTIVE' AND expire_time <= ? ORDER BY expire_time, id LIMIT ?`, now.UnixNano(), limit)
}
