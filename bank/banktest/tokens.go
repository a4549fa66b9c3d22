package banktest

import (
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/credential"
)

// The port's credentials (bank.TokenReader, bank.TokenWriter).
var tokenTests = []test{
	{"InsertThenGet", tokenInsertThenGet},
	{"Update", tokenUpdate},
	{"HashUniqueAmongUnrevoked", tokenHashUniqueAmongUnrevoked},
	{"ByHash", tokenByHash},
	{"List", tokenList},
}

// token is a bearer token id for a manager of bank-a, its secret "s-"+id.
func token(id string) *credential.Token {
	return &credential.Token{ID: id, Principal: "user-" + id, Role: bank.RoleManager, Org: "bank-a",
		Hash: credential.HashSecret("s-" + id), CreateTime: at(0), CreatedBy: "admin"}
}

func (e *env) insertTokens(ts ...*credential.Token) {
	e.t.Helper()
	e.write(func(tx bank.Tx) error {
		for _, tk := range ts {
			if err := tx.InsertToken(e.ctx, tk); err != nil {
				return err
			}
		}
		return nil
	})
}

func (e *env) getToken(id string) (*credential.Token, error) {
	return readValue(e, func(tx bank.ReadTx) (*credential.Token, error) { return tx.GetToken(e.ctx, id) })
}

func (e *env) tokenByHash(hash string) *credential.Token {
	e.t.Helper()
	return mustRead(e, func(tx bank.ReadTx) (*credential.Token, error) { return tx.GetTokenByHash(e.ctx, hash) })
}

func (e *env) listTokens() []*credential.Token {
	e.t.Helper()
	return mustRead(e, func(tx bank.ReadTx) ([]*credential.Token, error) { return tx.ListTokens(e.ctx) })
}

func tokenInsertThenGet(t *testing.T, e *env) {
	bearer := token("t1")
	bearer.ExpireTime = at(90 * 24 * time.Hour)
	cert := &credential.Token{ID: "t2", Principal: "cn:lab-robot", Role: bank.RoleTechnician, Org: "bank-a", CertCN: "lab-robot.bank-a.example",
		Hash: credential.CertHash("lab-robot.bank-a.example"), CreateTime: at(time.Minute), RevokeTime: at(time.Hour), LastUseTime: at(30 * time.Minute), CreatedBy: "admin"}
	admin := &credential.Token{ID: "t3", Principal: "root", Role: bank.RoleAdmin, Hash: credential.HashSecret("s-t3"), CreateTime: at(0)}
	e.insertTokens(bearer, cert, admin)
	for _, want := range []*credential.Token{bearer, cert, admin} {
		got, err := e.getToken(want.ID)
		if err != nil {
			t.Fatalf("GetToken(%s): %v", want.ID, err)
		}
		if d := diff(got, want); d != "" {
			t.Errorf("token %s as stored (-want +got):\n%s", want.ID, d)
		}
	}
	_, err := e.getToken("none")
	wantErr(t, err, bank.KindNotFound, bank.ReasonTokenNotFound)
	again := token("t1")
	again.Hash = credential.HashSecret("another secret")
	err = e.tryWrite(func(tx bank.Tx) error { return tx.InsertToken(e.ctx, again) })
	wantKind(t, err, bank.KindAlreadyExists)
}

// tokenUpdate: revoke and last-use times are replaced, nothing else.
func tokenUpdate(t *testing.T, e *env) {
	tk := token("t1")
	e.insertTokens(tk)
	want := *tk
	want.RevokeTime, want.LastUseTime = at(2*time.Hour), at(time.Hour)
	changed := want
	changed.Principal, changed.Role, changed.Hash = "someone else", bank.RoleAdmin, "other"
	e.write(func(tx bank.Tx) error { return tx.UpdateToken(e.ctx, &changed) })
	got, err := e.getToken("t1")
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(got, &want); d != "" {
		t.Errorf("token after update (-want +got):\n%s", d)
	}
	// Times are cleared too.
	want.LastUseTime = time.Time{}
	e.write(func(tx bank.Tx) error { return tx.UpdateToken(e.ctx, &want) })
	if got, err := e.getToken("t1"); err != nil || diff(got, &want) != "" {
		t.Errorf("token after clearing last use: %v (-want +got):\n%s", err, diff(got, &want))
	}
	err = e.tryWrite(func(tx bank.Tx) error { return tx.UpdateToken(e.ctx, token("none")) })
	wantErr(t, err, bank.KindNotFound, bank.ReasonTokenNotFound)
}

// tokenHashUniqueAmongUnrevoked: two unrevoked tokens never share a hash;
// once the first is revoked, its hash may be issued again.
func tokenHashUniqueAmongUnrevoked(t *testing.T, e *env) {
	first := token("t1")
	e.insertTokens(first)
	second := token("t2")
	second.Hash = first.Hash
	err := e.tryWrite(func(tx bank.Tx) error { return tx.InsertToken(e.ctx, second) })
	wantKind(t, err, bank.KindAlreadyExists)
	if _, err := e.getToken("t2"); bank.KindOf(err) != bank.KindNotFound {
		t.Errorf("refused token stored: GetToken err = %v", err)
	}
	first.RevokeTime = at(time.Hour)
	e.write(func(tx bank.Tx) error { return tx.UpdateToken(e.ctx, first) })
	e.insertTokens(second)
	// Un-revoking the first would give the hash two live tokens.
	first.RevokeTime = time.Time{}
	err = e.tryWrite(func(tx bank.Tx) error { return tx.UpdateToken(e.ctx, first) })
	if err == nil {
		t.Errorf("UpdateToken un-revoked a token whose hash another live token has")
	}
}

// tokenByHash: the unrevoked token of a hash wins over revoked ones, else
// the newest revoked one; nil for an unknown hash.
func tokenByHash(t *testing.T, e *env) {
	if tk := e.tokenByHash(credential.HashSecret("nobody")); tk != nil {
		t.Fatalf("GetTokenByHash of an unknown hash = %+v, want nil", tk)
	}
	hash := credential.CertHash("robot")
	old, newer, live := token("t-a"), token("t-b"), token("t-c")
	old.CreateTime, old.RevokeTime = at(0), at(time.Hour)
	newer.CreateTime, newer.RevokeTime = at(2*time.Hour), at(3*time.Hour)
	live.CreateTime = at(time.Hour) // older than newer, but unrevoked
	for _, tk := range []*credential.Token{old, newer, live} {
		tk.Hash = hash
	}
	e.insertTokens(old, newer)
	if tk := e.tokenByHash(hash); tk == nil || tk.ID != "t-b" {
		t.Errorf("GetTokenByHash with only revoked tokens = %+v, want the newest, t-b", tk)
	}
	e.insertTokens(live)
	if d := diff(e.tokenByHash(hash), live); d != "" {
		t.Errorf("GetTokenByHash with a live token (-want +got):\n%s", d)
	}
}

func tokenList(t *testing.T, e *env) {
	if empty := e.listTokens(); len(empty) != 0 {
		t.Fatalf("ListTokens of an empty store = %v", empty)
	}
	c, a, b := token("t-c"), token("t-a"), token("t-b")
	b.RevokeTime = at(time.Hour)
	e.insertTokens(c, a, b)
	if d := diff(e.listTokens(), []*credential.Token{a, b, c}); d != "" {
		t.Errorf("ListTokens (-want +got):\n%s", d)
	}
}
