package server_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/internal/benchsize"
	"github.com/cordbank/cordbank/internal/store/sqlite"
	"github.com/cordbank/cordbank/internal/synth"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
	"github.com/cordbank/cordbank/server/servertest"
)

// The benchmarks run a fixed workload per iteration and report figures as
// custom metrics (units/s, p50/p99 latency), so `-benchtime 1x` prints the
// README's numbers. Every call goes over real gRPC on loopback to a server
// with a real SQLite file (durable commits: synchronous=FULL).

func benchServer(b *testing.B) (*servertest.Server, pb.RegistryServiceClient) {
	b.Helper()
	srv, err := servertest.Start()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	conn, err := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()), srv.AdminAuth(),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	c := pb.NewRegistryServiceClient(conn)
	if _, err := c.CreateBank(context.Background(), &pb.CreateBankRequest{BankId: "bench", Bank: &pb.Bank{DisplayName: "Bench", Fin: "W9999", Country: "US"}}); err != nil {
		b.Fatal(err)
	}
	return srv, c
}

// wireUnits returns n synthetic units of bank bench as wire messages.
func wireUnits(n int, seed uint64) []*pb.Unit {
	return wireUnitsOf(synth.New("bench", "W9999", time.Now(), seed), n)
}

// wireUnitsOf returns g's next n units as wire messages.
func wireUnitsOf(g *synth.Generator, n int) []*pb.Unit {
	out := make([]*pb.Unit, n)
	for i := range out {
		out[i] = toWire(g.Unit())
	}
	return out
}

func toWire(u *bank.Unit) *pb.Unit {
	p := func(x *float64) *float64 { return x }
	w := &pb.Unit{
		Din: string(u.DIN), UnitType: pb.UnitType_UNIT_TYPE_PUBLIC, LocalId: u.LocalID,
		CollectionDate: u.CollectionDate.String(), ProcessingDate: u.ProcessingDate.String(), FreezeDate: u.FreezeDate.String(),
		InfantBirthDate: u.InfantBirthDate.String(), ProcessingMethod: pb.ProcessingMethod(pb.ProcessingMethod_value["PROCESSING_METHOD_"+string(u.ProcessingMethod)]),
		Reduction: pb.Reduction(pb.Reduction_value["REDUCTION_"+string(u.Reduction)]), InfantSex: pb.Sex(pb.Sex_value["SEX_"+string(u.InfantSex)]),
		Abo: pb.ABO(pb.ABO_value["ABO_"+string(u.ABO)]), Rh: pb.Rh(pb.Rh_value["RH_"+string(u.Rh)]), Ethnicity: u.Ethnicity,
		CollectionVolumeMl: u.CollectionVolumeML, FrozenVolumeMl: u.FrozenVolumeML,
		Cells: &pb.CellCounts{PreProcessingTnc: p(u.Cells.PreProcessingTNC), PostProcessingTnc: u.Cells.PostProcessingTNC,
			PostProcessingCd34: p(u.Cells.PostProcessingCD34), ViabilityPercent: p(u.Cells.ViabilityPercent), Cfu: p(u.Cells.CFU)},
		Bags: int32(u.Bags), CompartmentsPerBag: int32(u.CompartmentsPerBag), AttachedSegments: int32(u.AttachedSegments),
		Idm: pb.IDMResult(pb.IDMResult_value["IDM_RESULT_"+string(u.IDM)]), IdmTestDate: u.IDMTestDate.String(),
	}
	for _, t := range u.HLA {
		w.Hla = append(w.Hla, &pb.LocusTyping{Locus: t.Locus, Typing: t.Text})
	}
	return w
}

// BenchmarkCreateUnit: unary CreateUnit throughput with 1, 16 and 64
// concurrent clients; each create is acknowledged only once durable, and
// concurrent ones share a commit (group commit). Besides units/s it
// reports the process's CPU per create (client and server: they share
// this process), the share of the wall time the single writer was busy,
// the writes per commit, and how long a runnable goroutine waited for a
// core on average (sched-wait-µs: on 2 cores the writer waits too).
//
// The units are spread over twelve years of collections, as when a bank
// enters its inventory one unit at a time: their DINs and collection dates
// land all over the indexes. clients=16,collected=recent registers new
// collections instead (synth.Generator.Recent), as a bank does day by day:
// each index grows at one end, so a commit writes fewer pages.
//
// With CORDBANK_BENCH_ADDR (and CORDBANK_BENCH_TOKEN, an administrator's
// secret) it drives a server in another process instead, say a `cordbank
// serve` on a fresh database, so the load generator's CPU is not the
// server's; with CORDBANK_BENCH_SERVER_PID it reports that process's CPU
// per create too (server-cpu-µs/unit, read from /proc).
func BenchmarkCreateUnit(b *testing.B) {
	for _, run := range []struct {
		clients int
		recent  bool
	}{{1, false}, {16, false}, {64, false}, {16, true}} {
		clients, name := run.clients, fmt.Sprintf("clients=%d", run.clients)
		if run.recent {
			name += ",collected=recent"
		}
		b.Run(name, func(b *testing.B) {
			srv, c, bankID, fin := createBenchServer(b, clients)
			g := synth.New(bankID, fin, time.Now(), uint64(clients))
			if run.recent {
				g.Recent()
			}
			units := wireUnitsOf(g, benchsize.Of(2000, 100)*b.N)
			var next atomic.Int64
			b.ResetTimer()
			cpu0, scpu0, sched0 := processCPU(), serverCPU(b), schedWaits()
			before := srv.WriterStats()
			start := time.Now()
			var wg sync.WaitGroup
			for range clients {
				wg.Go(func() {
					for {
						i := next.Add(1) - 1
						if i >= int64(len(units)) {
							return
						}
						if _, err := c.CreateUnit(context.Background(), &pb.CreateUnitRequest{Parent: "banks/" + bankID, Unit: units[i], RequestId: fmt.Sprint(bankID, "-", i)}); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			elapsed, cpu, after := time.Since(start), processCPU()-cpu0, srv.WriterStats()
			b.ReportMetric(float64(len(units))/elapsed.Seconds(), "units/s")
			if wait, ok := schedWaits().meanSince(sched0); ok {
				b.ReportMetric(float64(wait.Microseconds()), "sched-wait-µs")
			}
			// In process: client and server together, they share it.
			b.ReportMetric(float64(cpu.Microseconds())/float64(len(units)), "cpu-µs/unit")
			if scpu0 >= 0 {
				b.ReportMetric(float64((serverCPU(b)-scpu0).Microseconds())/float64(len(units)), "server-cpu-µs/unit")
			}
			if after.Commits > before.Commits {
				b.ReportMetric(float64(after.Busy-before.Busy)/float64(elapsed), "writer-busy")
				b.ReportMetric(float64(after.Writes-before.Writes)/float64(after.Commits-before.Commits), "writes/commit")
			}
		})
	}
}

// writerStatser is what BenchmarkCreateUnit reads of its server: the
// writer's counters in process, nothing of a server in another process.
type writerStatser interface{ WriterStats() sqlite.WriterStats }

type remoteServer struct{}

func (remoteServer) WriterStats() sqlite.WriterStats { return sqlite.WriterStats{} }

// createBenchServer is benchServer and its bank, or the server of
// CORDBANK_BENCH_ADDR with a new bank for each run. Every run there needs
// its own bank and FIN: the sub-benchmarks and their runs (b.N) share that
// server, synthetic DINs repeat per FIN, and a request id seen before is
// answered as a replay, which would measure the idempotency lookup
// instead of creates.
func createBenchServer(b *testing.B, clients int) (srv writerStatser, c pb.RegistryServiceClient, bankID, fin string) {
	b.Helper()
	addr := os.Getenv("CORDBANK_BENCH_ADDR")
	if addr == "" {
		srv, c := benchServer(b)
		return srv, c, "bench", "W9999"
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(servertest.BearerCreds(os.Getenv("CORDBANK_BENCH_TOKEN"))))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	c = pb.NewRegistryServiceClient(conn)
	run := time.Now().UnixNano()
	for try := range int64(100) {
		// FINs are a letter and four digits; one another bank holds is
		// answered AlreadyExists, and the next one is tried.
		bankID, fin = fmt.Sprintf("bench-%d-%d-%d", clients, run, try), fmt.Sprintf("W%04d", (run/1000+try)%10000)
		_, err = c.CreateBank(context.Background(), &pb.CreateBankRequest{BankId: bankID, Bank: &pb.Bank{DisplayName: "Bench", Fin: fin, Country: "US"}})
		if status.Code(err) != codes.AlreadyExists {
			break
		}
	}
	if err != nil {
		b.Fatal(err)
	}
	return remoteServer{}, c, bankID, fin
}

// serverCPU returns the CPU time of the process CORDBANK_BENCH_SERVER_PID
// names (from /proc, in clock ticks of 10 ms), -1 without one.
func serverCPU(b *testing.B) time.Duration {
	pid := os.Getenv("CORDBANK_BENCH_SERVER_PID")
	if pid == "" {
		return -1
	}
	stat, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command (which may hold spaces) start at ")": the
	// 14th and 15th fields of the line are utime and stime.
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// schedHistogram is the runtime's histogram of how long goroutines
// waited, runnable, for a core (/sched/latencies:seconds, sampled).
type schedHistogram struct{ counts, buckets []float64 }

func schedWaits() schedHistogram {
	m := []metrics.Sample{{Name: "/sched/latencies:seconds"}}
	metrics.Read(m)
	if m[0].Value.Kind() != metrics.KindFloat64Histogram {
		return schedHistogram{}
	}
	h := m[0].Value.Float64Histogram()
	out := schedHistogram{buckets: h.Buckets}
	for _, c := range h.Counts {
		out.counts = append(out.counts, float64(c))
	}
	return out
}

// meanSince returns the mean wait of the goroutines scheduled since
// before, each counted at its bucket's lower bound: the load on the cores
// as a runnable goroutine (the writer, say) meets it. In process only:
// the wait of a server in another process is not this process's.
func (h schedHistogram) meanSince(before schedHistogram) (time.Duration, bool) {
	if len(h.counts) == 0 || len(before.counts) != len(h.counts) {
		return 0, false
	}
	var n, sum float64
	for i, c := range h.counts {
		d := c - before.counts[i]
		n += d
		sum += d * max(h.buckets[i], 0)
	}
	if n == 0 || os.Getenv("CORDBANK_BENCH_ADDR") != "" {
		return 0, false
	}
	return time.Duration(sum / n * float64(time.Second)), true
}

// processCPU returns the CPU time (user and system) this process has used:
// on a shared 2-core machine a steadier figure than wall time, since
// other processes' load stretches the wall clock but not this.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkImportUnits: client-streaming import of 50,000 units.
//
//   - client=preencoded measures the server: every message is marshalled
//     into one pointer-free buffer before the clock starts, as a remote
//     client would have done on its own machine, so this process's cores
//     and garbage collector work for the server and the loopback transport
//     only. It is the README's import figure.
//   - client=sdk streams *pb.Unit values through the generated client, so
//     the client's marshalling and its 50,000 live messages share the two
//     cores and the heap with the server.
func BenchmarkImportUnits(b *testing.B) {
	perIter := benchsize.Of(50000, 500)
	b.Run("client=preencoded", func(b *testing.B) {
		srv, _ := benchServer(b)
		conn, err := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()), srv.AdminAuth())
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		desc := &grpc.StreamDesc{StreamName: "ImportUnits", ClientStreams: true}
		method := pb.RegistryService_ImportUnits_FullMethodName
		var total, cpu time.Duration
		for i := range b.N {
			b.StopTimer()
			buf, ends := encodedImport(perIter, uint64(100+i))
			stream, err := conn.NewStream(context.Background(), desc, method, grpc.ForceCodecV2(rawCodec{}))
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			start, cpu0 := time.Now(), processCPU()
			from := 0
			for _, end := range ends {
				if err := stream.SendMsg(rawMessage(buf[from:end])); err != nil {
					b.Fatal(err)
				}
				from = end
			}
			if err := stream.CloseSend(); err != nil {
				b.Fatal(err)
			}
			var resp pb.ImportUnitsResponse
			if err := stream.RecvMsg(&resp); err != nil || int(resp.GetCreatedCount()) != perIter {
				b.Fatalf("import: %v created %d", err, resp.GetCreatedCount())
			}
			total += time.Since(start)
			cpu += processCPU() - cpu0
		}
		b.ReportMetric(float64(perIter*b.N)/total.Seconds(), "units/s")
		b.ReportMetric(float64(cpu.Microseconds())/float64(perIter*b.N), "cpu-µs/unit")
	})
	b.Run("client=sdk", func(b *testing.B) {
		_, c := benchServer(b)
		units := wireUnits(perIter*b.N, 99)
		b.ResetTimer()
		start := time.Now()
		for i := range b.N {
			stream, err := c.ImportUnits(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			for j, u := range units[i*perIter : (i+1)*perIter] {
				req := &pb.ImportUnitsRequest{Unit: u}
				if j == 0 {
					req.Parent = "banks/bench"
				}
				if err := stream.Send(req); err != nil {
					b.Fatal(err)
				}
			}
			resp, err := stream.CloseAndRecv()
			if err != nil || int(resp.GetCreatedCount()) != perIter {
				b.Fatalf("import: %v created %d", err, resp.GetCreatedCount())
			}
		}
		b.ReportMetric(float64(len(units))/time.Since(start).Seconds(), "units/s")
	})
}

// BenchmarkWriteDuringImport: the latency of one client's CreateUnit
// calls while another client streams a 50,000-unit import.
func BenchmarkWriteDuringImport(b *testing.B) {
	perIter := benchsize.Of(50000, 500)
	for i := range b.N {
		b.StopTimer()
		srv, c := benchServer(b)
		conn, err := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()), srv.AdminAuth())
		if err != nil {
			b.Fatal(err)
		}
		// One generator for both clients: their DINs never collide.
		all := wireUnits(perIter+20000, uint64(200+i))
		buf, ends := encodeImport(all[:perIter])
		units := all[perIter:]
		b.StartTimer()
		importDone := make(chan error, 1)
		go func() {
			stream, err := conn.NewStream(context.Background(), &grpc.StreamDesc{ClientStreams: true}, pb.RegistryService_ImportUnits_FullMethodName, grpc.ForceCodecV2(rawCodec{}))
			if err != nil {
				importDone <- err
				return
			}
			from := 0
			for _, end := range ends {
				if err := stream.SendMsg(rawMessage(buf[from:end])); err != nil {
					importDone <- err
					return
				}
				from = end
			}
			if err := stream.CloseSend(); err != nil {
				importDone <- err
				return
			}
			var resp pb.ImportUnitsResponse
			importDone <- stream.RecvMsg(&resp)
		}()
		var lat []time.Duration
	loop:
		for j := 0; ; j++ {
			select {
			case err := <-importDone:
				if err != nil {
					b.Fatal(err)
				}
				break loop
			default:
			}
			if j >= len(units) {
				b.Fatal("the import outlasted the prepared units")
			}
			t0 := time.Now()
			if _, err := c.CreateUnit(context.Background(), &pb.CreateUnitRequest{Parent: "banks/bench", Unit: units[j]}); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		b.StopTimer()
		conn.Close()
		p50, p99 := benchsize.Percentiles(lat)
		b.ReportMetric(benchsize.Micros(p50), "p50-µs")
		b.ReportMetric(benchsize.Micros(p99), "p99-µs")
		b.ReportMetric(float64(len(lat)), "writes")
	}
}

// encodedImport marshals the n messages of an import of synthetic units
// into one buffer; ends[i] is where message i ends.
func encodedImport(n int, seed uint64) (buf []byte, ends []int) {
	return encodeImport(wireUnits(n, seed))
}

// encodeImport marshals an import of units into one buffer; ends[i] is
// where message i ends.
func encodeImport(units []*pb.Unit) (buf []byte, ends []int) {
	ends = make([]int, len(units))
	for i, u := range units {
		req := &pb.ImportUnitsRequest{Unit: u}
		if i == 0 {
			req.Parent = "banks/bench"
		}
		var err error
		if buf, err = (proto.MarshalOptions{}).MarshalAppend(buf, req); err != nil {
			panic(err)
		}
		ends[i] = len(buf)
	}
	return buf, ends
}

// rawMessage is a message already in protobuf wire form.
type rawMessage []byte

// rawCodec sends rawMessage as it is and decodes replies with protobuf.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	if m, ok := v.(rawMessage); ok {
		return mem.BufferSlice{mem.SliceBuffer(m)}, nil
	}
	return nil, fmt.Errorf("rawCodec: cannot send %T", v)
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(proto.Message)
	if !ok {
		return fmt.Errorf("rawCodec: cannot decode into %T", v)
	}
	return proto.Unmarshal(data.Materialize(), m)
}

func (rawCodec) Name() string { return "proto" }

var (
	bigOnce sync.Once
	bigSrv  *servertest.Server
	bigDINs []string
)

// bigRegistry is a server holding 100,000 units, built once per run.
func bigRegistry(b *testing.B) (*servertest.Server, []string) {
	bigOnce.Do(func() {
		srv, err := servertest.Start()
		if err != nil {
			b.Fatal(err)
		}
		bigSrv = srv
		ctx := context.Background()
		if _, err := srv.Service.CreateBank(ctx, &bank.Bank{ID: "bench", DisplayName: "Bench", FIN: "W9999", Country: "US"}, ""); err != nil {
			b.Fatal(err)
		}
		g := synth.New("bench", "W9999", time.Now(), 7)
		for range benchsize.Of(100, 10) { // short: enough for ListUnits' full pages at random positions
			res, err := srv.Service.ImportUnits(ctx, "bench", g.Units(1000))
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range res {
				if r.Err != nil {
					b.Fatal(r.Err)
				}
				bigDINs = append(bigDINs, string(r.Unit.DIN))
			}
		}
	})
	return bigSrv, bigDINs
}

// BenchmarkGetUnit: GetUnit latency on a database of 100,000 units.
func BenchmarkGetUnit(b *testing.B) {
	srv, dins := bigRegistry(b)
	conn, _ := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()), srv.AdminAuth())
	defer conn.Close()
	c := pb.NewRegistryServiceClient(conn)
	r := rand.New(rand.NewPCG(1, 2))
	b.ResetTimer()
	for range b.N {
		benchsize.ReportLatencies(b, benchsize.Of(5000, 200), func(int) {
			if _, err := c.GetUnit(context.Background(), &pb.GetUnitRequest{Name: "banks/bench/units/" + dins[r.IntN(len(dins))]}); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkListUnits: latency of one page of 50 units, filtered by ABO and
// a collection-date range, at random positions of a 100,000-unit database.
func BenchmarkListUnits(b *testing.B) {
	srv, _ := bigRegistry(b)
	conn, _ := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()), srv.AdminAuth())
	defer conn.Close()
	c := pb.NewRegistryServiceClient(conn)
	// Tokens for random positions: walk pages once and keep their tokens.
	req := func() *pb.ListUnitsRequest {
		return &pb.ListUnitsRequest{Parent: "banks/bench", PageSize: 50, Abo: []pb.ABO{pb.ABO_ABO_O, pb.ABO_ABO_A},
			CollectionDateFrom: time.Now().AddDate(-8, 0, 0).Format(time.DateOnly)}
	}
	var tokens []string
	for tok := ""; len(tokens) < 400; {
		r := req()
		r.PageToken = tok
		resp, err := c.ListUnits(context.Background(), r)
		if err != nil {
			b.Fatal(err)
		}
		if resp.GetNextPageToken() == "" {
			// The walk reached the end: the last token's page is this
			// short one (only in a -short run's small registry).
			tokens = tokens[:max(len(tokens)-1, 0)]
			break
		}
		tok = resp.GetNextPageToken()
		tokens = append(tokens, tok)
	}
	rnd := rand.New(rand.NewPCG(3, 4))
	b.ResetTimer()
	for range b.N {
		benchsize.ReportLatencies(b, benchsize.Of(2000, 200), func(int) {
			r := req()
			r.PageToken = tokens[rnd.IntN(len(tokens))]
			resp, err := c.ListUnits(context.Background(), r)
			if err != nil || len(resp.GetUnits()) != 50 {
				b.Fatalf("list: %v, %d units", err, len(resp.GetUnits()))
			}
		})
	}
}

// BenchmarkCreateUnitLayers splits a durable create at 16 clients into its
// layers, in one run, to show where the rate is bounded on this machine:
//
//   - layer=grpc is a bare unary round trip through the same server and
//     client (the health check: no authentication, no store), the most
//     calls per second any unary method can reach here;
//   - layer=writer is the store's writer alone: 16 goroutines each
//     committing one small row (a request record) durably, grouped as
//     CreateUnit's writes are, the most durable writes per second the
//     writer and this disk reach;
//   - layer=service is Service.CreateUnit called by 16 goroutines in
//     process, no gRPC: validation, the audit event, the writer's group
//     commit, the index; layer=service,collected=recent the same for new
//     collections (as BenchmarkCreateUnit's clients=16,collected=recent);
//   - BenchmarkCreateUnit/clients=16 is the two together.
//
// Each reports calls/s and the process's CPU per call; the CPU figures add
// up (roughly) to the whole create's, which bounds its rate at the
// machine's cores over that sum.
func BenchmarkCreateUnitLayers(b *testing.B) {
	const clients = 16
	run := func(b *testing.B, n int, call func(i int) error) {
		var next atomic.Int64
		cpu0, start := processCPU(), time.Now()
		var wg sync.WaitGroup
		for range clients {
			wg.Go(func() {
				for {
					i := next.Add(1) - 1
					if i >= int64(n) {
						return
					}
					if err := call(int(i)); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		elapsed, cpu := time.Since(start), processCPU()-cpu0
		b.ReportMetric(float64(n)/elapsed.Seconds(), "calls/s")
		b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/call")
	}
	b.Run("layer=grpc", func(b *testing.B) {
		srv, _ := benchServer(b)
		conn, err := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		h := healthpb.NewHealthClient(conn)
		n := benchsize.Of(20000, 500) * b.N
		b.ResetTimer()
		run(b, n, func(int) error {
			_, err := h.Check(context.Background(), &healthpb.HealthCheckRequest{})
			return err
		})
	})
	b.Run("layer=writer", func(b *testing.B) {
		srv, _ := benchServer(b)
		store, n := srv.Service.Store(), benchsize.Of(20000, 500)*b.N
		b.ResetTimer()
		run(b, n, func(i int) error {
			return store.Write(context.Background(), func(tx bank.Tx) error {
				return tx.PutRequest(context.Background(), &bank.RequestRecord{ID: fmt.Sprint("w-", i), Method: "Floor", Fingerprint: "f", Resource: "r", CreateTime: time.Now()})
			})
		})
	})
	for _, recent := range []bool{false, true} {
		name := "layer=service"
		if recent {
			name += ",collected=recent" // as in BenchmarkCreateUnit
		}
		b.Run(name, func(b *testing.B) {
			srv, _ := benchServer(b)
			g := synth.New("bench", "W9999", time.Now(), clients)
			if recent {
				g.Recent()
			}
			units := g.Units(benchsize.Of(2000, 100) * b.N)
			b.ResetTimer()
			run(b, len(units), func(i int) error {
				_, err := srv.Service.CreateUnit(context.Background(), units[i], fmt.Sprint("r", clients, "-", i))
				return err
			})
		})
	}
}
