package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cordbank/cordbank/bank"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
	"github.com/cordbank/cordbank/server/servertest"
)

// The HML fixtures: the README's unit G1234 98 654321 H, typed again in
// IPD-IMGT/HLA 3.24.0 (report.hml agrees and adds C and DQB1; in
// discrepant.hml B*08:01 replaces B*44:02).
const (
	hmlReport     = "../internal/hml/testdata/report.hml"
	hmlDiscrepant = "../internal/hml/testdata/discrepant.hml"
	hmlDIN        = "G123498654321"
	hmlUnit       = "banks/nybc/units/" + hmlDIN
)

type typingEnv struct {
	srv  *servertest.Server
	conn *grpc.ClientConn // administrator
	tech string           // a technician token of nybc
}

// startTyping: a server reading IPD-IMGT/HLA 3.24.0 with nybc's unit
// hmlDIN registered (A, B, DRB1 at two fields) and released.
func startTyping(t *testing.T) *typingEnv {
	t.Helper()
	srv, reg := startServerWithHLA(t, imgt324)
	if _, err := reg.CreateUnit(t.Context(), &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: validUnit("G1234 98 654321 H")}); err != nil {
		t.Fatal(err)
	}
	release(t, srv, "nybc", hmlDIN)
	conn, err := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()), srv.AdminAuth())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	tech, err := srv.Token(bank.RoleTechnician, "nybc")
	if err != nil {
		t.Fatal(err)
	}
	return &typingEnv{srv: srv, conn: conn, tech: tech}
}

// reserveForCT reserves the unit and asks for confirmatory typing.
func (e *typingEnv) reserveForCT(t *testing.T) string {
	t.Helper()
	rs := pb.NewReservationServiceClient(e.conn)
	r, err := rs.ReserveUnit(t.Context(), &pb.ReserveUnitRequest{Name: hmlUnit, TransplantCenter: "tc-own", PatientId: "P-1",
		ExpireTime: timestamppb.New(testNow.Add(14 * 24 * time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.RequestConfirmatoryTyping(t.Context(), &pb.RequestConfirmatoryTypingRequest{Name: r.GetName()}); err != nil {
		t.Fatal(err)
	}
	return r.GetName()
}

// postHML sends a report as the file itself over REST, as the technician.
func (e *typingEnv) postHML(t *testing.T, doc []byte) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "POST", e.srv.HTTPURL+"/v1/banks/nybc/units:importTypingReport", bytes.NewReader(doc))
	req.Header.Set("Content-Type", "application/xml")
	req.Header.Set("Authorization", "Bearer "+e.tech)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (e *typingEnv) unit(t *testing.T) *pb.Unit {
	t.Helper()
	u, err := pb.NewRegistryServiceClient(e.conn).GetUnit(t.Context(), &pb.GetUnitRequest{Name: hmlUnit})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (e *typingEnv) history(t *testing.T) []*pb.Event {
	t.Helper()
	h, err := pb.NewAuditServiceClient(e.conn).ListUnitHistory(t.Context(), &pb.ListUnitHistoryRequest{Name: hmlUnit, PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return h.GetEvents()
}

func readHML(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func unitTypings(u *pb.Unit) map[string]string {
	out := map[string]string{}
	for _, l := range u.GetHla() {
		out[l.GetLocus()] = l.GetTyping()
	}
	return out
}

// TestImportTypingReportConfirms: the project's own HML fixture, posted as
// the file, completes the requested confirmatory typing, adds C and DQB1,
// raises A, B and DRB1 to the report's resolution, and leaves an audit
// event naming the report and the release; sent again it changes nothing.
func TestImportTypingReportConfirms(t *testing.T) {
	e := startTyping(t)
	resName := e.reserveForCT(t)
	before := len(e.history(t))
	code, body := e.postHML(t, readHML(t, hmlReport))
	if code != http.StatusOK {
		t.Fatalf("import: %d %s", code, body)
	}
	var got struct {
		ReportID        string `json:"reportId"`
		ReportingCenter string `json:"reportingCenter"`
		Samples         []struct {
			SampleID       string   `json:"sampleId"`
			Unit           string   `json:"unit"`
			Outcome        string   `json:"outcome"`
			AddedLoci      []string `json:"addedLoci"`
			UpdatedLoci    []string `json:"updatedLoci"`
			Reservation    string   `json:"reservation"`
			AlleleReleases []string `json:"alleleReleases"`
		} `json:"samples"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if got.ReportID != "2.16.840.1.113883.3.1470/cordbank-ct-0001" || got.ReportingCenter != "567" || len(got.Samples) != 1 {
		t.Fatalf("answer %s", body)
	}
	s := got.Samples[0]
	if s.SampleID != "G1234 98 654321 H" || s.Unit != hmlUnit || s.Outcome != "TYPING_REPORT_OUTCOME_CONFIRMED" ||
		strings.Join(s.AddedLoci, ",") != "C,DQB1" || strings.Join(s.UpdatedLoci, ",") != "A,B,DRB1" ||
		s.Reservation != resName || strings.Join(s.AlleleReleases, ",") != "3.24.0" {
		t.Fatalf("sample result %s", body)
	}
	u := e.unit(t)
	ty := unitTypings(u)
	if ty["A"] != "HLA-A*02:01:01:01+HLA-A*24:02:01:01" || ty["B"] != "B*07:02:01+B*44:02:01:01" ||
		ty["DQB1"] != "HLA-DQB1*06:02:01+HLA-DQB1*03:02:01" || ty["DRB1"] != "HLA-DRB1*15:01:01:01+HLA-DRB1*04:01:01" || len(ty) != 5 {
		t.Fatalf("typing after import: %v", ty)
	}
	if u.GetHlaRelease() != "3.24.0" || u.GetStatus() != pb.UnitStatus_UNIT_STATUS_RESERVED {
		t.Fatalf("unit %v", u)
	}
	r, err := pb.NewReservationServiceClient(e.conn).GetReservation(t.Context(), &pb.GetReservationRequest{Name: resName})
	if err != nil {
		t.Fatal(err)
	}
	if r.GetConfirmatoryTyping() != pb.ConfirmatoryTypingStatus_CONFIRMATORY_TYPING_STATUS_COMPLETE || r.GetConfirmatoryTypingCompleteDate() != "2026-11-01" {
		t.Fatalf("reservation %v", r)
	}
	events := e.history(t)
	if len(events) != before+1 {
		t.Fatalf("%d new events on the unit, want 1 (its typing)", len(events)-before)
	}
	ev := events[len(events)-1]
	if ev.GetMethod() != "ImportTypingReport" ||
		ev.GetReason() != `HML 1.0.1 report 2.16.840.1.113883.3.1470/cordbank-ct-0001 from reporting centre 567, sample "G1234 98 654321 H" at line 12: IPD-IMGT/HLA 3.24.0, typed 2026-10-20 by SBT-NGS, SSO` {
		t.Fatalf("event %v", ev)
	}
	fields := map[string]bool{}
	for _, c := range ev.GetChanges() {
		fields[c.GetField()] = true
	}
	if !fields["hla.dqb1"] && !fields["hla"] {
		t.Errorf("the event does not record the typing change: %v", ev.GetChanges())
	}

	code, body = e.postHML(t, readHML(t, hmlReport))
	if code != http.StatusOK || !strings.Contains(string(body), "TYPING_REPORT_OUTCOME_UNCHANGED") {
		t.Fatalf("import again: %d %s", code, body)
	}
	if n := len(e.history(t)); n != len(events) {
		t.Fatalf("the same report again wrote %d events", n-len(events))
	}
}

// TestImportTypingReportDiscrepant: a report disagreeing at B does what a
// discrepant confirmatory typing does: the reservation is cancelled with
// confirmatory typing DISCREPANT and the unit withheld (TU, reason AD);
// its typing stays as registered.
func TestImportTypingReportDiscrepant(t *testing.T) {
	e := startTyping(t)
	resName := e.reserveForCT(t)
	before := unitTypings(e.unit(t))
	resp, err := pb.NewTypingServiceClient(e.conn).ImportTypingReport(t.Context(), &pb.ImportTypingReportRequest{Parent: "banks/nybc", Hml: readHML(t, hmlDiscrepant)})
	if err != nil {
		t.Fatal(err)
	}
	s := resp.GetSamples()[0]
	if s.GetOutcome() != pb.TypingReportOutcome_TYPING_REPORT_OUTCOME_DISCREPANT || strings.Join(s.GetDiscrepantLoci(), ",") != "B" || s.GetReservation() != resName {
		t.Fatalf("result %v", s)
	}
	u := e.unit(t)
	if u.GetStatus() != pb.UnitStatus_UNIT_STATUS_TEMPORARILY_UNAVAILABLE || u.GetEmdisReason() != "AD" ||
		!strings.Contains(u.GetStatusNote(), "confirmatory typing discrepancy at B") {
		t.Fatalf("unit %v", u)
	}
	if after := unitTypings(u); len(after) != len(before) || after["B"] != before["B"] {
		t.Fatalf("typing changed by a discrepant report: %v -> %v", before, after)
	}
	r, err := pb.NewReservationServiceClient(e.conn).GetReservation(t.Context(), &pb.GetReservationRequest{Name: resName})
	if err != nil {
		t.Fatal(err)
	}
	if r.GetStatus() != pb.ReservationStatus_RESERVATION_STATUS_CANCELLED || r.GetConfirmatoryTyping() != pb.ConfirmatoryTypingStatus_CONFIRMATORY_TYPING_STATUS_DISCREPANT {
		t.Fatalf("reservation %v", r)
	}
}

// TestImportTypingReportDiscrepantAvailable: without a reservation a
// discrepant report withholds the available unit all the same.
func TestImportTypingReportDiscrepantAvailable(t *testing.T) {
	e := startTyping(t)
	code, body := e.postHML(t, readHML(t, hmlDiscrepant))
	if code != http.StatusOK || !strings.Contains(string(body), "TYPING_REPORT_OUTCOME_DISCREPANT") {
		t.Fatalf("import: %d %s", code, body)
	}
	u := e.unit(t)
	if u.GetStatus() != pb.UnitStatus_UNIT_STATUS_TEMPORARILY_UNAVAILABLE || u.GetEmdisReason() != "AD" ||
		!strings.HasPrefix(u.GetStatusNote(), "typing discrepancy at B: HML 1.0.1 report") {
		t.Fatalf("unit %v", u)
	}
	n := len(e.history(t))
	if code, _ := e.postHML(t, readHML(t, hmlDiscrepant)); code != http.StatusOK {
		t.Fatal(code)
	}
	if m := len(e.history(t)); m != n {
		t.Fatalf("the same discrepant report again wrote %d events", m-n)
	}
}

// TestImportTypingReportRefused: a report failing the schema, naming an
// allele the release never had, or naming a unit the bank does not hold
// is refused whole, with the line, and writes nothing, not even for its
// good samples.
func TestImportTypingReportRefused(t *testing.T) {
	e := startTyping(t)
	good := string(readHML(t, hmlReport))
	second := strings.Replace(good, "</hml>", `  <sample id="G1234 98 654399">
    <typing gene-family="HLA" date="2026-10-20">
      <allele-assignment date="2026-10-21" allele-db="IMGT/HLA" allele-version="3.24.0">
        <glstring>HLA-A*02:01+HLA-A*24:02</glstring>
      </allele-assignment>
      <typing-method><sbt-ngs/></typing-method>
    </typing>
  </sample>
</hml>`, 1)
	for _, tc := range []struct {
		name, doc string
		code      codes.Code
		reason    string
		want      string // in the violations or message
	}{
		{"schema", strings.Replace(good, `method="DNA" type="07:02:01"`, `method="RNA" type="07:02:01"`, 1), codes.InvalidArgument, "INVALID_ARGUMENT",
			`line 24: <haploid>: attribute method="RNA" is not one of DNA, SER`},
		{"no such allele", strings.Replace(good, "HLA-A*24:02:01:01", "HLA-A*24:999", 1), codes.InvalidArgument, "INVALID_ARGUMENT",
			`line 16: HLA-A typing "HLA-A*02:01:01:01+HLA-A*24:999"`},
		{"not a DIN", strings.Replace(good, `id="G1234 98 654321 H"`, `id="1111111"`, 1), codes.InvalidArgument, "INVALID_ARGUMENT",
			`line 12: sample id "1111111" is not a unit's DIN`},
		{"wrong check character", strings.Replace(good, `id="G1234 98 654321 H"`, `id="G1234 98 654321 X"`, 1), codes.InvalidArgument, "INVALID_ARGUMENT",
			`check character "X" does not match`},
		{"no release", strings.Replace(good, `allele-version="3.24.0"`, "", 1), codes.InvalidArgument, "INVALID_ARGUMENT",
			`line 15: allele-version "": name the IPD-IMGT/HLA release`},
		{"unknown unit after a good one", second, codes.NotFound, "UNIT_NOT_FOUND", `line 62: sample "G1234 98 654399": bank nybc has no unit G123498654399`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.unit(t)
			events := len(e.history(t))
			_, err := pb.NewTypingServiceClient(e.conn).ImportTypingReport(t.Context(), &pb.ImportTypingReportRequest{Parent: "banks/nybc", Hml: []byte(tc.doc)})
			info, br := errorInfo(t, err)
			if status.Code(err) != tc.code || info.GetReason() != tc.reason {
				t.Fatalf("error %v, want %v %s", err, tc.code, tc.reason)
			}
			text := status.Convert(err).Message()
			for _, v := range br.GetFieldViolations() {
				if v.GetField() != "hml" {
					t.Errorf("violation of field %q, want hml", v.GetField())
				}
				text += "\n" + v.GetDescription()
			}
			if !strings.Contains(text, tc.want) {
				t.Fatalf("error does not say %q:\n%s", tc.want, text)
			}
			if after := e.unit(t); after.GetEtag() != before.GetEtag() || len(e.history(t)) != events {
				t.Fatal("a refused report changed the unit")
			}
		})
	}
}

// TestImportTypingReportRESTBodies: over REST the report is the file
// itself (application/xml or text/xml) or JSON with hml in base64; any
// other content type is 415 and a file over the limit 413, both before
// anything is read.
func TestImportTypingReportRESTBodies(t *testing.T) {
	e := startTyping(t)
	post := func(ct string, body []byte) (int, string) {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", e.srv.HTTPURL+"/v1/banks/nybc/units:importTypingReport", bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+e.tech)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	doc := readHML(t, hmlReport)
	js, _ := json.Marshal(map[string]any{"hml": doc}) // []byte marshals as base64
	if code, body := post("application/json", js); code != http.StatusOK || !strings.Contains(body, "TYPING_REPORT_OUTCOME_EXTENDED") {
		t.Fatalf("JSON body: %d %s", code, body)
	}
	if code, body := post("text/xml; charset=utf-8", doc); code != http.StatusOK || !strings.Contains(body, "TYPING_REPORT_OUTCOME_UNCHANGED") {
		t.Fatalf("text/xml: %d %s", code, body)
	}
	if code, body := post("text/plain", doc); code != http.StatusUnsupportedMediaType {
		t.Fatalf("text/plain: %d %s", code, body)
	}
	big := append(bytes.Repeat([]byte(" "), 16<<20), doc...)
	if code, body := post("application/xml", big); code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "REQUEST_TOO_LARGE") {
		t.Fatalf("16 MiB of XML: %d %.300s", code, body)
	}
	code, body := post("application/xml", []byte("<hml"))
	if code != http.StatusBadRequest || !strings.Contains(body, `"field":"hml"`) || !strings.Contains(body, "line 1: not well-formed XML") {
		t.Fatalf("broken XML: %d %s", code, body)
	}
}
