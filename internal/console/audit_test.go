package console_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cordbank/cordbank/bank"
)

// TestAudit: the bank auditor filters the trail by resource and verifies
// the chain.
func TestAudit(t *testing.T) {
	p := newPage(t)
	din := string(env.units[1].DIN)
	p.signIn(bank.RoleAuditor)
	p.goTo("#/audit?resource=banks/demo/units/" + din)
	resources := eval[[]string](p, `[...document.querySelectorAll('#audit-results tbody tr')].map(r => r.cells[3].textContent)`)
	if len(resources) == 0 {
		t.Fatal("no events for the unit")
	}
	for _, r := range resources {
		if !strings.Contains(r, din) {
			t.Errorf("event of %s in the filter for %s", r, din)
		}
	}
	p.checkAccessible("audit")
	p.do("verify", chromedp.Click(chromedp.CSS(`#verify`)))
	p.waitFor("verified", `document.querySelector('#verify-result').className !== ''`)
	if got := p.text("#verify-result"); !strings.HasPrefix(got, "Chain intact") {
		t.Errorf("verification = %q", got)
	}
}
