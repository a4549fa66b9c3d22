package postgres_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
	"github.com/cordbank/cordbank/internal/store/sqlite"
)

// The same use cases through bank.Service on SQLite and on PostgreSQL, in
// one run, so the figures are ratios on the same machine at the same
// moment: `make bench BENCH=Stores`. Each iteration does a fixed amount of
// work (make bench runs one iteration) and reports a rate. PostgreSQL is
// the server pgtest starts (fsync on, the unix socket); SQLite is a file
// under the test's temporary directory (synchronous=FULL).

var backends = []struct {
	name string
	open func(b *testing.B) bank.Store
}{
	{"sqlite", func(b *testing.B) bank.Store {
		s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	}},
	{"postgres", func(b *testing.B) bank.Store { return open(b) }},
}

// benchBank returns a service over a new store of the backend and a bank.
func benchBank(b *testing.B, open func(*testing.B) bank.Store) (*bank.Service, *bank.Bank) {
	b.Helper()
	svc := bank.NewService(open(b))
	bk, err := svc.CreateBank(b.Context(), banktest.ValidBank("bench-bank"), "")
	if err != nil {
		b.Fatal(err)
	}
	return svc, bk
}

func benchUnit(bk *bank.Bank, n int) *bank.Unit {
	return banktest.ValidUnit(bk.ID, banktest.DIN(bk.FIN, 10+n/1_000_000, n%1_000_000))
}

// importUnits registers n units in batches of 1000 (the gRPC import's
// batch size order) and returns their DINs.
func importUnits(b *testing.B, svc *bank.Service, bk *bank.Bank, first, n int) []unit.DIN {
	b.Helper()
	var dins []unit.DIN
	for at := first; at < first+n; at += 1000 {
		units := make([]*bank.Unit, min(1000, first+n-at))
		for i := range units {
			units[i] = benchUnit(bk, at+i)
			dins = append(dins, units[i].DIN)
		}
		res, err := svc.ImportUnits(b.Context(), bk.ID, units)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	}
	return dins
}

func BenchmarkStores(b *testing.B) {
	b.Run("ImportUnits", func(b *testing.B) {
		const perOp = 20_000
		for _, be := range backends {
			b.Run("store="+be.name, func(b *testing.B) {
				svc, bk := benchBank(b, be.open)
				n := 0
				for b.Loop() {
					importUnits(b, svc, bk, n, perOp)
					n += perOp
				}
				b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "units/s")
			})
		}
	})
	for _, clients := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("CreateUnit/clients=%d", clients), func(b *testing.B) {
			const perOp = 512
			for _, be := range backends {
				b.Run("store="+be.name, func(b *testing.B) {
					svc, bk := benchBank(b, be.open)
					var next atomic.Int64
					lat := make([]time.Duration, 0, perOp)
					var mu sync.Mutex
					for b.Loop() {
						end := next.Load() + perOp
						var wg sync.WaitGroup
						for range clients {
							wg.Go(func() {
								for {
									i := next.Add(1)
									if i > end {
										return
									}
									start := time.Now()
									if _, err := svc.CreateUnit(b.Context(), benchUnit(bk, int(i)), ""); err != nil {
										b.Error(err)
										return
									}
									mu.Lock()
									lat = append(lat, time.Since(start))
									mu.Unlock()
								}
							})
						}
						wg.Wait()
					}
					b.ReportMetric(float64(len(lat))/b.Elapsed().Seconds(), "creates/s")
					b.ReportMetric(float64(percentile(lat, 50).Microseconds()), "p50-µs")
					b.ReportMetric(float64(percentile(lat, 99).Microseconds()), "p99-µs")
				})
			}
		})
	}
	const seeded = 20_000
	b.Run(fmt.Sprintf("GetUnit/units=%d", seeded), func(b *testing.B) {
		const perOp = 5000
		for _, be := range backends {
			b.Run("store="+be.name, func(b *testing.B) {
				svc, bk := benchBank(b, be.open)
				dins := importUnits(b, svc, bk, 0, seeded)
				r := rand.New(rand.NewPCG(1, 2))
				gets := 0
				for b.Loop() {
					for range perOp {
						if _, err := svc.GetUnit(b.Context(), bk.ID, dins[r.IntN(len(dins))]); err != nil {
							b.Fatal(err)
						}
					}
					gets += perOp
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(gets), "µs/get")
			})
		}
	})
	b.Run(fmt.Sprintf("ListUnits/units=%d/page=100", seeded), func(b *testing.B) {
		const perOp = 200 // pages
		for _, be := range backends {
			b.Run("store="+be.name, func(b *testing.B) {
				svc, bk := benchBank(b, be.open)
				importUnits(b, svc, bk, 0, seeded)
				pages := 0
				for b.Loop() {
					token := ""
					for range perOp {
						units, next, err := svc.ListUnits(b.Context(), bank.ListUnitsRequest{Bank: bk.ID, PageSize: 100, PageToken: token})
						if err != nil || len(units) != 100 {
							b.Fatalf("page: %d units, %v", len(units), err)
						}
						token = next
					}
					pages += perOp
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(pages), "µs/page")
			})
		}
	})
	b.Run("ReserveRace/clients=16", func(b *testing.B) {
		const rounds = 20
		for _, be := range backends {
			b.Run("store="+be.name, func(b *testing.B) {
				svc, bk := benchBank(b, be.open)
				n := 0
				for b.Loop() {
					for range rounds {
						b.StopTimer()
						n++
						din := benchUnit(bk, n).DIN
						if _, err := svc.CreateUnit(b.Context(), benchUnit(bk, n), ""); err != nil {
							b.Fatal(err)
						}
						if _, err := svc.Transition(b.Context(), bank.TransitionRequest{Bank: bk.ID, DIN: din, Action: lifecycle.ActionRelease}); err != nil {
							b.Fatal(err)
						}
						b.StartTimer()
						var wins atomic.Int32
						var wg sync.WaitGroup
						for c := range 16 {
							wg.Go(func() {
								_, err := svc.ReserveUnit(b.Context(), bank.ReserveRequest{Bank: bk.ID, DIN: din, TransplantCenter: "tc-1",
									PatientID: fmt.Sprintf("P-%d", c), ExpireTime: time.Now().Add(24 * time.Hour)})
								if err == nil {
									wins.Add(1)
								}
							})
						}
						wg.Wait()
						if wins.Load() != 1 {
							b.Fatalf("%d winners", wins.Load())
						}
					}
				}
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(n), "ms/round")
			})
		}
	})
}

func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}
