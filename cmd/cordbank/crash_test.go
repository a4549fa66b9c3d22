package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/client"
	"github.com/cordbank/cordbank/internal/benchsize"
	"github.com/cordbank/cordbank/internal/faultcheck"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// TestKilledServerLosesNothingAcknowledged: clients create and import
// units while the real server process is killed with SIGKILL at a random
// moment, then restarted on the same file, a few times. After each kill
// the file is sound, the audit chain verifies, units and creation events
// pair up, and every write a client saw acknowledged is there as sent.
// BenchmarkKilledServer runs the same for 20 cycles (`make bench`);
// CORDBANK_CRASH_CYCLES sets the count here.
func TestKilledServerLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	cycles := 3
	if n, err := strconv.Atoi(os.Getenv("CORDBANK_CRASH_CYCLES")); err == nil && n > 0 {
		cycles = n
	}
	acked, _ := killCycles(t, buildBinary(t), cycles)
	t.Logf("%d cycles, %d units acknowledged", cycles, acked)
}

// BenchmarkKilledServer reports how long a killed server takes to serve
// again on its file (WAL recovery included) over 20 kill -9 cycles.
func BenchmarkKilledServer(b *testing.B) {
	bin := buildBinary(b)
	for range b.N {
		acked, restart := killCycles(b, bin, benchsize.Of(20, 2))
		b.ReportMetric(float64(acked), "acked-units")
		b.ReportMetric(float64(restart.Milliseconds()), "ms/restart")
	}
}

// killCycles runs the kill/restart cycles and returns the number of
// units acknowledged and the mean time from restart to listening.
func killCycles(t testing.TB, bin string, cycles int) (int, time.Duration) {
	db := filepath.Join(t.TempDir(), "crash.db")
	token := adminToken(t, bin, db)
	l := faultcheck.NewLedger()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	var next [4]atomic.Int64 // per worker: its DINs never collide
	var restart time.Duration
	for cycle := range cycles {
		began := time.Now()
		p := startBinary(t, bin, "--db", db)
		restart += time.Since(began)
		c, err := client.New(p.grpcAddr, client.WithToken(token))
		if err != nil {
			t.Fatal(err)
		}
		if cycle == 0 {
			if _, err := c.CreateBank(context.Background(), "crash", &pb.Bank{DisplayName: "Crash Bank", Fin: "G1234", Country: "US"}); err != nil {
				t.Fatal(err)
			}
		}
		reg := pb.NewRegistryServiceClient(c.Conn())
		killed := make(chan struct{})
		var wg sync.WaitGroup
		for w := range len(next) {
			wg.Go(func() { crashWorker(t, reg, l, w, &next[w], killed) })
		}
		// The kill lands at a random moment of the clients' work.
		time.Sleep(time.Duration(150+rng.IntN(600)) * time.Millisecond)
		if err := p.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-p.exited
		close(killed)
		wg.Wait()
		c.Close()
		problems, err := faultcheck.Check(context.Background(), db, l)
		if err != nil {
			t.Fatalf("cycle %d: %v", cycle, err)
		}
		for _, pr := range problems {
			t.Errorf("cycle %d: %s", cycle, pr)
		}
		if t.Failed() {
			t.FailNow()
		}
	}
	return l.AckedCount(), restart / time.Duration(cycles)
}

// crashWorker creates and imports units until the server is killed.
func crashWorker(t testing.TB, reg pb.RegistryServiceClient, l *faultcheck.Ledger, w int, next *atomic.Int64, killed <-chan struct{}) {
	din := func() string { return string(banktest.DIN("G1234", 24, w*200000+int(next.Add(1)))) }
	for op := 0; ; op++ {
		select {
		case <-killed:
			return
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var err error
		if op%3 != 2 {
			u := crashUnit(din(), fmt.Sprint("c", w, "-", op))
			l.Sent(u.Din, u.LocalId)
			if _, err = reg.CreateUnit(ctx, &pb.CreateUnitRequest{Parent: "banks/crash", Unit: u}); err == nil {
				l.Acked(u.Din, u.LocalId)
			}
		} else {
			units := make([]*pb.Unit, 50+op%250)
			for i := range units {
				units[i] = crashUnit(din(), fmt.Sprint("i", w, "-", op))
			}
			err = l.Import(ctx, reg, "banks/crash", units)
		}
		cancel()
		if err != nil {
			select {
			case <-killed:
			default:
				if c := status.Code(err); c != codes.Unavailable && c != codes.Canceled {
					t.Errorf("worker %d: %v", w, err)
				}
			}
			return // the server is gone
		}
	}
}

func crashUnit(din, local string) *pb.Unit {
	cd34 := 3.1e6
	return &pb.Unit{
		Din: din, UnitType: pb.UnitType_UNIT_TYPE_PUBLIC, LocalId: local,
		CollectionDate: "2024-03-17", ProcessingDate: "2024-03-18", InfantBirthDate: "2024-03-17",
		ProcessingMethod: pb.ProcessingMethod_PROCESSING_METHOD_HES, Reduction: pb.Reduction_REDUCTION_PLASMA_AND_RBC,
		InfantSex: pb.Sex_SEX_FEMALE, Abo: pb.ABO_ABO_O, Rh: pb.Rh_RH_POSITIVE, Idm: pb.IDMResult_IDM_RESULT_NEGATIVE,
		CollectionVolumeMl: 92.5, FrozenVolumeMl: 25,
		Cells: &pb.CellCounts{PostProcessingTnc: 1.1e9, PostProcessingCd34: &cd34},
		Bags:  1, CompartmentsPerBag: 2, AttachedSegments: 2,
		Hla: []*pb.LocusTyping{{Locus: "A", Typing: "A*02:01+A*24:02"}, {Locus: "B", Typing: "B*07:02+B*44:02"}, {Locus: "DRB1", Typing: "DRB1*15:01+DRB1*04:01"}},
	}
}
