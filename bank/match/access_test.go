package match

import (
	"testing"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/access"
)

// A bank's private units are searched only for that bank's principals.
func TestSearchPrivateScopeNeedsTheBank(t *testing.T) {
	priv := testUnit("PRIVATE", func(u *bank.Unit) { u.Type = bank.UnitTypeAutologous })
	x, err := newTestIndex(NewGrader(nil), testUnit("OK"), priv)
	if err != nil {
		t.Fatal(err)
	}
	outsider := access.WithPrincipal(t.Context(), access.Principal{Name: "m", Role: access.RoleManager, Org: "someone-else"})
	for _, search := range []func() error{
		func() error {
			_, err := x.Search(outsider, baseRequest(), IncludePrivateOfBank(bankAcc.ID))
			return err
		},
		func() error {
			_, err := x.SearchDouble(outsider, baseRequest(), IncludePrivateOfBank(bankAcc.ID))
			return err
		},
	} {
		if err := search(); bank.KindOf(err) != bank.KindPermissionDenied {
			t.Errorf("outsider's search of another bank's private units: %v, want permission denied", err)
		}
	}
	own := access.WithPrincipal(t.Context(), access.Principal{Name: "t", Role: access.RoleTechnician, Org: bankAcc.ID})
	res, err := x.Search(own, baseRequest(), IncludePrivateOfBank(bankAcc.ID))
	if err != nil || res.Scanned != 2 {
		t.Errorf("the bank's own search: %v, scanned %v; want both units in scope", err, res)
	}
	res, err = x.Search(outsider, baseRequest())
	if err != nil || res.Scanned != 1 {
		t.Errorf("outsider's search: %v, %v; want the public unit only in scope", err, res)
	}
}
