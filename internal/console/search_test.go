package console_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cordbank/cordbank/bank"
)

// TestSearchAndReserve: a coordinator's search shows the API's
// validation error on its field, then ranks the matching unit first with
// its per-locus grades and dose; reserving it from the result shows the
// reservation on the unit page.
func TestSearchAndReserve(t *testing.T) {
	match := matchable(t)
	patient := glString(match)
	p := newPage(t)
	p.signIn(bank.RoleCoordinator)
	p.waitFor("search form", `!!document.querySelector('#search-form')`)
	p.do("search without a weight",
		chromedp.SendKeys(chromedp.CSS(`textarea[name=glString]`), patient),
		chromedp.Click(chromedp.CSS(`#search-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#search-form .field-error`)))
	if got := eval[string](p, `document.querySelector('#search-form .field-error').dataset.for`); got != "weightKg" {
		t.Errorf("the error is shown at %q, want weightKg", got)
	}
	if got := eval[bool](p, `document.querySelector('input[name=weightKg]').getAttribute('aria-invalid') === 'true'`); !got {
		t.Errorf("the weight is not marked invalid")
	}

	p.do("search", chromedp.SendKeys(chromedp.CSS(`input[name=weightKg]`), "20"),
		chromedp.Click(chromedp.CSS(`#search-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#search-results tbody tr`)))
	if n := eval[int](p, `document.querySelectorAll('#search-form .field-error').length`); n != 0 {
		t.Errorf("%d field errors left after a good search", n)
	}
	first := eval[[]string](p, `[...document.querySelector('#search-results tbody tr').cells].map(c => c.textContent)`)
	t.Logf("first result: %q; patient %s; %s; all %v", first, patient, p.text("#search-results p.muted"), eval[[]string](p, `[...document.querySelectorAll("#search-results tbody tr")].map(r => r.cells[1].textContent + " " + r.cells[3].textContent)`))
	want := string(match.DIN)
	if len(first) < 14 || first[1] != want || first[3] != "8/8" {
		t.Fatalf("first result = %q, want unit %s 8/8", first, want)
	}
	for i, locus := range []string{"A", "B", "C", "DRB1"} {
		if !strings.HasPrefix(first[4+i], "2/2") {
			t.Errorf("locus %s grade %q, want 2/2", locus, first[4+i])
		}
	}
	if !strings.Contains(first[10], "× 10") || !strings.HasSuffix(first[10], "/kg") {
		t.Errorf("TNC dose %q, want a count per kg such as 5.9 × 10⁷/kg", first[10])
	}
	p.checkAccessible("search results")
	p.keep("console-search.png")

	p.do("reserve the first", chromedp.Click(chromedp.CSS(`#search-results tbody tr button[data-unit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#dialog[open]`)),
		chromedp.SendKeys(chromedp.CSS(`#dialog input[name=patientId]`), "P-0042"),
		chromedp.Click(chromedp.CSS(`#dialog-ok`)),
		chromedp.WaitNotVisible(chromedp.CSS(`#dialog`)))
	p.waitFor("reserved", `document.querySelector('#search-results tbody tr button[data-unit]').textContent === 'Reserved'`)

	p.goTo("#/unit/demo/" + want)
	p.waitFor("reservations", `!!document.querySelector('#reservations tbody')`)
	if got := p.text("#reservations tbody"); !strings.Contains(got, "P-0042") || !strings.Contains(got, "tc-boston") || !strings.Contains(got, "Active") {
		t.Errorf("reservations on the unit page = %q, want P-0042 of tc-boston, active", got)
	}
	if got := p.text("h1 .badge"); got != "Reserved" {
		t.Errorf("unit status %q, want Reserved", got)
	}
	// Searching again: the reserved unit has left the results.
	p.goTo("#/search")
	p.do("search again", chromedp.SendKeys(chromedp.CSS(`textarea[name=glString]`), patient),
		chromedp.SendKeys(chromedp.CSS(`input[name=weightKg]`), "20"),
		chromedp.Click(chromedp.CSS(`#search-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#search-results h2`)))
	if units := eval[[]string](p, `[...document.querySelectorAll('#search-results tbody tr')].map(r => r.cells[1].textContent)`); contains(units, want) {
		t.Errorf("the reserved unit %s is still offered", want)
	}

	// Double-unit search: its errors name fields under "search.", shown on
	// the same form's fields; its answer lists pairs.
	p.do("double search without a weight", chromedp.Click(chromedp.CSS(`input[name=double]`)),
		chromedp.SetValue(chromedp.CSS(`input[name=weightKg]`), ""),
		chromedp.Click(chromedp.CSS(`#search-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#search-form .field-error`)))
	if got := eval[string](p, `document.querySelector('#search-form .field-error').dataset.for`); got != "weightKg" {
		t.Errorf("the double search's error is shown at %q, want weightKg", got)
	}
	p.do("double search", chromedp.SendKeys(chromedp.CSS(`input[name=weightKg]`), "60"),
		chromedp.Click(chromedp.CSS(`#search-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#search-results h2`)))
	if got := p.text("#search-results h2"); !strings.Contains(got, "pair") {
		t.Errorf("double search heading = %q, want pairs", got)
	}
	t.Logf("double search: %s", p.text("#search-results h2"))
}
