package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/internal/synth"
	"github.com/cordbank/cordbank/server/servertest"
)

// The browser tests share one server, one demo inventory and one
// headless Chromium (a tab per test): starting them is most of the cost.
var env struct {
	srv      *servertest.Server
	browser  context.Context // the allocator's browser; nil without Chromium
	tokens   map[bank.Role]string
	units    []*bank.Unit // the demo bank's units, in import order
	skipWhy  string
	shotsDir string
}

const demoBank = "demo"

func TestMain(m *testing.M) {
	os.Exit(setUp(m))
}

func setUp(m *testing.M) int {
	chromium := findChromium()
	if chromium == "" {
		env.skipWhy = "Chromium not found (install Debian's chromium package, or set CHROMIUM to its path); browser tests skipped"
		return m.Run()
	}
	srv, err := servertest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer srv.Close()
	env.srv = srv
	if err := seed(srv); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "cordbank-console-chromium-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	env.shotsDir = filepath.Join(os.TempDir(), "cordbank-console-screenshots")
	// The flags that work on a closed network: no background requests, no
	// component updates, no sync, no first-run, a fresh profile.
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.UserDataDir(dir), chromedp.WindowSize(1280, 800),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("no-default-browser-check", true),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil { // starts the browser
		fmt.Fprintln(os.Stderr, "chromium:", err)
		return 1
	}
	env.browser = browser
	return m.Run()
}

func findChromium() string {
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	return ""
}

// seed registers the demo bank with 240 synthetic units (of every 20, 17
// released, as `cordbank serve --demo` does, the rest in quarantine), a
// tank with two 10×10 boxes, and a token per role.
func seed(srv *servertest.Server) error {
	ctx := bank.WithCaller(context.Background(), bank.Caller{Principal: "console-test"})
	svc := srv.Service
	if _, err := svc.CreateBank(ctx, &bank.Bank{ID: demoBank, DisplayName: "Demo Public Cord Blood Bank", FIN: "W9999", Country: "US",
		Accreditations: []bank.Accreditation{bank.AccreditationFACTNetCord}}, ""); err != nil {
		return err
	}
	gen := synth.New(demoBank, "W9999", time.Now(), 2026)
	res, err := svc.ImportUnits(ctx, demoBank, gen.Units(240))
	if err != nil {
		return err
	}
	for i, r := range res {
		if r.Err != nil {
			return r.Err
		}
		env.units = append(env.units, r.Unit)
		if i%20 >= 17 {
			continue
		}
		if _, err := svc.Transition(ctx, bank.TransitionRequest{Bank: demoBank, DIN: r.Unit.DIN, Action: lifecycle.ActionRelease}); err != nil {
			return err
		}
	}

	env.tokens = map[bank.Role]string{bank.RoleAdmin: srv.AdminToken()}
	for role, org := range map[bank.Role]string{bank.RoleManager: demoBank, bank.RoleTechnician: demoBank,
		bank.RoleAuditor: demoBank, bank.RoleCoordinator: "tc-boston"} {
		if env.tokens[role], err = srv.Token(role, org); err != nil {
			return err
		}
	}
	return rest(srv.AdminToken(), "POST", "/v1/banks/demo/containers:batchCreate", `{"requests": [
	  {"containerId": "tank-1", "container": {"kind": "CONTAINER_KIND_TANK", "label": "LN2-1", "layout": {"kind": "LAYOUT_KIND_SLOTS", "slots": 10}}},
	  {"containerId": "box-1", "container": {"kind": "CONTAINER_KIND_BOX", "label": "BOX-1", "parent": "banks/demo/containers/tank-1", "layout": {"kind": "LAYOUT_KIND_GRID", "rows": 10, "columns": 10}}},
	  {"containerId": "box-2", "container": {"kind": "CONTAINER_KIND_BOX", "label": "BOX-2", "parent": "banks/demo/containers/tank-1", "parentPosition": "2", "layout": {"kind": "LAYOUT_KIND_GRID", "rows": 10, "columns": 10}}}]}`, nil)
}

// matchable returns an available unit that the default search policy
// accepts for a 20 kg child (the first result of a search that takes any
// grade), so that a patient typed as it matches it 8/8. It asks at the
// time of the call: earlier tests (or runs, with -count) reserve units.
func matchable(t *testing.T) *bank.Unit {
	t.Helper()
	needBrowser(t)
	var found struct {
		Matches []struct{ Unit string }
	}
	if err := rest(env.srv.AdminToken(), "POST", "/v1/units:search", `{"patient": {"glString": "`+glString(env.units[0])+`"},
	  "weightKg": 20, "disease": "DISEASE_CLASS_MALIGNANT", "maxMismatches": 8, "pageSize": 1}`, &found); err != nil {
		t.Fatal(err)
	}
	for _, u := range env.units {
		if len(found.Matches) > 0 && "banks/demo/units/"+string(u.DIN) == found.Matches[0].Unit {
			return u
		}
	}
	t.Fatalf("no unit passes the default search policy: %+v", found)
	return nil
}

// unitsWith returns the names of the demo bank's units in status.
func unitsWith(t *testing.T, status string) []string {
	t.Helper()
	needBrowser(t)
	var page struct {
		Units []struct{ Name string }
	}
	if err := rest(env.srv.AdminToken(), "GET", "/v1/banks/demo/units?pageSize=1000&status="+status, "", &page); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, u := range page.Units {
		out = append(out, u.Name)
	}
	return out
}

// glString is u's typing as a GL String.
func glString(u *bank.Unit) string {
	var gl []string
	for _, l := range u.HLA {
		gl = append(gl, l.Text)
	}
	return strings.Join(gl, "^")
}

// rest calls the REST API as token and decodes the answer into out.
func rest(token, method, path, body string, out any) error {
	req, err := http.NewRequest(method, env.srv.HTTPURL+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// page is one browser tab of a test.
type page struct {
	t   *testing.T
	ctx context.Context
	n   int
}

// needBrowser skips t when there is no Chromium: TestMain then sets up
// neither the browser nor the server and units the browser tests share.
// Every helper that reads env calls it first.
func needBrowser(t *testing.T) {
	t.Helper()
	if env.browser == nil {
		t.Skip(env.skipWhy)
	}
}

// newPage opens a tab on the console (skipping without Chromium). Each
// step's screenshot is kept when the test fails.
func newPage(t *testing.T) *page {
	t.Helper()
	needBrowser(t)
	ctx, cancel := chromedp.NewContext(env.browser)
	t.Cleanup(cancel)
	// The tab lives as long as the context of its first run: no timeout
	// on this one (each step has its own).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	p := &page{t: t, ctx: ctx}
	p.do("open", chromedp.Navigate(env.srv.HTTPURL+"/"), chromedp.WaitVisible(chromedp.CSS(`#main`)))
	return p
}

// do runs a step's actions; on failure it saves a screenshot and fails
// the test.
func (p *page) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	p.n++
	ctx, cancel := context.WithTimeout(p.ctx, 15*time.Second)
	defer cancel()
	err := chromedp.Do(ctx, actions...)
	if err != nil {
		p.shot(step)
		p.t.Fatalf("step %q: %v", step, err)
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// shot saves a screenshot of the tab under env.shotsDir.
func (p *page) shot(step string) string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Logf("screenshot of %q: %v", step, err)
		return ""
	}
	_ = os.MkdirAll(env.shotsDir, 0o755)
	name := filepath.Join(env.shotsDir, fmt.Sprintf("%s-%02d-%s.png", unsafeName.ReplaceAllString(p.t.Name(), "_"), p.n, unsafeName.ReplaceAllString(step, "_")))
	if err := os.WriteFile(name, png, 0o644); err != nil {
		p.t.Logf("screenshot: %v", err)
		return ""
	}
	p.t.Logf("screenshot of step %q: %s", step, name)
	return name
}

// keep saves a screenshot of the viewport to the file $CONSOLE_SCREENSHOT
// names when it is set (`make screenshot` regenerates the README's).
func (p *page) keep(name string) {
	p.t.Helper()
	dir := os.Getenv("CONSOLE_SCREENSHOTS")
	if dir == "" {
		return
	}
	png := run(p, "screenshot "+name, chromedp.CaptureScreenshot())
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// text returns the text of the first element sel matches.
func (p *page) text(sel string) string {
	p.t.Helper()
	return run(p, "read "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// run runs one action that returns a value; on failure it saves a
// screenshot and fails the test.
func run[T any](p *page, step string, a chromedp.Action[T]) T {
	p.t.Helper()
	p.n++
	ctx, cancel := context.WithTimeout(p.ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		p.shot(step)
		p.t.Fatalf("step %q: %v", step, err)
	}
	return v
}

// eval evaluates a JavaScript expression.
func eval[T any](p *page, expr string) T {
	p.t.Helper()
	return run(p, "eval "+expr[:min(len(expr), 40)], chromedp.Evaluate[T](expr))
}

// waitFor waits until a JavaScript condition holds (the page's own
// rendering decides when; no sleeps).
func (p *page) waitFor(step, cond string) {
	p.t.Helper()
	p.n++
	ctx, cancel := context.WithTimeout(p.ctx, 15*time.Second)
	defer cancel()
	if err := pollUntil(ctx, cond, 20*time.Millisecond); err != nil {
		p.shot(step)
		p.t.Fatalf("step %q: %v", step, err)
	}
}

// pollUntil waits until cond holds in the page, the tests' and the
// benchmarks' one way to wait. A poll whose execution context went away
// (the page replaced its document while it loaded) is started again in
// the new one, a bounded number of times; any other error ends the wait.
func pollUntil(ctx context.Context, cond string, every time.Duration) error {
	var err error
	for range 5 {
		if _, err = chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(every))); err == nil ||
			!strings.Contains(err.Error(), "Cannot find context with specified id") {
			return err
		}
	}
	return err
}

// signIn pastes role's token into the sign-in form.
func (p *page) signIn(role bank.Role) {
	p.t.Helper()
	eval[bool](p, `delete document.body.dataset.ready`)
	p.do("sign in as "+string(role),
		chromedp.WaitVisible(chromedp.CSS(`input[name=token]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=token]`), env.tokens[role]),
		chromedp.Click(chromedp.CSS(`form.signin button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#sign-out`)))
	p.waitFor("first page", `document.body.dataset.ready !== undefined`)
}

// go navigates to a console route and waits for its view.
func (p *page) goTo(hash string) {
	p.t.Helper()
	eval[string](p, `delete document.body.dataset.ready; location.hash = `+jsString(hash))
	p.waitFor("render "+hash, `document.body.dataset.ready === `+jsString(hash))
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// navPages returns the pages the navigation offers.
func (p *page) navPages() []string {
	return eval[[]string](p, `[...document.querySelectorAll('#nav a')].map(a => a.dataset.page)`)
}

// checkAccessible asserts what an accessibility checker would: every
// visible form control has a label and every button an accessible name.
func (p *page) checkAccessible(where string) {
	p.t.Helper()
	bad := eval[[]string](p, `(() => {
	  const visible = (e) => e.offsetParent !== null || e.getClientRects().length > 0;
	  const named = (e) => (e.getAttribute('aria-label') || '').trim() || (e.getAttribute('aria-labelledby') || '').trim();
	  const out = [];
	  for (const e of document.querySelectorAll('input, select, textarea')) {
	    if (e.type === 'hidden' || !visible(e)) continue;
	    if (!(e.labels && e.labels.length) && !named(e)) out.push('unlabelled control: ' + e.outerHTML.slice(0, 120));
	  }
	  for (const e of document.querySelectorAll('button, [role=button]')) {
	    if (!visible(e)) continue;
	    if (!e.textContent.trim() && !named(e) && !(e.title || '').trim()) out.push('button without a name: ' + e.outerHTML.slice(0, 120));
	  }
	  for (const e of document.querySelectorAll('a[href]')) {
	    if (visible(e) && !e.textContent.trim() && !named(e)) out.push('link without a name: ' + e.outerHTML.slice(0, 120));
	  }
	  return out;
	})()`)
	if len(bad) > 0 {
		p.shot("accessibility " + where)
		p.t.Errorf("%s: %d accessibility problems:\n%s", where, len(bad), strings.Join(bad, "\n"))
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
