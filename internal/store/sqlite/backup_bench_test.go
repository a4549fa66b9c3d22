package sqlite_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/internal/benchsize"
	"github.com/cordbank/cordbank/internal/durable"
	"github.com/cordbank/cordbank/internal/store/sqlite"
)

// benchRegistryUnits is the size of the registry the backup benchmark
// builds: CORDBANK_BENCH_BACKUP_UNITS, default 100,000.
func benchRegistryUnits(b *testing.B) int {
	n := benchsize.Of(100_000, 2_000)
	if v := os.Getenv("CORDBANK_BENCH_BACKUP_UNITS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < batchSize {
			b.Fatalf("CORDBANK_BENCH_BACKUP_UNITS=%q: want a number of units ≥ %d", v, batchSize)
		}
	}
	return n
}

// latencies records write latencies while a load runs.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) { l.mu.Lock(); l.d = append(l.d, d); l.mu.Unlock() }

func (l *latencies) take() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.d
	l.d = nil
	return out
}

func p99(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[len(d)*99/100]
}

// BenchmarkBackupUnderLoad builds a registry (units imported with their
// audit events), then, while one client registers units one by one
// (durable commits) and another reads random units, takes an online
// backup (verified, with manifest). It reports the backup's duration and
// size, the write p99 during the backup and in a window of the same
// length without one (same run), and the rates of the chain check and
// of the state proof (verify --state) over the same database.
//
//	make bench BENCH=BackupUnderLoad
//	CORDBANK_BENCH_BACKUP_UNITS=1000000 make bench BENCH=BackupUnderLoad
func BenchmarkBackupUnderLoad(b *testing.B) {
	n := benchRegistryUnits(b)
	dbPath := filepath.Join(b.TempDir(), "registry.db")
	s, err := sqlite.Open(b.Context(), dbPath)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	svc := bank.NewService(s)
	bk, err := svc.CreateBank(b.Context(), banktest.ValidBank("bench-bank"), "")
	if err != nil {
		b.Fatal(err)
	}
	for first := 0; first < n; first += batchSize {
		res, err := svc.ImportUnits(b.Context(), bk.ID, batch(bk, first))
		if err != nil || res[0].Err != nil {
			b.Fatal(err, res[0].Err)
		}
	}

	// The load: one writer, one reader, until stopped.
	var lat latencies
	wrote := make(chan struct{}, 1<<20) // one per write, for the baseline window
	ctx, stop := context.WithCancel(b.Context())
	var wg sync.WaitGroup
	var writeErr error // why the writer stopped before the end, if it did
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			u := banktest.ValidUnit(bk.ID, banktest.DIN(bk.FIN, 90, i))
			start := time.Now()
			if _, err := svc.CreateUnit(ctx, u, ""); err != nil {
				if ctx.Err() == nil {
					writeErr = err
					close(wrote)
				}
				return
			}
			lat.add(time.Since(start))
			wrote <- struct{}{}
		}
	}()
	go func() {
		defer wg.Done()
		r := rand.New(rand.NewPCG(1, 2))
		for ctx.Err() == nil {
			i := r.IntN(n)
			if _, err := svc.GetUnit(ctx, bk.ID, banktest.DIN(bk.FIN, 10+i/1_000_000, i%1_000_000)); err != nil {
				return
			}
		}
	}()

	var took time.Duration
	var m *sqlite.Manifest
	var during, base []time.Duration
	var baseTook time.Duration
	var lastBackup string
	for i := 0; b.Loop(); i++ {
		lat.take()
		start := time.Now()
		var err error
		lastBackup = filepath.Join(b.TempDir(), fmt.Sprintf("backup-%d.db", i))
		m, err = sqlite.Backup(b.Context(), dbPath, lastBackup, "bench")
		if err != nil {
			b.Fatal(err)
		}
		took = time.Since(start)
		during = lat.take()
		if len(during) == 0 {
			stop()
			wg.Wait()
			b.Fatalf("no write completed during the backup (writer: %v)", writeErr)
		}
		// The baseline: as many writes again, without a backup.
		b.StopTimer()
		for len(wrote) > 0 {
			<-wrote
		}
		lat.take()
		baseStart := time.Now()
		for range len(during) {
			if _, ok := <-wrote; !ok {
				stop()
				wg.Wait()
				b.Fatalf("the writer stopped: %v", writeErr)
			}
		}
		base, baseTook = lat.take(), time.Since(baseStart)
		b.StartTimer()
	}
	stop()
	wg.Wait()
	// A baseline for the duration: copying the backup's bytes to a new
	// file (what cp does, without the consistency), same disk, same run.
	copyStart := time.Now()
	if err := copyPlain(lastBackup, filepath.Join(b.TempDir(), "plain-copy.db")); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(time.Since(copyStart).Seconds(), "plain-copy-s")
	b.ReportMetric(took.Seconds(), "backup-s")
	b.ReportMetric(m.Took.Copy, "copy-s")
	b.ReportMetric(m.Took.Verify, "verify-s")
	b.ReportMetric(m.Took.Digest, "sha256-s")
	b.ReportMetric(float64(m.Size)/(1<<20), "backup-MiB")
	b.ReportMetric(float64(m.Point.Events), "events")
	b.ReportMetric(float64(p99(during).Microseconds())/1000, "write-p99-during-ms")
	b.ReportMetric(float64(p99(base).Microseconds())/1000, "write-p99-without-ms")
	b.ReportMetric(float64(len(during))/took.Seconds(), "writes/s-during")
	b.ReportMetric(float64(len(base))/baseTook.Seconds(), "writes/s-without")

	start := time.Now()
	chain, err := svc.VerifyEvents(b.Context())
	if err != nil || len(chain.Problems) > 0 {
		b.Fatal(err, chain.Problems)
	}
	b.ReportMetric(float64(chain.Events)/time.Since(start).Seconds(), "chain-events/s")
	start = time.Now()
	st, err := svc.VerifyState(b.Context())
	if err != nil || len(st.Differences) > 0 {
		b.Fatal(err, st.Differences)
	}
	b.ReportMetric(float64(st.Events)/time.Since(start).Seconds(), "state-events/s")
}

// copyPlain copies a file and fsyncs the copy.
func copyPlain(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return durable.WriteNew(dst, in, 0o644)
}

// BenchmarkVerifyState measures the state proof (verify --state) against
// the chain check on the same database, alternating them three times in
// one run so the ratio holds on a noisy machine. The registry is imported
// (CORDBANK_BENCH_STATE_UNITS units, default 100,000), and every tenth
// unit is then released, so rows with changes after their creation are
// replayed too.
//
//	make bench BENCH=VerifyState
func BenchmarkVerifyState(b *testing.B) {
	n := benchsize.Of(100_000, 2_000)
	if v := os.Getenv("CORDBANK_BENCH_STATE_UNITS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < batchSize {
			b.Fatalf("CORDBANK_BENCH_STATE_UNITS=%q: want a number of units ≥ %d", v, batchSize)
		}
	}
	s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "registry.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	svc := bank.NewService(s)
	bk, err := svc.CreateBank(b.Context(), banktest.ValidBank("bench-bank"), "")
	if err != nil {
		b.Fatal(err)
	}
	for first := 0; first < n; first += batchSize {
		units := batch(bk, first)
		res, err := svc.ImportUnits(b.Context(), bk.ID, units)
		if err != nil || res[0].Err != nil {
			b.Fatal(err, res[0].Err)
		}
		for i := 0; i < len(units); i += 10 {
			if _, err := svc.Transition(b.Context(), bank.TransitionRequest{Bank: bk.ID, DIN: units[i].DIN, Action: lifecycle.ActionRelease}); err != nil {
				b.Fatal(err)
			}
		}
	}
	var chainRate, stateRate []float64
	for b.Loop() {
		for range 3 {
			start := time.Now()
			chain, err := svc.VerifyEvents(b.Context())
			if err != nil || len(chain.Problems) > 0 {
				b.Fatal(err, chain.Problems)
			}
			chainRate = append(chainRate, float64(chain.Events)/time.Since(start).Seconds())
			start = time.Now()
			st, err := svc.VerifyState(b.Context())
			if err != nil || len(st.Differences) > 0 {
				b.Fatal(err, st.Differences)
			}
			stateRate = append(stateRate, float64(st.Events)/time.Since(start).Seconds())
		}
	}
	slices.Sort(chainRate)
	slices.Sort(stateRate)
	b.ReportMetric(chainRate[len(chainRate)/2], "chain-events/s")
	b.ReportMetric(stateRate[len(stateRate)/2], "state-events/s")
	b.ReportMetric(stateRate[0], "state-min-events/s")
	b.ReportMetric(stateRate[len(stateRate)-1], "state-max-events/s")
}
