package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/cordbank/cordbank/bank"
)

const bankColumns = `id, display_name, fin, country, accreditations, create_time, update_time, version`

// bankSelect reads bankColumns and the bank's FINs (bank_fins), comma
// separated.
const bankSelect = bankColumns + `, (SELECT group_concat(f.fin, ',') FROM bank_fins f WHERE f.bank_id = banks.id)`

type bankRow struct {
	b            bank.Bank
	accr         string
	fins         sql.NullString
	ctime, utime int64
}

func (r *bankRow) dest() []any {
	return []any{&r.b.ID, &r.b.DisplayName, &r.b.FIN, &r.b.Country, &r.accr, &r.ctime, &r.utime, &r.b.Version, &r.fins}
}

func (r *bankRow) bank() *bank.Bank {
	b := r.b
	if r.accr != "" {
		for _, a := range strings.Split(r.accr, ",") {
			b.Accreditations = append(b.Accreditations, bank.Accreditation(a))
		}
	}
	if r.fins.String != "" {
		b.FINs = strings.Split(r.fins.String, ",")
		slices.Sort(b.FINs)
	}
	b.CreateTime = time.Unix(0, r.ctime).UTC()
	b.UpdateTime = time.Unix(0, r.utime).UTC()
	return &b
}

// putFINs replaces the FINs of bank b with b.FINs. A FIN another bank owns
// is KindAlreadyExists, ReasonFINAlreadyRegistered.
func (t *txn) putFINs(ctx context.Context, b *bank.Bank) error {
	if _, err := t.tx.ExecContext(bounded(ctx), `DELETE FROM bank_fins WHERE bank_id = ?`, b.ID); err != nil {
		return translate(err, "replace bank fins")
	}
	for _, fin := range b.FINs {
		if _, err := t.tx.ExecContext(bounded(ctx), `INSERT INTO bank_fins (fin, bank_id) VALUES (?, ?)`, fin, b.ID); err != nil {
			if _, ok := isUnique(err); ok {
				return bank.NewError(bank.KindAlreadyExists, bank.ReasonFINAlreadyRegistered,
					"another bank is registered with this facility identification number", "fin", fin)
			}
			return translate(err, "insert bank fin")
		}
	}
	return nil
}

// accreditations stores the list as comma-separated enum names, readable in
// plain SQL; the names never contain commas.
func accreditations(as []bank.Accreditation) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ",")
}

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
	err := t.stmt(ctx, stmtGetBank).QueryRowContext(bounded(ctx), id).Scan(r.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, bank.NewError(bank.KindNotFound, bank.ReasonBankNotFound, "bank not found", "name", "banks/"+id)
	}
	if err != nil {
		return nil, translate(err, "get bank")
	}
	return r.bank(), nil
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
		if err := rows.Scan(r.dest()...); err != nil {
			return nil, translate(err, "list banks")
		}
		out = append(out, r.bank())
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
			return bank.NewError(bank.KindAlreadyExists, bank.ReasonFINAlreadyRegistered,
				"another bank is registered with this facility identification number", "fin", b.FIN)
		}
		return bank.NewError(bank.KindAlreadyExists, bank.ReasonBankAlreadyExists,
			"a bank with this id already exists", "name", "banks/"+b.ID)
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
		return bank.NewError(bank.KindNotFound, bank.ReasonBankNotFound, "bank not found", "name", "banks/"+b.ID)
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
