package sqlite_test

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
	"github.com/cordbank/cordbank/internal/store/sqlite"
)

// Run with: go test -run '^$' -bench . -benchmem ./internal/store/sqlite/

const batchSize = 1000 // the batch size ImportUnits is used with

func benchStore(b *testing.B) (*sqlite.Store, *bank.Service, *bank.Bank) {
	b.Helper()
	s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	svc := bank.NewService(s, bank.WithClock(banktest.Clock))
	bk, err := svc.CreateBank(b.Context(), banktest.ValidBank("bench-bank"), "")
	if err != nil {
		b.Fatal(err)
	}
	return s, svc, bk
}

// batch returns batchSize valid units with DINs numbered from first on.
func batch(bk *bank.Bank, first int) []*bank.Unit {
	units := make([]*bank.Unit, batchSize)
	for i := range units {
		n := first + i
		units[i] = banktest.ValidUnit(bk.ID, banktest.DIN(bk.FIN, 10+n/1_000_000, n%1_000_000))
	}
	return units
}

// BenchmarkImport measures ImportUnits as users see it (validation,
// transaction, inserts, durable commit) in batches of 1000.
func BenchmarkImport(b *testing.B) {
	_, svc, bk := benchStore(b)
	n := 0
	for b.Loop() {
		b.StopTimer()
		units := batch(bk, n)
		b.StartTimer()
		res, err := svc.ImportUnits(b.Context(), bk.ID, units)
		if err != nil {
			b.Fatal(err)
		}
		if res[0].Err != nil {
			b.Fatal(res[0].Err)
		}
		n += batchSize
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "units/s")
}

// BenchmarkImportStore measures the store alone: one Write of 1000
// InsertUnit calls.
func BenchmarkImportStore(b *testing.B) {
	s, _, bk := benchStore(b)
	ctx := b.Context()
	n := 0
	for b.Loop() {
		b.StopTimer()
		units := batch(bk, n)
		for _, u := range units {
			u.CreateTime, u.UpdateTime, u.Version = banktest.Now, banktest.Now, 1
		}
		b.StartTimer()
		err := s.Write(ctx, func(tx bank.Tx) error {
			for _, u := range units {
				if err := tx.InsertUnit(ctx, u); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		n += batchSize
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "units/s")
}

const inventoryUnits = 100_000

// seeded returns a store holding 100,000 units of one bank, a fifth of
// them AVAILABLE, and their DINs.
func seeded(b *testing.B) (*bank.Service, []unit.DIN) {
	b.Helper()
	s, svc, bk := benchStore(b)
	ctx := context.Background()
	var dins []unit.DIN
	for n := 0; n < inventoryUnits; n += batchSize {
		units := batch(bk, n)
		for i, u := range units {
			u.CreateTime, u.UpdateTime, u.Version = banktest.Now, banktest.Now, 1
			if (n+i)%5 == 0 {
				u.Status = lifecycle.StatusAvailable
			}
			dins = append(dins, u.DIN)
		}
		err := s.Write(ctx, func(tx bank.Tx) error {
			for _, u := range units {
				if err := tx.InsertUnit(ctx, u); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return svc, dins
}

func BenchmarkGetUnit(b *testing.B) {
	svc, dins := seeded(b)
	ctx := b.Context()
	r := rand.New(rand.NewPCG(1, 2))
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			if _, err := svc.GetUnit(ctx, "bench-bank", dins[r.IntN(len(dins))]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			r := rand.New(rand.NewPCG(rand.Uint64(), 2))
			for pb.Next() {
				if _, err := svc.GetUnit(ctx, "bench-bank", dins[r.IntN(len(dins))]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkListUnits reads one page of 50 (the default page size) from a
// random position, by token, with and without a status filter.
func BenchmarkListUnits(b *testing.B) {
	svc, _ := seeded(b)
	ctx := b.Context()
	for _, c := range []struct {
		name     string
		statuses []lifecycle.Status
	}{
		{"all", nil},
		{"status", []lifecycle.Status{lifecycle.StatusAvailable}},
	} {
		b.Run(c.name, func(b *testing.B) {
			// Collect tokens spread over the whole list first (a token is
			// the only way into the middle): page through it 1000 at a time.
			req := bank.ListUnitsRequest{Bank: "bench-bank", Statuses: c.statuses, PageSize: 50}
			var tokens []string
			for q := req; ; {
				q.PageSize = bank.MaxPageSize
				_, tok, err := svc.ListUnits(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				if tok == "" {
					break
				}
				tokens = append(tokens, tok)
				q.PageToken = tok
			}
			rand.New(rand.NewPCG(3, 4)).Shuffle(len(tokens), func(i, j int) { tokens[i], tokens[j] = tokens[j], tokens[i] })
			units := 0
			i := 0
			for b.Loop() {
				q := req
				q.PageToken = tokens[i%len(tokens)]
				i++
				page, _, err := svc.ListUnits(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				units += len(page)
			}
			b.ReportMetric(float64(units)/b.Elapsed().Seconds(), "units/s")
		})
	}
}
