package console_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/cordbank/cordbank/bank"
)

var freezerRuns atomic.Int32

// TestFreezerPlaceAndMove: a technician places a unit by choosing a free
// position of the box map, sees it there, moves it by choosing it and
// another position, and the unit page tells the new place.
func TestFreezerPlaceAndMove(t *testing.T) {
	p := newPage(t)
	// Two boxes of this test's own, so it runs again (-count) on the
	// shared server, and a unit no earlier run placed.
	run := fmt.Sprint(freezerRuns.Add(1))
	box1, box2 := "box-a"+run, "box-b"+run
	if err := rest(env.srv.AdminToken(), "POST", "/v1/banks/demo/containers:batchCreate", `{"requests": [
	  {"containerId": "`+box1+`", "container": {"kind": "CONTAINER_KIND_BOX", "label": "BOX-A`+run+`", "layout": {"kind": "LAYOUT_KIND_GRID", "rows": 10, "columns": 10}}},
	  {"containerId": "`+box2+`", "container": {"kind": "CONTAINER_KIND_BOX", "label": "BOX-B`+run+`", "layout": {"kind": "LAYOUT_KIND_GRID", "rows": 10, "columns": 10}}}]}`, nil); err != nil {
		t.Fatal(err)
	}
	din := string(env.units[int(freezerRuns.Load())].DIN)
	p.signIn(bank.RoleTechnician)
	p.goTo("#/freezer/" + box1)
	if n := eval[int](p, `document.querySelectorAll('#box-grid .pos').length`); n != 100 {
		t.Fatalf("the 10×10 box shows %d positions: %s", n, p.text("#main"))
	}
	p.checkAccessible("freezer")
	p.do("place at A1", chromedp.Click(chromedp.CSS(`#box-grid [data-pos=A1]`)),
		chromedp.WaitVisible(chromedp.CSS(`#dialog[open]`)),
		chromedp.SendKeys(chromedp.CSS(`#dialog input[name=name]`), din),
		chromedp.Click(chromedp.CSS(`#dialog-ok`)), chromedp.WaitNotVisible(chromedp.CSS(`#dialog`)))
	p.waitFor("A1 occupied", `document.querySelector('#box-grid [data-pos=A1]')?.classList.contains('occupied')`)
	if got := eval[string](p, `document.querySelector('#box-grid [data-pos=A1]').getAttribute('aria-label')`); got != "A1: "+din {
		t.Errorf("A1 says %q", got)
	}
	p.keep("console-freezer.png")
	p.do("choose it", chromedp.Click(chromedp.CSS(`#box-grid [data-pos=A1]`)))
	p.waitFor("selected", `document.querySelector('#box-grid [data-pos=A1]').getAttribute('aria-pressed') === 'true'`)
	p.do("move to C3", chromedp.Click(chromedp.CSS(`#box-grid [data-pos=C3]`)),
		chromedp.WaitVisible(chromedp.CSS(`#dialog[open]`)),
		chromedp.Click(chromedp.CSS(`#dialog-ok`)), chromedp.WaitNotVisible(chromedp.CSS(`#dialog`)))
	p.waitFor("C3 occupied, A1 free", `document.querySelector('#box-grid [data-pos=C3]')?.classList.contains('occupied') && !document.querySelector('#box-grid [data-pos=A1]').classList.contains('occupied')`)
	p.goTo("#/unit/demo/" + din)
	p.waitFor("location", `!!document.querySelector('#unit-position')`)
	if got := p.text("#location"); !strings.Contains(got, "C3") || !strings.Contains(got, box1) {
		t.Errorf("unit location = %q, want %s C3", got, box1)
	}
	p.goTo("#/freezer/" + box1)
	p.do("find free", chromedp.Click(chromedp.Search(`//button[.='Find free positions']`)), chromedp.WaitVisible(chromedp.CSS(`#free-positions p`)))
	if got := p.text("#free-positions"); !strings.HasPrefix(got, box1+" A1") {
		t.Errorf("free positions = %q, want %s A1 first", got, box1)
	}

	// Evacuating the first box into the second: the plan shows where the unit goes
	// before anything moves.
	p.do("plan", chromedp.SetValue(chromedp.CSS(`#evacuation select[name=target]`), "banks/demo/containers/"+box2),
		chromedp.Click(chromedp.CSS(`#evacuation button[type=submit]`)))
	p.do("plan shown", chromedp.WaitVisible(chromedp.CSS(`#evacuation-plan`)))
	if got := p.text("#evacuation-plan tbody"); !strings.Contains(got, box1+" C3") || !strings.Contains(got, din) || !strings.Contains(got, box2+" C3") {
		t.Errorf("evacuation plan = %q, want %s from %s C3 to %s C3", got, din, box1, box2)
	}
	if got := eval[string](p, `location.hash`); got != "#/freezer/"+box1 {
		t.Errorf("planning moved on to %s", got)
	}
	p.do("evacuate", chromedp.Click(chromedp.CSS(`#dialog-ok`)), chromedp.WaitNotVisible(chromedp.CSS(`#dialog`)))
	p.waitFor("box-2 holds it", `document.body.dataset.ready === '#/freezer/`+box2+`' && document.querySelector('#box-grid [data-pos=C3]')?.classList.contains('occupied')`)
}
