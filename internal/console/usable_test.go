package console_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/cordbank/cordbank/bank"
)

// TestKeyboardOnly: sign in, choose a position of the box map and open
// and dismiss its dialog with the keyboard alone.
func TestKeyboardOnly(t *testing.T) {
	p := newPage(t)
	p.waitFor("token field focused", `document.activeElement?.name === 'token'`)
	p.do("type the token and Enter", chromedp.KeyEvent(env.tokens[bank.RoleTechnician]+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(`#sign-out`)))
	p.goTo("#/freezer/box-1")
	p.do("focus A2", chromedp.Focus(chromedp.CSS(`#box-grid [data-pos=A2]`)))
	p.do("arrows", chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowDown))
	if got := eval[string](p, `document.activeElement.dataset.pos`); got != "B3" {
		t.Fatalf("after → and ↓ from A2 the focus is on %q, want B3", got)
	}
	p.do("Enter opens the place dialog", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(`#dialog[open]`)))
	if got := eval[string](p, `document.activeElement.name`); got != "name" {
		t.Errorf("the dialog's focus is on %q, want its DIN field", got)
	}
	p.do("Escape closes it", chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(chromedp.CSS(`#dialog`)))
	if got := eval[string](p, `document.activeElement?.dataset?.pos || ''`); got != "B3" {
		t.Errorf("after the dialog the focus is on %q, want back on B3", got)
	}
}

// TestReadableWidths: at 1280×800 and on a tablet (820×1180) no page is
// wider than the window (wide tables scroll in their own box).
func TestReadableWidths(t *testing.T) {
	p := newPage(t)
	p.signIn(bank.RoleManager)
	for _, size := range [][2]int64{{1280, 800}, {820, 1180}} {
		p.do("viewport", chromedp.EmulateViewport(size[0], size[1]))
		for _, hash := range []string{"#/dashboard", "#/units", "#/unit/demo/" + string(env.units[2].DIN), "#/freezer/box-1", "#/audit"} {
			p.goTo(hash)
			if over := eval[int](p, `document.documentElement.scrollWidth - window.innerWidth`); over > 0 {
				p.shot("too wide " + hash)
				t.Errorf("%s at %d px is %d px wider than the window", hash, size[0], over)
			}
			p.keep(fmt.Sprintf("width-%d-%s.png", size[0], unsafeName.ReplaceAllString(hash, "_")))
		}
	}
}

// TestAssetsTransferred: the console's page and assets, as the browser
// received them (compressed by the server's gzip), stay under 300 KB,
// and nothing is fetched from anywhere but the server.
func TestAssetsTransferred(t *testing.T) {
	p := newPage(t)
	p.waitFor("sign-in page", `document.body.dataset.ready !== undefined`)
	type entry struct {
		Name    string  `json:"name"`
		Encoded float64 `json:"encodedBodySize"`
		Decoded float64 `json:"decodedBodySize"`
	}
	entries := eval[[]entry](p, `[...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
	  .map(e => ({name: e.name, encodedBodySize: e.encodedBodySize, decodedBodySize: e.decodedBodySize}))`)
	var encoded, decoded float64
	for _, e := range entries {
		if !strings.HasPrefix(e.Name, env.srv.HTTPURL+"/") {
			t.Errorf("the page fetched %s, outside the server", e.Name)
		}
		encoded += e.Encoded
		decoded += e.Decoded
	}
	t.Logf("%d files, %.0f bytes as transferred, %.0f decoded", len(entries), encoded, decoded)
	if len(entries) < 9 || encoded == 0 || encoded > 300<<10 {
		t.Errorf("%d files of %.0f bytes transferred, want the page and its modules, under 300 KB", len(entries), encoded)
	}
	if encoded >= decoded {
		t.Errorf("assets not compressed: %.0f bytes for %.0f", encoded, decoded)
	}
}
