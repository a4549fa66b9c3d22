package console_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
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

// TestDashboardDownloads: the dashboard's export link downloads the
// bank's units as the API exports them: a CSV file with the header row
// and one row per unit, saved by the browser.
func TestDashboardDownloads(t *testing.T) {
	p := newPage(t)
	p.signIn(bank.RoleManager)
	p.goTo("#/dashboard")
	dir := t.TempDir()
	done := make(chan *browser.EventDownloadProgress, 8)
	ctx, cancel := context.WithCancel(p.ctx)
	defer cancel()
	if err := chromedp.ListenBrowser(ctx, func(ev any) {
		if e, ok := ev.(*browser.EventDownloadProgress); ok && e.State != browser.DownloadProgressStateInProgress {
			select {
			case done <- e:
			default:
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	on := true
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &on}); err != nil {
		t.Fatal(err)
	}
	p.do("click the units export", chromedp.Click(chromedp.CSS(`#dl-units-csv`)))
	p.waitFor("fetched", `document.querySelector('#dl-units-csv').dataset.state === 'done'`)
	var ev *browser.EventDownloadProgress
	select {
	case ev = <-done:
	case <-time.After(15 * time.Second): // a bound on the wait, not a synchronisation
		t.Fatal("the browser saved no download")
	}
	if ev.State != browser.DownloadProgressStateCompleted {
		t.Fatalf("download %s", ev.State)
	}
	file, err := os.ReadFile(filepath.Join(dir, ev.GUID))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(file), "\n"), "\n")
	if !strings.HasPrefix(lines[0], "name,din,") || len(lines) != 241 {
		t.Errorf("downloaded %d lines, want the header and 240 units; first %.80q", len(lines), lines[0])
	}
	if want := eval[string](p, `document.querySelector('#dl-units-csv').dataset.bytes`); want != strconv.Itoa(len(file)) {
		t.Errorf("saved %d bytes, fetched %s", len(file), want)
	}
}
