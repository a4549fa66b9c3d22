package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/internal/store/rowenc"
)

const bankColumns = rowenc.BankColumns

// bankSelect reads bankColumns and the bank's FINs (bank_fins), comma
// separated.
const bankSelect = bankColumns + `, (SELECT group_concat(f.fin, ',') FROM bank_fins f WHERE f.bank_id = banks.id)`

type bankRow = rowenc.BankRow

// putFINs replaces the FINs of bank b with b.FINs. A FIN another bank owns
// is KindAlreadyExists, ReasonFINAlreadyRegistered.
func (t *txn) putFINs(ctx context.Context, b *bank.Bank) error {
	if _, err := t.tx.ExecContext(bounded(ctx), `DELETE FROM bank_fins WHERE bank_id = ?`, b.ID); err != nil {
		return translate(err, "replace bank fins")
	}
	for _, fin := range b.FINs {
		if _, err := t.tx.ExecContext(bounded(ctx), `INSERT INTO bank_fins (fin, bank_id) VALUES (?, ?)`, fin, b.ID); err != nil {
			if _, ok := isUnique(err); ok {
				return rowenc.FINTaken(fin)
			}
			return translate(err, "insert bank fin")
		}
	}
	return nil
}

var accreditations = rowenc.Accreditations

// GetBank implements bank.ReadTx.
func (t *txn) GetBank(ctx context.Context, id string) (*bank.Bank, error) {
	if b, ok := t.known.banks[id]; ok {
		return copyBank(b), nil
	}
	b, err := t.getBank(ctx, id)
	if err == nil && t.caching() {
		if t.known.banks == nil {
			t.known.banks = map[string]*bank.Bank{}
		}
		t.known.banks[id] = copyBank(b)
	}
	return b, err
}

// copyBank returns a copy of b that shares nothing a caller may change.
func copyBank(b *bank.Bank) *bank.Bank {
	c := *b
	c.FINs = slices.Clone(b.FINs)
	c.Accreditations = slices.Clone(b.Accreditations)
	return &c
}

func (t *txn) getBank(ctx context.Context, id string) (*bank.Bank, error) {
	var r bankRow
	err := t.stmt(ctx, stmtGetBank).QueryRowContext(bounded(ctx), id).Scan(r.Dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, rowenc.BankNotFound(id)
	}
	if err != nil {
		return nil, translate(err, "get bank")
	}
	return r.Bank(), nil
}

// ListBanks implements bank.ReadTx.
func (t *txn) ListBanks(ctx context.Context, after string, limit int) ([]*bank.Bank, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := t.stmt(ctx, stmtListBanks).QueryContext(bounded(ctx), after, limit)
	if err != nil {
		return nil, translate(err, "list banks")
	}
	defer rows.Close()
	var out []*bank.Bank
	for rows.Next() {
		var r bankRow
		if err := rows.Scan(r.Dest()...); err != nil {
			return nil, translate(err, "list banks")
		}
		out = append(out, r.Bank())
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err, "list banks")
	}
	return out, nil
}

// bankConflict translates a unique violation on banks: the ID or the FIN.
// When both collide SQLite may name either; with checkID the ID is looked
// up, because then the caller's problem is the ID.
func (t *txn) bankConflict(ctx context.Context, err error, b *bank.Bank, checkID bool, op string) error {
	if msg, ok := isUnique(err); ok {
		finClash := strings.Contains(msg, "banks.fin")
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
	return translate(err, op)
}

// InsertBank implements bank.Tx.
func (t *txn) InsertBank(ctx context.Context, b *bank.Bank) error {
	delete(t.known.banks, b.ID)
	_, err := t.stmt(ctx, stmtInsertBank).ExecContext(bounded(ctx), b.ID, b.DisplayName, b.FIN, b.Country,
		accreditations(b.Accreditations), b.CreateTime.UnixNano(), b.UpdateTime.UnixNano(), b.Version)
	if err != nil {
		return t.bankConflict(ctx, err, b, true, "insert bank")
	}
	return t.putFINs(ctx, b)
}

// UpdateBank implements bank.Tx.
func (t *txn) UpdateBank(ctx context.Context, b *bank.Bank) error {
	delete(t.known.banks, b.ID)
	res, err := t.stmt(ctx, stmtUpdateBank).ExecContext(bounded(ctx), b.DisplayName, b.FIN, b.Country,
		accreditations(b.Accreditations), b.CreateTime.UnixNano(), b.UpdateTime.UnixNano(), b.Version, b.ID)
	if err != nil {
		return t.bankConflict(ctx, err, b, false, "update bank")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(err, "update bank")
	}
	if n == 0 {
		return rowenc.BankNotFound(b.ID)
	}
	return t.putFINs(ctx, b)
}

// GetRequest implements bank.ReadTx.
func (t *txn) GetRequest(ctx context.Context, id string) (*bank.RequestRecord, error) {
	var r bank.RequestRecord
	var ctime int64
	err := t.stmt(ctx, stmtGetRequest).QueryRowContext(bounded(ctx), id).Scan(&r.ID, &r.Method, &r.Fingerprint, &r.Resource, &ctime)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, translate(err, "get request")
	}
	r.CreateTime = time.Unix(0, ctime).UTC()
	return &r, nil
}

// PutRequest implements bank.Tx. Recording an id twice is a bug of the
// caller (it must check GetRequest in the same transaction) and fails.
func (t *txn) PutRequest(ctx context.Context, r *bank.RequestRecord) error {
	_, err := t.stmt(ctx, stmtPutRequest).ExecContext(bounded(ctx), r.ID, r.Method, r.Fingerprint, r.Resource, r.CreateTime.UnixNano())
	if err != nil {
		return translate(err, "put request")
	}
	return nil
}
