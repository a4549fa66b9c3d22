package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/cordbank/cordbank/bank"
)

const reservationColumns = `id, bank_id, din, transplant_center, patient_id, status, expire_time, ct, ct_request_time,
	ct_complete_date, ct_typing, ct_discrepancies, shipment_request_time, end_time, end_reason, create_time, update_time, version`

func reservationArgs(r *bank.Reservation) ([]any, error) {
	typing, err := typingsJSON(r.CTTyping)
	if err != nil {
		return nil, err
	}
	return []any{r.ID, r.Bank, string(r.DIN), r.TransplantCenter, r.PatientID, string(r.Status), r.ExpireTime.UnixNano(),
		string(r.CT), nullTime(r.CTRequestTime), nullDate(r.CTCompleteDate), typing, strings.Join(r.CTDiscrepancies, ","),
		nullTime(r.ShipmentRequestTime), nullTime(r.EndTime), r.EndReason, r.CreateTime.UnixNano(), r.UpdateTime.UnixNano(), r.Version}, nil
}

// InsertReservation implements bank.Tx.
func (t *txn) InsertReservation(ctx context.Context, r *bank.Reservation) error {
	args, err := reservationArgs(r)
	if err != nil {
		return bank.Internal(err, "encode reservation")
	}
	_, err = t.tx.ExecContext(bounded(ctx), `INSERT INTO reservations (`+reservationColumns+`) VALUES (`+
		strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")+`)`, args...)
	if msg, ok := isUnique(err); ok && strings.Contains(msg, "reservations.din") {
		return bank.NewError(bank.KindFailedPrecondition, bank.ReasonUnitNotReservable,
			"unit cannot be reserved: it already has an open reservation", "din", string(r.DIN))
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
		return bank.NewError(bank.KindFailedPrecondition, bank.ReasonUnitNotReservable,
			"unit already has an open reservation", "din", string(r.DIN))
	}
	if err != nil {
		return translate(err, "update reservation")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return bank.NewError(bank.KindNotFound, bank.ReasonReservationNotFound, "no such reservation", "id", r.ID)
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
		var r bank.Reservation
		var din, status, ct, disc string
		var expire, created, updated int64
		var ctReq, ship, end sql.NullInt64
		var ctDate, typing sql.NullString
		if err := rows.Scan(&r.ID, &r.Bank, &din, &r.TransplantCenter, &r.PatientID, &status, &expire, &ct, &ctReq,
			&ctDate, &typing, &disc, &ship, &end, &r.EndReason, &created, &updated, &r.Version); err != nil {
			return nil, translate(err, "scan reservation")
		}
		r.DIN, r.Status, r.CT = bank.DIN(din), bank.ReservationStatus(status), bank.CTStatus(ct)
		r.ExpireTime, r.CreateTime, r.UpdateTime = time.Unix(0, expire).UTC(), time.Unix(0, created).UTC(), time.Unix(0, updated).UTC()
		r.CTRequestTime, r.ShipmentRequestTime, r.EndTime = timeOf(ctReq), timeOf(ship), timeOf(end)
		if r.CTCompleteDate, err = parseDate(ctDate.String); err != nil {
			return nil, bank.Internal(err, "reservation %s", r.ID)
		}
		if disc != "" {
			r.CTDiscrepancies = strings.Split(disc, ",")
		}
		if r.CTTyping, err = parseTypings(typing, nil); err != nil {
			return nil, bank.Internal(err, "reservation %s", r.ID)
		}
		out = append(out, &r)
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
		return nil, bank.NewError(bank.KindNotFound, bank.ReasonReservationNotFound, "no such reservation", "id", id)
	}
	return rs[0], nil
}

// OpenReservation implements bank.ReadTx.
func (t *txn) OpenReservation(ctx context.Context, din bank.DIN) (*bank.Reservation, error) {
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
