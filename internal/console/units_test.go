package console_test

import (
	"fmt"
	"path"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cordbank/cordbank/bank"
)

// TestUnitsListFiltersAndPages: the list sends the API's filters and
// follows its keyset page tokens, forward and back.
func TestUnitsListFiltersAndPages(t *testing.T) {
	p := newPage(t)
	p.signIn(bank.RoleTechnician)
	// 3 of every 20 of the 240 units stayed in quarantine (36), less
	// those other tests released.
	quarantined := len(unitsWith(t, "UNIT_STATUS_QUARANTINE"))
	if quarantined <= 25 {
		t.Fatalf("%d units in quarantine: too few for two pages", quarantined)
	}
	p.goTo("#/units?status=UNIT_STATUS_QUARANTINE&pageSize=25")
	statuses := eval[[]string](p, `[...document.querySelectorAll('#unit-results tbody .badge')].map(b => b.textContent)`)
	if len(statuses) != 25 {
		t.Fatalf("first page shows %d units, want 25", len(statuses))
	}
	for _, s := range statuses {
		if s != "Quarantine" {
			t.Fatalf("a %q unit in the quarantine filter", s)
		}
	}
	first := p.text("#unit-results tbody a")
	p.do("next page", chromedp.Click(chromedp.CSS(`#next-page`)), chromedp.WaitVisible(chromedp.CSS(`#page-info`)))
	p.waitFor("page 2", fmt.Sprintf(`document.querySelector('#page-info')?.textContent === 'Page 2: %d units'`, quarantined-25))
	if got := p.text("#unit-results tbody a"); got == first {
		t.Errorf("page 2 starts with the same unit %s", got)
	}
	p.do("previous page", chromedp.Click(chromedp.Search(`//button[contains(., 'Previous')]`)))
	p.waitFor("page 1 again", `document.querySelector('#page-info')?.textContent === 'Page 1: 25 units'`)
	if got := p.text("#unit-results tbody a"); got != first {
		t.Errorf("back on page 1 the first unit is %s, want %s", got, first)
	}
	p.checkAccessible("units list")
}

// TestUnitPageAndLifecycle: the unit page shows the record, the HLA
// readings, where it is and its chain of custody; releasing it asks for
// confirmation, and a bad value is shown next to its field.
func TestUnitPageAndLifecycle(t *testing.T) {
	din := path.Base(unitsWith(t, "UNIT_STATUS_QUARANTINE")[0])
	var u *bank.Unit
	for _, x := range env.units {
		if string(x.DIN) == din {
			u = x
		}
	}
	p := newPage(t)
	p.signIn(bank.RoleTechnician)
	p.goTo(fmt.Sprintf("#/unit/%s/%s", demoBank, din))
	if got := p.text("#unit-din"); got != din {
		t.Fatalf("unit page shows DIN %q, want %q", got, din)
	}
	hla := p.text("#hla")
	if !strings.Contains(hla, u.HLA[0].Text) {
		t.Errorf("HLA section lacks the recorded typing %q:\n%s", u.HLA[0].Text, hla)
	}
	p.waitFor("location", `!!document.querySelector('#unit-position')`)
	if got := p.text("#unit-position"); !strings.Contains(got, "Not placed") {
		t.Errorf("location = %q, want not placed", got)
	}
	p.waitFor("custody", `document.querySelectorAll('#custody li').length >= 1`)
	p.checkAccessible("unit page")

	p.do("release: confirm", chromedp.Click(chromedp.Search(`//button[.='Release from quarantine']`)),
		chromedp.WaitVisible(chromedp.CSS(`#dialog[open]`)))
	p.do("confirm", chromedp.Click(chromedp.CSS(`#dialog-ok`)), chromedp.WaitNotVisible(chromedp.CSS(`#dialog`)))
	p.waitFor("released", `document.querySelector('h1 .badge')?.textContent === 'Available'`)
	p.waitFor("custody shows the release", `[...document.querySelectorAll('#custody li')].some(li => li.textContent.includes('ReleaseUnit'))`)

	// Making it unavailable until a date in the past: the API names the
	// field, and the console shows it next to that field.
	p.do("make unavailable", chromedp.Click(chromedp.Search(`//button[.='Make temporarily unavailable']`)),
		chromedp.WaitVisible(chromedp.CSS(`#dialog[open]`)),
		chromedp.SetValue(chromedp.CSS(`#dialog input[name=until]`), "2001-01-01"),
		chromedp.Click(chromedp.CSS(`#dialog-ok`)),
		chromedp.WaitVisible(chromedp.CSS(`#dialog .field-error`)))
	msg := eval[string](p, `(() => { const e = document.querySelector('#dialog .field-error');
	  return e.dataset.for + ': ' + e.textContent; })()`)
	p.checkAccessible("dialog with an error")
	invalid := eval[[]string](p, `[...document.querySelectorAll('#dialog [aria-invalid=true]')].map(e => e.name)`)
	if !contains(invalid, "until") || !contains(invalid, "reason") {
		t.Errorf("fields marked invalid = %v, want until and reason (first error %q)", invalid, msg)
	}
	t.Logf("field error: %s (fields %v)", msg, invalid)
	p.do("cancel", chromedp.Click(chromedp.CSS(`#dialog-cancel`)), chromedp.WaitNotVisible(chromedp.CSS(`#dialog`)))
	if got := p.text("h1 .badge"); got != "Available" {
		t.Errorf("after a refused change the unit is %q", got)
	}
}
