package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
	"github.com/cordbank/cordbank/server/servertest"
)

var testNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func start(t *testing.T) (*servertest.Server, pb.RegistryServiceClient) {
	t.Helper()
	srv, err := servertest.Start(servertest.WithServiceOptions(bank.WithClock(func() time.Time { return testNow })))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	conn, err := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()), srv.AdminAuth())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := pb.NewRegistryServiceClient(conn)
	if _, err := c.CreateBank(context.Background(), &pb.CreateBankRequest{BankId: "nybc", Bank: &pb.Bank{
		DisplayName: "Test Bank", Fin: "G1234", Country: "US", Accreditations: []pb.Accreditation{pb.Accreditation_ACCREDITATION_FACT_NETCORD},
	}}); err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func validUnit(din string) *pb.Unit {
	tnc, cd34, via := 1.3e9, 3.1e6, 96.5
	return &pb.Unit{
		Din: din, UnitType: pb.UnitType_UNIT_TYPE_PUBLIC,
		CollectionDate: "2024-03-17", ProcessingDate: "2024-03-18", InfantBirthDate: "2024-03-17",
		ProcessingMethod: pb.ProcessingMethod_PROCESSING_METHOD_HES, Reduction: pb.Reduction_REDUCTION_PLASMA_AND_RBC,
		InfantSex: pb.Sex_SEX_FEMALE, Abo: pb.ABO_ABO_O, Rh: pb.Rh_RH_POSITIVE, Idm: pb.IDMResult_IDM_RESULT_NEGATIVE,
		CollectionVolumeMl: 92.5, FrozenVolumeMl: 25,
		Cells: &pb.CellCounts{PostProcessingTnc: 1.1e9, PreProcessingTnc: &tnc, PostProcessingCd34: &cd34, ViabilityPercent: &via},
		Bags:  1, CompartmentsPerBag: 2, AttachedSegments: 2,
		Hla: []*pb.LocusTyping{{Locus: "A", Typing: "A*02:01+A*24:02"}, {Locus: "B", Typing: "B*07:02+B*44:02"}, {Locus: "DRB1", Typing: "DRB1*15:01+DRB1*04:01"}},
	}
}

func errorInfo(t *testing.T, err error) (*errdetails.ErrorInfo, *errdetails.BadRequest) {
	t.Helper()
	var info *errdetails.ErrorInfo
	var br *errdetails.BadRequest
	for _, d := range status.Convert(err).Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			info = d
		case *errdetails.BadRequest:
			br = d
		}
	}
	if info == nil {
		t.Fatalf("error %v has no ErrorInfo", err)
	}
	return info, br
}

func TestCreateGetUnitGRPC(t *testing.T) {
	_, c := start(t)
	ctx := context.Background()
	var hdr metadata.MD
	u, err := c.CreateUnit(ctx, &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: validUnit("G1234 98 654321 H")}, grpc.Header(&hdr))
	if err != nil {
		t.Fatal(err)
	}
	if len(hdr.Get("x-request-id")) != 1 {
		t.Errorf("no x-request-id header in %v", hdr)
	}
	if u.GetName() != "banks/nybc/units/G123498654321" || u.GetStatus() != pb.UnitStatus_UNIT_STATUS_QUARANTINE ||
		u.GetEmdisStatus() != "TU" || u.GetEmdisReason() != "QR" || u.GetDinCheckCharacter() != "H" || u.GetEtag() == "" {
		t.Fatalf("created unit = %v", u)
	}
	got, err := c.GetUnit(ctx, &pb.GetUnitRequest{Name: "banks/nybc/units/G1234 98 654321"})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetCells().GetPostProcessingTnc() != 1.1e9 || got.GetCells().PreProcessingCd34 != nil || got.GetHla()[2].GetTyping() != "DRB1*15:01+DRB1*04:01" {
		t.Fatalf("got %v", got)
	}
	_, err = c.CreateUnit(ctx, &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: validUnit("G123498654321")})
	if status.Code(err) != codes.AlreadyExists {
		t.Fatalf("duplicate: %v", err)
	}
	if info, _ := errorInfo(t, err); info.GetReason() != "UNIT_ALREADY_EXISTS" || info.GetDomain() != "cordbank.org" {
		t.Fatalf("duplicate ErrorInfo = %v", info)
	}
	_, err = c.GetUnit(ctx, &pb.GetUnitRequest{Name: "banks/nybc/units/G123498654322"})
	if info, _ := errorInfo(t, err); status.Code(err) != codes.NotFound || info.GetReason() != "UNIT_NOT_FOUND" {
		t.Fatalf("missing unit: %v", err)
	}
}

func TestInvalidUnitListsEveryField(t *testing.T) {
	_, c := start(t)
	u := validUnit("G123498654321J") // wrong check character
	u.CollectionDate = "2099-01-01"
	u.ProcessingDate = "17/03/2024"
	u.Cells.PostProcessingTnc = 120 // typed in x10^7
	v := 120.0
	u.Cells.ViabilityPercent = &v
	u.Abo = pb.ABO(42)
	u.Hla = append(u.Hla, &pb.LocusTyping{Locus: "C", Typing: "C*07:01+banana"})
	_, err := c.CreateUnit(context.Background(), &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: u})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("got %v", err)
	}
	info, br := errorInfo(t, err)
	if info.GetReason() != "INVALID_ARGUMENT" || br == nil {
		t.Fatalf("info %v, bad request %v", info, br)
	}
	got := map[string]bool{}
	for _, fv := range br.GetFieldViolations() {
		got[fv.GetField()] = true
	}
	for _, f := range []string{"unit.din", "unit.collection_date", "unit.processing_date", "unit.cells.post_processing_tnc", "unit.cells.viability_percent", "unit.abo", "unit.hla.c"} {
		if !got[f] {
			t.Errorf("violation for %s missing; got %v", f, br.GetFieldViolations())
		}
	}
	// Nothing was written.
	list, err := c.ListUnits(context.Background(), &pb.ListUnitsRequest{Parent: "banks/nybc"})
	if err != nil || len(list.GetUnits()) != 0 {
		t.Fatalf("list after refused create = %v, %v", list, err)
	}
	// Unknown bank is a field violation of parent.
	_, err = c.CreateUnit(context.Background(), &pb.CreateUnitRequest{Parent: "banks/nope", Unit: validUnit("G123498654321")})
	if info, br := errorInfo(t, err); status.Code(err) != codes.InvalidArgument || info.GetReason() != "BANK_NOT_FOUND" || br.GetFieldViolations()[0].GetField() != "parent" {
		t.Fatalf("unknown bank: %v", err)
	}
}

func TestUpdateUnitEtag(t *testing.T) {
	_, c := start(t)
	ctx := context.Background()
	u, err := c.CreateUnit(ctx, &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: validUnit("G123498654321")})
	if err != nil {
		t.Fatal(err)
	}
	// No mask: the populated fields are the mask.
	upd, err := c.UpdateUnit(ctx, &pb.UpdateUnitRequest{Unit: &pb.Unit{Name: u.GetName(), Etag: u.GetEtag(), LocalId: "CB-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if upd.GetLocalId() != "CB-1" || upd.GetEtag() == u.GetEtag() || upd.GetCells().GetPostProcessingTnc() != 1.1e9 {
		t.Fatalf("updated = %v", upd)
	}
	_, err = c.UpdateUnit(ctx, &pb.UpdateUnitRequest{Unit: &pb.Unit{Name: u.GetName(), Etag: u.GetEtag(), LocalId: "CB-2"}})
	if info, _ := errorInfo(t, err); status.Code(err) != codes.Aborted || info.GetReason() != "ETAG_MISMATCH" {
		t.Fatalf("stale etag: %v", err)
	}
}

// REST: every error, including ones the gateway raises itself, has the
// google.rpc.Status shape with an ErrorInfo.
func TestRESTErrorBodies(t *testing.T) {
	srv, _ := start(t)
	unitJSON, _ := protojson.Marshal(validUnit("G123498654321"))
	tests := []struct {
		name, method, path, ctype, body string
		wantHTTP                        int
		wantReason                      string
	}{
		{"created", "POST", "/v1/banks/nybc/units", "application/json", string(unitJSON), 200, ""},
		{"duplicate", "POST", "/v1/banks/nybc/units", "application/json", string(unitJSON), 409, "UNIT_ALREADY_EXISTS"},
		{"malformed json", "POST", "/v1/banks/nybc/units", "application/json", `{"din": `, 400, "MALFORMED_REQUEST"},
		{"unknown field", "POST", "/v1/banks/nybc/units", "application/json", `{"dinn": "x"}`, 400, "MALFORMED_REQUEST"},
		{"wrong content type", "POST", "/v1/banks/nybc/units", "application/x-www-form-urlencoded", `din=x`, 415, "MALFORMED_REQUEST"},
		{"invalid unit", "POST", "/v1/banks/nybc/units", "application/json", `{"din":"G123498654322"}`, 400, "INVALID_ARGUMENT"},
		{"not found", "GET", "/v1/banks/nybc/units/G123498654322", "", "", 404, "UNIT_NOT_FOUND"},
		{"bad name", "GET", "/v1/banks/nybc/units/XYZ", "", "", 400, "INVALID_ARGUMENT"},
		{"bad page token", "GET", "/v1/banks/nybc/units?pageToken=garbage", "", "", 400, "INVALID_ARGUMENT"},
		{"no route", "GET", "/v2/nothing", "", "", 404, "NOT_FOUND"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.HTTPURL+tt.path, strings.NewReader(tt.body))
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			resp, err := srv.HTTPClient().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantHTTP {
				t.Fatalf("HTTP %d, want %d: %s", resp.StatusCode, tt.wantHTTP, body)
			}
			if resp.Header.Get("X-Request-Id") == "" {
				t.Errorf("no X-Request-Id header")
			}
			if tt.wantReason == "" {
				return
			}
			var st struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
				Details []struct {
					Type   string `json:"@type"`
					Reason string `json:"reason"`
					Domain string `json:"domain"`
				} `json:"details"`
			}
			if err := json.Unmarshal(body, &st); err != nil {
				t.Fatalf("error body is not JSON: %s", body)
			}
			found := false
			for _, d := range st.Details {
				if d.Type == "type.googleapis.com/google.rpc.ErrorInfo" && d.Reason == tt.wantReason && d.Domain == "cordbank.org" {
					found = true
				}
			}
			if !found || st.Message == "" || st.Code == 0 {
				t.Fatalf("error body %s lacks ErrorInfo reason %s", body, tt.wantReason)
			}
		})
	}
}

func TestRESTImportNDJSON(t *testing.T) {
	srv, c := start(t)
	var body strings.Builder
	for i, din := range []string{"G123498654321", "bogus", "G123498654322", "G123498654321"} {
		u := validUnit(din)
		if i == 2 {
			u.Abo = pb.ABO_ABO_UNSPECIFIED
		}
		b, _ := protojson.Marshal(&pb.ImportUnitsRequest{Parent: "banks/nybc", Unit: u})
		body.Write(b)
		body.WriteByte('\n')
	}
	resp, err := srv.HTTPClient().Post(srv.HTTPURL+"/v1/units:import", "application/x-ndjson", strings.NewReader(body.String()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("HTTP %d: %s", resp.StatusCode, raw)
	}
	var out pb.ImportUnitsResponse
	if err := protojson.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	// The last line repeats the first: the same unit, already stored, is
	// reported present, not refused.
	if out.GetCreatedCount() != 1 || out.GetFailedCount() != 2 || out.GetAlreadyPresentCount() != 1 || len(out.GetResults()) != 4 {
		t.Fatalf("import = %v", &out)
	}
	wantReasons := []pb.ErrorReason{0, pb.ErrorReason_INVALID_ARGUMENT, pb.ErrorReason_INVALID_ARGUMENT, 0}
	for i, r := range out.GetResults() {
		if r.GetIndex() != int32(i) || r.GetError().GetReason() != wantReasons[i] {
			t.Errorf("result %d = %v, want reason %v", i, r, wantReasons[i])
		}
	}
	if r := out.GetResults()[3]; !r.GetAlreadyPresent() || r.GetName() != "banks/nybc/units/G123498654321" {
		t.Errorf("repeated unit: %v, want already_present with its name", r)
	}
	list, _ := c.ListUnits(context.Background(), &pb.ListUnitsRequest{Parent: "banks/nybc"})
	if len(list.GetUnits()) != 1 {
		t.Fatalf("stored %d units, want 1", len(list.GetUnits()))
	}
}

func TestHealthAndOpenAPI(t *testing.T) {
	srv, _ := start(t)
	// No credentials needed; the reference page is served whole, offline.
	for path, want := range map[string]string{"/healthz": `"SERVING"`, "/openapi.json": `"swagger"`, "/openapi.v3.json": `"openapi": "3.`,
		"/docs": "<title>cordbank API reference</title>"} {
		resp, err := http.Get(srv.HTTPURL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("%s: HTTP %d %.100s", path, resp.StatusCode, b)
		}
	}
}

// TestImportAcrossBatches streams more units than one transaction takes,
// with refused rows in different batches: every row gets its result in
// stream order, and the search index holds the stored units as soon as the
// reply arrives.
func TestImportAcrossBatches(t *testing.T) {
	srv, c := start(t)
	const n = 1300 // batches of 250, 500 and 550
	stream, err := c.ImportUnits(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	din := func(i int) string { return string(banktest.DIN("G1234", 24, i+1)) }
	for i := range n {
		u := validUnit(din(i))
		switch i {
		case 600: // refused on conversion
			u.Abo = pb.ABO_ABO_UNSPECIFIED
		case 900: // a DIN stored by an earlier batch, with other content
			u.Din, u.LocalId = din(100), "another unit"
		case 1000: // exactly a unit stored by an earlier batch: already present
			u = validUnit(din(200))
		}
		req := &pb.ImportUnitsRequest{Unit: u}
		if i == 0 {
			req.Parent = "banks/nybc"
		}
		if err := stream.Send(req); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetCreatedCount() != n-3 || resp.GetFailedCount() != 2 || resp.GetAlreadyPresentCount() != 1 || len(resp.GetResults()) != n {
		t.Fatalf("created %d failed %d already present %d results %d", resp.GetCreatedCount(), resp.GetFailedCount(), resp.GetAlreadyPresentCount(), len(resp.GetResults()))
	}
	for i, r := range resp.GetResults() {
		want := pb.ErrorReason(0)
		switch i {
		case 600:
			want = pb.ErrorReason_INVALID_ARGUMENT
		case 900:
			want = pb.ErrorReason_UNIT_ALREADY_EXISTS
		}
		if r.GetIndex() != int32(i) || r.GetError().GetReason() != want {
			t.Fatalf("result %d = %v, want index %d reason %v", i, r, i, want)
		}
		if want == 0 && i != 1000 && r.GetName() != "banks/nybc/units/"+din(i) {
			t.Fatalf("result %d name %q", i, r.GetName())
		}
		if (i == 1000) != r.GetAlreadyPresent() {
			t.Fatalf("result %d already_present = %v", i, r.GetAlreadyPresent())
		}
	}
	if got := srv.Index.Len(); got != n-3 {
		t.Errorf("index holds %d units right after the reply, want %d", got, n-3)
	}
}
