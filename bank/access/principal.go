package access

import "context"

// Role is what a principal may do (see Policy).
type Role string

const (
	// RoleAdmin administers the registry: banks, their FINs, tokens, and
	// every bank's data (an operator who could read the database anyway).
	RoleAdmin Role = "admin"
	// RoleManager runs one bank: everything a technician does plus the
	// bank's profile, transfers and withdrawals.
	RoleManager Role = "manager"
	// RoleTechnician works in one bank: units, containers, lifecycle and
	// the reservations the bank received.
	RoleTechnician Role = "technician"
	// RoleCoordinator works for one transplant centre: searches public
	// units, reserves them and follows its own centre's reservations of
	// public units. Never sees private units or fields, never edits
	// inventory.
	RoleCoordinator Role = "coordinator"
	// RoleAuditor reads, audit trail included, and writes nothing: of one
	// bank (Org = the bank id, private data included) or of the whole
	// registry (Org = OrgRegistry, private units withheld).
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

// System is the principal of a context that carries none: the operator's
// own maintenance commands (cordbank import, hla reread, backups) and
// in-process callers, which hold the database file anyway. Transports must
// set the caller's principal (WithPrincipal) on every call they admit.
var System = Principal{Name: "system", Role: RoleAdmin, Org: OrgRegistry}

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

// SeesPrivateOf reports whether p may see bank bankID's private units
// (autologous, directed), every unit's private (maternal, family) fields,
// and the audit events of those units: the bank's own principals and the
// registry administrator.
func (p Principal) SeesPrivateOf(bankID string) bool {
	return p.Role == RoleAdmin || (p.IsBankRole() && p.Org == bankID)
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p, the caller every use case checks.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal of ctx, System when it carries none.
func PrincipalFrom(ctx context.Context) Principal {
	if p, ok := ctx.Value(principalKey{}).(Principal); ok {
		return p
	}
	return System
}

// HasPrincipal reports whether ctx carries a principal set by a transport.
func HasPrincipal(ctx context.Context) bool {
	_, ok := ctx.Value(principalKey{}).(Principal)
	return ok
}
