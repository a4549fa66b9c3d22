package server_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/internal/faultcheck"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
	"github.com/cordbank/cordbank/server/servertest"
)

// startOn starts a server on the SQLite file at path with bank nybc
// (FIN G1234) and returns an admin connection; stop closes the server, so
// the file can be checked.
func startOn(t *testing.T, path string) (srv *servertest.Server, conn *grpc.ClientConn, stop func()) {
	t.Helper()
	srv, err := servertest.Start(servertest.WithDatabase(path))
	if err != nil {
		t.Fatal(err)
	}
	conn, err = grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()), srv.AdminAuth())
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() { once.Do(func() { conn.Close(); srv.Close() }) }
	t.Cleanup(stop)
	if _, err := pb.NewRegistryServiceClient(conn).CreateBank(context.Background(), &pb.CreateBankRequest{BankId: "nybc", Bank: &pb.Bank{
		DisplayName: "Test Bank", Fin: "G1234", Country: "US"}}); err != nil && status.Code(err) != codes.AlreadyExists {
		t.Fatal(err)
	}
	return srv, conn, stop
}

func wantClean(t *testing.T, path string, l *faultcheck.Ledger) {
	t.Helper()
	problems, err := faultcheck.Check(context.Background(), path, l)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

func importLine(t *testing.T, req *pb.ImportUnitsRequest) string {
	t.Helper()
	b, err := protojson.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

func progressOf(t *testing.T, st *status.Status) *pb.ImportProgress {
	t.Helper()
	for _, d := range st.Details() {
		if p, ok := d.(*pb.ImportProgress); ok {
			return p
		}
	}
	t.Fatalf("no ImportProgress in %v", st.Proto())
	return nil
}

// TestRESTImportTruncatedLine is the case a new user found with curl:
// imports of 300 valid NDJSON lines followed by one line cut short. Each
// answers 400 naming the line, says the 300 units before it were stored,
// and they are, each with its creation event; sending the same body again
// reports them already present.
func TestRESTImportTruncatedLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cordbank.db")
	srv, _, stop := startOn(t, path)
	l := faultcheck.NewLedger()
	const imports, lines = 12, 300
	var first string
	for k := range imports {
		var body strings.Builder
		for i := range lines {
			u := validUnit(string(banktest.DIN("G1234", 24, k*lines+i+1)))
			u.LocalId = fmt.Sprint("L", k, "-", i)
			l.Acked(u.Din, u.LocalId) // the answer below says so
			body.WriteString(importLine(t, &pb.ImportUnitsRequest{Parent: "banks/nybc", Unit: u}))
		}
		whole := body.String()
		if k == 0 {
			first = whole
		}
		cut := importLine(t, &pb.ImportUnitsRequest{Parent: "banks/nybc", Unit: validUnit(string(banktest.DIN("G1234", 25, k+1)))})
		body.WriteString(cut[:len(cut)/2]) // cut short, no newline
		resp, err := srv.HTTPClient().Post(srv.HTTPURL+"/v1/units:import", "application/x-ndjson", strings.NewReader(body.String()))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Request-Id") == "" {
			t.Fatalf("import %d: HTTP %d (request id %q): %s", k, resp.StatusCode, resp.Header.Get("X-Request-Id"), raw)
		}
		var sp spb.Status
		if err := protojson.Unmarshal(raw, &sp); err != nil {
			t.Fatalf("import %d: error body is not a google.rpc.Status: %v\n%s", k, err, raw)
		}
		s := status.FromProto(&sp)
		var info *errdetails.ErrorInfo
		for _, d := range s.Details() {
			if i, ok := d.(*errdetails.ErrorInfo); ok {
				info = i
			}
		}
		if info == nil || info.Reason != "MALFORMED_REQUEST" || info.Metadata["line"] != "301" || info.Metadata["units_committed"] != "300" {
			t.Fatalf("import %d: ErrorInfo %v", k, info)
		}
		if p := progressOf(t, s); p.GetUnitsCommitted() != lines || p.GetCreatedCount() != lines {
			t.Fatalf("import %d: progress %v", k, p)
		}
		if !strings.Contains(s.Message(), "line 301") {
			t.Errorf("import %d: message %q does not name the line", k, s.Message())
		}
	}
	// Sent again, whole: every unit is already present, nothing changes.
	resp, err := srv.HTTPClient().Post(srv.HTTPURL+"/v1/units:import", "application/x-ndjson", strings.NewReader(first))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var out pb.ImportUnitsResponse
	if resp.StatusCode != 200 || protojson.Unmarshal(raw, &out) != nil || out.GetAlreadyPresentCount() != lines || out.GetCreatedCount() != 0 {
		t.Fatalf("re-sent import: HTTP %d %s", resp.StatusCode, raw)
	}
	stop()
	wantClean(t, path, l)
	if n := l.AckedCount(); n != imports*lines {
		t.Fatalf("ledger holds %d units", n)
	}
}

// countRows sets *n to the number of rows of table in the file at path.
func countRows(path, table string, n *int) error {
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	return db.QueryRow(`SELECT count(*) FROM ` + table).Scan(n)
}

// TestImportStreamFailureSaysWhatWasStored: a stream that fails midway
// (message 301 names a bank the caller may not write) stores the 300
// units before it, nothing after, and its error says so.
func TestImportStreamFailureSaysWhatWasStored(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cordbank.db")
	srv, admin, stop := startOn(t, path)
	if _, err := pb.NewRegistryServiceClient(admin).CreateBank(context.Background(), &pb.CreateBankRequest{BankId: "other", Bank: &pb.Bank{
		DisplayName: "Other", Fin: "G5678", Country: "US"}}); err != nil {
		t.Fatal(err)
	}
	tok, err := srv.Token(bank.RoleManager, "nybc")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()), servertest.BearerAuth(tok))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stream, err := pb.NewRegistryServiceClient(conn).ImportUnits(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	l := faultcheck.NewLedger()
	for i := range 400 {
		req := &pb.ImportUnitsRequest{Unit: validUnit(string(banktest.DIN("G1234", 24, i+1)))}
		switch {
		case i == 0:
			req.Parent = "banks/nybc"
		case i == 300:
			req.Parent = "banks/other"
		}
		if i < 300 {
			l.Acked(req.Unit.Din, "")
		} else {
			l.Sent(req.Unit.Din, "") // must not be stored: checked below
		}
		if err := stream.Send(req); err != nil {
			break // the server has answered; CloseAndRecv says what
		}
	}
	_, err = stream.CloseAndRecv()
	st := status.Convert(err)
	if st.Code() != codes.PermissionDenied {
		t.Fatalf("err = %v, want PERMISSION_DENIED", err)
	}
	if p := progressOf(t, st); p.GetUnitsCommitted() != 300 || p.GetCreatedCount() != 300 {
		t.Fatalf("progress %v, want 300 committed and created", p)
	}
	stop()
	wantClean(t, path, l)
	units := 0
	if err := countRows(path, "units", &units); err != nil || units != 300 {
		t.Fatalf("%d units stored (%v), want 300", units, err)
	}
}

// TestWritesUnderRandomCancellation is the fault-injection test of the
// write path: concurrent clients create, update, import, release, reserve
// and release reservations while each request is cancelled at a random
// point (before it is sent, while it runs, around its commit, or never).
// Afterwards the file is sound, the audit chain verifies, units and
// creation events pair up, and every acknowledged write is there as sent.
func TestWritesUnderRandomCancellation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cordbank.db")
	srv, admin, stop := startOn(t, path)
	tcTok, err := srv.Token(bank.RoleCoordinator, "tc-boston")
	if err != nil {
		t.Fatal(err)
	}
	tcConn, err := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()), servertest.BearerAuth(tcTok))
	if err != nil {
		t.Fatal(err)
	}
	defer tcConn.Close()
	reg, life := pb.NewRegistryServiceClient(admin), pb.NewLifecycleServiceClient(admin)
	resv := pb.NewReservationServiceClient(tcConn)
	resvAdmin := pb.NewReservationServiceClient(admin)

	l := faultcheck.NewLedger()
	const workers, opsPerWorker = 6, 45
	var acked, cancelled sync.Map // counts by op, for the log
	count := func(m *sync.Map, op string) {
		v, _ := m.LoadOrStore(op, new(int))
		*(v.(*int))++
	}
	var countMu sync.Mutex
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			seq := 0
			var mine []string // DINs this worker created and saw acknowledged
			nextDIN := func() string {
				seq++
				return string(banktest.DIN("G1234", 24, w*100000+seq))
			}
			for op := range opsPerWorker {
				ctx, cancel := randomCancel(rng)
				var name string
				var err error
				switch k := rng.IntN(10); {
				case k < 4 || len(mine) == 0:
					name = "create"
					u := validUnit(nextDIN())
					u.LocalId = fmt.Sprint("c", w, "-", op)
					l.Sent(u.Din, u.LocalId)
					_, err = reg.CreateUnit(ctx, &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: u, RequestId: fmt.Sprintf("w%d-%d", w, op)})
					if err == nil {
						l.Acked(u.Din, u.LocalId)
						mine = append(mine, u.Din)
					}
				case k < 6:
					name = "update"
					din := mine[rng.IntN(len(mine))]
					local := fmt.Sprint("u", w, "-", op)
					l.Sent(din, local)
					_, err = reg.UpdateUnit(ctx, &pb.UpdateUnitRequest{Unit: &pb.Unit{Name: "banks/nybc/units/" + din, LocalId: local},
						UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"local_id"}}})
					if err == nil {
						l.Acked(din, local)
					}
				case k < 8:
					name = "import"
					units := make([]*pb.Unit, 20+rng.IntN(300))
					for i := range units {
						units[i] = validUnit(nextDIN())
						units[i].LocalId = fmt.Sprint("i", w, "-", op)
					}
					if err = l.Import(ctx, reg, "banks/nybc", units); err == nil {
						for _, u := range units {
							mine = append(mine, u.Din)
						}
					}
				default:
					name = "reserve"
					din := mine[rng.IntN(len(mine))]
					unit := "banks/nybc/units/" + din
					err = func() error {
						if _, err := life.ReleaseUnit(ctx, &pb.ReleaseUnitRequest{Name: unit}); err != nil && status.Code(err) != codes.FailedPrecondition {
							return err
						}
						r, err := resv.ReserveUnit(ctx, &pb.ReserveUnitRequest{Name: unit, TransplantCenter: "tc-boston", PatientId: "P-1",
							ExpireTime: timestamppb.New(time.Now().Add(24 * time.Hour))})
						if err != nil {
							return err
						}
						_, err = resvAdmin.ReleaseReservation(ctx, &pb.ReleaseReservationRequest{Name: r.GetName(), Reason: "chaos"})
						return err
					}()
				}
				cancel()
				countMu.Lock()
				switch c := status.Code(err); {
				case err == nil:
					count(&acked, name)
				case c == codes.Canceled || c == codes.DeadlineExceeded || errors.Is(err, context.Canceled):
					count(&cancelled, name)
				case c == codes.FailedPrecondition && name == "reserve":
					// A unit left reserved by a cancelled release: expected.
				default:
					t.Errorf("worker %d op %d %s: %v", w, op, name, err)
				}
				countMu.Unlock()
			}
		})
	}
	wg.Wait()
	var summary []string
	acked.Range(func(k, v any) bool { summary = append(summary, fmt.Sprintf("%s ok %d", k, *(v.(*int)))); return true })
	cancelled.Range(func(k, v any) bool {
		summary = append(summary, fmt.Sprintf("%s cancelled %d", k, *(v.(*int))))
		return true
	})
	t.Logf("%s; %d units acknowledged", strings.Join(summary, ", "), l.AckedCount())
	stop()
	wantClean(t, path, l)
}

// randomCancel returns a context cancelled at a random point: already
// (the request never leaves), after a random delay of up to a few
// milliseconds (mid-flight: before, during or after the commit), or never.
func randomCancel(rng *rand.Rand) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	switch k := rng.IntN(10); {
	case k == 0:
		cancel()
	case k < 8:
		d := time.Duration(rng.IntN(4000)) * time.Microsecond
		if k >= 5 {
			d *= 10
		}
		timer := time.AfterFunc(d, cancel)
		return ctx, func() { timer.Stop(); cancel() }
	}
	return ctx, cancel
}

// TestRESTImportOverlongLine: a line over the per-message limit is not
// read into memory; the import answers 413 in the error shape, naming the
// line, and the units before it are stored.
func TestRESTImportOverlongLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cordbank.db")
	srv, _, stop := startOn(t, path)
	l := faultcheck.NewLedger()
	var head strings.Builder
	for i := range 3 {
		u := validUnit(string(banktest.DIN("G1234", 24, i+1)))
		l.Acked(u.Din, "")
		head.WriteString(importLine(t, &pb.ImportUnitsRequest{Parent: "banks/nybc", Unit: u}))
	}
	// Line 4: 40 MiB of one JSON string, streamed, never all in memory here.
	huge := io.MultiReader(strings.NewReader(head.String()+`{"parent": "banks/nybc", "unit": {"localId": "`),
		io.LimitReader(zeros{}, 40<<20), strings.NewReader(`"}}`+"\n"))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	resp, err := srv.HTTPClient().Post(srv.HTTPURL+"/v1/units:import", "application/x-ndjson", huge)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	runtime.GC()
	runtime.ReadMemStats(&after)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(raw), "line 4") || !strings.Contains(string(raw), "REQUEST_TOO_LARGE") {
		t.Fatalf("HTTP %d: %.300s", resp.StatusCode, raw)
	}
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 8<<20 {
		t.Errorf("heap grew by %d MiB after the request", grown>>20)
	}
	stop()
	wantClean(t, path, l)
}

// zeros reads as an endless run of '0'.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '0'
	}
	return len(p), nil
}

// TestImportViolationsInTheCallersTerms: an imported unit's violations
// name fields as the caller sent them (JSON names over REST, proto names
// over gRPC) and enum values by their wire names, as error details do.
func TestImportViolationsInTheCallersTerms(t *testing.T) {
	srv, admin, _ := startOn(t, filepath.Join(t.TempDir(), "cordbank.db"))
	u := validUnit(string(banktest.DIN("G1234", 24, 1)))
	u.Abo, u.Cells.PostProcessingTnc = pb.ABO_ABO_UNSPECIFIED, 0
	resp, err := srv.HTTPClient().Post(srv.HTTPURL+"/v1/units:import", "application/x-ndjson",
		strings.NewReader(importLine(t, &pb.ImportUnitsRequest{Parent: "banks/nybc", Unit: u})))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(raw), `"unit.cells.postProcessingTnc"`) || !strings.Contains(string(raw), "ABO_O") || strings.Contains(string(raw), "post_processing_tnc") {
		t.Errorf("REST import result: %s", raw)
	}
	stream, err := pb.NewRegistryServiceClient(admin).ImportUnits(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&pb.ImportUnitsRequest{Parent: "banks/nybc", Unit: u}); err != nil {
		t.Fatal(err)
	}
	res, err := stream.CloseAndRecv()
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]string{}
	for _, v := range res.GetResults()[0].GetError().GetViolations() {
		fields[v.GetField()] = v.GetDescription()
	}
	if _, ok := fields["unit.cells.post_processing_tnc"]; !ok || !strings.Contains(fields["unit.abo"], "ABO_O") {
		t.Errorf("gRPC import result violations: %v", fields)
	}
}
