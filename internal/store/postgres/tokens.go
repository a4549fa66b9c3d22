package postgres

import (
	"context"
	"errors"

	"github.com/cordbank/cordbank/bank/credential"
	"github.com/cordbank/cordbank/internal/store/rowenc"
	"github.com/jackc/pgx/v5"
)

func scanToken(row pgx.Row) (*credential.Token, error) {
	var r rowenc.TokenRow
	if err := row.Scan(r.Dest()...); err != nil {
		return nil, err
	}
	return r.Token(), nil
}

// InsertToken implements bank.Tx.
func (t *txn) InsertToken(ctx context.Context, tk *credential.Token) error {
	_, err := t.guarded(ctx, `INSERT INTO tokens (`+rowenc.TokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		rowenc.TokenArgs(tk)...)
	if code, _ := constraintOf(err); code == uniqueViolation {
		return rowenc.TokenExists(tk)
	}
	return translate(err, "insert token")
}

// UpdateToken implements bank.Tx.
func (t *txn) UpdateToken(ctx context.Context, tk *credential.Token) error {
	tag, err := t.tx.Exec(t.c(ctx), `UPDATE tokens SET revoke_time = $1, last_use_time = $2 WHERE id = $3`,
		rowenc.NullTime(tk.RevokeTime), rowenc.NullTime(tk.LastUseTime), tk.ID)
	if err != nil {
		return translate(err, "update token")
	}
	if tag.RowsAffected() == 0 {
		return rowenc.TokenNotFound(tk.ID)
	}
	return nil
}

// GetToken implements bank.ReadTx.
func (t *txn) GetToken(ctx context.Context, id string) (*credential.Token, error) {
	tk, err := scanToken(t.tx.QueryRow(t.c(ctx), `SELECT `+rowenc.TokenColumns+` FROM tokens WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, rowenc.TokenNotFound(id)
	}
	if err != nil {
		return nil, translate(err, "get token")
	}
	return tk, nil
}

// GetTokenByHash implements bank.ReadTx. An unrevoked token wins over
// revoked ones with the same hash (a re-bound certificate).
func (t *txn) GetTokenByHash(ctx context.Context, hash string) (*credential.Token, error) {
	tk, err := scanToken(t.tx.QueryRow(t.c(ctx), `SELECT `+rowenc.TokenColumns+` FROM tokens WHERE hash = $1
		ORDER BY revoke_time IS NULL DESC, create_time DESC LIMIT 1`, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, translate(err, "get token")
	}
	return tk, nil
}

// ListTokens implements bank.ReadTx.
func (t *txn) ListTokens(ctx context.Context) ([]*credential.Token, error) {
	rows, err := t.tx.Query(t.c(ctx), `SELECT `+rowenc.TokenColumns+` FROM tokens ORDER BY id`)
	return collect(rows, err, "list tokens", func(r pgx.Rows) (*credential.Token, error) { return scanToken(r) })
}

// TokenEpoch implements bank.ReadTx: the number of tokens and of revoked
// ones, in one number, as the SQLite store gives it. Tokens are never
// deleted and a revocation is never undone, so a creation or a
// revocation always moves it.
func (t *txn) TokenEpoch(ctx context.Context) (int64, error) {
	var n, revoked int64
	if err := t.tx.QueryRow(t.c(ctx), `SELECT count(*), count(revoke_time) FROM tokens`).Scan(&n, &revoked); err != nil {
		return 0, translate(err, "token epoch")
	}
	return n<<32 | revoked, nil
}
