package banktest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/inventory"
	"github.com/cordbank/cordbank/bank/unit"
)

// The port's freezer storage and temperature (bank.InventoryReader,
// bank.InventoryWriter).
var inventoryTests = []test{
	{"ContainerInsertThenGet", containerInsertThenGet},
	{"ContainerConflicts", containerConflicts},
	{"ContainerUpdate", containerUpdate},
	{"ContainerListQueries", containerListQueries},
	{"ContainerPagingUnderConcurrentInserts", containerPagingUnderInserts},
	{"Placements", placements},
	{"PlacementPositionsUnique", placementPositionsUnique},
	{"PlacementPositionsUniqueUnderConcurrency", placementPositionsUniqueConcurrently},
	{"ReadingsAndExcursions", readingsAndExcursions},
	{"ExcursionListQueries", excursionListQueries},
}

// freezer is a tank of bank with four slots holding a 9×9 box in slot 1
// and a rack without positions in slot 2, not yet stored.
func freezer(bankID string) (tank, box, rack *inventory.Container) {
	tank = &inventory.Container{Bank: bankID, ID: "tank-1", Kind: inventory.KindTank, Label: "LN2 dewar 1",
		Layout:     inventory.Layout{Kind: inventory.LayoutSlots, Slots: 4},
		MinCelsius: f64(-196), MaxCelsius: f64(-150), CreateTime: at(0), UpdateTime: at(time.Minute), Version: 2}
	box = &inventory.Container{Bank: bankID, ID: "box-1", Kind: inventory.KindBox, Parent: "tank-1", ParentPosition: "1",
		Label: "box ünïcode 1", Layout: inventory.Layout{Kind: inventory.LayoutGrid, Rows: 9, Columns: 9},
		CreateTime: at(0), UpdateTime: at(0), Version: 1}
	rack = &inventory.Container{Bank: bankID, ID: "rack-1", Kind: inventory.KindRack, Parent: "tank-1", ParentPosition: "2",
		Label: "rack 1", Layout: inventory.Layout{Kind: inventory.LayoutNone, Capacity: 12},
		CreateTime: at(0), UpdateTime: at(0), Version: 1}
	return tank, box, rack
}

func (e *env) insertContainers(cs ...*inventory.Container) {
	e.t.Helper()
	e.write(func(tx bank.Tx) error {
		for _, c := range cs {
			if err := tx.InsertContainer(e.ctx, c); err != nil {
				return fmt.Errorf("insert %s: %w", c.ID, err)
			}
		}
		return nil
	})
}

func (e *env) getContainer(bankID, id string) (*inventory.Container, error) {
	return readValue(e, func(tx bank.ReadTx) (*inventory.Container, error) { return tx.GetContainer(e.ctx, bankID, id) })
}

func containerID(c *inventory.Container) string { return c.ID }

func containerInsertThenGet(t *testing.T, e *env) {
	e.seed("bank-a", 0)
	e.seed("bank-b", 0)
	tank, box, rack := freezer("bank-a")
	e.insertContainers(tank, box, rack)
	for _, want := range []*inventory.Container{tank, box, rack} {
		got, err := e.getContainer("bank-a", want.ID)
		if err != nil {
			t.Fatalf("GetContainer(%s): %v", want.ID, err)
		}
		if d := diff(got, want); d != "" {
			t.Errorf("container %s as stored (-want +got):\n%s", want.ID, d)
		}
	}
	_, err := e.getContainer("bank-a", "none")
	wantErr(t, err, bank.KindNotFound, bank.ReasonContainerNotFound)
	// Container ids are per bank: another bank's tank-1 is not found.
	_, err = e.getContainer("bank-b", "tank-1")
	wantErr(t, err, bank.KindNotFound, bank.ReasonContainerNotFound)
}

// containerConflicts: ids and labels are unique within a bank (not
// across banks), and a position of a parent holds one child.
func containerConflicts(t *testing.T, e *env) {
	e.seed("bank-a", 0)
	e.seed("bank-b", 0)
	tank, box, rack := freezer("bank-a")
	e.insertContainers(tank, box, rack)
	insert := func(c *inventory.Container) error {
		return e.tryWrite(func(tx bank.Tx) error { return tx.InsertContainer(e.ctx, c) })
	}
	sameID := *box
	sameID.Label, sameID.ParentPosition = "another label", "3"
	wantErr(t, insert(&sameID), bank.KindAlreadyExists, bank.ReasonContainerAlreadyExists)
	sameLabel := *box
	sameLabel.ID, sameLabel.ParentPosition = "box-2", "3"
	wantErr(t, insert(&sameLabel), bank.KindAlreadyExists, bank.ReasonLabelAlreadyExists)
	samePosition := *box
	samePosition.ID, samePosition.Label = "box-3", "box 3"
	wantErr(t, insert(&samePosition), bank.KindFailedPrecondition, bank.ReasonPositionOccupied)
	// Another bank may use the same ids and labels.
	otherTank, otherBox, _ := freezer("bank-b")
	e.insertContainers(otherTank, otherBox)
	// Moving a child onto a taken position is refused too.
	moved := *rack
	moved.ParentPosition, moved.Version = "1", 2
	err := e.tryWrite(func(tx bank.Tx) error { return tx.UpdateContainer(e.ctx, &moved) })
	wantErr(t, err, bank.KindFailedPrecondition, bank.ReasonPositionOccupied)
	if got, err := e.getContainer("bank-a", "rack-1"); err != nil || got.ParentPosition != "2" {
		t.Errorf("refused move changed the rack: %+v, %v", got, err)
	}
}

func containerUpdate(t *testing.T, e *env) {
	e.seed("bank-a", 0)
	tank, box, rack := freezer("bank-a")
	e.insertContainers(tank, box, rack)
	// The box moves into the rack (no positions), relabelled.
	want := *box
	want.Parent, want.ParentPosition, want.Label = "rack-1", "", "box one"
	want.UpdateTime, want.Version = at(time.Hour), 2
	e.write(func(tx bank.Tx) error { return tx.UpdateContainer(e.ctx, &want) })
	got, err := e.getContainer("bank-a", "box-1")
	if err != nil {
		t.Fatal(err)
	}
	if d := diff(got, &want); d != "" {
		t.Errorf("container after update (-want +got):\n%s", d)
	}
	// Limits are replaced, nil included.
	tk := *tank
	tk.MinCelsius, tk.MaxCelsius, tk.Version = nil, f64(-140.5), 3
	e.write(func(tx bank.Tx) error { return tx.UpdateContainer(e.ctx, &tk) })
	if got, err := e.getContainer("bank-a", "tank-1"); err != nil || diff(got, &tk) != "" {
		t.Errorf("tank after update: %v (-want +got):\n%s", err, diff(got, &tk))
	}
	none := *tank
	none.ID = "none"
	err = e.tryWrite(func(tx bank.Tx) error { return tx.UpdateContainer(e.ctx, &none) })
	wantErr(t, err, bank.KindNotFound, bank.ReasonContainerNotFound)
}

// containerListQueries: all, top level, children of one parent, after a
// cursor and limited; ordered by id; never another bank's.
func containerListQueries(t *testing.T, e *env) {
	e.seed("bank-a", 0)
	e.seed("bank-b", 0)
	tank, box, rack := freezer("bank-a")
	tank2 := &inventory.Container{Bank: "bank-a", ID: "tank-2", Kind: inventory.KindTank, Label: "LN2 dewar 2",
		Layout: inventory.Layout{Kind: inventory.LayoutNone}, CreateTime: at(0), UpdateTime: at(0), Version: 1}
	e.insertContainers(tank, box, rack, tank2)
	otherTank, _, _ := freezer("bank-b")
	otherTank.ID = "a-tank" // sorts first: a query leaking across banks shows
	e.insertContainers(otherTank)
	list := func(q bank.ContainerQuery) []string {
		t.Helper()
		return keys(e, func(tx bank.ReadTx) ([]*inventory.Container, error) { return tx.ListContainers(e.ctx, q) }, containerID)
	}
	for _, c := range []struct {
		name string
		q    bank.ContainerQuery
		want []string
	}{
		{"all (limit 0)", bank.ContainerQuery{Bank: "bank-a"}, []string{"box-1", "rack-1", "tank-1", "tank-2"}},
		{"top level", bank.ContainerQuery{Bank: "bank-a", TopLevel: true}, []string{"tank-1", "tank-2"}},
		{"children", bank.ContainerQuery{Bank: "bank-a", Parent: "tank-1"}, []string{"box-1", "rack-1"}},
		{"no children", bank.ContainerQuery{Bank: "bank-a", Parent: "box-1"}, nil},
		{"after", bank.ContainerQuery{Bank: "bank-a", AfterID: "rack-1"}, []string{"tank-1", "tank-2"}},
		{"limit", bank.ContainerQuery{Bank: "bank-a", AfterID: "box-1", Limit: 2}, []string{"rack-1", "tank-1"}},
		{"other bank", bank.ContainerQuery{Bank: "bank-b"}, []string{"a-tank"}},
	} {
		if d := diff(list(c.q), c.want); d != "" {
			t.Errorf("%s: %+v (-want +got):\n%s", c.name, c.q, d)
		}
	}
}

func containerPagingUnderInserts(t *testing.T, e *env) {
	e.seed("bank-a", 0)
	bag := func(id string) *inventory.Container {
		return &inventory.Container{Bank: "bank-a", ID: id, Kind: inventory.KindTank, Label: "label " + id,
			Layout: inventory.Layout{Kind: inventory.LayoutNone}, CreateTime: at(0), UpdateTime: at(0), Version: 1}
	}
	var want []string
	for i := range 30 {
		id := fmt.Sprintf("c%03d", 2*i+1)
		e.insertContainers(bag(id))
		want = append(want, id)
	}
	pageUnderInserts(t, want, func(i int) error {
		return e.tryWrite(func(tx bank.Tx) error { return tx.InsertContainer(e.ctx, bag(fmt.Sprintf("c%03d", 2*i))) })
	}, func(after string) ([]string, error) {
		cs, err := readValue(e, func(tx bank.ReadTx) ([]*inventory.Container, error) {
			return tx.ListContainers(e.ctx, bank.ContainerQuery{Bank: "bank-a", AfterID: after, Limit: 4})
		})
		return mapped(cs, containerID), err
	})
}

func (e *env) placement(bankID string, d unit.DIN) *bank.Placement {
	e.t.Helper()
	return mustRead(e, func(tx bank.ReadTx) (*bank.Placement, error) { return tx.GetPlacement(e.ctx, bankID, d) })
}

func (e *env) put(ps ...*bank.Placement) error {
	return e.tryWrite(func(tx bank.Tx) error {
		for _, p := range ps {
			if err := tx.PutPlacement(e.ctx, p); err != nil {
				return err
			}
		}
		return nil
	})
}

// placements: put, get, replace, list, count and delete where units are.
func placements(t *testing.T, e *env) {
	_, us := e.seed("bank-a", 4)
	_, bs := e.seed("bank-b", 1)
	tank, box, rack := freezer("bank-a")
	e.insertContainers(tank, box, rack)
	otherTank, otherBox, _ := freezer("bank-b")
	e.insertContainers(otherTank, otherBox)
	if p := e.placement("bank-a", us[0].DIN); p != nil {
		t.Fatalf("GetPlacement of an unplaced unit = %+v, want nil", p)
	}
	p0 := &bank.Placement{Bank: "bank-a", DIN: us[0].DIN, Container: "box-1", Position: "A1", Since: at(time.Minute)}
	p1 := &bank.Placement{Bank: "bank-a", DIN: us[1].DIN, Container: "box-1", Position: "I9", Since: at(2 * time.Minute)}
	// Units in a container without positions have none, and any number
	// of them may be there.
	p2 := &bank.Placement{Bank: "bank-a", DIN: us[2].DIN, Container: "rack-1", Since: at(3 * time.Minute)}
	p3 := &bank.Placement{Bank: "bank-a", DIN: us[3].DIN, Container: "rack-1", Since: at(4 * time.Minute)}
	pb := &bank.Placement{Bank: "bank-b", DIN: bs[0].DIN, Container: "box-1", Position: "A1", Since: at(0)}
	if err := e.put(p0, p1, p2, p3, pb); err != nil {
		t.Fatalf("PutPlacement: %v", err)
	}
	for _, want := range []*bank.Placement{p0, p1, p2, p3, pb} {
		if d := diff(e.placement(want.Bank, want.DIN), want); d != "" {
			t.Errorf("placement of %s (-want +got):\n%s", want.DIN, d)
		}
	}
	if p := e.placement("bank-b", us[0].DIN); p != nil {
		t.Errorf("GetPlacement under another bank = %+v, want nil", p)
	}

	// Replacing a placement frees the old position at once.
	moved := &bank.Placement{Bank: "bank-a", DIN: us[0].DIN, Container: "box-1", Position: "B2", Since: at(time.Hour)}
	if err := e.put(moved); err != nil {
		t.Fatalf("move: %v", err)
	}
	if d := diff(e.placement("bank-a", us[0].DIN), moved); d != "" {
		t.Errorf("placement after a move (-want +got):\n%s", d)
	}
	taken := &bank.Placement{Bank: "bank-a", DIN: us[1].DIN, Container: "box-1", Position: "A1", Since: at(time.Hour)}
	if err := e.put(taken); err != nil {
		t.Fatalf("a unit into the position a move freed: %v", err)
	}

	list := func(containers []string) []unit.DIN {
		t.Helper()
		dins := keys(e, func(tx bank.ReadTx) ([]*bank.Placement, error) { return tx.ListPlacements(e.ctx, "bank-a", containers) },
			func(p *bank.Placement) unit.DIN { return p.DIN })
		slices.Sort(dins) // the port names no order
		return dins
	}
	all := []unit.DIN{us[0].DIN, us[1].DIN, us[2].DIN, us[3].DIN}
	if d := diff(list(nil), all); d != "" {
		t.Errorf("ListPlacements(nil) (-want +got):\n%s", d)
	}
	if d := diff(list([]string{"rack-1"}), all[2:]); d != "" {
		t.Errorf("ListPlacements(rack-1) (-want +got):\n%s", d)
	}
	if d := diff(list([]string{"box-1", "rack-1"}), all); d != "" {
		t.Errorf("ListPlacements(box-1, rack-1) (-want +got):\n%s", d)
	}
	if d := diff(list([]string{"tank-1"}), []unit.DIN(nil)); d != "" {
		t.Errorf("ListPlacements(tank-1) (-want +got):\n%s", d)
	}
	counts := mustRead(e, func(tx bank.ReadTx) (map[string]int, error) { return tx.CountPlacements(e.ctx, "bank-a") })
	if d := diff(counts, map[string]int{"box-1": 2, "rack-1": 2}); d != "" {
		t.Errorf("CountPlacements (-want +got):\n%s", d)
	}

	e.write(func(tx bank.Tx) error {
		if err := tx.DeletePlacement(e.ctx, "bank-a", us[2].DIN); err != nil {
			return err
		}
		return tx.DeletePlacement(e.ctx, "bank-a", us[2].DIN) // none left: no error
	})
	if p := e.placement("bank-a", us[2].DIN); p != nil {
		t.Errorf("placement after DeletePlacement = %+v, want nil", p)
	}
	// Deleting under another bank removes nothing.
	e.write(func(tx bank.Tx) error { return tx.DeletePlacement(e.ctx, "bank-b", us[3].DIN) })
	if p := e.placement("bank-a", us[3].DIN); p == nil {
		t.Errorf("DeletePlacement under another bank removed the placement")
	}
}

// placementPositionsUnique: a taken position and an unknown container are
// refused, and the refused unit stays where it was.
func placementPositionsUnique(t *testing.T, e *env) {
	_, us := e.seed("bank-a", 2)
	tank, box, _ := freezer("bank-a")
	e.insertContainers(tank, box)
	if err := e.put(
		&bank.Placement{Bank: "bank-a", DIN: us[0].DIN, Container: "box-1", Position: "C3", Since: at(0)},
		&bank.Placement{Bank: "bank-a", DIN: us[1].DIN, Container: "box-1", Position: "C4", Since: at(0)},
	); err != nil {
		t.Fatal(err)
	}
	err := e.put(&bank.Placement{Bank: "bank-a", DIN: us[1].DIN, Container: "box-1", Position: "C3", Since: at(time.Hour)})
	wantErr(t, err, bank.KindFailedPrecondition, bank.ReasonPositionOccupied)
	if p := e.placement("bank-a", us[1].DIN); p == nil || p.Position != "C4" {
		t.Errorf("refused move changed the placement: %+v", p)
	}
	err = e.put(&bank.Placement{Bank: "bank-a", DIN: us[1].DIN, Container: "box-none", Position: "A1", Since: at(time.Hour)})
	wantErr(t, err, bank.KindNotFound, bank.ReasonContainerNotFound)
}

// placementPositionsUniqueConcurrently: many transactions put a different
// unit, or a different child container, into one position at once, none
// reading first: exactly one of each commits.
func placementPositionsUniqueConcurrently(t *testing.T, e *env) {
	_, us := e.seed("bank-a", racers)
	tank, box, _ := freezer("bank-a")
	e.insertContainers(tank, box)
	oneWinner(t, "units placed in one position", func(i int) error {
		return e.put(&bank.Placement{Bank: "bank-a", DIN: us[i].DIN, Container: "box-1", Position: "E5", Since: at(0)})
	})
	oneWinner(t, "containers put in one position", func(i int) error {
		return e.tryWrite(func(tx bank.Tx) error {
			return tx.InsertContainer(e.ctx, &inventory.Container{Bank: "bank-a", ID: fmt.Sprintf("rack-%02d", i), Kind: inventory.KindRack,
				Parent: "tank-1", ParentPosition: "3", Label: fmt.Sprintf("rack %02d", i), Layout: inventory.Layout{Kind: inventory.LayoutNone},
				CreateTime: at(0), UpdateTime: at(0), Version: 1})
		})
	})
	ps := mustRead(e, func(tx bank.ReadTx) ([]*bank.Placement, error) {
		return tx.ListPlacements(e.ctx, "bank-a", []string{"box-1"})
	})
	if len(ps) != 1 {
		t.Errorf("%d placements stored in the box, want 1", len(ps))
	}
}

func (e *env) openExcursion(bankID, tank string) *inventory.Excursion {
	e.t.Helper()
	return mustRead(e, func(tx bank.ReadTx) (*inventory.Excursion, error) { return tx.GetOpenExcursion(e.ctx, bankID, tank) })
}

// readingsAndExcursions: readings are stored; a tank has at most one open
// excursion, which GetOpenExcursion finds until it is closed.
func readingsAndExcursions(t *testing.T, e *env) {
	e.seed("bank-a", 0)
	tank, _, _ := freezer("bank-a")
	tank2 := *tank
	tank2.ID, tank2.Label = "tank-2", "LN2 dewar 2"
	e.insertContainers(tank, &tank2)
	e.write(func(tx bank.Tx) error {
		for i, c := range []float64{-190, -120.25, -189.5} {
			if err := tx.InsertReading(e.ctx, &inventory.TemperatureReading{Bank: "bank-a", Container: "tank-1", Time: at(time.Duration(i) * time.Minute), Celsius: c}); err != nil {
				return err
			}
		}
		return nil
	})
	if x := e.openExcursion("bank-a", "tank-1"); x != nil {
		t.Fatalf("GetOpenExcursion before any = %+v, want nil", x)
	}
	x1 := &inventory.Excursion{Bank: "bank-a", Container: "tank-1", StartTime: at(time.Minute), MinCelsius: f64(-196), MaxCelsius: f64(-150),
		LowestCelsius: -120.25, HighestCelsius: -120.25, Readings: 1, UnitsExposed: 7}
	e.write(func(tx bank.Tx) error { return tx.InsertExcursion(e.ctx, x1) })
	if x1.ID <= 0 {
		t.Fatalf("InsertExcursion set ID %d, want a positive id", x1.ID)
	}
	if d := diff(e.openExcursion("bank-a", "tank-1"), x1); d != "" {
		t.Errorf("open excursion (-want +got):\n%s", d)
	}
	if x := e.openExcursion("bank-a", "tank-2"); x != nil {
		t.Errorf("GetOpenExcursion of the other tank = %+v, want nil", x)
	}
	second := &inventory.Excursion{Bank: "bank-a", Container: "tank-1", StartTime: at(2 * time.Minute), LowestCelsius: -100, HighestCelsius: -100, Readings: 1}
	err := e.tryWrite(func(tx bank.Tx) error { return tx.InsertExcursion(e.ctx, second) })
	wantErr(t, err, bank.KindFailedPrecondition, bank.ReasonFailedPrecondition)

	// Closing it: the tank has no open excursion, and may open a new one
	// with a greater id.
	x1.EndTime, x1.HighestCelsius, x1.Readings = at(2*time.Minute), -110, 2
	e.write(func(tx bank.Tx) error { return tx.UpdateExcursion(e.ctx, x1) })
	if x := e.openExcursion("bank-a", "tank-1"); x != nil {
		t.Errorf("GetOpenExcursion after closing = %+v, want nil", x)
	}
	x2 := &inventory.Excursion{Bank: "bank-a", Container: "tank-1", StartTime: at(3 * time.Minute), LowestCelsius: -149, HighestCelsius: -149, Readings: 1}
	e.write(func(tx bank.Tx) error { return tx.InsertExcursion(e.ctx, x2) })
	if x2.ID <= x1.ID {
		t.Errorf("second excursion id %d, want greater than the first's %d", x2.ID, x1.ID)
	}
	all := mustRead(e, func(tx bank.ReadTx) ([]*inventory.Excursion, error) {
		return tx.ListExcursions(e.ctx, bank.ExcursionQuery{Bank: "bank-a", Limit: 10})
	})
	if d := diff(all, []*inventory.Excursion{x1, x2}); d != "" {
		t.Errorf("excursions as stored (-want +got):\n%s", d)
	}
}

func excursionListQueries(t *testing.T, e *env) {
	e.seed("bank-a", 0)
	e.seed("bank-b", 0)
	tank, _, _ := freezer("bank-a")
	tank2 := *tank
	tank2.ID, tank2.Label = "tank-2", "LN2 dewar 2"
	e.insertContainers(tank, &tank2)
	otherTank, _, _ := freezer("bank-b")
	e.insertContainers(otherTank)
	var ids []int64 // in insertion order
	for i, c := range []struct {
		bank, tank string
		closed     bool
	}{{"bank-a", "tank-1", true}, {"bank-a", "tank-2", false}, {"bank-b", "tank-1", false}, {"bank-a", "tank-1", true}, {"bank-a", "tank-1", false}} {
		x := &inventory.Excursion{Bank: c.bank, Container: c.tank, StartTime: at(time.Duration(i) * time.Hour), LowestCelsius: -140, HighestCelsius: -140, Readings: 1}
		if c.closed {
			x.EndTime = at(time.Duration(i)*time.Hour + time.Minute)
		}
		e.write(func(tx bank.Tx) error { return tx.InsertExcursion(e.ctx, x) })
		ids = append(ids, x.ID)
	}
	yes, no := true, false
	list := func(q bank.ExcursionQuery) []int64 {
		t.Helper()
		return keys(e, func(tx bank.ReadTx) ([]*inventory.Excursion, error) { return tx.ListExcursions(e.ctx, q) },
			func(x *inventory.Excursion) int64 { return x.ID })
	}
	for _, c := range []struct {
		name string
		q    bank.ExcursionQuery
		want []int64
	}{
		{"bank", bank.ExcursionQuery{Bank: "bank-a", Limit: 10}, []int64{ids[0], ids[1], ids[3], ids[4]}},
		{"tank", bank.ExcursionQuery{Bank: "bank-a", Container: "tank-1", Limit: 10}, []int64{ids[0], ids[3], ids[4]}},
		{"open", bank.ExcursionQuery{Bank: "bank-a", Open: &yes, Limit: 10}, []int64{ids[1], ids[4]}},
		{"closed", bank.ExcursionQuery{Bank: "bank-a", Open: &no, Limit: 10}, []int64{ids[0], ids[3]}},
		{"after", bank.ExcursionQuery{Bank: "bank-a", AfterID: ids[1], Limit: 10}, []int64{ids[3], ids[4]}},
		{"limit", bank.ExcursionQuery{Bank: "bank-a", Limit: 2}, []int64{ids[0], ids[1]}},
		{"zero limit", bank.ExcursionQuery{Bank: "bank-a"}, nil},
		{"other bank", bank.ExcursionQuery{Bank: "bank-b", Limit: 10}, []int64{ids[2]}},
	} {
		if d := diff(list(c.q), c.want); d != "" {
			t.Errorf("%s: %+v (-want +got):\n%s", c.name, c.q, d)
		}
	}
}
