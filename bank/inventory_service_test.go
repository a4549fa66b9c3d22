package bank_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/bank/inventory"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
)

type storageEnv struct {
	t       *testing.T
	ctx     context.Context
	svc     *bank.Service
	store   bank.Store
	restart func() bank.Store
	fin     string
	dins    []unit.DIN
}

// newStorage opens a fresh store with bank "cbb" and n units.
func newStorage(t *testing.T, n int) *storageEnv {
	t.Helper()
	e := &storageEnv{t: t, ctx: t.Context()}
	e.store, e.restart = openRestartable(t)
	e.svc = bank.NewService(e.store, bank.WithClock(banktest.Clock))
	b, err := e.svc.CreateBank(e.ctx, banktest.ValidBank("cbb"), "")
	if err != nil {
		t.Fatal(err)
	}
	e.fin = b.FIN
	var us []*bank.Unit
	for i := range n {
		us = append(us, banktest.ValidUnit("cbb", banktest.DIN(b.FIN, 24, i+1)))
	}
	if n > 0 {
		res, err := e.svc.ImportUnits(e.ctx, "cbb", us)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			e.dins = append(e.dins, r.Unit.DIN)
		}
	}
	return e
}

// reopen restarts the store: everything must survive.
func (e *storageEnv) reopen() {
	e.store = e.restart()
	e.svc = bank.NewService(e.store, bank.WithClock(banktest.Clock))
}

func f(x float64) *float64 { return &x }

func grid(r, c int) inventory.Layout {
	return inventory.Layout{Kind: inventory.LayoutGrid, Rows: r, Columns: c}
}
func slots(n int) inventory.Layout { return inventory.Layout{Kind: inventory.LayoutSlots, Slots: n} }
func bag(capacity int) inventory.Layout {
	return inventory.Layout{Kind: inventory.LayoutNone, Capacity: capacity}
}

// hierarchy: site > room > tank-1 (6 slots) > rack-1, rack-2 (4 slots) >
// box-1 (rack-1 slot 1), box-2 (rack-2 slot 1), 3×4 grids; tank-2 the
// empty backup of tank-1; bin-1 a 2-unit bag in rack-2.
func (e *storageEnv) hierarchy() {
	e.t.Helper()
	cs := []*inventory.Container{
		{ID: "site", Kind: inventory.KindSite, Label: "Main site", Layout: bag(0)},
		{ID: "room", Kind: inventory.KindRoom, Parent: "site", Label: "Room 1", Layout: bag(0)},
		{ID: "tank-1", Kind: inventory.KindTank, Parent: "room", Label: "T1", Layout: slots(6), MinCelsius: f(-200), MaxCelsius: f(-150)},
		{ID: "tank-2", Kind: inventory.KindTank, Parent: "room", Label: "T2", Layout: slots(6), MinCelsius: f(-200), MaxCelsius: f(-150)},
		{ID: "rack-1", Kind: inventory.KindRack, Parent: "tank-1", ParentPosition: "1", Label: "R1", Layout: slots(4)},
		{ID: "rack-2", Kind: inventory.KindRack, Parent: "tank-1", Label: "R2", Layout: slots(4)},
		{ID: "box-1", Kind: inventory.KindBox, Parent: "rack-1", ParentPosition: "1", Label: "B1", Layout: grid(3, 4)},
		{ID: "box-2", Kind: inventory.KindBox, Parent: "rack-2", Label: "B2", Layout: grid(3, 4)},
		{ID: "bin-1", Kind: inventory.KindBox, Parent: "rack-2", Label: "BIN", Layout: bag(2)},
	}
	for _, c := range cs {
		c.Bank = "cbb"
	}
	got, err := e.svc.CreateContainers(e.ctx, "cbb", cs, "req-h")
	if err != nil {
		e.t.Fatal(err)
	}
	if got[5].ParentPosition != "2" || got[7].ParentPosition != "1" || got[8].ParentPosition != "2" {
		e.t.Fatalf("auto positions: rack-2 %q, box-2 %q, bin-1 %q", got[5].ParentPosition, got[7].ParentPosition, got[8].ParentPosition)
	}
	if *got[3].MaxCelsius != -150 || got[0].Version != 1 {
		e.t.Fatalf("tank-2 = %+v", got[3])
	}
}

// occupants returns the non-empty entries of a container map as
// "position=occupant".
func (e *storageEnv) occupants(id string) []string {
	e.t.Helper()
	m, err := e.svc.GetContainerMap(e.ctx, "cbb", id)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, x := range m.Entries {
		switch {
		case x.Unit != "":
			out = append(out, x.Position+"="+e.short(x.Unit))
		case x.Container != "":
			out = append(out, x.Position+"="+x.Container)
		}
	}
	return out
}

// short names unit i of the fixture "u<i>".
func (e *storageEnv) short(d unit.DIN) string { return fmt.Sprintf("u%d", slices.Index(e.dins, d)) }

func (e *storageEnv) wantMap(id string, want ...string) {
	e.t.Helper()
	if d := cmp.Diff(want, e.occupants(id)); d != "" {
		e.t.Errorf("map of %s (-want +got):\n%s", id, d)
	}
}

func (e *storageEnv) place(i int, container, pos string) *inventory.Location {
	e.t.Helper()
	loc, err := e.svc.PlaceUnit(e.ctx, bank.PlaceRequest{Bank: "cbb", DIN: e.dins[i], Container: container, Position: pos})
	if err != nil {
		e.t.Fatalf("place u%d in %s %s: %v", i, container, pos, err)
	}
	return loc
}

func (e *storageEnv) events() []*bank.Event {
	e.t.Helper()
	var evs []*bank.Event
	err := e.store.Read(e.ctx, func(tx bank.ReadTx) error {
		var err error
		evs, err = tx.ListEvents(e.ctx, bank.EventQuery{Limit: 100000})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

func TestContainerMapsAndMoves(t *testing.T) {
	e := newStorage(t, 6)
	e.hierarchy()
	e.wantMap("tank-1", "1=rack-1", "2=rack-2")
	e.wantMap("rack-2", "1=box-2", "2=bin-1")

	loc := e.place(0, "box-1", "A1")
	if loc.Container != "banks/cbb/containers/box-1" || loc.Position != "A1" ||
		!slices.Equal(loc.Path, []string{"banks/cbb/containers/site", "banks/cbb/containers/room", "banks/cbb/containers/tank-1", "banks/cbb/containers/rack-1", "banks/cbb/containers/box-1"}) {
		t.Fatalf("location = %+v", loc)
	}
	e.place(1, "box-1", "3,4") // row,column input
	e.place(2, "box-1", "")    // first free: A2
	e.place(3, "bin-1", "")
	e.wantMap("box-1", "A1=u0", "A2=u2", "C4=u1")
	e.wantMap("rack-2", "1=box-2", "2=bin-1")
	m, _ := e.svc.GetContainerMap(e.ctx, "cbb", "bin-1")
	if len(m.Entries) != 1 || m.Entries[0].Unit != e.dins[3] || m.Entries[0].Position != "" {
		t.Fatalf("bin map = %+v", m.Entries)
	}
	// Placing a unit where it is changes nothing.
	if again := e.place(0, "box-1", "a1"); again.Position != "A1" {
		t.Fatalf("placing again = %+v", again)
	}

	// Move a unit within the box and into the other box.
	if _, err := e.svc.MoveUnit(e.ctx, bank.PlaceRequest{Bank: "cbb", DIN: e.dins[0], Container: "box-1", Position: "B2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.MoveUnit(e.ctx, bank.PlaceRequest{Bank: "cbb", DIN: e.dins[2], Container: "box-2", Position: "A1"}); err != nil {
		t.Fatal(err)
	}
	e.wantMap("box-1", "B2=u0", "C4=u1")
	e.wantMap("box-2", "A1=u2")

	// Move box-1 into rack-2 slot 4: its units keep their positions.
	nb, err := e.svc.MoveContainer(e.ctx, bank.MoveContainerRequest{Bank: "cbb", ID: "box-1", Parent: "rack-2", Position: "4", Etag: "1"})
	if err != nil {
		t.Fatal(err)
	}
	if nb.Parent != "rack-2" || nb.ParentPosition != "4" || nb.Version != 2 {
		t.Fatalf("moved box = %+v", nb)
	}
	e.wantMap("rack-1")
	e.wantMap("rack-2", "1=box-2", "2=bin-1", "4=box-1")
	e.wantMap("box-1", "B2=u0", "C4=u1")
	loc, _ = e.svc.GetUnitLocation(e.ctx, "cbb", e.dins[1])
	if loc.Position != "C4" || loc.Path[3] != "banks/cbb/containers/rack-2" {
		t.Fatalf("location after box move = %+v", loc)
	}
	// Move rack-1 (empty) to slot 6 of the tank.
	if _, err := e.svc.MoveContainer(e.ctx, bank.MoveContainerRequest{Bank: "cbb", ID: "rack-1", Parent: "tank-1", Position: "6"}); err != nil {
		t.Fatal(err)
	}
	e.wantMap("tank-1", "2=rack-2", "6=rack-1")
	e.place(4, "tank-1", "3") // a bag directly in a tank slot (robotic freezer)

	// Evacuate tank-1 into tank-2: every rack and unit keeps its position.
	before := len(e.events())
	res, err := e.svc.Evacuate(e.ctx, bank.EvacuateRequest{Bank: "cbb", ID: "tank-1", Target: "tank-2", RequestID: "evac-1"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Units != 1 || res.Containers != 2 {
		t.Fatalf("evacuation = %+v", res)
	}
	e.wantMap("tank-1")
	e.wantMap("tank-2", "2=rack-2", "3=u4", "6=rack-1")
	e.wantMap("box-1", "B2=u0", "C4=u1")
	loc, _ = e.svc.GetUnitLocation(e.ctx, "cbb", e.dins[0])
	if loc.Path[2] != "banks/cbb/containers/tank-2" {
		t.Fatalf("location after evacuation = %+v", loc)
	}
	// One event per unit moved (u4 directly; u0..u3 inside rack-2) and per
	// container moved (rack-1, rack-2).
	if n := len(e.events()) - before; n != 1+4+2 {
		t.Errorf("evacuation appended %d events, want 7", n)
	}
	// A retry with the same request id answers without moving again.
	if _, err := e.svc.Evacuate(e.ctx, bank.EvacuateRequest{Bank: "cbb", ID: "tank-1", Target: "tank-2", RequestID: "evac-1"}); err != nil {
		t.Fatalf("retried evacuation: %v", err)
	}

	occ, err := e.svc.GetOccupancy(e.ctx, "cbb", "tank-2")
	if err != nil {
		t.Fatal(err)
	}
	// tank-2 6 slots, 2 racks × 4, box-1 and box-2 12 each, bin 2 = 40 places;
	// used: 3 tank slots (2 racks, u4), rack-2 3, 4 units in boxes and bin.
	if occ.Places != 40 || occ.Units != 5 || occ.Containers != 5 || occ.Free != 40-3-3-4 || occ.Unbounded || len(occ.Children) != 2 {
		t.Errorf("occupancy = %+v", occ)
	}
	if _, err := e.svc.VerifyEvents(e.ctx); err != nil {
		t.Errorf("audit chain: %v", err)
	}

	// Restart keeps everything.
	e.reopen()
	e.wantMap("tank-2", "2=rack-2", "3=u4", "6=rack-1")
	e.wantMap("rack-2", "1=box-2", "2=bin-1", "4=box-1")
	e.wantMap("box-1", "B2=u0", "C4=u1")
}

func TestFindFreePositions(t *testing.T) {
	e := newStorage(t, 3)
	e.hierarchy()
	e.place(0, "box-1", "A1")
	e.place(1, "box-1", "A3")
	got, err := e.svc.FindFreePositions(e.ctx, bank.FindFreeRequest{Bank: "cbb", Within: "tank-1", Count: 3})
	if err != nil {
		t.Fatal(err)
	}
	// Depth first: tank-1 slots 3.. (1, 2 hold racks), then rack-1 ...
	want := []bank.FreePosition{{"tank-1", "3"}, {"tank-1", "4"}, {"tank-1", "5"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("free (-want +got):\n%s", d)
	}
	got, err = e.svc.FindFreePositions(e.ctx, bank.FindFreeRequest{Bank: "cbb", Within: "rack-1", Count: 3})
	if err != nil {
		t.Fatal(err)
	}
	want = []bank.FreePosition{{"rack-1", "2"}, {"rack-1", "3"}, {"rack-1", "4"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("free in rack-1 (-want +got):\n%s", d)
	}
	got, err = e.svc.FindFreePositions(e.ctx, bank.FindFreeRequest{Bank: "cbb", Within: "box-1", Count: 2})
	if err != nil || len(got) != 2 || got[0].Position != "A2" || got[1].Position != "A4" {
		t.Errorf("free in box-1 = %v, %v", got, err)
	}
	// All in one box: box-1 has 10 free, box-2 12.
	got, err = e.svc.FindFreePositions(e.ctx, bank.FindFreeRequest{Bank: "cbb", Count: 11, SameContainer: true})
	if err != nil || len(got) != 11 || got[0].Container != "box-2" || got[10].Container != "box-2" {
		t.Errorf("11 in one box = %v, %v", got, err)
	}
	_, err = e.svc.FindFreePositions(e.ctx, bank.FindFreeRequest{Bank: "cbb", Count: 13, SameContainer: true})
	wantErr(t, "13 in one box", err, bank.KindFailedPrecondition, bank.ReasonContainerFull)
	_, err = e.svc.FindFreePositions(e.ctx, bank.FindFreeRequest{Bank: "cbb", Within: "box-1", Count: 11})
	wantErr(t, "11 in box-1", err, bank.KindFailedPrecondition, bank.ReasonContainerFull)
}

func wantErr(t *testing.T, what string, err error, kind bank.Kind, reason bank.Reason) {
	t.Helper()
	var be *bank.Error
	if !errors.As(err, &be) || be.Kind != kind || be.Reason != reason {
		t.Errorf("%s: err = %v, want %v %s", what, err, kind, reason)
	}
}

func TestStorageBadInput(t *testing.T) {
	e := newStorage(t, 5)
	e.hierarchy()
	e.place(0, "box-1", "A1")
	e.place(1, "bin-1", "")
	e.place(2, "bin-1", "")
	if _, err := e.svc.Transition(e.ctx, bank.TransitionRequest{Bank: "cbb", DIN: e.dins[3], Action: lifecycle.ActionDiscard, Reason: "CD"}); err != nil {
		t.Fatal(err)
	}
	other := banktest.ValidBank("other")
	if _, err := e.svc.CreateBank(e.ctx, other, ""); err != nil {
		t.Fatal(err)
	}
	foreign := banktest.DIN(other.FIN, 24, 1)
	if _, err := e.svc.CreateUnit(e.ctx, banktest.ValidUnit("other", foreign), ""); err != nil {
		t.Fatal(err)
	}
	place := func(din unit.DIN, c, pos string) error {
		_, err := e.svc.PlaceUnit(e.ctx, bank.PlaceRequest{Bank: "cbb", DIN: din, Container: c, Position: pos})
		return err
	}
	mk := func(c inventory.Container) error {
		c.Bank = "cbb"
		_, err := e.svc.CreateContainer(e.ctx, &c, "")
		return err
	}
	moveC := func(id, parent, pos string) error {
		_, err := e.svc.MoveContainer(e.ctx, bank.MoveContainerRequest{Bank: "cbb", ID: id, Parent: parent, Position: pos})
		return err
	}
	free := e.dins[2] // in bin-1; use MoveUnit for it
	moveU := func(din unit.DIN, c, pos string) error {
		_, err := e.svc.MoveUnit(e.ctx, bank.PlaceRequest{Bank: "cbb", DIN: din, Container: c, Position: pos})
		return err
	}
	for _, tc := range []struct {
		name   string
		err    error
		kind   bank.Kind
		reason bank.Reason
	}{
		{"position outside the grid", moveU(free, "box-1", "D1"), bank.KindInvalid, bank.ReasonPositionOutOfLayout},
		{"column outside the grid", moveU(free, "box-1", "A5"), bank.KindInvalid, bank.ReasonPositionOutOfLayout},
		{"slot outside", moveU(free, "tank-1", "7"), bank.KindInvalid, bank.ReasonPositionOutOfLayout},
		{"garbage position", moveU(free, "box-1", "1A"), bank.KindInvalid, bank.ReasonPositionOutOfLayout},
		{"position in a bag", moveU(free, "bin-1", "1"), bank.KindInvalid, bank.ReasonPositionOutOfLayout},
		{"occupied position", moveU(free, "box-1", "a1"), bank.KindFailedPrecondition, bank.ReasonPositionOccupied},
		{"position holding a rack", moveU(free, "tank-1", "1"), bank.KindFailedPrecondition, bank.ReasonPositionOccupied},
		{"full bag", moveU(e.dins[0], "bin-1", ""), bank.KindFailedPrecondition, bank.ReasonContainerFull},
		{"unknown container", moveU(free, "nowhere", "A1"), bank.KindInvalid, bank.ReasonContainerNotFound},
		{"units not in rooms", moveU(free, "room", ""), bank.KindInvalid, bank.ReasonIllegalNesting},
		{"unit of another bank", place(foreign, "box-1", "B1"), bank.KindNotFound, bank.ReasonUnitNotFound},
		{"discarded unit", place(e.dins[3], "box-1", "B1"), bank.KindFailedPrecondition, bank.ReasonUnitNotStorable},
		{"place a placed unit", place(e.dins[0], "box-1", "B1"), bank.KindFailedPrecondition, bank.ReasonUnitAlreadyPlaced},
		{"move a discarded unit", moveU(e.dins[3], "box-1", "B1"), bank.KindFailedPrecondition, bank.ReasonUnitNotStorable},
		{"move an unplaced unit", moveU(e.dins[4], "box-1", "B1"), bank.KindFailedPrecondition, bank.ReasonUnitNotPlaced},
		{"cycle: into itself", moveC("rack-1", "rack-1", ""), bank.KindFailedPrecondition, bank.ReasonContainerCycle},
		{"cycle: tank into its box", moveC("tank-1", "box-1", ""), bank.KindFailedPrecondition, bank.ReasonContainerCycle},
		{"box into a box", moveC("box-2", "box-1", ""), bank.KindInvalid, bank.ReasonIllegalNesting},
		{"box into a full rack position", moveC("box-2", "rack-1", "1"), bank.KindFailedPrecondition, bank.ReasonPositionOccupied},
		{"unknown parent", moveC("box-2", "nowhere", ""), bank.KindInvalid, bank.ReasonContainerNotFound},
		{"stale etag", func() error {
			_, err := e.svc.MoveContainer(e.ctx, bank.MoveContainerRequest{Bank: "cbb", ID: "box-2", Parent: "rack-1", Etag: "7"})
			return err
		}(), bank.KindAborted, bank.ReasonEtagMismatch},
		{"unknown container move", moveC("nowhere", "rack-1", ""), bank.KindNotFound, bank.ReasonContainerNotFound},
		{"negative capacity", mk(inventory.Container{ID: "x", Kind: inventory.KindBox, Label: "X", Layout: bag(-1)}), bank.KindInvalid, bank.ReasonInvalidArgument},
		{"grid too large", mk(inventory.Container{ID: "x", Kind: inventory.KindBox, Label: "X", Layout: grid(51, 2)}), bank.KindInvalid, bank.ReasonInvalidArgument},
		{"duplicate id", mk(inventory.Container{ID: "box-1", Kind: inventory.KindBox, Label: "X", Layout: grid(2, 2)}), bank.KindAlreadyExists, bank.ReasonContainerAlreadyExists},
		{"duplicate label", mk(inventory.Container{ID: "x", Kind: inventory.KindBox, Label: "B1", Layout: grid(2, 2)}), bank.KindAlreadyExists, bank.ReasonLabelAlreadyExists},
		{"tank in a rack", mk(inventory.Container{ID: "x", Kind: inventory.KindTank, Parent: "rack-1", Label: "X", Layout: slots(2)}), bank.KindInvalid, bank.ReasonIllegalNesting},
		{"into a full rack", mk(inventory.Container{ID: "x", Kind: inventory.KindBox, Parent: "rack-2", ParentPosition: "1", Label: "X", Layout: grid(2, 2)}), bank.KindFailedPrecondition, bank.ReasonPositionOccupied},
		{"evacuate into a non-empty tank", func() error {
			_, err := e.svc.Evacuate(e.ctx, bank.EvacuateRequest{Bank: "cbb", ID: "tank-2", Target: "tank-1"})
			return err
		}(), bank.KindFailedPrecondition, bank.ReasonContainerNotEmpty},
		{"evacuate into another layout", func() error {
			_, err := e.svc.Evacuate(e.ctx, bank.EvacuateRequest{Bank: "cbb", ID: "box-1", Target: "bin-1"})
			return err
		}(), bank.KindInvalid, bank.ReasonLayoutMismatch},
	} {
		wantErr(t, tc.name, tc.err, tc.kind, tc.reason)
	}
	// Every refusal left the maps as they were.
	e.wantMap("box-1", "A1=u0")
	e.wantMap("tank-1", "1=rack-1", "2=rack-2")
	e.wantMap("rack-2", "1=box-2", "2=bin-1")
	var be *bank.Error
	err := mk(inventory.Container{ID: "Bad id", Kind: "TUB", Label: "", Layout: inventory.Layout{Kind: inventory.LayoutGrid}, MaxCelsius: f(-150)})
	if !errors.As(err, &be) || len(be.Violations) != 6 {
		t.Errorf("every bad field: %v", err)
	}
}

// Many units race for one free position: exactly one wins, the others get
// POSITION_OCCUPIED.
func TestConcurrentPlacement(t *testing.T) {
	e := newStorage(t, 16)
	e.hierarchy()
	var wg sync.WaitGroup
	errs := make([]error, len(e.dins))
	for i := range e.dins {
		wg.Go(func() {
			_, errs[i] = e.svc.PlaceUnit(e.ctx, bank.PlaceRequest{Bank: "cbb", DIN: e.dins[i], Container: "box-2", Position: "B3"})
		})
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		if err == nil {
			won++
			e.wantMap("box-2", fmt.Sprintf("B3=u%d", i))
			continue
		}
		wantErr(t, "loser", err, bank.KindFailedPrecondition, bank.ReasonPositionOccupied)
	}
	if won != 1 {
		t.Fatalf("%d placements won", won)
	}
}

func TestLeavingStorageFreesThePosition(t *testing.T) {
	e := newStorage(t, 2)
	e.hierarchy()
	e.place(0, "box-1", "B2")
	if _, err := e.svc.Transition(e.ctx, bank.TransitionRequest{Bank: "cbb", DIN: e.dins[0], Action: lifecycle.ActionDiscard, Reason: "CD"}); err != nil {
		t.Fatal(err)
	}
	e.wantMap("box-1")
	loc, err := e.svc.GetUnitLocation(e.ctx, "cbb", e.dins[0])
	if err != nil || loc.Container != "" {
		t.Fatalf("location of a discarded unit = %+v, %v", loc, err)
	}
	evs := e.events()
	last := evs[len(evs)-1]
	if last.Method != "DiscardUnit" || last.Changes[0].Field != "location" || last.Changes[0].After != "" {
		t.Errorf("last event = %+v", last)
	}
	e.place(1, "box-1", "B2") // the position is free again
	// Expired units stay where they are.
	if _, err := e.svc.Transition(e.ctx, bank.TransitionRequest{Bank: "cbb", DIN: e.dins[1], Action: lifecycle.ActionExpire}); err != nil {
		t.Fatal(err)
	}
	e.wantMap("box-1", "B2=u1")
}

func TestTemperatureExcursions(t *testing.T) {
	e := newStorage(t, 3)
	e.hierarchy()
	e.place(0, "box-1", "A1")
	e.place(1, "tank-1", "3")
	e.place(2, "box-2", "A1")
	e.place(2, "box-2", "A1")
	rec := func(c string, celsius float64, at time.Duration) *bank.ReadingResult {
		t.Helper()
		r, err := e.svc.RecordReading(e.ctx, inventory.TemperatureReading{Bank: "cbb", Container: c, Celsius: celsius, Time: banktest.Now.Add(at)})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := rec("tank-1", -190, -time.Hour); r.Excursion != nil {
		t.Fatalf("in limits: %+v", r)
	}
	r := rec("tank-1", -140, -50*time.Minute)
	if !r.Opened || r.Excursion.UnitsExposed != 3 || !r.Excursion.Open() {
		t.Fatalf("first reading outside = %+v", r.Excursion)
	}
	name := r.Excursion.Name()
	r = rec("tank-1", -120, -40*time.Minute)
	if r.Opened || r.Excursion.Name() != name || r.Excursion.HighestCelsius != -120 || r.Excursion.Readings != 2 {
		t.Fatalf("second reading outside = %+v", r.Excursion)
	}
	rec("tank-2", -100, -40*time.Minute) // another tank, nothing in it
	r = rec("tank-1", -185, -30*time.Minute)
	if !r.Closed || r.Excursion.Open() {
		t.Fatalf("back inside = %+v", r)
	}
	for i := range 3 {
		var evs []*bank.Event
		_ = e.store.Read(e.ctx, func(tx bank.ReadTx) error {
			var err error
			evs, err = tx.ListEvents(e.ctx, bank.EventQuery{Resource: "banks/cbb/units/" + string(e.dins[i]), Limit: 100})
			return err
		})
		n := 0
		for _, ev := range evs {
			if ev.Method == "TemperatureExcursion" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("u%d has %d exposure events, want 1", i, n)
		}
	}
	open := true
	all, _, err := e.svc.ListExcursions(e.ctx, bank.ListExcursionsRequest{Bank: "cbb"})
	if err != nil || len(all) != 2 {
		t.Fatalf("excursions = %v, %v", all, err)
	}
	still, _, _ := e.svc.ListExcursions(e.ctx, bank.ListExcursionsRequest{Bank: "cbb", Open: &open})
	if len(still) != 1 || still[0].Container != "tank-2" {
		t.Errorf("open excursions = %+v", still)
	}
	t1, _, _ := e.svc.ListExcursions(e.ctx, bank.ListExcursionsRequest{Bank: "cbb", Container: "tank-1"})
	if len(t1) != 1 || t1[0].Name() != name || !t1[0].EndTime.Equal(banktest.Now.Add(-30*time.Minute)) {
		t.Errorf("tank-1 excursions = %+v", t1)
	}
	_, err = e.svc.RecordReading(e.ctx, inventory.TemperatureReading{Bank: "cbb", Container: "box-1", Celsius: -190})
	wantErr(t, "reading of a box", err, bank.KindInvalid, bank.ReasonInvalidArgument)
	_, err = e.svc.RecordReading(e.ctx, inventory.TemperatureReading{Bank: "cbb", Container: "tank-1", Celsius: -300})
	wantErr(t, "impossible temperature", err, bank.KindInvalid, bank.ReasonInvalidArgument)
	e.reopen()
	all, _, _ = e.svc.ListExcursions(e.ctx, bank.ListExcursionsRequest{Bank: "cbb"})
	if len(all) != 2 {
		t.Errorf("after restart: %d excursions", len(all))
	}
}

// TestImplausibleReadingsRefused: a reading dated before cord blood banking
// began (a probe's zero clock, a typed 1900) or ahead of the clock, or a
// temperature that is not a number, names its field and stores nothing.
func TestImplausibleReadingsRefused(t *testing.T) {
	e := newStorage(t, 1)
	e.hierarchy()
	cases := []struct {
		name    string
		reading inventory.TemperatureReading
		field   string
	}{
		{"1900", inventory.TemperatureReading{Celsius: -190, Time: time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)}, "reading.time"},
		{"unix epoch", inventory.TemperatureReading{Celsius: -190, Time: time.Unix(0, 0)}, "reading.time"},
		{"just before 1988", inventory.TemperatureReading{Celsius: -190, Time: time.Date(1987, 12, 31, 23, 59, 59, 0, time.UTC)}, "reading.time"},
		{"beyond clock skew", inventory.TemperatureReading{Celsius: -190, Time: banktest.Now.Add(time.Hour)}, "reading.time"},
		{"far future", inventory.TemperatureReading{Celsius: -190, Time: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}, "reading.time"},
		{"NaN", inventory.TemperatureReading{Celsius: math.NaN()}, "reading.celsius"},
		{"infinity", inventory.TemperatureReading{Celsius: math.Inf(-1)}, "reading.celsius"},
	}
	for _, c := range cases {
		c.reading.Bank, c.reading.Container = "cbb", "tank-1"
		_, err := e.svc.RecordReading(e.ctx, c.reading)
		var be *bank.Error
		if !errors.As(err, &be) || be.Kind != bank.KindInvalid || len(be.Violations) != 1 || be.Violations[0].Field != c.field {
			t.Errorf("%s: err = %v, want one violation of %s", c.name, err, c.field)
		}
	}
	if _, err := e.svc.RecordReading(e.ctx, inventory.TemperatureReading{Bank: "cbb", Container: "tank-1", Celsius: -190,
		Time: banktest.Now.Add(4 * time.Minute)}); err != nil {
		t.Errorf("a reading within the clock skew: %v", err)
	}
	if evs := e.events(); evs[len(evs)-1].Method != "RecordTemperatureReading" || len(evs) < 2 || evs[len(evs)-2].Method == "RecordTemperatureReading" {
		t.Errorf("the refused readings were recorded: last events %+v", evs[max(0, len(evs)-2):])
	}
}
