package console_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cordbank/cordbank/bank"
)

// TestSignInShowsTheRolesPages: a coordinator sees search and none of
// the inventory pages; a technician sees the inventory and not search,
// and the search page refuses them when typed in.
func TestSignInShowsTheRolesPages(t *testing.T) {
	p := newPage(t)
	p.checkAccessible("sign-in page")
	p.signIn(bank.RoleCoordinator)
	if got := p.navPages(); strings.Join(got, ",") != "search" {
		t.Errorf("coordinator's navigation = %v, want [search]", got)
	}
	p.waitFor("search form", `!!document.querySelector('#search-form')`)
	if role := p.text("#role"); !strings.Contains(role, "coordinator") {
		t.Errorf("role shown = %q", role)
	}
	p.checkAccessible("search page")
	p.goTo("#/freezer")
	if s := p.text("#main"); !strings.Contains(s, "does not use this page") {
		t.Errorf("coordinator on #/freezer sees %q", s)
	}
	p.do("sign out", chromedp.Click(chromedp.CSS(`#sign-out`)), chromedp.WaitVisible(chromedp.CSS(`input[name=token]`)))

	p.signIn(bank.RoleTechnician)
	got := p.navPages()
	for _, want := range []string{"dashboard", "units", "freezer", "audit"} {
		if !contains(got, want) {
			t.Errorf("technician's navigation %v lacks %s", got, want)
		}
	}
	if contains(got, "search") {
		t.Errorf("technician's navigation %v offers the coordinators' search", got)
	}
	if role := p.text("#role"); !strings.Contains(role, "technician") || !strings.Contains(role, "banks/demo") {
		t.Errorf("role shown = %q, want technician of banks/demo", role)
	}
	p.goTo("#/search")
	if s := p.text("#main"); !strings.Contains(s, "does not use this page") {
		t.Errorf("technician on #/search sees %q", s)
	}
}

// TestSignInRefusesABadToken shows the API's UNAUTHENTICATED next to the
// token field and keeps the user signed out.
func TestSignInRefusesABadToken(t *testing.T) {
	p := newPage(t)
	p.do("paste a wrong token",
		chromedp.WaitVisible(chromedp.CSS(`input[name=token]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=token]`), "cbk_not-a-real-token"),
		chromedp.Click(chromedp.CSS(`form.signin button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.signin .form-error:not(:empty)`)))
	if s := p.text("form.signin .form-error"); !strings.Contains(s, "UNAUTHENTICATED") {
		t.Errorf("error shown = %q, want the API's UNAUTHENTICATED", s)
	}
	stored := eval[string](p, `sessionStorage.getItem('cordbank.token') || ''`)
	if stored != "" {
		t.Errorf("a refused token stays in sessionStorage")
	}
}
