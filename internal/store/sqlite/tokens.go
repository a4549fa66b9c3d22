package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/cordbank/cordbank/bank"
)

const tokenColumns = `id, principal, role, org, cert_cn, hash, create_time, expire_time, revoke_time, last_use_time, created_by`

func scanToken(sc interface{ Scan(...any) error }) (*bank.Token, error) {
	var t bank.Token
	var role string
	var create int64
	var expire, revoke, lastUse sql.NullInt64
	if err := sc.Scan(&t.ID, &t.Principal, &role, &t.Org, &t.CertCN, &t.Hash, &create, &expire, &revoke, &lastUse, &t.CreatedBy); err != nil {
		return nil, err
	}
	t.Role = bank.Role(role)
	t.CreateTime = timeOf(sql.NullInt64{Int64: create, Valid: true})
	t.ExpireTime, t.RevokeTime, t.LastUseTime = timeOf(expire), timeOf(revoke), timeOf(lastUse)
	return &t, nil
}

// InsertToken implements bank.Tx.
func (t *txn) InsertToken(ctx context.Context, tk *bank.Token) error {
	_, err := t.tx.ExecContext(bounded(ctx), `INSERT INTO tokens (`+tokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tk.ID, tk.Principal, string(tk.Role), tk.Org, tk.CertCN, tk.Hash, tk.CreateTime.UnixNano(),
		nullTime(tk.ExpireTime), nullTime(tk.RevokeTime), nullTime(tk.LastUseTime), tk.CreatedBy)
	if _, ok := isUnique(err); ok {
		return bank.NewError(bank.KindAlreadyExists, bank.ReasonFailedPrecondition, "token already exists", "token", tk.Name())
	}
	if err != nil {
		return translate(err, "insert token")
	}
	return nil
}

// UpdateToken implements bank.Tx.
func (t *txn) UpdateToken(ctx context.Context, tk *bank.Token) error {
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

func tokenNotFound(id string) error {
	return bank.NewError(bank.KindNotFound, bank.ReasonTokenNotFound, "no such token", "token", "tokens/"+id)
}

// GetToken implements bank.ReadTx.
func (t *txn) GetToken(ctx context.Context, id string) (*bank.Token, error) {
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
func (t *txn) GetTokenByHash(ctx context.Context, hash string) (*bank.Token, error) {
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
func (t *txn) ListTokens(ctx context.Context) ([]*bank.Token, error) {
	rows, err := t.tx.QueryContext(bounded(ctx), `SELECT `+tokenColumns+` FROM tokens ORDER BY id`)
	if err != nil {
		return nil, translate(err, "list tokens")
	}
	defer rows.Close()
	var out []*bank.Token
	for rows.Next() {
		tk, err := scanToken(rows)
		if err != nil {
			return nil, translate(err, "list tokens")
		}
		out = append(out, tk)
	}
	return out, translate(rows.Err(), "list tokens")
}
