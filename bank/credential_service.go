package bank

import (
	"context"
	"crypto/subtle"
	"slices"
	"strings"
	"time"

	"github.com/cordbank/cordbank/bank/access"
	"github.com/cordbank/cordbank/bank/audit"
	"github.com/cordbank/cordbank/bank/credential"
)

// CreateTokenRequest describes a new credential.
type CreateTokenRequest struct {
	// Principal is the name recorded in the audit trail; required.
	Principal string
	Role      Role
	// Org is the bank id (manager, technician, bank auditor), transplant
	// centre id (coordinator), or OrgRegistry (admin, registry auditor).
	Org string
	// CertCN, when set, makes a certificate binding instead of a bearer
	// secret: a client certificate with this Common Name, verified against
	// the server's client CA, authenticates as the principal.
	CertCN string
	// ExpireTime is when the token stops working; zero for never.
	ExpireTime time.Time
}

func (r CreateTokenRequest) validate(v *Violations, now time.Time) {
	if !credential.ValidPrincipalName(r.Principal) {
		v.Add("principal", "required: 1-128 printable characters without spaces")
	}
	switch {
	case !r.Role.Valid():
		v.Add("role", "%q is not one of admin, manager, technician, coordinator, auditor", r.Role)
	case r.Role == RoleAdmin && r.Org != OrgRegistry:
		v.Add("org", "an administrator belongs to the registry: leave org empty")
	case (r.Role == RoleManager || r.Role == RoleTechnician) && !ValidBankID(r.Org):
		v.Add("org", "%q is not a bank id: managers and technicians belong to a bank", r.Org)
	case r.Role == RoleAuditor && r.Org != OrgRegistry && !ValidBankID(r.Org):
		v.Add("org", "%q is not a bank id (or empty for a registry auditor)", r.Org)
	case r.Role == RoleCoordinator:
		validID(v, "org", r.Org, true)
	}
	if r.CertCN != "" && !credential.ValidPrincipalName(r.CertCN) {
		v.Add("cert_cn", "1-128 printable characters without spaces")
	}
	if !r.ExpireTime.IsZero() && !r.ExpireTime.After(now) {
		v.Add("expire_time", "must be in the future")
	}
}

// CreateToken stores a new credential and returns it with its secret
// ("" for a certificate binding). The secret is shown only here: the store
// keeps its hash. The bank of a bank role must exist (KindInvalid
// otherwise). The caller must be authorised (administrators only).
func (s *Service) CreateToken(ctx context.Context, r CreateTokenRequest) (*credential.Token, string, error) {
	if err := authorize(ctx, access.AdminTokens, "", false); err != nil {
		return nil, "", err
	}
	now := s.now().UTC()
	var v Violations
	r.validate(&v, now)
	if err := v.Err("invalid token"); err != nil {
		return nil, "", err
	}
	secret := ""
	defer s.tokens.Invalidate() // a new certificate binding replaces a revoked one of its hash
	t := &credential.Token{ID: credential.NewID(), Principal: r.Principal, Role: r.Role, Org: r.Org, CertCN: r.CertCN,
		CreateTime: now, ExpireTime: r.ExpireTime.UTC(), CreatedBy: CallerFrom(ctx).Principal}
	if r.ExpireTime.IsZero() {
		t.ExpireTime = time.Time{}
	}
	if r.CertCN != "" {
		t.Hash = credential.CertHash(r.CertCN)
	} else {
		secret = credential.NewSecret()
		t.Hash = credential.HashSecret(secret)
	}
	err := s.store.Write(ctx, func(tx Tx) error {
		if r.Role != RoleCoordinator && r.Org != OrgRegistry {
			if _, err := tx.GetBank(ctx, r.Org); err != nil {
				if KindOf(err) == KindNotFound {
					var v Violations
					v.Add("org", "no bank %q", r.Org)
					return v.Err("invalid token")
				}
				return err
			}
		}
		if r.CertCN != "" {
			if old, err := tx.GetTokenByHash(ctx, t.Hash); err != nil {
				return err
			} else if old != nil && old.RevokeTime.IsZero() {
				return NewError(KindAlreadyExists, ReasonFailedPrecondition,
					"a certificate binding for this common name exists: revoke it first", "token", old.Name())
			}
		}
		if err := tx.InsertToken(ctx, t); err != nil {
			return err
		}
		return s.newChain(ctx, tx, now).created("CreateToken", t.Name(), t.Bank(), t.Audited())
	})
	if err != nil {
		return nil, "", err
	}
	return t, secret, nil
}

// RevokeToken ends a token at once; revoking a revoked token is a no-op.
// KindNotFound (ReasonTokenNotFound) when there is no such token.
func (s *Service) RevokeToken(ctx context.Context, id string) (*credential.Token, error) {
	if err := authorize(ctx, access.AdminTokens, "", false); err != nil {
		return nil, err
	}
	var out *credential.Token
	// Forget every remembered token once the revocation is written (or
	// failed): no call authenticated after RevokeToken returns uses it.
	defer s.tokens.Invalidate()
	err := s.store.Write(ctx, func(tx Tx) error {
		t, err := tx.GetToken(ctx, id)
		if err != nil {
			return err
		}
		if !t.RevokeTime.IsZero() {
			out = t
			return nil
		}
		now := s.now().UTC()
		t.RevokeTime = now
		if err := tx.UpdateToken(ctx, t); err != nil {
			return err
		}
		out = t
		return s.newChain(ctx, tx, now).record("RevokeToken", t.Name(), t.Bank(), "", []audit.FieldChange{{Field: "revoke_time", After: `"` + now.Format(time.RFC3339Nano) + `"`}})
	})
	return out, err
}

// ListTokens returns every token, revoked and expired ones included, by ID.
func (s *Service) ListTokens(ctx context.Context) ([]*credential.Token, error) {
	if err := authorize(ctx, access.AdminTokens, "", false); err != nil {
		return nil, err
	}
	var out []*credential.Token
	err := s.store.Read(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.ListTokens(ctx)
		return err
	})
	return out, err
}

// ListTokensPage returns one page of the tokens by ID, as ListTokens
// orders them, and the token of the next page ("" on the last). A
// registry holds tens of tokens, so the page is cut from the whole list,
// by key (the ID after the cursor), not by offset: a token created or
// revoked between pages neither repeats nor skips another.
func (s *Service) ListTokensPage(ctx context.Context, size int, pageToken string) ([]*credential.Token, string, error) {
	var v Violations
	n := pageSize(&v, size)
	filter := filterKey("tokens")
	after := decodePageToken(&v, pageToken, filter)
	if err := v.Err("invalid list request"); err != nil {
		return nil, "", err
	}
	all, err := s.ListTokens(ctx)
	if err != nil {
		return nil, "", err
	}
	i, _ := slices.BinarySearchFunc(all, after, func(t *credential.Token, id string) int { return strings.Compare(t.ID, id) })
	if i < len(all) && after != "" && all[i].ID == after {
		i++
	}
	end := min(i+n+1, len(all))
	page, next := pageOf(all[i:end], n, filter, func(t *credential.Token) string { return t.ID })
	return page, next, nil
}

// Authenticate returns the principal of a bearer secret, or KindUnauthenticated
// when it is unknown, revoked or expired (one error for all three: the
// caller learns nothing about which secrets exist). Tokens found active
// are remembered (credential.Cache): a revocation through this Service takes
// effect at once, one made by another process on the same database within
// TokenRecheckEvery.
func (s *Service) Authenticate(ctx context.Context, secret string) (Principal, error) {
	if !credential.WellFormed(secret) {
		return Principal{}, errUnauthenticated
	}
	return s.authenticateHash(ctx, credential.HashSecret(secret))
}

// AuthenticateCert returns the principal bound to a verified client
// certificate's Common Name (see CreateTokenRequest.CertCN).
func (s *Service) AuthenticateCert(ctx context.Context, cn string) (Principal, error) {
	if cn == "" {
		return Principal{}, errUnauthenticated
	}
	return s.authenticateHash(ctx, credential.CertHash(cn))
}

var errUnauthenticated = NewError(KindUnauthenticated, ReasonUnauthenticated,
	"missing, unknown, revoked or expired credentials: send a valid token as \"authorization: Bearer <token>\"")

func (s *Service) authenticateHash(ctx context.Context, hash string) (Principal, error) {
	now := s.now().UTC()
	if err := s.tokens.Recheck(ctx, now, s.tokenEpoch); err != nil {
		return Principal{}, err
	}
	t, gen := s.tokens.Get(hash)
	if t == nil {
		err := s.store.Read(ctx, func(tx ReadTx) error {
			var err error
			t, err = tx.GetTokenByHash(ctx, hash)
			return err
		})
		if err != nil {
			return Principal{}, err
		}
		if t != nil && t.Hash == hash && t.Active(now) {
			s.tokens.Put(hash, t, gen)
		}
	}
	// The lookup is by hash, so timing reveals nothing of the secret; the
	// comparison is constant-time all the same.
	if t == nil || subtle.ConstantTimeCompare([]byte(t.Hash), []byte(hash)) != 1 || !t.Active(now) {
		return Principal{}, errUnauthenticated
	}
	if t.TouchDue(now) {
		// Best effort: a busy store must not fail the call it authenticates.
		_ = s.store.Write(context.WithoutCancel(ctx), func(tx Tx) error {
			cur, err := tx.GetToken(ctx, t.ID)
			if err != nil || !cur.TouchDue(now) {
				return err
			}
			cur.LastUseTime = now
			return tx.UpdateToken(ctx, cur)
		})
		// Tried: the next attempt is credential.TokenTouchEvery later, store or not.
		s.tokens.Touched(hash, t, now, gen)
	}
	return t.PrincipalOf(), nil
}

// tokenEpoch reads the store's token epoch, for credential.Cache.Recheck.
func (s *Service) tokenEpoch(ctx context.Context) (int64, error) {
	var epoch int64
	err := s.store.Read(ctx, func(tx ReadTx) error {
		var err error
		epoch, err = tx.TokenEpoch(ctx)
		return err
	})
	return epoch, err
}
