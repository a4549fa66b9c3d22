package console_test

import (
	"context"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/internal/synth"
)

var big struct {
	once  sync.Once
	token string
	err   error
}

// seedBig registers bank "big" with CONSOLE_BENCH_UNITS synthetic units
// (default 20,000: the dashboard counts at most 10,000, so a larger bank
// costs it no more) and a box holding 100 of them.
func seedBig(b *testing.B) string {
	big.once.Do(func() {
		n := 20000
		if s := os.Getenv("CONSOLE_BENCH_UNITS"); s != "" {
			n, big.err = strconv.Atoi(s)
		}
		ctx := bank.WithCaller(context.Background(), bank.Caller{Principal: "console-bench"})
		svc := env.srv.Service
		if _, big.err = svc.CreateBank(ctx, &bank.Bank{ID: "big", DisplayName: "Big", FIN: "W9998", Country: "US"}, ""); big.err != nil {
			return
		}
		gen := synth.New("big", "W9998", time.Now(), 7)
		var units []*bank.Unit
		for left := n; left > 0; left -= 2500 {
			res, err := svc.ImportUnits(ctx, "big", gen.Units(min(left, 2500)))
			if err != nil {
				big.err = err
				return
			}
			for _, r := range res {
				if len(units) < 100 && r.Err == nil {
					units = append(units, r.Unit)
				}
			}
		}
		if big.token, big.err = env.srv.Token(bank.RoleManager, "big"); big.err != nil {
			return
		}
		if big.err = rest(big.token, "POST", "/v1/banks/big/containers:batchCreate", `{"requests": [
		  {"containerId": "tank", "container": {"kind": "CONTAINER_KIND_TANK", "label": "T", "layout": {"kind": "LAYOUT_KIND_SLOTS", "slots": 10}}},
		  {"containerId": "box", "container": {"kind": "CONTAINER_KIND_BOX", "label": "B", "parent": "banks/big/containers/tank", "layout": {"kind": "LAYOUT_KIND_GRID", "rows": 10, "columns": 10}}}]}`, nil); big.err != nil {
			return
		}
		for i, u := range units {
			pos := string(rune('A'+i/10)) + strconv.Itoa(i%10+1)
			if big.err = rest(big.token, "POST", "/v1/banks/big/units/"+string(u.DIN)+":place", `{"container": "banks/big/containers/box", "position": "`+pos+`"}`, nil); big.err != nil {
				return
			}
		}
	})
	if big.err != nil {
		b.Fatal(big.err)
	}
	return big.token
}

// BenchmarkConsole times first loads of console pages in Chromium, each
// a full page load (HTML, CSS, every module) until the view has drawn:
// the sign-in page (no API call: the baseline), the dashboard of a large
// bank, and a full 10×10 box map. Compare each with the baseline of the
// same run.
func BenchmarkConsole(b *testing.B) {
	if env.browser == nil {
		b.Skip(env.skipWhy)
	}
	token := seedBig(b)
	ctx, cancel := chromedp.NewContext(env.browser)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(env.srv.HTTPURL+"/")); err != nil {
		b.Fatal(err)
	}
	// Sign in once; the session stays in the tab's sessionStorage.
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`input[name=token]`), token),
		chromedp.Click(chromedp.CSS(`form.signin button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`#sign-out`))); err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, hash, cond string) {
		for b.Loop() {
			b.StopTimer()
			if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if err := chromedp.Do(ctx, chromedp.Navigate(env.srv.HTTPURL+"/"+hash)); err != nil {
				b.Fatal(err)
			}
			if err := pollUntil(ctx, cond, 5*time.Millisecond); err != nil {
				b.Fatal(err)
			}
		}
	}
	// A page the manager does not use: the whole page and its modules
	// load, no API call follows.
	b.Run("baseline-page", func(b *testing.B) {
		run(b, "#/search", `document.body.dataset.ready === '#/search'`)
	})
	b.Run("dashboard-first-charts", func(b *testing.B) {
		run(b, "#/dashboard", `!!document.querySelector('#dash-total')`)
	})
	b.Run("dashboard-complete", func(b *testing.B) {
		run(b, "#/dashboard", `document.body.dataset.ready === '#/dashboard' && document.querySelector('#dash-total')?.dataset.state !== 'counting'`)
	})
	b.Run("box-map-10x10", func(b *testing.B) {
		run(b, "#/freezer/box", `document.body.dataset.ready === '#/freezer/box' && document.querySelectorAll('#box-grid .pos.occupied').length === 100`)
	})
}
