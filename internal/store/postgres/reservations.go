package postgres

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/internal/store/rowenc"
	"github.com/jackc/pgx/v5"
)

var reservationColumnNames = []string{"id", "bank_id", "din", "transplant_center", "patient_id", "status", "expire_time", "ct", "ct_request_time",
	"ct_complete_date", "ct_typing", "ct_discrepancies", "shipment_request_time", "end_time", "end_reason", "create_time", "update_time", "version"}

var reservationColumns = strings.Join(reservationColumnNames, ", ")

func reservationArgs(r *bank.Reservation) ([]any, error) {
	typing, err := rowenc.TypingsJSON(r.CTTyping)
	if err != nil {
		return nil, err
	}
	return []any{r.ID, r.Bank, string(r.DIN), r.TransplantCenter, r.PatientID, string(r.Status), r.ExpireTime.UnixNano(),
		string(r.CT), rowenc.NullTime(r.CTRequestTime), rowenc.NullDate(r.CTCompleteDate), typing, strings.Join(r.CTDiscrepancies, ","),
		rowenc.NullTime(r.ShipmentRequestTime), rowenc.NullTime(r.EndTime), r.EndReason, r.CreateTime.UnixNano(), r.UpdateTime.UnixNano(), r.Version}, nil
}

// reservationConflict: the only unique index a reservation can break
// besides its id is reservations_open, one open hold per unit.
func reservationConflict(err error, r *bank.Reservation, op string) error {
	if code, constraint := constraintOf(err); code == uniqueViolation && constraint == "reservations_open" {
		return bank.NewError(bank.KindFailedPrecondition, bank.ReasonUnitNotReservable,
			"unit cannot be reserved: it already has an open reservation", "din", string(r.DIN))
	}
	return translate(err, op)
}

// InsertReservation implements bank.Tx.
func (t *txn) InsertReservation(ctx context.Context, r *bank.Reservation) error {
	args, err := reservationArgs(r)
	if err != nil {
		return bank.Internal(err, "encode reservation")
	}
	_, err = t.guarded(ctx, `INSERT INTO reservations (`+reservationColumns+`) VALUES (`+placeholders(1, len(args))+`)`, args...)
	if err != nil {
		return reservationConflict(err, r, "insert reservation")
	}
	return nil
}

// UpdateReservation implements bank.Tx.
func (t *txn) UpdateReservation(ctx context.Context, r *bank.Reservation) error {
	args, err := reservationArgs(r)
	if err != nil {
		return bank.Internal(err, "encode reservation")
	}
	tag, err := t.guarded(ctx, `UPDATE reservations SET `+assignments(reservationColumnNames[1:], 1)+` WHERE id = $`+itoa(len(args)),
		append(args[1:], r.ID)...)
	if err != nil {
		return reservationConflict(err, r, "update reservation")
	}
	if tag.RowsAffected() == 0 {
		return bank.NewError(bank.KindNotFound, bank.ReasonReservationNotFound, "no such reservation", "id", r.ID)
	}
	return nil
}

func scanReservation(rows pgx.Rows) (*bank.Reservation, error) {
	var r bank.Reservation
	var din, status, ct, disc string
	var expire, created, updated int64
	var ctReq, ship, end sql.NullInt64
	var ctDate, typing sql.NullString
	if err := rows.Scan(&r.ID, &r.Bank, &din, &r.TransplantCenter, &r.PatientID, &status, &expire, &ct, &ctReq,
		&ctDate, &typing, &disc, &ship, &end, &r.EndReason, &created, &updated, &r.Version); err != nil {
		return nil, err
	}
	r.DIN, r.Status, r.CT = bank.DIN(din), bank.ReservationStatus(status), bank.CTStatus(ct)
	r.ExpireTime, r.CreateTime, r.UpdateTime = time.Unix(0, expire).UTC(), time.Unix(0, created).UTC(), time.Unix(0, updated).UTC()
	r.CTRequestTime, r.ShipmentRequestTime, r.EndTime = rowenc.TimeOf(ctReq), rowenc.TimeOf(ship), rowenc.TimeOf(end)
	var err error
	if r.CTCompleteDate, err = rowenc.ParseDate(ctDate.String); err != nil {
		return nil, bank.Internal(err, "reservation %s", r.ID)
	}
	if disc != "" {
		r.CTDiscrepancies = strings.Split(disc, ",")
	}
	if r.CTTyping, err = rowenc.ParseTypings(typing, nil); err != nil {
		return nil, bank.Internal(err, "reservation %s", r.ID)
	}
	return &r, nil
}

func (t *txn) reservations(ctx context.Context, where string, args ...any) ([]*bank.Reservation, error) {
	rows, err := t.tx.Query(t.c(ctx), `SELECT `+reservationColumns+` FROM reservations `+where, args...)
	return collect(rows, err, "list reservations", scanReservation)
}

// GetReservation implements bank.ReadTx.
func (t *txn) GetReservation(ctx context.Context, id string) (*bank.Reservation, error) {
	rs, err := t.reservations(ctx, `WHERE id = $1`, id)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, bank.NewError(bank.KindNotFound, bank.ReasonReservationNotFound, "no such reservation", "id", id)
	}
	return rs[0], nil
}

// OpenReservation implements bank.ReadTx.
func (t *txn) OpenReservation(ctx context.Context, din bank.DIN) (*bank.Reservation, error) {
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
