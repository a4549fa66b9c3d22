package bank

import (
	"context"
	"errors"

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
