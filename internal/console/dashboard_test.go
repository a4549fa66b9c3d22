package console_test

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cordbank/cordbank/bank"
)

// TestDashboard counts the bank's units by status and type in charts
// whose bars lead to the filtered list.
func TestDashboard(t *testing.T) {
	p := newPage(t)
	p.signIn(bank.RoleManager)
	p.goTo("#/dashboard")
	p.waitFor("counted", `document.querySelector('#dash-total')?.dataset.state === 'complete'`)
	if got := p.text("#dash-total"); got != "240 units" {
		t.Errorf("total = %q, want 240 units", got)
	}
	for _, chart := range []string{"#dash-status svg", "#dash-type svg"} {
		label := eval[string](p, `document.querySelector('`+chart+`').getAttribute('aria-label')`)
		sum := 0
		for _, m := range regexp.MustCompile(` (\d+)(,|$)`).FindAllStringSubmatch(label, -1) {
			n, _ := strconv.Atoi(m[1])
			sum += n
		}
		if sum != 240 {
			t.Errorf("%s counts %d units (%q), want 240", chart, sum, label)
		}
	}
	if n := eval[int](p, `document.querySelectorAll('#dash-tnc rect').length`); n == 0 {
		t.Errorf("no TNC histogram")
	}
	p.checkAccessible("dashboard")
	p.do("click the quarantine bar", chromedp.Click(chromedp.CSS(`#dash-status a[href$="QUARANTINE"]`)))
	p.waitFor("filtered list", `document.body.dataset.ready === '#/units?status=UNIT_STATUS_QUARANTINE' && !!document.querySelector('#page-info')`)
}
