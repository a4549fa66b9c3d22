package server_test

import (
	"bytes"
	"encoding/json"
	"image/png"
	"net/http"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/unit"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

const labelDIN = "G123426000001"

// startLabels is a server with one public unit of two bags in bank nybc,
// and clients for its technician, manager and an outside coordinator.
func startLabels(t *testing.T) (tech, mgr, outsider pb.LabelServiceClient, admin pb.AuditServiceClient, restURL string, c *http.Client) {
	t.Helper()
	srv, reg := start(t)
	u := validUnit(labelDIN)
	u.Bags = 2
	if _, err := reg.CreateUnit(t.Context(), &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: u}); err != nil {
		t.Fatal(err)
	}
	as := func(role bank.Role, org string) pb.LabelServiceClient {
		secret, err := srv.Token(role, org)
		if err != nil {
			t.Fatal(err)
		}
		return pb.NewLabelServiceClient(connAs(t, srv, secret))
	}
	return as(bank.RoleTechnician, "nybc"), as(bank.RoleManager, "nybc"), as(bank.RoleCoordinator, "tc-own"),
		pb.NewAuditServiceClient(grpcConn(t, srv)), srv.HTTPURL, srv.HTTPClient()
}

func TestLookupScanFindsTheUnitAnyBankHolds(t *testing.T) {
	_, _, outsider, _, url, c := startLabels(t)
	for _, scan := range []string{
		"=" + labelDIN + "00",                         // the DIN barcode of a bag
		"=" + labelDIN + "02=<S1234V00",               // concatenated linear codes
		"]d2=+02000=" + labelDIN + "00=%5100",         // a DataMatrix compound message
		"=<S1234V00\r\n=" + labelDIN + "00\r\n=%5100", // three scans, each ended by the scanner
	} {
		resp, err := outsider.LookupScan(t.Context(), &pb.LookupScanRequest{Scan: scan})
		if err != nil {
			t.Fatalf("LookupScan(%q): %v", scan, err)
		}
		if got := resp.GetUnit().GetName(); got != "banks/nybc/units/"+labelDIN {
			t.Errorf("LookupScan(%q) unit = %q", scan, got)
		}
		if resp.GetUnit().GetPrivate() != nil {
			t.Errorf("LookupScan(%q) gave an outsider the unit's private part", scan)
		}
	}
	resp, err := outsider.LookupScan(t.Context(), &pb.LookupScanRequest{Scan: "=+02000=" + labelDIN + "00=%5100"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range resp.GetStructures() {
		got = append(got, s.GetName()+" "+s.GetFields()["din"]+s.GetFields()["abo"]+s.GetFields()["rh"]+s.GetFields()["count"])
	}
	want := []string{"Compound Message 2", "Donation Identification Number " + labelDIN, "Blood Groups [ABO and RhD] OPOSITIVE"}
	if !slices.Equal(got, want) {
		t.Errorf("structures = %q, want %q", got, want)
	}
	// Over REST too.
	r, body := rest(t, c, "POST", url+"/v1/units:lookupScan", nil, strings.NewReader(`{"scan":"=`+labelDIN+`00"}`))
	if r.StatusCode != http.StatusOK || !strings.Contains(string(body), `"banks/nybc/units/`+labelDIN+`"`) {
		t.Errorf("REST lookupScan: %d %.300s", r.StatusCode, body)
	}
}

func TestLookupScanRefusesWhatItCannotRead(t *testing.T) {
	_, _, outsider, _, url, c := startLabels(t)
	for _, tc := range []struct{ scan, offset, structure, text string }{
		{"=" + labelDIN + "0", "1", "Donation Identification Number [001]", "needs 15 characters"},
		{"=" + labelDIN + "00=<S12", "18", "Product Code [003]", "needs 8 characters"},
		{"=" + labelDIN + "00=~1", "16", "", "unknown data identifier"},
		{"=<S1234V00", "", "", "no Donation Identification Number"},
		{"", "", "", "required"},
	} {
		_, err := outsider.LookupScan(t.Context(), &pb.LookupScanRequest{Scan: tc.scan})
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("LookupScan(%q) = %v, want INVALID_ARGUMENT", tc.scan, err)
			continue
		}
		info, br := errorInfo(t, err)
		if len(br.GetFieldViolations()) != 1 || br.GetFieldViolations()[0].GetField() != "scan" || !strings.Contains(br.GetFieldViolations()[0].GetDescription(), tc.text) {
			t.Errorf("LookupScan(%q) violations = %v, want scan: ...%s", tc.scan, br.GetFieldViolations(), tc.text)
		}
		if info.GetMetadata()["offset"] != tc.offset || info.GetMetadata()["structure"] != tc.structure {
			t.Errorf("LookupScan(%q) metadata = %v, want offset %q structure %q", tc.scan, info.GetMetadata(), tc.offset, tc.structure)
		}
	}
	wantRESTError(t, c, "POST", url+"/v1/units:lookupScan", nil, strings.NewReader(`{"scan":"=G123"}`), http.StatusBadRequest, "INVALID_ARGUMENT")
}

func TestGetUnitAcceptsAScannedDINInAnyBank(t *testing.T) {
	_, _, _, _, url, c := startLabels(t)
	din := unit.DIN(labelDIN)
	for _, seg := range []string{"%3D" + labelDIN + "00", labelDIN + string(din.CheckChar()), labelDIN} {
		r, body := rest(t, c, "GET", url+"/v1/banks/-/units/"+seg, nil, nil)
		if r.StatusCode != http.StatusOK || !strings.Contains(string(body), `"banks/nybc/units/`+labelDIN+`"`) {
			t.Errorf("GET banks/-/units/%s: %d %.200s", seg, r.StatusCode, body)
		}
	}
	e := wantRESTError(t, c, "GET", url+"/v1/banks/-/units/"+neverDIN, nil, nil, http.StatusNotFound, "UNIT_NOT_FOUND")
	if got := e.info.GetMetadata()["name"]; got != "banks/-/units/"+neverDIN {
		t.Errorf("NOT_FOUND names %q, want banks/-/units/%s", got, neverDIN)
	}
	wantRESTError(t, c, "GET", url+"/v1/banks/-/units/"+labelDIN+"Z", nil, nil, http.StatusBadRequest, "INVALID_ARGUMENT")
}

func TestPrintAndReprintAreAuditedAndReprintNeedsAManager(t *testing.T) {
	tech, mgr, outsider, audit, _, _ := startLabels(t)
	ctx := t.Context()
	name := "banks/nybc/units/" + labelDIN
	first, err := tech.PrintLabel(ctx, &pb.PrintLabelRequest{Name: name, Kind: pb.LabelKind_LABEL_KIND_BAG, Format: pb.LabelFormat_LABEL_FORMAT_PNG, ProductDescriptionCode: "S1234", Bag: 2})
	if err != nil {
		t.Fatal(err)
	}
	if first.GetCopy() != 1 || first.GetBag() != 2 || first.GetContentType() != "image/png" {
		t.Errorf("first print = copy %d bag %d %s", first.GetCopy(), first.GetBag(), first.GetContentType())
	}
	if _, err := png.Decode(bytes.NewReader(first.GetContent())); err != nil {
		t.Errorf("content is not a PNG: %v", err)
	}
	if got := first.GetBarcodes()[0].GetData(); got != "="+labelDIN+"02" {
		t.Errorf("DIN barcode of bag 2 of 2 = %q, want flags 02", got)
	}
	// Another first print is refused; the technician may not reprint;
	// a reprint needs a reason; an outsider may do neither.
	_, err = tech.PrintLabel(ctx, &pb.PrintLabelRequest{Name: name, Kind: pb.LabelKind_LABEL_KIND_BAG, Format: pb.LabelFormat_LABEL_FORMAT_ZPL, ProductDescriptionCode: "S1234", Bag: 2})
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("second PrintLabel = %v, want FAILED_PRECONDITION", err)
	}
	reprint := &pb.ReprintLabelRequest{Name: name, Kind: pb.LabelKind_LABEL_KIND_BAG, Format: pb.LabelFormat_LABEL_FORMAT_PDF, ProductDescriptionCode: "S1234", Bag: 2, Reason: "label smudged in the thaw bath"}
	if _, err := tech.ReprintLabel(ctx, reprint); status.Code(err) != codes.PermissionDenied {
		t.Errorf("technician ReprintLabel = %v, want PERMISSION_DENIED", err)
	}
	if _, err := outsider.PrintLabel(ctx, &pb.PrintLabelRequest{Name: name, Kind: pb.LabelKind_LABEL_KIND_BAG, Format: pb.LabelFormat_LABEL_FORMAT_ZPL, ProductDescriptionCode: "S1234"}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("outsider PrintLabel = %v, want PERMISSION_DENIED", err)
	}
	if _, err := mgr.ReprintLabel(ctx, &pb.ReprintLabelRequest{Name: name, Kind: pb.LabelKind_LABEL_KIND_SEGMENT, Format: pb.LabelFormat_LABEL_FORMAT_PDF, ProductDescriptionCode: "S1234", Reason: "x"}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("reprint of a segment label never printed = %v, want FAILED_PRECONDITION", err)
	}
	again, err := mgr.ReprintLabel(ctx, reprint)
	if err != nil {
		t.Fatal(err)
	}
	if again.GetCopy() != 2 || !bytes.HasPrefix(again.GetContent(), []byte("%PDF-")) {
		t.Errorf("reprint = copy %d, content %.8q", again.GetCopy(), again.GetContent())
	}
	// The chain of custody holds both, with the reason.
	h, err := audit.ListUnitHistory(ctx, &pb.ListUnitHistoryRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range h.GetEvents() {
		if !strings.Contains(e.GetMethod(), "Label") {
			continue
		}
		line := e.GetMethod()
		for _, c := range e.GetChanges() {
			line += " " + c.GetField() + "=" + c.GetBefore() + ">" + c.GetAfter()
		}
		got = append(got, line)
	}
	reason, _ := json.Marshal(reprint.Reason)
	want := []string{
		`PrintLabel label.bag_2=>1 label.format=>"PNG"`,
		`ReprintLabel label.bag_2=1>2 label.format=>"PDF" label.reason=>` + string(reason),
	}
	if !slices.Equal(got, want) {
		t.Errorf("label events = %q, want %q", got, want)
	}
	v, err := audit.VerifyAuditTrail(ctx, &pb.VerifyAuditTrailRequest{})
	if err != nil || len(v.GetProblems()) != 0 {
		t.Errorf("VerifyAuditTrail after labels: %v %v", v.GetProblems(), err)
	}
}

func TestPrintLabelNamesEveryBadField(t *testing.T) {
	tech, mgr, _, _, _, _ := startLabels(t)
	_, err := tech.PrintLabel(t.Context(), &pb.PrintLabelRequest{Name: "banks/nybc/units/G1234", ProductDescriptionCode: "s1", Bag: -1})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("PrintLabel = %v, want INVALID_ARGUMENT", err)
	}
	_, br := errorInfo(t, err)
	var fields []string
	for _, v := range br.GetFieldViolations() {
		fields = append(fields, v.GetField())
	}
	if want := []string{"bag", "format", "kind", "name", "product_description_code"}; !slices.Equal(fields, want) {
		t.Errorf("fields = %q, want %q", fields, want)
	}
	_, err = mgr.ReprintLabel(t.Context(), &pb.ReprintLabelRequest{Name: "banks/nybc/units/" + labelDIN, Kind: pb.LabelKind_LABEL_KIND_BAG,
		Format: pb.LabelFormat_LABEL_FORMAT_ZPL, ProductDescriptionCode: "S1234", Reason: "  "})
	if _, br := errorInfo(t, err); status.Code(err) != codes.InvalidArgument || br.GetFieldViolations()[0].GetField() != "reason" {
		t.Errorf("ReprintLabel without a reason = %v", err)
	}
	_, err = tech.PrintLabel(t.Context(), &pb.PrintLabelRequest{Name: "banks/nybc/units/" + labelDIN, Kind: pb.LabelKind_LABEL_KIND_BAG,
		Format: pb.LabelFormat_LABEL_FORMAT_ZPL, ProductDescriptionCode: "S1234", Bag: 3})
	if _, br := errorInfo(t, err); status.Code(err) != codes.InvalidArgument || br.GetFieldViolations()[0].GetField() != "bag" {
		t.Errorf("PrintLabel of bag 3 of 2 = %v", err)
	}
}

func TestPrintLabelRetryWithRequestIDReturnsTheSameCopy(t *testing.T) {
	tech, _, _, audit, _, _ := startLabels(t)
	ctx := t.Context()
	name := "banks/nybc/units/" + labelDIN
	req := &pb.PrintLabelRequest{Name: name, Kind: pb.LabelKind_LABEL_KIND_SEGMENT, Format: pb.LabelFormat_LABEL_FORMAT_ZPL,
		ProductDescriptionCode: "S1234", RequestId: "print-7f3a"}
	first, err := tech.PrintLabel(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := tech.PrintLabel(ctx, req) // the answer was lost; the client retries
	if err != nil {
		t.Fatalf("retry with the same request id: %v", err)
	}
	if again.GetCopy() != 1 || !bytes.Equal(again.GetContent(), first.GetContent()) {
		t.Errorf("retry = copy %d (content equal: %v), want the first copy again", again.GetCopy(), bytes.Equal(again.GetContent(), first.GetContent()))
	}
	other := proto.CloneOf(req)
	other.Format = pb.LabelFormat_LABEL_FORMAT_PNG
	if _, err := tech.PrintLabel(ctx, other); status.Code(err) != codes.InvalidArgument {
		t.Errorf("same request id, other format = %v, want INVALID_ARGUMENT", err)
	} else if info, _ := errorInfo(t, err); info.GetReason() != "REQUEST_ID_REUSED" {
		t.Errorf("reason = %s, want REQUEST_ID_REUSED", info.GetReason())
	}
	h, err := audit.ListUnitHistory(ctx, &pb.ListUnitHistoryRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range h.GetEvents() {
		if e.GetMethod() == "PrintLabel" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d PrintLabel events, want 1", n)
	}
}

// A FIN reassigned after registration: the unit stays in the bank that
// registered it, and a scan still finds it there.
func TestLookupScanAfterTheFINMovedToAnotherBank(t *testing.T) {
	srv, reg := start(t)
	ctx := t.Context()
	if _, err := reg.UpdateBank(ctx, &pb.UpdateBankRequest{Bank: &pb.Bank{Name: "banks/nybc", Fins: []string{"G1234", "G5555"}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"fins"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.CreateUnit(ctx, &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: validUnit("G555526000001")}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.UpdateBank(ctx, &pb.UpdateBankRequest{Bank: &pb.Bank{Name: "banks/nybc", Fins: []string{"G1234"}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"fins"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.CreateBank(ctx, &pb.CreateBankRequest{BankId: "heir", Bank: &pb.Bank{DisplayName: "Heir", Fin: "G5555", Country: "US"}}); err != nil {
		t.Fatal(err)
	}
	resp, err := pb.NewLabelServiceClient(grpcConn(t, srv)).LookupScan(ctx, &pb.LookupScanRequest{Scan: "=G55552600000100"})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.GetUnit().GetName(); got != "banks/nybc/units/G555526000001" {
		t.Errorf("unit = %q, want it in nybc, where it was registered", got)
	}
}

func TestNoLabelForADiscardedUnit(t *testing.T) {
	srv, reg := start(t)
	ctx := t.Context()
	if _, err := reg.CreateUnit(ctx, &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: validUnit(labelDIN)}); err != nil {
		t.Fatal(err)
	}
	conn := grpcConn(t, srv)
	name := "banks/nybc/units/" + labelDIN
	if _, err := pb.NewLifecycleServiceClient(conn).DiscardUnit(ctx, &pb.DiscardUnitRequest{Name: name, Reason: "CD", Note: "bag cracked"}); err != nil {
		t.Fatal(err)
	}
	_, err := pb.NewLabelServiceClient(conn).PrintLabel(ctx, &pb.PrintLabelRequest{Name: name, Kind: pb.LabelKind_LABEL_KIND_BAG,
		Format: pb.LabelFormat_LABEL_FORMAT_ZPL, ProductDescriptionCode: "S1234"})
	if info, _ := errorInfo(t, err); status.Code(err) != codes.FailedPrecondition || info.GetMetadata()["status"] != "DISCARDED" {
		t.Errorf("PrintLabel of a discarded unit = %v", err)
	}
}
