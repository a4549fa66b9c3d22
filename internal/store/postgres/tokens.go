package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/internal/store/rowenc"
	"github.com/jackc/pgx/v5"
)

const tokenColumns = `id, principal, role, org, cert_cn, hash, create_time, expire_time, revoke_time, last_use_time, created_by`

func scanToken(row pgx.Row) (*bank.Token, error) {
	var t bank.Token
	var role string
	var create int64
	var expire, revoke, lastUse sql.NullInt64
	if err := row.Scan(&t.ID, &t.Principal, &role, &t.Org, &t.CertCN, &t.Hash, &create, &expire, &revoke, &lastUse, &t.CreatedBy); err != nil {
		return nil, err
	}
	t.Role = bank.Role(role)
	t.CreateTime = time.Unix(0, create).UTC()
	t.ExpireTime, t.RevokeTime, t.LastUseTime = rowenc.TimeOf(expire), rowenc.TimeOf(revoke), rowenc.TimeOf(lastUse)
	return &t, nil
}

// InsertToken implements bank.Tx.
func (t *txn) InsertToken(ctx context.Context, tk *bank.Token) error {
	_, err := t.guarded(ctx, `INSERT INTO tokens (`+tokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		tk.ID, tk.Principal, string(tk.Role), tk.Org, tk.CertCN, tk.Hash, tk.CreateTime.UnixNano(),
		rowenc.NullTime(tk.ExpireTime), rowenc.NullTime(tk.RevokeTime), rowenc.NullTime(tk.LastUseTime), tk.CreatedBy)
	if code, _ := constraintOf(err); code == uniqueViolation {
		return bank.NewError(bank.KindAlreadyExists, bank.ReasonFailedPrecondition, "token already exists", "token", tk.Name())
	}
	return translate(err, "insert token")
}

// UpdateToken implements bank.Tx.
func (t *txn) UpdateToken(ctx context.Context, tk *bank.Token) error {
	tag, err := t.tx.Exec(t.c(ctx), `UPDATE tokens SET revoke_time = $1, last_use_time = $2 WHERE id = $3`,
		rowenc.NullTime(tk.RevokeTime), rowenc.NullTime(tk.LastUseTime), tk.ID)
	if err != nil {
		return translate(err, "update token")
	}
	if tag.RowsAffected() == 0 {
		return tokenNotFound(tk.ID)
	}
	return nil
}

func tokenNotFound(id string) error {
	return bank.NewError(bank.KindNotFound, bank.ReasonTokenNotFound, "no such token", "token", "tokens/"+id)
}

// GetToken implements bank.ReadTx.
func (t *txn) GetToken(ctx context.Context, id string) (*bank.Token, error) {
	tk, err := scanToken(t.tx.QueryRow(t.c(ctx), `SELECT `+tokenColumns+` FROM tokens WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
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
	tk, err := scanToken(t.tx.QueryRow(t.c(ctx), `SELECT `+tokenColumns+` FROM tokens WHERE hash = $1
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
func (t *txn) ListTokens(ctx context.Context) ([]*bank.Token, error) {
	rows, err := t.tx.Query(t.c(ctx), `SELECT `+tokenColumns+` FROM tokens ORDER BY id`)
	return collect(rows, err, "list tokens", func(r pgx.Rows) (*bank.Token, error) { return scanToken(r) })
}
