package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/internal/store/rowenc"
	"github.com/jackc/pgx/v5"
)

// bankSelect reads rowenc.BankColumns and the bank's FINs, comma separated.
const bankSelect = rowenc.BankColumns + `, (SELECT string_agg(f.fin, ',') FROM bank_fins f WHERE f.bank_id = banks.id)`

func scanBank(row pgx.Row) (*bank.Bank, error) {
	var r rowenc.BankRow
	if err := row.Scan(r.Dest()...); err != nil {
		return nil, err
	}
	return r.Bank(), nil
}

// GetBank implements bank.ReadTx.
func (t *txn) GetBank(ctx context.Context, id string) (*bank.Bank, error) {
	b, err := scanBank(t.tx.QueryRow(t.c(ctx), `SELECT `+bankSelect+` FROM banks WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, rowenc.BankNotFound(id)
	}
	if err != nil {
		return nil, translate(err, "get bank")
	}
	return b, nil
}

// ListBanks implements bank.ReadTx.
func (t *txn) ListBanks(ctx context.Context, after string, limit int) ([]*bank.Bank, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := t.tx.Query(t.c(ctx), `SELECT `+bankSelect+` FROM banks WHERE id > $1 ORDER BY id LIMIT $2`, after, limit)
	return collect(rows, err, "list banks", func(r pgx.Rows) (*bank.Bank, error) { return scanBank(r) })
}

// InsertBank implements bank.Tx. An ID and a FIN both taken report the
// ID: that is the caller's first problem.
func (t *txn) InsertBank(ctx context.Context, b *bank.Bank) error {
	_, err := t.guarded(ctx, `INSERT INTO banks (`+rowenc.BankColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		b.ID, b.DisplayName, b.FIN, b.Country, rowenc.Accreditations(b.Accreditations), b.CreateTime.UnixNano(), b.UpdateTime.UnixNano(), b.Version)
	if err != nil {
		return t.bankConflict(ctx, err, b, true, "insert bank")
	}
	return t.putFINs(ctx, b)
}

// UpdateBank implements bank.Tx.
func (t *txn) UpdateBank(ctx context.Context, b *bank.Bank) error {
	tag, err := t.guarded(ctx, `UPDATE banks SET display_name = $1, fin = $2, country = $3, accreditations = $4,
		create_time = $5, update_time = $6, version = $7 WHERE id = $8`,
		b.DisplayName, b.FIN, b.Country, rowenc.Accreditations(b.Accreditations), b.CreateTime.UnixNano(), b.UpdateTime.UnixNano(), b.Version, b.ID)
	if err != nil {
		return t.bankConflict(ctx, err, b, false, "update bank")
	}
	if tag.RowsAffected() == 0 {
		return rowenc.BankNotFound(b.ID)
	}
	return t.putFINs(ctx, b)
}

// bankConflict translates a unique violation on banks: the ID or the FIN.
// PostgreSQL reports the first index it meets; with checkID the ID is
// looked up, because then the caller's problem is the ID.
func (t *txn) bankConflict(ctx context.Context, err error, b *bank.Bank, checkID bool, op string) error {
	code, constraint := constraintOf(err)
	if code != uniqueViolation {
		return translate(err, op)
	}
	finClash := constraint == "banks_fin_key"
	if finClash && checkID {
		if _, gerr := t.GetBank(ctx, b.ID); gerr == nil {
			finClash = false
		}
	}
	if finClash {
		return rowenc.FINTaken(b.FIN)
	}
	return rowenc.BankExists(b.ID)
}

// putFINs replaces the FINs of bank b with b.FINs.
func (t *txn) putFINs(ctx context.Context, b *bank.Bank) error {
	if _, err := t.tx.Exec(t.c(ctx), `DELETE FROM bank_fins WHERE bank_id = $1`, b.ID); err != nil {
		return translate(err, "replace bank fins")
	}
	for _, fin := range b.FINs {
		if _, err := t.guarded(ctx, `INSERT INTO bank_fins (fin, bank_id) VALUES ($1, $2)`, fin, b.ID); err != nil {
			if code, _ := constraintOf(err); code == uniqueViolation {
				return rowenc.FINTaken(fin)
			}
			return translate(err, "insert bank fin")
		}
	}
	return nil
}

// GetRequest implements bank.ReadTx.
func (t *txn) GetRequest(ctx context.Context, id string) (*bank.RequestRecord, error) {
	var r bank.RequestRecord
	var ctime int64
	err := t.tx.QueryRow(t.c(ctx), `SELECT request_id, method, fingerprint, resource, create_time FROM requests WHERE request_id = $1`, id).
		Scan(&r.ID, &r.Method, &r.Fingerprint, &r.Resource, &ctime)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, translate(err, "get request")
	}
	r.CreateTime = time.Unix(0, ctime).UTC()
	return &r, nil
}

// PutRequest implements bank.Tx. Recording an id twice is a bug of the
// caller (it checks GetRequest in the same transaction) and fails.
func (t *txn) PutRequest(ctx context.Context, r *bank.RequestRecord) error {
	_, err := t.tx.Exec(t.c(ctx), `INSERT INTO requests (request_id, method, fingerprint, resource, create_time) VALUES ($1, $2, $3, $4, $5)`,
		r.ID, r.Method, r.Fingerprint, r.Resource, r.CreateTime.UnixNano())
	return translate(err, "put request")
}
