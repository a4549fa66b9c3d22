package bank_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/bank/inventory"
	"github.com/cordbank/cordbank/internal/benchsize"
)

// storageBench builds bank "bench" with 100,000 units stored in 10×10
// boxes: 10 tanks × 10 racks × 11 boxes (1,100 boxes), the first 1,000
// full, the last 100 empty, so a bank-wide free search walks every full
// box first.
func storageBench(b *testing.B) *bank.Service {
	b.Helper()
	ctx := b.Context()
	store := openStore(b)
	svc := bank.NewService(store, bank.WithClock(banktest.Clock))
	bk, err := svc.CreateBank(ctx, banktest.ValidBank("bench"), "")
	if err != nil {
		b.Fatal(err)
	}
	var cs []*inventory.Container
	var boxes []string
	for t := range 10 {
		tank := fmt.Sprintf("tank-%02d", t)
		cs = append(cs, &inventory.Container{ID: tank, Kind: inventory.KindTank, Label: tank, Layout: slots(10)})
		for r := range 10 {
			rack := fmt.Sprintf("%s-r%02d", tank, r)
			cs = append(cs, &inventory.Container{ID: rack, Kind: inventory.KindRack, Parent: tank, Label: rack, Layout: slots(11)})
			for x := range 11 {
				box := fmt.Sprintf("%s-b%02d", rack, x)
				cs = append(cs, &inventory.Container{ID: box, Kind: inventory.KindBox, Parent: rack, Label: box, Layout: grid(10, 10)})
				boxes = append(boxes, box)
			}
		}
	}
	for chunk := range slices.Chunk(cs, 1000) {
		if _, err := svc.CreateContainers(ctx, "bench", chunk, ""); err != nil {
			b.Fatal(err)
		}
	}
	l := grid(10, 10)
	for batch := range 100 {
		us := make([]*bank.Unit, 1000)
		for i := range us {
			us[i] = banktest.ValidUnit("bench", banktest.DIN(bk.FIN, 24, batch*1000+i))
		}
		res, err := svc.ImportUnits(ctx, "bench", us)
		if err != nil {
			b.Fatal(err)
		}
		// Fixture shortcut: placements written straight to the store in one
		// transaction per 1,000 units (PlaceUnit is one transaction each).
		err = store.Write(ctx, func(tx bank.Tx) error {
			for i, r := range res {
				if r.Err != nil {
					return r.Err
				}
				n := batch*1000 + i
				box := boxes[(n/100)/10*11+(n/100)%10] // 10 full boxes per rack, the 11th empty
				if err := tx.PutPlacement(ctx, &bank.Placement{Bank: "bench", DIN: r.Unit.DIN, Container: box, Position: l.Position(n%100 + 1), Since: banktest.Now}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return svc
}

// BenchmarkStorage: container map of a full 10×10 box and free-position
// searches in a bank of 100,000 stored units (domain service over SQLite,
// no transport). Run with -benchtime 1x: each iteration takes many
// samples and reports p50/p99.
func BenchmarkStorage(b *testing.B) {
	svc := storageBench(b)
	ctx := b.Context()
	b.Run("ContainerMap10x10", func(b *testing.B) {
		for range b.N {
			benchsize.ReportLatencies(b, benchsize.Of(2000, 200), func(i int) {
				m, err := svc.GetContainerMap(ctx, "bench", fmt.Sprintf("tank-%02d-r%02d-b%02d", i%10, (i/10)%10, (i/100)%10))
				if err != nil || len(m.Entries) != 100 || m.Entries[99].Unit == "" {
					b.Fatalf("map: %v", err)
				}
			})
		}
	})
	b.Run("FindFree10InBank", func(b *testing.B) {
		for range b.N {
			benchsize.ReportLatencies(b, benchsize.Of(200, 50), func(int) {
				ps, err := svc.FindFreePositions(ctx, bank.FindFreeRequest{Bank: "bench", Count: 10})
				if err != nil || len(ps) != 10 {
					b.Fatalf("find: %v", err)
				}
			})
		}
	})
	b.Run("FindFree100OneBoxInTank", func(b *testing.B) {
		for range b.N {
			benchsize.ReportLatencies(b, benchsize.Of(200, 50), func(i int) {
				ps, err := svc.FindFreePositions(ctx, bank.FindFreeRequest{Bank: "bench", Within: fmt.Sprintf("tank-%02d", i%10), Count: 100, SameContainer: true})
				if err != nil || len(ps) != 100 {
					b.Fatalf("find: %v", err)
				}
			})
		}
	})
}
