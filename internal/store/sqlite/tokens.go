package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/cordbank/cordbank/bank/credential"
	"github.com/cordbank/cordbank/internal/store/rowenc"
)

const tokenColumns = rowenc.TokenColumns

func scanToken(sc interface{ Scan(...any) error }) (*credential.Token, error) {
	var r rowenc.TokenRow
	if err := sc.Scan(r.Dest()...); err != nil {
		return nil, err
	}
	return r.Token(), nil
}

// InsertToken implements bank.Tx.
func (t *txn) InsertToken(ctx context.Context, tk *credential.Token) error {
	_, err := t.tx.ExecContext(bounded(ctx), `INSERT INTO tokens (`+tokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		rowenc.TokenArgs(tk)...)
	if _, ok := isUnique(err); ok {
		return rowenc.TokenExists(tk)
	}
	if err != nil {
		return translate(err, "insert token")
	}
	return nil
}

// UpdateToken implements bank.Tx.
func (t *txn) UpdateToken(ctx context.Context, tk *credential.Token) error {
	res, err := t.tx.ExecContext(bounded(ctx), `UPDATE tokens SET revoke_time = ?, last_use_time = ? WHERE id = ?`,
		nullTime(tk.RevokeTime), nullTime(tk.LastUseTime), tk.ID)
	if err != nil {
		return translate(err, "update token")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return tokenNotFound(tk.ID)
	}
	return nil
}

var tokenNotFound = rowenc.TokenNotFound

// GetToken implements bank.ReadTx.
func (t *txn) GetToken(ctx context.Context, id string) (*credential.Token, error) {
	tk, err := scanToken(t.tx.QueryRowContext(bounded(ctx), `SELECT `+tokenColumns+` FROM tokens WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, tokenNotFound(id)
	}
	if err != nil {
		return nil, translate(err, "get token")
	}
	return tk, nil
}

// GetTokenByHash implements bank.ReadTx. An unrevoked token wins over
// revoked ones with the same hash (a re-bound certificate).
func (t *txn) GetTokenByHash(ctx context.Context, hash string) (*credential.Token, error) {
	tk, err := scanToken(t.tx.QueryRowContext(bounded(ctx), `SELECT `+tokenColumns+` FROM tokens WHERE hash = ?
		ORDER BY revoke_time IS NULL DESC, create_time DESC LIMIT 1`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, translate(err, "get token")
	}
	return tk, nil
}

// TokenEpoch implements bank.ReadTx: the number of tokens and of revoked
// ones, in one number. Tokens are never deleted and a revocation is never
// undone, so a creation or a revocation always moves it.
func (t *txn) TokenEpoch(ctx context.Context) (int64, error) {
	var n, revoked int64
	if err := t.tx.QueryRowContext(bounded(ctx), `SELECT count(*), count(revoke_time) FROM tokens`).Scan(&n, &revoked); err != nil {
		return 0, translate(err, "token epoch")
	}
	return n<<32 | revoked, nil
}

// ListTokens implements bank.ReadTx.
func (t *txn) ListTokens(ctx context.Context) ([]*credential.Token, error) {
	rows, err := t.tx.QueryContext(bounded(ctx), `SELECT `+tokenColumns+` FROM tokens ORDER BY id`)
	if err != nil {
		return nil, translate(err, "list tokens")
	}
	defer rows.Close()
	var out []*credential.Token
	for rows.Next() {
		tk, err := scanToken(rows)
		if err != nil {
			return nil, translate(err, "list tokens")
		}
		out = append(out, tk)
	}
	return out, translate(rows.Err(), "list tokens")
}
