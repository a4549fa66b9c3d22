package postgres

import (
	"context"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/unit"
	"github.com/cordbank/cordbank/internal/store/rowenc"
	"github.com/jackc/pgx/v5"
)

// reservationConflict: the only unique index a reservation can break
// besides its id is reservations_open, one open hold per unit.
func reservationConflict(err error, r *bank.Reservation, op string) error {
	if code, constraint := constraintOf(err); code == uniqueViolation && constraint == "reservations_open" {
		return rowenc.OpenReservationExists(r.DIN)
	}
	return translate(err, op)
}

// InsertReservation implements bank.Tx.
func (t *txn) InsertReservation(ctx context.Context, r *bank.Reservation) error {
	args, err := rowenc.ReservationArgs(r)
	if err != nil {
		return bank.Internal(err, "encode reservation")
	}
	_, err = t.guarded(ctx, `INSERT INTO reservations (`+rowenc.ReservationColumns+`) VALUES (`+placeholders(1, len(args))+`)`, args...)
	if err != nil {
		return reservationConflict(err, r, "insert reservation")
	}
	return nil
}

// UpdateReservation implements bank.Tx.
func (t *txn) UpdateReservation(ctx context.Context, r *bank.Reservation) error {
	args, err := rowenc.ReservationArgs(r)
	if err != nil {
		return bank.Internal(err, "encode reservation")
	}
	tag, err := t.guarded(ctx, `UPDATE reservations SET `+assignments(rowenc.ReservationColumnNames[1:], 1)+` WHERE id = $`+itoa(len(args)),
		append(args[1:], r.ID)...)
	if err != nil {
		return reservationConflict(err, r, "update reservation")
	}
	if tag.RowsAffected() == 0 {
		return rowenc.ReservationNotFound(r.ID)
	}
	return nil
}

func scanReservation(rows pgx.Rows) (*bank.Reservation, error) {
	var r rowenc.ReservationRow
	if err := rows.Scan(r.Dest()...); err != nil {
		return nil, err
	}
	return r.Reservation()
}

func (t *txn) reservations(ctx context.Context, where string, args ...any) ([]*bank.Reservation, error) {
	rows, err := t.tx.Query(t.c(ctx), `SELECT `+rowenc.ReservationColumns+` FROM reservations `+where, args...)
	return collect(rows, err, "list reservations", scanReservation)
}

// GetReservation implements bank.ReadTx.
func (t *txn) GetReservation(ctx context.Context, id string) (*bank.Reservation, error) {
	rs, err := t.reservations(ctx, `WHERE id = $1`, id)
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
	rs, err := t.reservations(ctx, `WHERE din = $1 AND status IN ('ACTIVE', 'SHIPMENT_REQUESTED')`, string(din))
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
	var b query
	b.sql(`WHERE id > `, b.arg(q.AfterID))
	if q.Bank != "" {
		b.sql(` AND bank_id = `, b.arg(q.Bank))
	}
	if q.DIN != "" {
		b.sql(` AND din = `, b.arg(string(q.DIN)))
	}
	if q.TransplantCenter != "" {
		b.sql(` AND transplant_center = `, b.arg(q.TransplantCenter))
	}
	if q.OpenOnly {
		b.sql(` AND status IN ('ACTIVE', 'SHIPMENT_REQUESTED')`)
	}
	if q.PublicUnitsOnly {
		b.sql(` AND NOT EXISTS (SELECT 1 FROM units u WHERE u.din = reservations.din AND u.unit_type <> 'PUBLIC')`)
	}
	b.sql(` ORDER BY id LIMIT `, b.arg(q.Limit))
	return t.reservations(ctx, b.b.String(), b.args...)
}

// DueReservations implements bank.ReadTx.
func (t *txn) DueReservations(ctx context.Context, now time.Time, limit int) ([]*bank.Reservation, error) {
	return t.reservations(ctx, `WHERE status = 'ACTIVE' AND expire_time <= $1 ORDER BY expire_time, id LIMIT $2`, now.UnixNano(), limit)
}
