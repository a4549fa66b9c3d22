package server_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
	"github.com/cordbank/cordbank/server/servertest"
)

const auditUnit = "banks/nybc/units/G123498654321"

// auditClients dials srv and returns its audit, lifecycle and registry
// clients.
func auditClients(t *testing.T, srv *servertest.Server) (pb.AuditServiceClient, pb.LifecycleServiceClient, pb.RegistryServiceClient) {
	t.Helper()
	conn, err := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()), srv.AdminAuth())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return pb.NewAuditServiceClient(conn), pb.NewLifecycleServiceClient(conn), pb.NewRegistryServiceClient(conn)
}

// auditChanges creates, updates and releases auditUnit: events 2, 3, 4
// after CreateBank (1).
func auditChanges(t *testing.T, reg pb.RegistryServiceClient, lc pb.LifecycleServiceClient) {
	t.Helper()
	ctx := t.Context()
	if _, err := reg.CreateUnit(ctx, &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: validUnit("G123498654321")}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.UpdateUnit(ctx, &pb.UpdateUnitRequest{Unit: &pb.Unit{Name: auditUnit, LocalId: "CB-9"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"local_id"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := lc.ReleaseUnit(ctx, &pb.ReleaseUnitRequest{Name: auditUnit, Note: "IDM passed"}); err != nil {
		t.Fatal(err)
	}
}

func eventLines(evs []*pb.Event) string {
	var out []string
	for _, e := range evs {
		out = append(out, e.GetMethod()+" "+e.GetResource())
	}
	return strings.Join(out, "\n")
}

// getJSON GETs a REST path and decodes the body into m; it returns the
// HTTP status.
func getJSON(t *testing.T, srv *servertest.Server, method, path string, m proto.Message) int {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), method, srv.HTTPURL+path, nil)
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		if err := protojson.Unmarshal(body, m); err != nil {
			t.Fatalf("%s: %v: %s", path, err, body)
		}
	}
	return resp.StatusCode
}

func TestUnitHistoryGRPCAndREST(t *testing.T) {
	srv, _ := start(t)
	ac, lc, reg := auditClients(t, srv)
	auditChanges(t, reg, lc)

	resp, err := ac.ListUnitHistory(t.Context(), &pb.ListUnitHistoryRequest{Name: auditUnit})
	if err != nil {
		t.Fatal(err)
	}
	want := "CreateUnit " + auditUnit + "\nUpdateUnit " + auditUnit + "\nReleaseUnit " + auditUnit
	if got := eventLines(resp.GetEvents()); got != want || resp.GetNextPageToken() != "" {
		t.Fatalf("history:\n%s\nwant\n%s", got, want)
	}
	for i, e := range resp.GetEvents() {
		// seq 1 is servertest's admin token, 2 the bank.
		if e.GetSeq() != int64(i+3) || e.GetBank() != "banks/nybc" || e.GetPrincipal() != "admin" || e.GetRequestId() == "" ||
			!e.GetTime().AsTime().Equal(testNow) || len(e.GetHash()) != 64 || len(e.GetPrevHash()) != 64 {
			t.Errorf("event %d = %v", i, e)
		}
	}
	upd := resp.GetEvents()[1].GetChanges()
	if len(upd) != 1 || upd[0].GetField() != "local_id" || upd[0].GetAfter() != `"CB-9"` {
		t.Errorf("update changes = %v", upd)
	}

	var rest pb.ListUnitHistoryResponse
	if code := getJSON(t, srv, "GET", "/v1/"+auditUnit+"/history?pageSize=2", &rest); code != 200 {
		t.Fatalf("REST history: HTTP %d", code)
	}
	if len(rest.GetEvents()) != 2 || rest.GetNextPageToken() == "" || !proto.Equal(rest.GetEvents()[0], resp.GetEvents()[0]) {
		t.Fatalf("REST history page = %v", &rest)
	}
	if code := getJSON(t, srv, "GET", "/v1/banks/nybc/units/G123498654322/history", &rest); code != 404 {
		t.Errorf("history of an unknown unit: HTTP %d", code)
	}
	_, err = ac.ListUnitHistory(t.Context(), &pb.ListUnitHistoryRequest{Name: "banks/nybc/units/G123498654322"})
	if status.Code(err) != codes.NotFound {
		t.Errorf("unknown unit: %v", err)
	}
	_, err = ac.ListUnitHistory(t.Context(), &pb.ListUnitHistoryRequest{Name: "banks/nybc"})
	if _, br := errorInfo(t, err); status.Code(err) != codes.InvalidArgument || br.GetFieldViolations()[0].GetField() != "name" {
		t.Errorf("bad name: %v", err)
	}
}

func TestListEventsFiltersAndPages(t *testing.T) {
	srv, _ := start(t)
	ac, lc, reg := auditClients(t, srv)
	auditChanges(t, reg, lc)
	all := "CreateBank banks/nybc\nCreateUnit " + auditUnit + "\nUpdateUnit " + auditUnit + "\nReleaseUnit " + auditUnit

	for _, tc := range []struct{ name, query, want string }{
		{"all", "", all},
		{"methods", "?methods=ReleaseUnit&methods=CreateBank", "CreateBank banks/nybc\nReleaseUnit " + auditUnit},
		{"resource prefix", "?resource=banks/nybc/units/*&methods=CreateUnit", "CreateUnit " + auditUnit},
		{"resource", "?resource=banks/nybc", "CreateBank banks/nybc"},
		{"since", "?startTime=2026-11-01T12:00:00Z", all},
		{"until", "?endTime=2026-11-01T12:00:00Z", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var resp pb.ListEventsResponse
			if code := getJSON(t, srv, "GET", "/v1/banks/nybc/events"+tc.query, &resp); code != 200 {
				t.Fatalf("HTTP %d", code)
			}
			if got := eventLines(resp.GetEvents()); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}

	// Pages of 3 over gRPC, every bank.
	req := &pb.ListEventsRequest{Parent: "banks/-", PageSize: 3}
	var got []*pb.Event
	pages := 0
	for {
		resp, err := ac.ListEvents(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		got = append(got, resp.GetEvents()...)
		if resp.GetNextPageToken() == "" {
			break
		}
		req.PageToken = resp.GetNextPageToken()
	}
	if eventLines(got) != "CreateToken tokens/"+firstTokenID(t, srv)+"\n"+all || pages != 2 {
		t.Fatalf("paged (%d pages):\n%s", pages, eventLines(got))
	}

	// A token of another filter, and bad filters, name their field.
	for _, tc := range []struct {
		req   *pb.ListEventsRequest
		field string
	}{
		{&pb.ListEventsRequest{Parent: "banks/-", PageSize: 3, Methods: []string{"CreateUnit"}, PageToken: req.GetPageToken()}, "page_token"},
		{&pb.ListEventsRequest{Parent: "banks/nybc", Methods: []string{"no such method"}}, "methods"},
		{&pb.ListEventsRequest{Parent: "banks/nybc", Resource: "banks/*/units"}, "resource"},
		{&pb.ListEventsRequest{Parent: "nybc"}, "parent"},
	} {
		_, err := ac.ListEvents(t.Context(), tc.req)
		if _, br := errorInfo(t, err); status.Code(err) != codes.InvalidArgument || br.GetFieldViolations()[0].GetField() != tc.field {
			t.Errorf("%v: %v, want a violation of %s", tc.req, err, tc.field)
		}
	}
	if _, err := ac.ListEvents(t.Context(), &pb.ListEventsRequest{Parent: "banks/nowhere"}); status.Code(err) != codes.NotFound {
		t.Errorf("unknown bank: %v", err)
	}
}

func TestVerifyAuditTrailDetectsTampering(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cordbank.db")
	srv, err := servertest.Start(servertest.WithDatabase(path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	ac, lc, reg := auditClients(t, srv)
	if _, err := reg.CreateBank(t.Context(), &pb.CreateBankRequest{BankId: "nybc", Bank: &pb.Bank{DisplayName: "Test Bank", Fin: "G1234", Country: "US"}}); err != nil {
		t.Fatal(err)
	}
	auditChanges(t, reg, lc)

	ok, err := ac.VerifyAuditTrail(t.Context(), &pb.VerifyAuditTrailRequest{})
	if err != nil || ok.GetEventsChecked() != 5 || len(ok.GetProblems()) != 0 || len(ok.GetHeadHash()) != 64 {
		t.Fatalf("verify = %v, %v", ok, err)
	}
	// REST: POST with an empty JSON body.
	resp, err := srv.HTTPClient().Post(srv.HTTPURL+"/v1/auditTrail:verify", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var rest pb.VerifyAuditTrailResponse
	if resp.StatusCode != 200 || protojson.Unmarshal(body, &rest) != nil || !proto.Equal(&rest, ok) {
		t.Fatalf("REST verify: HTTP %d %s", resp.StatusCode, body)
	}

	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE events SET changes = replace(changes, 'CB-9', 'CB-8') WHERE seq = 4`); err != nil {
		t.Fatal(err)
	}
	bad, err := ac.VerifyAuditTrail(t.Context(), &pb.VerifyAuditTrailRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if bad.GetEventsChecked() != 5 || len(bad.GetProblems()) != 1 || bad.GetProblems()[0].GetSeq() != 4 || !strings.Contains(bad.GetProblems()[0].GetReason(), "altered") {
		t.Fatalf("tampered verify = %v", bad)
	}
}

// receive reads events from a watch stream and sends their seqs to out
// until the stream ends; it returns the stream's error.
func receive(stream grpc.ServerStreamingClient[pb.Event], out chan<- int64) error {
	for {
		e, err := stream.Recv()
		if err != nil {
			return err
		}
		out <- e.GetSeq()
	}
}

// TestWatchEventsResume watches from seq N while writers commit, cancels
// in the middle, resumes from the last seq received, and checks that the
// union is exactly N+1..M in order.
func TestWatchEventsResume(t *testing.T) {
	srv, _ := start(t)
	ac, lc, reg := auditClients(t, srv)
	auditChanges(t, reg, lc)
	const from = 2 // events 3 and 4 are replayed, the rest are live

	const writers, perWriter = 3, 12
	last := int64(4 + writers*perWriter)
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	startWriters := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			<-startWriters
			for i := range perWriter {
				din := string(banktest.DIN("G1234", 25, 1000+w*perWriter+i))
				if _, err := reg.CreateUnit(context.Background(), &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: validUnit(din)}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}

	var got []int64
	after := int64(from)
	for round := 0; after < last; round++ {
		if round > 10 {
			t.Fatalf("no progress: got %v", got)
		}
		ctx, cancel := context.WithCancel(t.Context())
		stream, err := ac.WatchEvents(ctx, &pb.WatchEventsRequest{Parent: "banks/nybc", AfterSeq: after})
		if err != nil {
			t.Fatal(err)
		}
		seqs := make(chan int64)
		done := make(chan error, 1)
		go func() { done <- receive(stream, seqs) }()
		if round == 0 {
			close(startWriters)
		}
		// Take a handful of events, then hang up mid-stream.
		for n := 0; n < 10 && after < last; n++ {
			seq := <-seqs
			got = append(got, seq)
			after = seq
		}
		cancel()
		// Drain what was in flight: it is discarded, as a dropped
		// connection would lose it; the resume must deliver it again.
		for draining := true; draining; {
			select {
			case <-seqs:
			case err := <-done:
				if status.Code(err) != codes.Canceled {
					t.Fatalf("watch ended with %v, want Canceled", err)
				}
				draining = false
			}
		}
	}
	wg.Wait()
	for i, seq := range got {
		if seq != from+1+int64(i) {
			t.Fatalf("seq %d at %d; got %v", seq, i, got)
		}
	}
	if int64(len(got)) != last-from {
		t.Fatalf("got %d events, want %d", len(got), last-from)
	}
}

// TestWatchEventsEndsOnShutdown checks that an open watch, over gRPC and
// over REST, does not hold up the server's shutdown and ends UNAVAILABLE.
func TestWatchEventsEndsOnShutdown(t *testing.T) {
	srv, err := servertest.Start()
	if err != nil {
		t.Fatal(err)
	}
	ac, _, reg := auditClients(t, srv)
	if _, err := reg.CreateBank(t.Context(), &pb.CreateBankRequest{BankId: "nybc", Bank: &pb.Bank{DisplayName: "Test Bank", Fin: "G1234", Country: "US"}}); err != nil {
		t.Fatal(err)
	}
	stream, err := ac.WatchEvents(t.Context(), &pb.WatchEventsRequest{Parent: "banks/-"})
	if err != nil {
		t.Fatal(err)
	}
	for seq := int64(1); seq <= 2; seq++ { // servertest's admin token, the bank
		if e, err := stream.Recv(); err != nil || e.GetSeq() != seq {
			t.Fatalf("event %d: %v, %v", seq, e, err)
		}
	}

	req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.HTTPURL+"/v1/banks/nybc/events:watch?afterSeq=0", nil)
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	if !lines.Scan() {
		t.Fatalf("REST watch: no line: %v", lines.Err())
	}
	var first struct {
		Result json.RawMessage `json:"result"`
	}
	var e pb.Event
	if err := json.Unmarshal(lines.Bytes(), &first); err != nil || protojson.Unmarshal(first.Result, &e) != nil || e.GetSeq() != 2 || e.GetMethod() != "CreateBank" {
		t.Fatalf("REST watch line %s: %v", lines.Bytes(), err)
	}

	closed := make(chan struct{})
	start := time.Now()
	go func() { srv.Close(); close(closed) }()
	if _, err := stream.Recv(); status.Code(err) != codes.Unavailable {
		t.Errorf("watch ended with %v, want Unavailable", err)
	}
	<-closed
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("shutdown took %v: the watches held it up", d)
	}
}

// TestAuditSurvivesRestart stops the server and starts a new one on the
// same database: the history is there and the chain still verifies.
func TestAuditSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cordbank.db")
	srv, err := servertest.Start(servertest.WithDatabase(path), servertest.WithServiceOptions(bank.WithClock(func() time.Time { return testNow })))
	if err != nil {
		t.Fatal(err)
	}
	ac, lc, reg := auditClients(t, srv)
	if _, err := reg.CreateBank(t.Context(), &pb.CreateBankRequest{BankId: "nybc", Bank: &pb.Bank{DisplayName: "Test Bank", Fin: "G1234", Country: "US"}}); err != nil {
		t.Fatal(err)
	}
	auditChanges(t, reg, lc)
	before, err := ac.ListUnitHistory(t.Context(), &pb.ListUnitHistoryRequest{Name: auditUnit})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := ac.VerifyAuditTrail(t.Context(), &pb.VerifyAuditTrailRequest{})
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()

	srv2, err := servertest.Start(servertest.WithDatabase(path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv2.Close)
	ac2, lc2, _ := auditClients(t, srv2)
	// srv2's own admin token was recorded at its start.
	if sum, err = ac2.VerifyAuditTrail(t.Context(), &pb.VerifyAuditTrailRequest{}); err != nil {
		t.Fatal(err)
	}
	// A change after the restart links to the chain written before it.
	if _, err := lc2.MakeUnitUnavailable(t.Context(), &pb.MakeUnitUnavailableRequest{Name: auditUnit, Reason: "AD", Until: "2099-01-01"}); err != nil {
		t.Fatal(err)
	}
	after, err := ac2.ListUnitHistory(t.Context(), &pb.ListUnitHistoryRequest{Name: auditUnit})
	if err != nil {
		t.Fatal(err)
	}
	if len(after.GetEvents()) != 4 || !proto.Equal(&pb.ListUnitHistoryResponse{Events: after.GetEvents()[:3]}, before) ||
		after.GetEvents()[3].GetPrevHash() != sum.GetHeadHash() {
		t.Fatalf("history after restart:\n%v\nbefore:\n%v", after, before)
	}
	sum2, err := ac2.VerifyAuditTrail(t.Context(), &pb.VerifyAuditTrailRequest{})
	if err != nil || sum2.GetEventsChecked() != 7 || len(sum2.GetProblems()) != 0 || sum2.GetHeadHash() != after.GetEvents()[3].GetHash() {
		t.Fatalf("verify after restart = %v, %v", sum2, err)
	}
}

// firstTokenID returns the id of the first token created (servertest's
// admin token).
func firstTokenID(t *testing.T, srv *servertest.Server) string {
	t.Helper()
	list, err := srv.Service.ListTokens(t.Context())
	if err != nil || len(list) == 0 {
		t.Fatalf("tokens: %v, %v", list, err)
	}
	first := list[0]
	for _, tk := range list {
		if tk.CreateTime.Before(first.CreateTime) {
			first = tk
		}
	}
	return first.ID
}
