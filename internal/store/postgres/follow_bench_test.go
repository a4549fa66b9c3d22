package postgres_test

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/match"
	"github.com/cordbank/cordbank/bank/unit"
	"github.com/cordbank/cordbank/internal/benchsize"
	"github.com/cordbank/cordbank/internal/pgtest"
	"github.com/cordbank/cordbank/internal/store/sqlite"
	"github.com/cordbank/cordbank/server"
)

// Several servers over one database, in one run on both stores
// (`make bench BENCH=Follow`):
//
//   - IndexBuild: a server's start, loading the search index from the
//     store (server.BuildIndex), for CORDBANK_BENCH_INDEX_UNITS units
//     (default 200,000; the figure is for 1,000,000);
//   - Lag: a unit created and released through server 1 (its own Service
//     over its own store handle), then searched for through server 2: the
//     time from the acknowledged release to server 2's index holding the
//     available unit, which is what a search on server 2 pays first
//     (bank.Service.CatchUp), p50 and p99.

// pair opens two store handles on one new database of the backend.
type pair func(b *testing.B) (bank.Store, bank.Store)

var pairs = []struct {
	name string
	open pair
}{
	{"sqlite", func(b *testing.B) (bank.Store, bank.Store) {
		path := filepath.Join(b.TempDir(), "follow.db")
		var out [2]bank.Store
		for i := range out {
			s, err := sqlite.Open(b.Context(), path)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			out[i] = s
		}
		return out[0], out[1]
	}},
	{"postgres", func(b *testing.B) (bank.Store, bank.Store) {
		url := pgtest.NewDatabase(b)
		return openURL(b, url), openURL(b, url)
	}},
}

// reads are the two ways of reading the store for an index build the
// benchmark compares: the stores' own scan, and page by page as before it
// (pagedOnly).
var reads = []struct {
	name string
	wrap func(bank.Store) bank.Store
}{
	{"scan", func(s bank.Store) bank.Store { return s }},
	{"pages", func(s bank.Store) bank.Store { return pagedOnly{s} }},
}

func benchIndexUnits() int {
	if n, err := strconv.Atoi(os.Getenv("CORDBANK_BENCH_INDEX_UNITS")); err == nil && n > 0 {
		return n
	}
	return benchsize.Of(200_000, 2_000)
}

func BenchmarkFollow(b *testing.B) {
	b.Run("IndexBuild", func(b *testing.B) {
		n := benchIndexUnits()
		for _, p := range pairs {
			b.Run("store="+p.name, func(b *testing.B) {
				st, _ := p.open(b)
				svc, bk := benchBankOn(b, st)
				importUnits(b, svc, bk, 0, n)
				// The build as the server runs it, and as it ran before
				// the stores' own scan, one after the other over the same
				// store.
				for _, read := range reads {
					b.Run("read="+read.name, func(b *testing.B) {
						for b.Loop() {
							idx := match.NewIndex(match.NewGrader(nil))
							loader := bank.NewService(read.wrap(st), bank.WithWatcher(idx))
							if err := server.BuildIndex(b.Context(), loader, idx); err != nil {
								b.Fatal(err)
							}
							if idx.Len() != n {
								b.Fatalf("index holds %d units, want %d", idx.Len(), n)
							}
						}
						b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/build")
						b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "units/s")
					})
				}
			})
		}
	})
	b.Run("Lag", func(b *testing.B) {
		const perOp = 300
		for _, p := range pairs {
			b.Run("store="+p.name, func(b *testing.B) {
				st1, st2 := p.open(b)
				svc1, bk := benchBankOn(b, st1)
				idx := match.NewIndex(match.NewGrader(nil))
				seen := &statusWatcher{status: map[unit.DIN]lifecycle.Status{}}
				svc2 := bank.NewService(st2, bank.WithWatcher(idx), bank.WithWatcher(seen))
				if err := server.BuildIndex(b.Context(), svc2, idx); err != nil {
					b.Fatal(err)
				}
				var lag []time.Duration
				next := 0
				for b.Loop() {
					for range perOp {
						u := benchUnit(bk, next)
						next++
						if _, err := svc1.CreateUnit(b.Context(), u, ""); err != nil {
							b.Fatal(err)
						}
						if _, err := svc1.Transition(b.Context(), bank.TransitionRequest{Bank: bk.ID, DIN: u.DIN, Action: lifecycle.ActionRelease}); err != nil {
							b.Fatal(err)
						}
						acked := time.Now()
						if err := svc2.CatchUp(b.Context()); err != nil {
							b.Fatal(err)
						}
						lag = append(lag, time.Since(acked))
						if seen.status[u.DIN] != lifecycle.StatusAvailable {
							b.Fatalf("unit %s not available in server 2's index after catching up", u.DIN)
						}
					}
				}
				b.ReportMetric(float64(percentile(lag, 50).Microseconds()), "p50-µs")
				b.ReportMetric(float64(percentile(lag, 99).Microseconds()), "p99-µs")
			})
		}
	})
}

// benchBankOn is benchBank over a store already open.
func benchBankOn(b *testing.B, st bank.Store) (*bank.Service, *bank.Bank) {
	return benchBank(b, func(*testing.B) bank.Store { return st })
}

// statusWatcher notes the last status of each unit the service hands its
// watchers (the index is handed the same units).
type statusWatcher struct{ status map[unit.DIN]lifecycle.Status }

func (w *statusWatcher) UnitsChanged(units []*bank.Unit) {
	for _, u := range units {
		w.status[u.DIN] = u.Status
	}
}

func (w *statusWatcher) BankChanged(*bank.Bank) {}
