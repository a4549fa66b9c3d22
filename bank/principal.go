package bank

import (
	"strings"
	"time"
)

// Role is what a principal may do. The server's rule table (server/auth.go)
// says which methods each role may call; the domain only names them.
type Role string

const (
	// RoleAdmin administers the registry: banks, tokens, and every bank's
	// data (an operator who could read the database anyway).
	RoleAdmin Role = "admin"
	// RoleManager runs one bank: everything a technician does plus the
	// bank's profile, transfers and withdrawals.
	RoleManager Role = "manager"
	// RoleTechnician works in one bank: units, containers, lifecycle and
	// the reservations the bank received.
	RoleTechnician Role = "technician"
	// RoleCoordinator works for one transplant centre: searches public
	// units, reserves them and follows its own reservations. Never sees
	// private units or fields, never edits inventory.
	RoleCoordinator Role = "coordinator"
	// RoleAuditor reads, audit trail included, and writes nothing: of one
	// bank (Org = the bank id, private data included) or of the whole
	// registry (Org = "", private data withheld).
	RoleAuditor Role = "auditor"
)

// Roles lists every role, in the order the docs present them.
var Roles = []Role{RoleAdmin, RoleManager, RoleTechnician, RoleCoordinator, RoleAuditor}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, k := range Roles {
		if r == k {
			return true
		}
	}
	return false
}

// OrgRegistry is the organisation of registry-wide principals
// (administrators, registry auditors).
const OrgRegistry = ""

// Principal is an authenticated caller: a token's or a client
// certificate's identity. Org is the organisation it acts for: a bank id
// for managers, technicians and bank auditors, a transplant centre id for
// coordinators, OrgRegistry for administrators and registry auditors.
type Principal struct {
	Name string
	Role Role
	Org  string
}

// IsBankRole reports whether p belongs to a bank (manager, technician or
// bank auditor).
func (p Principal) IsBankRole() bool {
	switch p.Role {
	case RoleManager, RoleTechnician:
		return true
	case RoleAuditor:
		return p.Org != OrgRegistry
	}
	return false
}

// SeesPrivateOf reports whether p may see bank bankID's private units and
// private (maternal, family) fields: the bank's own principals and the
// registry administrator.
func (p Principal) SeesPrivateOf(bankID string) bool {
	return p.Role == RoleAdmin || (p.IsBankRole() && p.Org == bankID)
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
