package server_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cordbank/cordbank/client"
	"github.com/cordbank/cordbank/internal/spreadsheet"
	"github.com/cordbank/cordbank/internal/synth"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
	"github.com/cordbank/cordbank/server/servertest"
)

// sdk returns an SDK client of srv that sends token.
func sdk(t testing.TB, srv *servertest.Server, token string) *client.Client {
	t.Helper()
	c, err := client.New(srv.GRPCAddr, client.WithToken(token))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// interchangeUnits are synthetic units of nybc (FIN G1234), and one
// directed unit with every private field and a maternal typing.
func interchangeUnits(n int) []*pb.Unit {
	g := synth.New("nybc", "G1234", testNow, 17)
	out := make([]*pb.Unit, 0, n+1)
	for range n {
		out = append(out, toWire(g.Unit()))
	}
	d := validUnit("G123498654321")
	d.UnitType = pb.UnitType_UNIT_TYPE_DIRECTED
	d.LocalId = "CB, \"quoted\"\nline"
	d.Private = &pb.UnitPrivate{MaternalId: "M-1", FamilyId: "F-9", DirectedRecipient: "R-77", Notes: "sibling; HLA-identical",
		MaternalHla: []*pb.LocusTyping{{Locus: "A", Typing: "A*02:01+A*03:01"}}}
	cfu := 0.0
	d.Cells.Cfu = &cfu // measured zero, not unknown
	return append(out, d)
}

func importWire(t *testing.T, c pb.RegistryServiceClient, units []*pb.Unit) {
	t.Helper()
	stream, err := c.ImportUnits(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range units {
		if err := stream.Send(&pb.ImportUnitsRequest{Parent: "banks/nybc", Unit: u}); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := stream.CloseAndRecv()
	if err != nil || resp.GetCreatedCount() != int32(len(units)) {
		t.Fatalf("import: %v; %d of %d created: %v", err, resp.GetCreatedCount(), len(units), resp.GetResults())
	}
}

func listAll(t *testing.T, c *client.Client) []*pb.Unit {
	t.Helper()
	var out []*pb.Unit
	for u, err := range c.ListUnits(context.Background(), &pb.ListUnitsRequest{Parent: "banks/nybc", PageSize: 1000}) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, u)
	}
	return out
}

// registration compares units on what a registration stores.
var registration = cmp.Options{protocmp.Transform(),
	protocmp.IgnoreFields(&pb.Unit{}, "create_time", "update_time", "etag")}

func importFile(t *testing.T, c *client.Client, format pb.SpreadsheetFormat, mapping string, dryRun bool, file []byte) *pb.ImportSpreadsheetResponse {
	t.Helper()
	resp, err := c.ImportSpreadsheet(context.Background(), &pb.ImportSpreadsheetRequest{Parent: "banks/nybc", Format: format,
		Mapping: mapping, DryRun: dryRun}, bytes.NewReader(file))
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return resp
}

// TestSpreadsheetRoundTrip: an export imported into an empty bank gives
// the same units, field for field (CSV and XLSX); a dry run of it
// decides every row and stores nothing; imported again, every row is
// already present.
func TestSpreadsheetRoundTrip(t *testing.T) {
	for _, format := range []pb.SpreadsheetFormat{pb.SpreadsheetFormat_SPREADSHEET_FORMAT_CSV, pb.SpreadsheetFormat_SPREADSHEET_FORMAT_XLSX} {
		t.Run(format.String(), func(t *testing.T) {
			srcSrv, srcReg := start(t)
			units := interchangeUnits(150)
			importWire(t, srcReg, units)
			src := sdk(t, srcSrv, srcSrv.AdminToken())
			var file bytes.Buffer
			if _, err := src.ExportUnits(context.Background(), &pb.ExportUnitsRequest{Parent: "banks/nybc", Format: format}, &file); err != nil {
				t.Fatal(err)
			}
			want := listAll(t, src)

			dstSrv, _ := start(t)
			dst := sdk(t, dstSrv, dstSrv.AdminToken())
			dry := importFile(t, dst, format, "", true, file.Bytes())
			if !dry.GetDryRun() || dry.GetCreatedCount() != int32(len(units)) || dry.GetFailedCount() != 0 {
				t.Fatalf("dry run: %d created, %d failed: %v", dry.GetCreatedCount(), dry.GetFailedCount(), firstFailures(dry))
			}
			if got := listAll(t, dst); len(got) != 0 {
				t.Fatalf("the dry run stored %d units", len(got))
			}
			resp := importFile(t, dst, format, "", false, file.Bytes())
			if resp.GetCreatedCount() != int32(len(units)) {
				t.Fatalf("import: %d created, %d failed: %v", resp.GetCreatedCount(), resp.GetFailedCount(), firstFailures(resp))
			}
			if diff := cmp.Diff(want, listAll(t, dst), registration); diff != "" {
				t.Errorf("imported units differ from the exported ones (-exported +imported):\n%s", diff)
			}
			if got := resp.GetIgnoredColumns(); !strings.Contains(strings.Join(got, ","), "status") {
				t.Errorf("ignored columns %v: want the output-only ones (status ...)", got)
			}
			again := importFile(t, src, format, "", false, file.Bytes())
			if again.GetAlreadyPresentCount() != int32(len(units)) {
				t.Errorf("re-import into the source: %d already present of %d: %v", again.GetAlreadyPresentCount(), len(units), firstFailures(again))
			}
		})
	}
}

func firstFailures(r *pb.ImportSpreadsheetResponse) []string {
	var out []string
	for _, row := range r.GetRows() {
		for _, e := range row.GetErrors() {
			if len(out) < 5 {
				out = append(out, e.GetMessage())
			}
		}
	}
	return out
}

// badSheet has one row of every kind of problem; want is each row's
// outcome and the messages it must give.
const badSheetMapping = `
# a bank's own headers
DIN = din
Type = unitType
Collected = collectionDate DD/MM/YYYY
Processed = processingDate DD/MM/YYYY
Born = infantBirthDate DD/MM/YYYY
Method = processingMethod
Reduction = reduction
Sex = infantSex
ABO = abo
Rh = rh
IDM = idm
Volume (L) = collectionVolumeMl L
TNC = cells.postProcessingTnc
CD34 x10^6 = cells.postProcessingCd34 x1e6
Bags = bags
Compartments = compartmentsPerBag
HLA-A = hla.A
HLA-B = hla.B
HLA-DRB1 = hla.DRB1
Remarks = -
`

func badSheet() string {
	row := func(din, coll, abo, vol, tnc, bags, a string) string {
		return strings.Join([]string{din, "public", coll, coll, coll, "HES", "PLASMA_AND_RBC", "F" + "emale", abo, "positive", "negative",
			vol, tnc, "3.1", bags, "2", a, "B*07:02+B*44:02", "DRB1*15:01+DRB1*04:01", "free text"}, ",")
	}
	lines := []string{
		"DIN,Type,Collected,Processed,Born,Method,Reduction,Sex,ABO,Rh,IDM,Volume (L),TNC,CD34 x10^6,Bags,Compartments,HLA-A,HLA-B,HLA-DRB1,Remarks",
		row("G123400000001", "17/03/2024", "O", "0.0925", "1.1e9", "1", "A*02:01+A*24:02"),   // 2 created
		row("G123400000002", "17/03/2024", "O", "0.0925", "1.2", "1", "A*02:01+A*24:02"),     // 3 TNC in 10^9
		row("G123400000003", "2024-03-17", "O", "0.0925", "1.1e9", "1", "A*02:01+A*24:02"),   // 4 date layout
		row("G123400000004", "17/03/2024", "Q", "0.0925", "1.1e9", "two", "A*02:01+A*24:02"), // 5 ABO and bags
		row("G123400000001", "17/03/2024", "O", "0.0925", "1.1e9", "1", "A*02:01+A*24:02"),   // 6 repeated DIN
		row("W999900000005", "17/03/2024", "O", "0.0925", "1.1e9", "1", "A*02:01+A*24:02"),   // 7 another bank's FIN
		row("G123498654321", "17/03/2024", "A", "0.0925", "1.1e9", "1", "A*02:01+A*24:02"),   // 8 registered, other content
		row("G123400000009", "17/03/2024", "O", "0.0925", "1.1e9", "1", "A*02:01+A*24:02"),   // 9 already present
		",,,,,,,,,,,,,,,,,,,", // 10 blank: skipped
		row("G123400000011", "17/03/2024", "O", "0.0925", "1.1e9", "1", "A*02:01+banana"),  // 11 HLA
		row("G123400000012", "17/03/2099", "O", "0.0925", "1.1e9", "1", "A*02:01+A*24:02"), // 12 future dates
		row("G123400000013", "17/03/2024", "O", "0.0925", "1,100,000,000", "1", ""),        // 13 thousands separators, quoted below
	}
	lines[12] = strings.Replace(lines[12], "1,100,000,000", `"1,100,000,000"`, 1)
	return strings.Join(lines, "\r\n") + "\r\n"
}

type wantRow struct {
	outcome  pb.SpreadsheetRowOutcome
	messages []string // substrings, each in one of the row's messages
}

var badSheetWant = map[int32]wantRow{
	2: {outcome: pb.SpreadsheetRowOutcome_SPREADSHEET_ROW_OUTCOME_CREATED},
	3: {pb.SpreadsheetRowOutcome_SPREADSHEET_ROW_OUTCOME_FAILED, []string{"row 3, column TNC: 1.2 is not a cell count; did you mean 1.2e+09?"}},
	4: {pb.SpreadsheetRowOutcome_SPREADSHEET_ROW_OUTCOME_FAILED, []string{"row 4, column Collected: 2024-03-17 is not a date written DD/MM/YYYY",
		"row 4, column Processed:", "row 4, column Born:"}},
	5: {pb.SpreadsheetRowOutcome_SPREADSHEET_ROW_OUTCOME_FAILED, []string{"row 5, column ABO: Q is not one of A, B, AB, O",
		"row 5, column Bags: two is not a whole number"}},
	6:  {pb.SpreadsheetRowOutcome_SPREADSHEET_ROW_OUTCOME_FAILED, []string{"row 6, column DIN: G123400000001 is on row 2 too"}},
	7:  {pb.SpreadsheetRowOutcome_SPREADSHEET_ROW_OUTCOME_FAILED, []string{"row 7, column DIN:"}},
	8:  {pb.SpreadsheetRowOutcome_SPREADSHEET_ROW_OUTCOME_FAILED, []string{"row 8"}},
	9:  {outcome: pb.SpreadsheetRowOutcome_SPREADSHEET_ROW_OUTCOME_ALREADY_PRESENT},
	11: {pb.SpreadsheetRowOutcome_SPREADSHEET_ROW_OUTCOME_FAILED, []string{"row 11, column HLA-A:"}},
	12: {pb.SpreadsheetRowOutcome_SPREADSHEET_ROW_OUTCOME_FAILED, []string{"row 12, column Collected: 2099-03-17 is in the future"}},
	13: {pb.SpreadsheetRowOutcome_SPREADSHEET_ROW_OUTCOME_FAILED, []string{"row 13, column TNC: 1,100,000,000 is not a cell count"}},
}

// TestSpreadsheetBadRows: a sheet with every kind of bad row; the dry run
// reports each row in the file's terms and writes nothing (units and
// audit trail unchanged); the real import decides every row the same and
// stores only the good one.
func TestSpreadsheetBadRows(t *testing.T) {
	srv, reg := start(t)
	registered := validUnit("G123498654321")
	present := validUnit("G123400000009")
	present.UnitType, present.InfantSex, present.Rh, present.Idm = pb.UnitType_UNIT_TYPE_PUBLIC, pb.Sex_SEX_FEMALE, pb.Rh_RH_POSITIVE, pb.IDMResult_IDM_RESULT_NEGATIVE
	present.CollectionVolumeMl, present.FrozenVolumeMl, present.ProcessingDate = 92.5, 0, "2024-03-17"
	present.LocalId, present.AttachedSegments = "", 0
	cd34 := 3.1e6
	present.Cells = &pb.CellCounts{PostProcessingTnc: 1.1e9, PostProcessingCd34: &cd34}
	importWire(t, reg, []*pb.Unit{registered, present})
	c := sdk(t, srv, srv.AdminToken())
	before := listAll(t, c)
	verify := func() int64 {
		r, err := pb.NewAuditServiceClient(c.Conn()).VerifyAuditTrail(context.Background(), &pb.VerifyAuditTrailRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return r.GetEventsChecked()
	}
	events := verify()

	dry := importFile(t, c, pb.SpreadsheetFormat_SPREADSHEET_FORMAT_CSV, badSheetMapping, true, []byte(badSheet()))
	checkRows(t, dry, "dry run")
	if diff := cmp.Diff(before, listAll(t, c), protocmp.Transform()); diff != "" {
		t.Errorf("the dry run changed the units:\n%s", diff)
	}
	if got := verify(); got != events {
		t.Errorf("the dry run recorded %d audit events", got-events)
	}

	real := importFile(t, c, pb.SpreadsheetFormat_SPREADSHEET_FORMAT_CSV, badSheetMapping, false, []byte(badSheet()))
	checkRows(t, real, "import")
	if diff := cmp.Diff(dry.GetRows(), real.GetRows(), protocmp.Transform()); diff != "" {
		t.Errorf("the import decided rows otherwise than its dry run (-dry +real):\n%s", diff)
	}
	if got := len(listAll(t, c)); got != len(before)+1 {
		t.Errorf("%d units after the import, want %d (one row is good)", got, len(before)+1)
	}
	u, err := c.GetUnit(context.Background(), "banks/nybc/units/G123400000001")
	if err != nil {
		t.Fatal(err)
	}
	if u.GetCollectionVolumeMl() != 92.5 || u.GetCells().GetPostProcessingCd34() != 3.1e6 || u.GetCollectionDate() != "2024-03-17" {
		t.Errorf("the mapping's units were not applied: volume %g mL, CD34 %g, collected %s", u.GetCollectionVolumeMl(), u.GetCells().GetPostProcessingCd34(), u.GetCollectionDate())
	}
}

func checkRows(t *testing.T, resp *pb.ImportSpreadsheetResponse, what string) {
	t.Helper()
	got := map[int32]*pb.SpreadsheetRowResult{}
	for _, r := range resp.GetRows() {
		got[r.GetRow()] = r
	}
	if len(got) != len(badSheetWant) {
		t.Errorf("%s: rows %v, want %d rows", what, keys(got), len(badSheetWant))
	}
	for row, w := range badSheetWant {
		r := got[row]
		if r.GetOutcome() != w.outcome {
			t.Errorf("%s: row %d: %v, want %v (%v)", what, row, r.GetOutcome(), w.outcome, r.GetErrors())
			continue
		}
		var msgs []string
		for _, e := range r.GetErrors() {
			msgs = append(msgs, e.GetMessage())
		}
		all := strings.Join(msgs, "\n")
		for _, m := range w.messages {
			if !strings.Contains(all, m) {
				t.Errorf("%s: row %d: no message with %q in\n%s", what, row, m, all)
			}
		}
	}
}

func keys(m map[int32]*pb.SpreadsheetRowResult) []int32 {
	var out []int32
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestSpreadsheetFileErrors: a file that cannot be read as a whole is
// INVALID_ARGUMENT naming every problem, and nothing is written.
func TestSpreadsheetFileErrors(t *testing.T) {
	srv, _ := start(t)
	c := sdk(t, srv, srv.AdminToken())
	for name, tc := range map[string]struct {
		mapping, file string
		want          []string
	}{
		"unknown column":   {"", "din,collectionDate,colour\n", []string{`column "colour": is not a unit field`}},
		"no din":           {"", "collectionDate\n2024-01-01\n", []string{"no column gives the DIN"}},
		"bad mapping":      {"DIN = din\nTNC = cells.postProcessingTnc x7\nX = nofield\nbroken", "DIN\n", []string{"mapping line 2:", "mapping line 3:", "mapping line 4:"}},
		"mapping not file": {"DIN = din\nTNC = cells.postProcessingTnc", "DIN\nG123400000001\n", []string{`column "TNC" is not in the file`}},
		"empty":            {"", "", []string{"the file is empty"}},
		"not csv":          {"", "din\n\"G1234\"x\n", []string{"the file is not CSV at line 2"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.ImportSpreadsheet(context.Background(), &pb.ImportSpreadsheetRequest{Parent: "banks/nybc",
				Format: pb.SpreadsheetFormat_SPREADSHEET_FORMAT_CSV, Mapping: tc.mapping}, strings.NewReader(tc.file))
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("got %v, want INVALID_ARGUMENT", err)
			}
			_, br := errorInfo(t, err)
			var got []string
			for _, v := range br.GetFieldViolations() {
				got = append(got, v.GetField()+": "+v.GetDescription())
			}
			for _, w := range tc.want {
				if !strings.Contains(strings.Join(got, "\n"), w) {
					t.Errorf("no %q in the violations %q", w, got)
				}
			}
		})
	}
	if got := listAll(t, c); len(got) != 0 {
		t.Errorf("%d units stored", len(got))
	}
}

// TestSpreadsheetREST: the README's curl calls: a multipart upload with a
// mapping (dry run), a raw CSV body, and the export as a download.
func TestSpreadsheetREST(t *testing.T) {
	srv, reg := start(t)
	importWire(t, reg, interchangeUnits(20))
	hc := srv.HTTPClient()
	resp, err := hc.Get(srv.HTTPURL + "/v1/banks/nybc/units:export?format=SPREADSHEET_FORMAT_CSV&status=UNIT_STATUS_QUARANTINE")
	if err != nil {
		t.Fatal(err)
	}
	csvFile, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "units.csv") || bytes.Count(csvFile, []byte("\nbanks/nybc/units/G1234")) != 21 {
		t.Fatalf("export: %d %v\n%.300s", resp.StatusCode, resp.Header, csvFile)
	}

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "inventory.csv")
	fw.Write(csvFile)
	mw.WriteField("mapping", "")
	mw.Close()
	req, _ := http.NewRequest("POST", srv.HTTPURL+"/v1/units:importSpreadsheet?parent=banks/nybc&dryRun=true", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	out := restImportSheet(t, hc, req)
	if !out.GetDryRun() || out.GetAlreadyPresentCount() != 21 {
		t.Errorf("multipart dry run: %v", out)
	}

	// As curl -F file=@... -F mapping=@... sends it: the file first.
	body.Reset()
	mw = multipart.NewWriter(&body)
	fw, _ = mw.CreateFormFile("file", "sheet.csv")
	fw.Write([]byte(badSheet()))
	mp, _ := mw.CreateFormFile("mapping", "sheet.mapping")
	mp.Write([]byte(badSheetMapping))
	mw.Close()
	req, _ = http.NewRequest("POST", srv.HTTPURL+"/v1/units:importSpreadsheet?parent=banks/nybc&dryRun=true", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	out = restImportSheet(t, hc, req)
	if out.GetCreatedCount() != 2 || out.GetFailedCount() != 9 {
		t.Errorf("multipart with its mapping after the file: %d created, %d failed: %v", out.GetCreatedCount(), out.GetFailedCount(), firstFailures(out))
	}

	bad := strings.Replace(string(csvFile), "PROCESSING_METHOD_", "PROCESSING_METHOD_X", 1)
	req, _ = http.NewRequest("POST", srv.HTTPURL+"/v1/units:importSpreadsheet?parent=banks/nybc", strings.NewReader(bad))
	req.Header.Set("Content-Type", "text/csv")
	out = restImportSheet(t, hc, req)
	if out.GetFailedCount() != 1 || out.GetRows()[0].GetErrors()[0].GetField() != "unit.processingMethod" {
		t.Errorf("raw CSV import: %v", out)
	}

	resp, err = hc.Get(srv.HTTPURL + "/v1/banks/nybc/units:export?format=SPREADSHEET_FORMAT_XLSX&abo=BAD")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("export with a bad filter: HTTP %d, want 400", resp.StatusCode)
	}
	resp, err = hc.Get(srv.HTTPURL + "/v1/banks/nybc/reports/inventory?format=SPREADSHEET_FORMAT_CSV")
	if err != nil {
		t.Fatal(err)
	}
	rep, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(string(rep), "dimension,value,units\ntotal,,21\n") {
		t.Errorf("inventory report: %d %s", resp.StatusCode, rep)
	}
}

func restImportSheet(t *testing.T, hc *http.Client, req *http.Request) *pb.ImportSpreadsheetResponse {
	t.Helper()
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("HTTP %d: %s", resp.StatusCode, b)
	}
	var out pb.ImportSpreadsheetResponse
	if err := protojson.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

// TestReports: each report over a small bank: an old unit leaving the
// search window, an open reservation lapsing soon, an excursion with the
// unit it exposed, and the inventory counts.
func TestReports(t *testing.T) {
	srv, reg := start(t)
	old := validUnit("G123416000001")
	old.CollectionDate, old.ProcessingDate, old.InfantBirthDate = "2016-12-01", "2016-12-01", "2016-12-01"
	young := validUnit("G123426000009")
	importWire(t, reg, []*pb.Unit{old, young})
	release(t, srv, "nybc", "G123416000001", "G123426000009")
	conn := grpcConn(t, srv)
	ctx := t.Context()
	r, err := pb.NewReservationServiceClient(conn).ReserveUnit(ctx, &pb.ReserveUnitRequest{Name: "banks/nybc/units/G123426000009",
		TransplantCenter: "tc-1", PatientId: "P-9", ExpireTime: timestamppb.New(testNow.Add(30 * time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	inv := pb.NewInventoryServiceClient(conn)
	if _, err := inv.CreateContainer(ctx, &pb.CreateContainerRequest{Parent: "banks/nybc", ContainerId: "tank-1",
		Container: &pb.Container{Kind: pb.ContainerKind_CONTAINER_KIND_TANK, Label: "T1", Layout: slotsLayout(4)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := inv.PlaceUnit(ctx, &pb.PlaceUnitRequest{Name: "banks/nybc/units/G123416000001", Container: "banks/nybc/containers/tank-1", Position: "1"}); err != nil {
		t.Fatal(err)
	}
	if rr, err := inv.RecordTemperatureReading(ctx, &pb.RecordTemperatureReadingRequest{Parent: "banks/nybc/containers/tank-1",
		Reading: &pb.TemperatureReading{Celsius: -120, Time: timestamppb.New(testNow.Add(-time.Minute))}}); err != nil || !rr.GetOpened() {
		t.Fatalf("reading: %v %v", rr, err)
	}
	c := sdk(t, srv, srv.AdminToken())
	for name, tc := range map[string]struct {
		get  func() (*httpbody.HttpBody, error)
		want string
	}{
		"inventory": {func() (*httpbody.HttpBody, error) {
			return c.ReportInventory(ctx, &pb.ReportInventoryRequest{Parent: "banks/nybc"})
		}, "dimension,value,units\ntotal,,2\nstatus,UNIT_STATUS_AVAILABLE,1\nstatus,UNIT_STATUS_RESERVED,1\nunitType,UNIT_TYPE_PUBLIC,2\nabo,ABO_O,2\ncollectionYear,2016,1\ncollectionYear,2024,1\n"},
		"ageing": {func() (*httpbody.HttpBody, error) {
			return c.ReportAgeingUnits(ctx, &pb.ReportAgeingUnitsRequest{Parent: "banks/nybc", WithinDays: 60})
		}, "unit,din,unitType,status,collectionDate,leavesSearchWindow,daysLeft\nbanks/nybc/units/G123416000001,G123416000001,UNIT_TYPE_PUBLIC,UNIT_STATUS_AVAILABLE,2016-12-01,2026-12-01,30\n"},
		"reservations": {func() (*httpbody.HttpBody, error) {
			return c.ReportReservations(ctx, &pb.ReportReservationsRequest{Parent: "banks/nybc", LapsingWithinHours: 48})
		}, "reservation,unit,transplantCenter,patientId,status,expireTime,hoursLeft,lapsingSoon\n" + r.GetName() +
			",banks/nybc/units/G123426000009,tc-1,P-9,RESERVATION_STATUS_ACTIVE,2026-11-02T18:00:00Z,30,yes\n"},
		"excursions": {func() (*httpbody.HttpBody, error) {
			return c.ReportExcursions(ctx, &pb.ReportExcursionsRequest{Parent: "banks/nybc"})
		}, "excursion,tank,startTime,endTime,lowestCelsius,highestCelsius,readings,unitsExposed,unit\nbanks/nybc/excursions/1,banks/nybc/containers/tank-1,2026-11-01T11:59:00Z,,-120,-120,1,1,banks/nybc/units/G123416000001\n"},
	} {
		b, err := tc.get()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if diff := cmp.Diff(tc.want, string(b.GetData())); diff != "" || b.GetContentType() != "text/csv; charset=utf-8" {
			t.Errorf("%s (%s) (-want +got):\n%s", name, b.GetContentType(), diff)
		}
	}
	// JSON and XLSX carry the same table.
	j, err := c.ReportAgeingUnits(ctx, &pb.ReportAgeingUnitsRequest{Parent: "banks/nybc", WithinDays: 60, Format: pb.SpreadsheetFormat_SPREADSHEET_FORMAT_JSON})
	if err != nil || !strings.Contains(string(j.GetData()), `"daysLeft":30`) {
		t.Errorf("JSON ageing report: %s %v", j.GetData(), err)
	}
	x, err := c.ReportAgeingUnits(ctx, &pb.ReportAgeingUnitsRequest{Parent: "banks/nybc", WithinDays: 60, Format: pb.SpreadsheetFormat_SPREADSHEET_FORMAT_XLSX})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := spreadsheet.NewXLSXReader(x.GetData(), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, cells, err := rows.Next(); err != nil || cells[1] != "G123416000001" || cells[6] != "30" {
		t.Errorf("XLSX ageing report: %v %v", cells, err)
	}
	if _, err := c.ReportAgeingUnits(ctx, &pb.ReportAgeingUnitsRequest{Parent: "banks/nybc", WithinDays: -1, MaxAgeYears: 99}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("bad bounds: %v", err)
	}
}
