package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/bank/credential"
	"github.com/cordbank/cordbank/bank/inventory"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
	"github.com/cordbank/cordbank/internal/pgtest"
	"github.com/cordbank/cordbank/internal/store/postgres"
	"github.com/cordbank/cordbank/internal/store/sqlite"
	"github.com/google/go-cmp/cmp"
)

// One PostgreSQL server for the command's tests (internal/pgtest); the
// other tests do not use it.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// fillRegistry writes a bank's every kind of record through the domain:
// banks with extra FINs, units one by one (with a request id) and by
// import, a private unit, lifecycle steps, a reservation, nested
// containers, placements, temperature readings with an excursion, and
// tokens.
func fillRegistry(t *testing.T, svc *bank.Service) {
	t.Helper()
	ctx := t.Context()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	a := banktest.ValidBank("bank-a")
	a.FINs = []string{a.FIN, banktest.FIN("extra")}
	must(svc.CreateBank(ctx, a, "req-bank-a"))
	must(svc.CreateBank(ctx, banktest.ValidBank("bank-b"), ""))
	din := func(i int) unit.DIN { return banktest.DIN(a.FIN, 25, i) }
	must(svc.CreateUnit(ctx, banktest.FullUnit("bank-a", din(1)), "req-unit-1"))
	private := banktest.ValidUnit("bank-a", din(2))
	private.Type = bank.UnitTypeAutologous
	must(svc.CreateUnit(ctx, private, ""))
	var batch []*bank.Unit
	for i := 3; i <= 8; i++ {
		batch = append(batch, banktest.ValidUnit("bank-a", din(i)))
	}
	must(svc.ImportUnits(ctx, "bank-a", batch))
	for _, i := range []int{1, 3, 4} {
		must(svc.Transition(ctx, bank.TransitionRequest{Bank: "bank-a", DIN: din(i), Action: lifecycle.ActionRelease}))
	}
	must(svc.ReserveUnit(ctx, bank.ReserveRequest{Bank: "bank-a", DIN: din(3), TransplantCenter: "tc-1", PatientID: "P-1",
		ExpireTime: time.Now().Add(72 * time.Hour), RequestID: "req-reserve"}))
	minC, maxC := -196.0, -150.0
	must(svc.CreateContainers(ctx, "bank-a", []*inventory.Container{
		{Bank: "bank-a", ID: "tank-1", Kind: inventory.KindTank, Label: "LN2-1", Layout: inventory.Layout{Kind: inventory.LayoutSlots, Slots: 4}, MinCelsius: &minC, MaxCelsius: &maxC},
		{Bank: "bank-a", ID: "rack-1", Kind: inventory.KindRack, Label: "R-1", Parent: "tank-1", ParentPosition: "1", Layout: inventory.Layout{Kind: inventory.LayoutSlots, Slots: 8}},
		{Bank: "bank-a", ID: "box-1", Kind: inventory.KindBox, Label: "BOX-1", Parent: "rack-1", ParentPosition: "2", Layout: inventory.Layout{Kind: inventory.LayoutGrid, Rows: 3, Columns: 3}},
	}, ""))
	for i, pos := range []string{"A1", "B2"} {
		must(svc.PlaceUnit(ctx, bank.PlaceRequest{Bank: "bank-a", DIN: din(i + 4), Container: "box-1", Position: pos}))
	}
	now := time.Now().Add(-time.Hour)
	for i, c := range []float64{-190, -120, -100, -185} {
		must(svc.RecordReading(ctx, inventory.TemperatureReading{Bank: "bank-a", Container: "tank-1", Time: now.Add(time.Duration(i) * time.Minute), Celsius: c}))
	}
	for _, r := range []bank.CreateTokenRequest{{Principal: "admin-1", Role: bank.RoleAdmin, Org: bank.OrgRegistry},
		{Principal: "tech-a", Role: bank.RoleTechnician, Org: "bank-a"}} {
		_, _, err := svc.CreateToken(ctx, r)
		must(nil, err)
	}
}

// TestMigrateStore copies a SQLite registry into PostgreSQL: every table's
// rows arrive unchanged (events with their hashes, so the copy's chain
// verifies with the same head), the copy serves the same answers, and a
// second copy into the now non-empty database is refused.
func TestMigrateStore(t *testing.T) {
	url := pgtest.NewDatabase(t)
	path := filepath.Join(t.TempDir(), "source.db")
	src, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	fillRegistry(t, bank.NewService(src))
	src.Close()

	var out, errOut bytes.Buffer
	if code := run([]string{"migrate-store", "--from", "sqlite:" + path, "--to", url}, &out, &errOut); code != 0 {
		t.Fatalf("migrate-store: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "verified: row counts equal") {
		t.Errorf("output lacks the verification:\n%s", out.String())
	}

	src, err = sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if d := cmp.Diff(readAll(t, src), readAll(t, dst)); d != "" {
		t.Errorf("the copy reads differently from the source (-sqlite +postgres):\n%s", d)
	}
	// A new write on the copy continues the chain and the excursion ids.
	svc := bank.NewService(dst)
	if _, err := svc.CreateUnit(t.Context(), banktest.ValidUnit("bank-a", banktest.DIN(banktest.ValidBank("bank-a").FIN, 25, 99)), ""); err != nil {
		t.Fatalf("a write on the copy: %v", err)
	}
	if _, err := svc.RecordReading(t.Context(), inventory.TemperatureReading{Bank: "bank-a", Container: "tank-1", Celsius: -100}); err != nil {
		t.Fatalf("an excursion on the copy: %v", err)
	}
	if sum, err := svc.VerifyEvents(t.Context()); err != nil || len(sum.Problems) != 0 {
		t.Errorf("the copy's chain after a write: %v %v", sum.Problems, err)
	}

	out.Reset()
	errOut.Reset()
	if code := run([]string{"migrate-store", "--from", path, "--to", url}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "already holds cordbank records") {
		t.Errorf("a second copy into the same database: exit %d, %s; want 1 and a refusal", code, errOut.String())
	}
}

// TestMigrateStoreVerifies: the check after the copy fails on a copy that
// differs from its trail (the verification is not a formality).
func TestMigrateStoreVerifies(t *testing.T) {
	url := pgtest.NewDatabase(t)
	path := filepath.Join(t.TempDir(), "source.db")
	src, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	fillRegistry(t, bank.NewService(src))
	dst, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	copied := map[string]int64{}
	var buf bytes.Buffer
	if err := dst.LoadTables(t.Context(), func(load func(string, []string, postgres.Rows) (int64, error)) error {
		return src.DumpTables(t.Context(), []string{"banks", "bank_fins", "units", "requests", "events", "reservations",
			"containers", "unit_locations", "temperature_readings", "excursions", "tokens"},
			func(table string, cols []string, rows sqlite.TableRows) error {
				n, err := load(table, cols, rows)
				copied[table] = n
				return err
			})
	}); err != nil {
		t.Fatal(err)
	}
	if err := verifyCopy(t.Context(), src, dst, copied, &buf); err != nil {
		t.Fatalf("an untouched copy does not verify: %v", err)
	}
	// Edit one unit of the copy behind the trail's back.
	if err := dst.Write(t.Context(), func(tx bank.Tx) error {
		u, err := tx.GetUnit(t.Context(), "bank-a", banktest.DIN(banktest.ValidBank("bank-a").FIN, 25, 5))
		if err != nil {
			return err
		}
		u.LocalID = "edited"
		return tx.UpdateUnit(t.Context(), u)
	}); err != nil {
		t.Fatal(err)
	}
	if err := verifyCopy(t.Context(), src, dst, copied, &buf); err == nil || !strings.Contains(err.Error(), "tables of the copy") {
		t.Errorf("an edited copy: %v, want a difference between its tables and its trail", err)
	}
}

// snapshot is what a store answers through the port, for comparing two.
type snapshot struct {
	Banks        []*bank.Bank
	Units        []*bank.Unit
	Events       []*bank.Event
	Reservations []*bank.Reservation
	Containers   []*inventory.Container
	Placements   []*bank.Placement
	Excursions   []*inventory.Excursion
	Tokens       []*credential.Token
	Requests     []*bank.RequestRecord
	Counts       bank.ResourceCounts
}

func readAll(t *testing.T, s bank.Store) snapshot {
	t.Helper()
	ctx := t.Context()
	var sn snapshot
	err := s.Read(ctx, func(tx bank.ReadTx) error {
		var err error
		if sn.Banks, err = tx.ListBanks(ctx, "", 100); err != nil {
			return err
		}
		if sn.Units, err = tx.ListUnits(ctx, bank.UnitQuery{Limit: 1000}); err != nil {
			return err
		}
		if sn.Events, err = tx.ListEvents(ctx, bank.EventQuery{Limit: 10000}); err != nil {
			return err
		}
		if sn.Reservations, err = tx.ListReservations(ctx, bank.ReservationQuery{Limit: 1000}); err != nil {
			return err
		}
		for _, b := range sn.Banks {
			cs, err := tx.ListContainers(ctx, bank.ContainerQuery{Bank: b.ID})
			if err != nil {
				return err
			}
			sn.Containers = append(sn.Containers, cs...)
			ps, err := tx.ListPlacements(ctx, b.ID, nil)
			if err != nil {
				return err
			}
			sn.Placements = append(sn.Placements, ps...)
			es, err := tx.ListExcursions(ctx, bank.ExcursionQuery{Bank: b.ID, Limit: 100})
			if err != nil {
				return err
			}
			sn.Excursions = append(sn.Excursions, es...)
		}
		if sn.Tokens, err = tx.ListTokens(ctx); err != nil {
			return err
		}
		for _, id := range []string{"req-bank-a", "req-unit-1", "req-reserve"} {
			r, err := tx.GetRequest(ctx, id)
			if err != nil {
				return err
			}
			sn.Requests = append(sn.Requests, r)
		}
		sn.Counts, err = tx.CountResources(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(sn.Excursions) == 0 || len(sn.Placements) != 2 || len(sn.Tokens) != 2 || sn.Requests[2] == nil {
		t.Fatalf("the registry lacks records the test needs: %d excursions, %d placements, %d tokens, requests %v",
			len(sn.Excursions), len(sn.Placements), len(sn.Tokens), sn.Requests)
	}
	return sn
}
