package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/client"
	"github.com/cordbank/cordbank/internal/faultcheck"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// Several cordbank servers over one database: real processes of the built
// binary, each with its own search index, over one SQLite file (the
// embedded store; every server takes the file's write lock for its
// transactions, so their writes are serialized as one server's are).

// cluster is n servers of bin over db, with one client each.
type cluster struct {
	t       *testing.T
	bin, db string
	token   string
	procs   []*process
	clients []*client.Client
}

func startCluster(t *testing.T, n int) *cluster {
	t.Helper()
	c := &cluster{t: t, bin: buildBinary(t), db: filepath.Join(t.TempDir(), "cluster.db")}
	c.token = adminToken(t, c.bin, c.db)
	for range n {
		c.procs = append(c.procs, nil)
		c.clients = append(c.clients, nil)
		c.start(len(c.procs) - 1)
	}
	return c
}

// start (re)starts server i.
func (c *cluster) start(i int) {
	c.t.Helper()
	// One administrator token drives every client: no per-principal rate limit.
	c.procs[i] = startBinary(c.t, c.bin, "--db", c.db, "--rate-limit", "0")
	cl, err := client.New(c.procs[i].grpcAddr, client.WithToken(c.token))
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { cl.Close() })
	c.clients[i] = cl
}

// kill ends server i with SIGKILL.
func (c *cluster) kill(i int) {
	c.t.Helper()
	if err := c.procs[i].cmd.Process.Kill(); err != nil {
		c.t.Fatal(err)
	}
	<-c.procs[i].exited
}

// TestSeveralServersOneDatabase: three servers over one database. A unit
// released or reserved through one is found or gone in searches through
// the others at once; 64 clients spread over the servers race to reserve
// the same unit, round after round, and exactly one wins each race; the
// audit trail stays one gapless, verifiable chain whatever server wrote;
// a watch of the trail resumes on another server after its own was killed,
// missing and repeating nothing; and under a mixed load one server is
// killed with SIGKILL, the others keep serving, no acknowledged write is
// lost, and the killed one restarts and finds the others' writes.
func TestSeveralServersOneDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	c := startCluster(t, 3)
	ctx := t.Context()
	if _, err := c.clients[0].CreateBank(ctx, "crash", &pb.Bank{DisplayName: "Cluster Bank", Fin: "G1234", Country: "US",
		Accreditations: []pb.Accreditation{pb.Accreditation_ACCREDITATION_FACT_NETCORD}}); err != nil {
		t.Fatal(err)
	}
	l := faultcheck.NewLedger()

	// A watch of the whole trail through server 2, from the start.
	watched := make(chan *pb.Event, 1<<16)
	watchDone := make(chan error, 1)
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go func() {
		st, err := pb.NewAuditServiceClient(c.clients[2].Conn()).WatchEvents(wctx, &pb.WatchEventsRequest{Parent: "banks/-"})
		if err == nil {
			for {
				var e *pb.Event
				if e, err = st.Recv(); err != nil {
					break
				}
				watched <- e
			}
		}
		watchDone <- err
	}()

	// Units released through one server are found through the others.
	const races = 8
	names := make([]string, races)
	for i := range names {
		u := crashUnit(string(banktest.DIN("G1234", 26, 1+i)), fmt.Sprint("race-", i))
		l.Sent(u.Din, u.LocalId)
		created, err := c.clients[i%3].CreateUnit(ctx, "banks/crash", u)
		if err != nil {
			t.Fatal(err)
		}
		l.Acked(u.Din, u.LocalId)
		names[i] = created.GetName()
		if _, err := pb.NewLifecycleServiceClient(c.clients[i%3].Conn()).ReleaseUnit(ctx, &pb.ReleaseUnitRequest{Name: names[i]}); err != nil {
			t.Fatal(err)
		}
		for j := range 3 {
			if !clusterFinds(t, c.clients[j], names[i]) {
				t.Fatalf("unit %d released through server %d is not found through server %d", i, i%3, j)
			}
		}
	}

	// Reservation races: 64 clients over 3 servers, one winner each.
	const racers, rounds = 64, 3
	for round := range rounds {
		for i, name := range names {
			var winners atomic.Int32
			var won atomic.Value
			var wg sync.WaitGroup
			for r := range racers {
				wg.Go(func() {
					res, err := c.clients[r%3].ReserveUnit(ctx, name, fmt.Sprint("tc-", r), "P-1", time.Now().Add(24*time.Hour))
					switch {
					case err == nil:
						winners.Add(1)
						won.Store(res.GetName())
					case status.Code(err) != codes.FailedPrecondition:
						t.Errorf("racer %d: %v", r, err)
					}
				})
			}
			wg.Wait()
			if n := winners.Load(); n != 1 {
				t.Fatalf("round %d, unit %d: %d winners, want exactly 1", round, i, n)
			}
			for j := range 3 {
				if clusterFinds(t, c.clients[j], name) {
					t.Fatalf("round %d: unit %d reserved is still found through server %d", round, i, j)
				}
			}
			rc := pb.NewReservationServiceClient(c.clients[(i+round)%3].Conn())
			if _, err := rc.ReleaseReservation(ctx, &pb.ReleaseReservationRequest{Name: won.Load().(string)}); err != nil {
				t.Fatal(err)
			}
			for j := range 3 {
				if !clusterFinds(t, c.clients[j], name) {
					t.Fatalf("round %d: unit %d released from its reservation is not found through server %d", round, i, j)
				}
			}
		}
	}

	// The watch's server dies; the watch resumes on server 0 after the
	// last event it received.
	c.kill(2)
	if err := <-watchDone; status.Code(err) != codes.Unavailable {
		t.Fatalf("watch on the killed server ended with %v, want UNAVAILABLE", err)
	}
	close(watched)
	var got []*pb.Event
	for e := range watched {
		got = append(got, e)
	}
	if len(got) == 0 {
		t.Fatal("the watch received nothing before its server died")
	}

	// Mixed load on servers 0 and 1; server 1 is killed in the middle.
	var next [4]atomic.Int64
	killed := make(chan struct{})
	var afterKill atomic.Int64
	var killOnce sync.Once
	var wg sync.WaitGroup
	for w := range 4 {
		reg := pb.NewRegistryServiceClient(c.clients[w%2].Conn())
		wg.Go(func() {
			if w%2 == 1 {
				crashWorker(t, reg, l, w, &next[w], killed)
				return
			}
			// Workers on server 0 keep going through the kill, and must
			// go on being acknowledged after it.
			for op := 0; op < 60; op++ {
				u := crashUnit(string(banktest.DIN("G1234", 24, w*200000+int(next[w].Add(1)))), fmt.Sprint("s0-", w, "-", op))
				l.Sent(u.Din, u.LocalId)
				if _, err := reg.CreateUnit(ctx, &pb.CreateUnitRequest{Parent: "banks/crash", Unit: u}); err != nil {
					t.Errorf("server 0 during the kill of server 1: %v", err)
					return
				}
				l.Acked(u.Din, u.LocalId)
				select {
				case <-killed:
					afterKill.Add(1)
				default:
				}
				if op == 20 {
					killOnce.Do(func() { c.kill(1); close(killed) })
				}
			}
		})
	}
	wg.Wait()
	if afterKill.Load() == 0 {
		t.Fatal("no write was acknowledged by server 0 after server 1 died")
	}

	// The killed servers restart; a unit created through server 0 meanwhile
	// is found through each, and the watch resumes on server 1.
	c.start(1)
	c.start(2)
	late := crashUnit(string(banktest.DIN("G1234", 26, 900)), "late")
	created, err := c.clients[0].CreateUnit(ctx, "banks/crash", late)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pb.NewLifecycleServiceClient(c.clients[0].Conn()).ReleaseUnit(ctx, &pb.ReleaseUnitRequest{Name: created.GetName()}); err != nil {
		t.Fatal(err)
	}
	for j := 1; j < 3; j++ {
		if !clusterFinds(t, c.clients[j], created.GetName()) {
			t.Fatalf("restarted server %d does not find a unit created through server 0", j)
		}
	}
	head, err := pb.NewAuditServiceClient(c.clients[0].Conn()).VerifyAuditTrail(ctx, &pb.VerifyAuditTrailRequest{})
	if err != nil || len(head.GetProblems()) != 0 {
		t.Fatalf("verify: %v %v", head, err)
	}
	last := got[len(got)-1]
	rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for e, err := range c.clients[1].WatchEvents(rctx, "banks/-", client.PositionOf(last)) {
		if err != nil {
			t.Fatalf("resumed watch: %v", err)
		}
		got = append(got, e)
		if int64(len(got)) >= head.GetEventsChecked() {
			break
		}
	}
	for i, e := range got {
		if e.GetSeq() != int64(i+1) {
			t.Fatalf("watched event %d has seq %d: the resumed watch missed or repeated events", i+1, e.GetSeq())
		}
	}

	for i := range c.procs {
		c.kill(i)
	}
	problems, err := faultcheck.Check(context.Background(), c.db, l)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
	t.Logf("%d units acknowledged, %d events, %d after the kill", l.AckedCount(), head.GetEventsChecked(), afterKill.Load())
}

// clusterFinds reports whether a default search through c lists the unit.
func clusterFinds(t *testing.T, c *client.Client, name string) bool {
	t.Helper()
	res, err := pb.NewSearchServiceClient(c.Conn()).SearchUnits(t.Context(), &pb.SearchUnitsRequest{
		Patient:  &pb.PatientTyping{GlString: "A*02:01+A*24:02^B*07:02+B*44:02^DRB1*15:01+DRB1*04:01"},
		WeightKg: 20, Disease: pb.DiseaseClass_DISEASE_CLASS_MALIGNANT, Criterion: pb.MatchCriterion_MATCH_CRITERION_SIX_OF_SIX})
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(res.GetMatches(), func(m *pb.UnitMatch) bool { return m.GetUnit() == name })
}
