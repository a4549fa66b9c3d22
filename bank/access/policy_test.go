package access

import (
	"errors"
	"testing"
)

func TestCheckScopes(t *testing.T) {
	mgr := Principal{Name: "m", Role: RoleManager, Org: "alpha"}
	tech := Principal{Name: "t", Role: RoleTechnician, Org: "alpha"}
	coord := Principal{Name: "c", Role: RoleCoordinator, Org: "tc-1"}
	bankAud := Principal{Name: "a", Role: RoleAuditor, Org: "alpha"}
	regAud := Principal{Name: "r", Role: RoleAuditor, Org: OrgRegistry}
	admin := Principal{Name: "x", Role: RoleAdmin}
	for _, tc := range []struct {
		p      Principal
		a      Action
		bank   string
		every  bool
		allows bool
	}{
		{mgr, WriteUnits, "alpha", false, true},
		{mgr, WriteUnits, "beta", false, false},
		{tech, WithdrawUnit, "alpha", false, false},
		{mgr, WithdrawUnit, "alpha", false, true},
		{coord, ReadUnits, "alpha", false, true},
		{coord, WriteUnits, "alpha", false, false},
		{coord, ReserveUnit, "beta", false, true},
		{bankAud, ReadAudit, "alpha", false, true},
		{bankAud, ReadAudit, "beta", false, false},
		{bankAud, ReadAudit, "", true, false},
		{regAud, ReadAudit, "beta", false, true},
		{regAud, ReadAudit, "", true, true},
		{regAud, ReadInventory, "beta", false, false},
		{mgr, ReadAudit, "", true, false},
		{mgr, AssignFINs, "alpha", false, false},
		{admin, AssignFINs, "alpha", false, true},
		{admin, ReadAudit, "", true, true},
		{mgr, VerifyAudit, "", false, false},
		{regAud, VerifyAudit, "", false, true},
		{mgr, Action("Nonexistent"), "alpha", false, false},
	} {
		err := Check(tc.p, tc.a, tc.bank, tc.every)
		var d *Denied
		if got := err == nil; got != tc.allows || (err != nil && !errors.As(err, &d)) {
			t.Errorf("Check(%s %s, %s, %q, every=%v) = %v; want allowed %v", tc.p.Role, tc.p.Org, tc.a, tc.bank, tc.every, err, tc.allows)
		}
	}
}

func TestSeesPrivateOf(t *testing.T) {
	for _, tc := range []struct {
		p    Principal
		want bool
	}{
		{Principal{Role: RoleManager, Org: "alpha"}, true},
		{Principal{Role: RoleTechnician, Org: "alpha"}, true},
		{Principal{Role: RoleAuditor, Org: "alpha"}, true},
		{Principal{Role: RoleAdmin}, true},
		{Principal{Role: RoleManager, Org: "beta"}, false},
		{Principal{Role: RoleAuditor, Org: OrgRegistry}, false},
		{Principal{Role: RoleCoordinator, Org: "alpha"}, false}, // a centre named like a bank
	} {
		if got := tc.p.SeesPrivateOf("alpha"); got != tc.want {
			t.Errorf("%+v SeesPrivateOf(alpha) = %v, want %v", tc.p, got, tc.want)
		}
	}
}

func TestEveryActionHasARule(t *testing.T) {
	for a, r := range Policy {
		for role := range r.Roles {
			if !role.Valid() {
				t.Errorf("%s names unknown role %q", a, role)
			}
		}
	}
}
