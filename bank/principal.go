package bank

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/cordbank/cordbank/bank/access"
)

// The access policy lives in bank/access; these names keep the domain's
// vocabulary in one place for its callers.
type (
	// Role is what a principal may do (access.Role).
	Role = access.Role
	// Principal is an authenticated caller (access.Principal).
	Principal = access.Principal
)

// Roles (see access).
const (
	RoleAdmin       = access.RoleAdmin
	RoleManager     = access.RoleManager
	RoleTechnician  = access.RoleTechnician
	RoleCoordinator = access.RoleCoordinator
	RoleAuditor     = access.RoleAuditor
	// OrgRegistry is the organisation of registry-wide principals.
	OrgRegistry = access.OrgRegistry
)

// Roles lists every role, in the order the docs present them.
var Roles = access.Roles

// authorize checks that the caller of ctx may take action a in bank bankID
// ("" for none; every for every bank), as a KindPermissionDenied error.
func authorize(ctx context.Context, a access.Action, bankID string, every bool) error {
	return deniedError(access.Check(access.PrincipalFrom(ctx), a, bankID, every))
}

// CheckAccess is the policy's decision (access.Check) for p as a domain
// error: nil, or KindPermissionDenied. Transports use it to refuse a call
// before decoding it (a stream before its first message).
func CheckAccess(p Principal, a access.Action, bankID string, every bool) error {
	return deniedError(access.Check(p, a, bankID, every))
}

// deniedError converts the policy's refusal to the domain's error.
func deniedError(err error) error {
	var d *access.Denied
	if !errors.As(err, &d) {
		return err
	}
	return NewError(KindPermissionDenied, ReasonPermissionDenied, d.Message, "role", string(d.Role))
}

// Token is an API credential. The secret itself is never stored: only its
// SHA-256 (Hash). A token bound to a client certificate (CertCN != "")
// has no secret; its Hash is CertHash(CertCN).
type Token struct {
	// ID names the token (tokens/{ID}); not secret.
	ID string
	// Principal is the name the audit trail records for calls made with it.
	Principal string
	Role      Role
	Org       string
	// CertCN is the client certificate Common Name the record maps, ""
	// for a bearer token.
	CertCN string
	// Hash is the hex SHA-256 of the secret (or of CertHash's input).
	Hash       string
	CreateTime time.Time
	// ExpireTime is when the token stops working; zero means never.
	ExpireTime time.Time
	// RevokeTime is when an administrator revoked it; zero while valid.
	RevokeTime time.Time
	// LastUseTime is updated at most once a minute (TokenTouchEvery).
	LastUseTime time.Time
	// CreatedBy is the principal that created the token.
	CreatedBy string
}

// Name returns the token's resource name.
func (t *Token) Name() string { return "tokens/" + t.ID }

// PrincipalOf returns the principal a token authenticates.
func (t *Token) PrincipalOf() Principal {
	return Principal{Name: t.Principal, Role: t.Role, Org: t.Org}
}

// Active reports whether the token authenticates at now.
func (t *Token) Active(now time.Time) bool {
	return t.RevokeTime.IsZero() && (t.ExpireTime.IsZero() || now.Before(t.ExpireTime))
}

// TokenPrefix starts every secret, so leaked secrets are recognisable
// (secret scanners) and never confused with other credentials.
const TokenPrefix = "cbk_"

// validPrincipalName accepts short printable names without spaces.
func validPrincipalName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r > '~' })
}
