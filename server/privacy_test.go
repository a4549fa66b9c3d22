package server_test

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank/unit"
	"github.com/cordbank/cordbank/internal/spreadsheet"
	"google.golang.org/genproto/googleapis/api/httpbody"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cordbank/cordbank/bank"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
	"github.com/cordbank/cordbank/server/servertest"
)

// The differential privacy test. Two worlds run the same history; in the
// second, bank nybc also holds private (autologous and directed) units
// that are created, released, changed, placed and reserved: after the
// shared history, or in the middle of it. Every read RPC is then called by
// every principal outside nybc, over gRPC and REST, in both worlds, and the
// answers (bodies, counts, event positions, page tokens, stream contents,
// error codes and messages) must be identical once timestamps, request
// ids, random ids and etags are masked. Any difference is something an
// outsider learns about nybc's private units.

var privacyOutsiders = []struct {
	name string
	role bank.Role
	org  string
}{
	{"coordinator/tc-own", bank.RoleCoordinator, "tc-own"},
	{"coordinator/tc-other", bank.RoleCoordinator, "tc-other"},
	{"manager/other", bank.RoleManager, "other"},
	{"technician/other", bank.RoleTechnician, "other"},
	{"auditor/other", bank.RoleAuditor, "other"},
	{"auditor/registry", bank.RoleAuditor, bank.OrgRegistry},
}

const (
	privAutologousDIN = "G123426000002"
	privDirectedDIN   = "G123426000004"
	pubQuarantineDIN  = "G123426000003"
	otherPublicDIN    = "G987626000001"
	neverDIN          = "G123426000009"
)

// privacyReads are the methods that change nothing; privacyWrites the
// others. Every RPC must be in one of them, so a new read RPC is compared
// too (or the test fails).
var privacyWrites = map[string]bool{}

func init() {
	for _, m := range []string{
		"AdminService/CreateToken", "AdminService/RevokeToken",
		"RegistryService/CreateBank", "RegistryService/UpdateBank", "RegistryService/CreateUnit",
		"RegistryService/UpdateUnit", "RegistryService/ImportUnits",
		// A spreadsheet import writes (its refusals are the probes'); the
		// export streams and is compared on its own (exportAnswers).
		"InterchangeService/ImportSpreadsheet", "InterchangeService/ExportUnits",
		"LifecycleService/ReleaseUnit", "LifecycleService/MakeUnitUnavailable", "LifecycleService/MakeUnitAvailable",
		"LifecycleService/DiscardUnit", "LifecycleService/ExpireUnit", "LifecycleService/WithdrawUnit",
		"LifecycleService/ShipUnit", "LifecycleService/RecordInfusion", "LifecycleService/TransferUnit",
		"ReservationService/ReserveUnit", "ReservationService/ExtendReservation", "ReservationService/ReleaseReservation",
		"ReservationService/RequestConfirmatoryTyping", "ReservationService/RequestShipment",
		"ReservationService/RecordConfirmatoryTyping",
		"InventoryService/CreateContainer", "InventoryService/BatchCreateContainers", "InventoryService/PlaceUnit",
		"InventoryService/MoveUnit", "InventoryService/MoveContainer", "InventoryService/EvacuateContainer",
		"InventoryService/RecordTemperatureReading",
		"TypingService/ImportTypingReport",
		"LabelService/PrintLabel", "LabelService/ReprintLabel",
		"AuditService/WatchEvents", // a read, compared on its own (it never ends)
	} {
		privacyWrites[m] = true
	}
}

type privacyWorld struct {
	env     *matrixEnv
	conn    *grpc.ClientConn // no credentials
	admin   *grpc.ClientConn // administrator
	secrets []string         // per privacyOutsiders
	markers int
}

// privateHistory says when a world's bank nybc records its private units.
type privateHistory int

const (
	noPrivate          privateHistory = iota
	privateAfter                      // after every shared action
	privateInterleaved                // between shared actions
)

func startPrivacyWorld(t *testing.T, history privateHistory) *privacyWorld {
	t.Helper()
	srv, reg := start(t)
	ctx := t.Context()
	if _, err := reg.CreateBank(ctx, &pb.CreateBankRequest{BankId: "other", Bank: &pb.Bank{DisplayName: "Other Bank", Fin: "G9876", Country: "US"}}); err != nil {
		t.Fatal(err)
	}
	w := &privacyWorld{env: &matrixEnv{srv: srv, public: "banks/nybc/units/" + matrixPublicDIN, token: "tokens/none"}}
	w.conn = grpcConnWithout(t, srv)
	admin, err := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()), srv.AdminAuth())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	w.admin = admin
	create := func(parent, din string, typ pb.UnitType) {
		t.Helper()
		u := validUnit(din)
		u.UnitType = typ
		u.Private = &pb.UnitPrivate{MaternalId: "M-" + din}
		if typ == pb.UnitType_UNIT_TYPE_DIRECTED {
			u.Private.DirectedRecipient = "R-" + din
		}
		if _, err := reg.CreateUnit(ctx, &pb.CreateUnitRequest{Parent: parent, Unit: u}); err != nil {
			t.Fatalf("create %s: %v", din, err)
		}
	}
	create("banks/nybc", matrixPublicDIN, pb.UnitType_UNIT_TYPE_PUBLIC)
	create("banks/nybc", pubQuarantineDIN, pb.UnitType_UNIT_TYPE_PUBLIC)
	create("banks/other", otherPublicDIN, pb.UnitType_UNIT_TYPE_PUBLIC)
	release(t, srv, "nybc", matrixPublicDIN)
	release(t, srv, "other", otherPublicDIN)
	inv := pb.NewInventoryServiceClient(admin)
	c, err := inv.CreateContainer(ctx, &pb.CreateContainerRequest{Parent: "banks/nybc", ContainerId: "tank-1",
		Container: &pb.Container{Kind: pb.ContainerKind_CONTAINER_KIND_TANK, Label: "T1", Layout: slotsLayout(4)}})
	if err != nil {
		t.Fatal(err)
	}
	w.env.container = c.GetName()
	if _, err := inv.PlaceUnit(ctx, &pb.PlaceUnitRequest{Name: w.env.public, Container: c.GetName(), Position: "1"}); err != nil {
		t.Fatal(err)
	}
	resv := pb.NewReservationServiceClient(admin)
	// The private history: created, released, changed, placed, reserved.
	privateBlock := func() {
		t.Helper()
		create("banks/nybc", privAutologousDIN, pb.UnitType_UNIT_TYPE_AUTOLOGOUS)
		create("banks/nybc", privDirectedDIN, pb.UnitType_UNIT_TYPE_DIRECTED)
		release(t, srv, "nybc", privAutologousDIN, privDirectedDIN)
		if _, err := reg.UpdateUnit(ctx, &pb.UpdateUnitRequest{Unit: &pb.Unit{Name: "banks/nybc/units/" + privDirectedDIN, LocalId: "CB-PRIV"},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"local_id"}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := inv.PlaceUnit(ctx, &pb.PlaceUnitRequest{Name: "banks/nybc/units/" + privAutologousDIN, Container: c.GetName(), Position: "2"}); err != nil {
			t.Fatal(err)
		}
		if _, err := resv.ReserveUnit(ctx, &pb.ReserveUnitRequest{Name: "banks/nybc/units/" + privDirectedDIN, TransplantCenter: "tc-own",
			PatientId: "R-" + privDirectedDIN, ExpireTime: timestamppb.New(testNow.Add(14 * 24 * time.Hour))}); err != nil {
			t.Fatal(err)
		}
	}
	if history == privateInterleaved {
		privateBlock()
	}
	r, err := resv.ReserveUnit(ctx, &pb.ReserveUnitRequest{Name: w.env.public, TransplantCenter: "tc-own",
		PatientId: "P-1", ExpireTime: timestamppb.New(testNow.Add(14 * 24 * time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	w.env.reservation = r.GetName()
	for _, o := range privacyOutsiders {
		secret, err := srv.Token(o.role, o.org)
		if err != nil {
			t.Fatal(err)
		}
		w.secrets = append(w.secrets, secret)
	}
	if history == privateAfter {
		// Everything after this point must stay invisible to outsiders.
		privateBlock()
	}
	return w
}

// privacyVariant is one request of a read method.
type privacyVariant struct {
	key   string
	unit  string // the unit name a units/* path names
	page1 bool   // walk every page with page_size 1
	edit  func(m proto.Message)
}

func privacyVariants(md protoreflect.MethodDescriptor) []privacyVariant {
	tmpl := fmt.Sprint(proto.GetExtension(md.Options(), annotations.E_Http))
	units := []string{"banks/nybc/units/" + matrixPublicDIN, "banks/nybc/units/" + privAutologousDIN,
		"banks/nybc/units/" + privDirectedDIN, "banks/nybc/units/" + neverDIN}
	var out []privacyVariant
	if strings.Contains(tmpl, "units/*") && !strings.Contains(tmpl, "reservations/*") {
		for _, u := range units {
			out = append(out, privacyVariant{key: u, unit: u})
		}
	} else {
		out = append(out, privacyVariant{key: "default"})
	}
	paged := md.Input().Fields().ByName("page_size") != nil
	for _, v := range append([]privacyVariant(nil), out...) {
		if paged {
			out = append(out, privacyVariant{key: v.key + "/pages-of-1", unit: v.unit, page1: true})
		}
	}
	name := string(md.Parent().Name()) + "/" + string(md.Name())
	switch name {
	case "AuditService/ListEvents":
		for _, p := range []string{"banks/-", "banks/other"} {
			out = append(out, privacyVariant{key: p + "/pages-of-1", page1: true, edit: setField("parent", p)})
			out = append(out, privacyVariant{key: p, edit: setField("parent", p)})
		}
	case "RegistryService/GetUnit":
		// Any bank's unit, by the DIN as scanned (flags) or printed (check character).
		for _, din := range []string{matrixPublicDIN, privAutologousDIN, privDirectedDIN, neverDIN} {
			out = append(out, privacyVariant{key: "any-bank/" + din, edit: setField("name", "banks/-/units/="+din+"00")},
				privacyVariant{key: "any-bank-check/" + din, edit: setField("name", "banks/-/units/"+din+string(unit.DIN(din).CheckChar()))})
		}
	case "LabelService/LookupScan":
		for _, din := range []string{matrixPublicDIN, privAutologousDIN, privDirectedDIN, neverDIN} {
			out = append(out, privacyVariant{key: din, edit: setField("scan", "="+din+"00")},
				privacyVariant{key: din + "/compound", edit: setField("scan", "=+02000="+din+"00=%5100")})
		}
	case "RegistryService/ListUnits":
		out = append(out, privacyVariant{key: "autologous", edit: func(m proto.Message) {
			m.(*pb.ListUnitsRequest).UnitType = []pb.UnitType{pb.UnitType_UNIT_TYPE_AUTOLOGOUS}
		}}, privacyVariant{key: "other", edit: setField("parent", "banks/other")})
	case "InterchangeService/ReportInventory", "InterchangeService/ReportAgeingUnits",
		"InterchangeService/ReportReservations", "InterchangeService/ReportExcursions":
		out = append(out, privacyVariant{key: "json", edit: func(m proto.Message) {
			m.ProtoReflect().Set(m.ProtoReflect().Descriptor().Fields().ByName("format"),
				protoreflect.ValueOfEnum(protoreflect.EnumNumber(pb.SpreadsheetFormat_SPREADSHEET_FORMAT_JSON)))
		}}, privacyVariant{key: "other", edit: setField("parent", "banks/other")})
		if name == "InterchangeService/ReportAgeingUnits" {
			// Every unit of the fixtures is in a window of 40 years.
			out = append(out, privacyVariant{key: "everything", edit: func(m proto.Message) {
				m.(*pb.ReportAgeingUnitsRequest).MaxAgeYears, m.(*pb.ReportAgeingUnitsRequest).WithinDays = 1, 3650
			}})
		}
	case "ReservationService/ListReservations":
		out = append(out, privacyVariant{key: "tc-own", edit: func(m proto.Message) {
			m.(*pb.ListReservationsRequest).TransplantCenter = "tc-own"
		}})
	case "SearchService/SearchUnits", "SearchService/SearchDoubleUnits", "SearchService/SearchBankUnits":
		out = []privacyVariant{
			{key: "default", edit: searchRequest(name, false)},
			{key: "relaxed", edit: searchRequest(name, true)},
		}
		if name == "SearchService/SearchBankUnits" {
			out = append(out, privacyVariant{key: "other", edit: func(m proto.Message) {
				searchRequest(name, true)(m)
				m.(*pb.SearchBankUnitsRequest).Bank = "banks/other"
			}})
		}
	}
	return out
}

func setField(field, v string) func(m proto.Message) {
	return func(m proto.Message) { setString(m.ProtoReflect(), []string{field}, v) }
}

// searchRequest fills a search for the units' own typing; relaxed turns
// off every policy filter, so quarantined, private and non-prime units
// are met by the scan.
func searchRequest(method string, relaxed bool) func(m proto.Message) {
	return func(m proto.Message) {
		no, zero := false, float64(0)
		s := &pb.SearchUnitsRequest{Patient: &pb.PatientTyping{GlString: "A*02:01+A*24:02^B*07:02+B*44:02^DRB1*15:01+DRB1*04:01"},
			WeightKg: 20, Disease: pb.DiseaseClass_DISEASE_CLASS_MALIGNANT, Criterion: pb.MatchCriterion_MATCH_CRITERION_SIX_OF_SIX}
		if relaxed {
			mm := int32(6)
			s.MaxMismatches = &mm
			s.Policy = &pb.SearchPolicy{RequireAttachedSegment: &no, RequireRbcDepleted: &no, RequireAccredited: &no,
				MinTncPerKg: &zero, MinCd34PerKg: &zero}
		}
		switch r := m.(type) {
		case *pb.SearchUnitsRequest:
			proto.Merge(r, s)
		case *pb.SearchDoubleUnitsRequest:
			r.Search = s
		case *pb.SearchBankUnitsRequest:
			r.Search = s
		}
	}
}

// masks: what legitimately differs between two runs of one history.
var (
	privacyRandomID = regexp.MustCompile(`(tokens|reservations)/[A-Za-z0-9_-]+`)
	// Token and reservation ids inside audit snapshots (JSON in a string).
	privacySnapshotID = regexp.MustCompile(`"id":"[0-9a-f]{16,}"`)
	privacyMasked     = map[string]bool{"requestId": true, "request_id": true, "etag": true}
)

// normalize masks a JSON document (a protojson answer or a REST body).
func (w *privacyWorld) normalize(t *testing.T, doc []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		// A CSV report or export: the same masks, by pattern.
		doc = privacyRandomID.ReplaceAll(doc, []byte("$1/*"))
		return "non-JSON: " + string(privacyTimestamp.ReplaceAll(doc, []byte("*")))
	}
	v = maskJSON(v, "")
	out, _ := json.Marshal(v)
	return string(out)
}

var privacyTimestamp = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)

func maskJSON(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = maskJSON(e, k)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = maskJSON(e, key)
		}
		return x
	case string:
		if privacyMasked[key] || strings.HasSuffix(key, "Time") || strings.HasSuffix(key, "_time") || key == "time" {
			return "*"
		}
		return privacySnapshotID.ReplaceAllString(privacyRandomID.ReplaceAllString(x, "$1/*"), `"id":"*"`)
	}
	return v
}

// grpcAnswer renders a gRPC outcome for comparison.
func (w *privacyWorld) grpcAnswer(t *testing.T, resp proto.Message, err error) string {
	t.Helper()
	if err != nil {
		b, _ := protojson.Marshal(status.Convert(err).Proto())
		return "error " + w.normalize(t, b)
	}
	if hb, ok := resp.(*httpbody.HttpBody); ok { // a report: compare the file
		return hb.GetContentType() + " " + w.normalize(t, hb.GetData())
	}
	b, _ := protojson.Marshal(resp)
	return w.normalize(t, b)
}

// call runs one read (and every following page) as secret over gRPC and
// REST and returns the answers in order.
func (w *privacyWorld) call(t *testing.T, md protoreflect.MethodDescriptor, v privacyVariant, secret string) []string {
	t.Helper()
	e := *w.env
	private := false
	if v.unit != "" {
		e.private, private = v.unit, true
	}
	c := newMatrixCall(t, &e, md, private)
	if v.edit != nil {
		v.edit(c.req)
		if fd := md.Input().Fields().ByName("parent"); fd != nil && strings.Contains(c.path, "banks/nybc") {
			c.path = strings.Replace(c.path, "banks/nybc", c.req.ProtoReflect().Get(fd).String(), 1)
		}
		if fd := md.Input().Fields().ByName("name"); fd != nil {
			if n := c.req.ProtoReflect().Get(fd).String(); strings.HasPrefix(n, "banks/-/") {
				c.path = "/v1/" + strings.ReplaceAll(n, "=", "%3D")
			}
		}
		if r, ok := c.req.(*pb.SearchBankUnitsRequest); ok {
			c.path = "/v1/" + r.GetBank() + "/units:search"
		}
	}
	sizeFD := md.Input().Fields().ByName("page_size")
	tokFD := md.Input().Fields().ByName("page_token")
	if v.page1 {
		c.req.ProtoReflect().Set(sizeFD, protoreflect.ValueOfInt32(1))
	}
	var out []string
	// gRPC, every page.
	rt, _ := protoregistry.GlobalTypes.FindMessageByName(md.Output().FullName())
	req := proto.Clone(c.req)
	for page := 0; page < 30; page++ {
		resp := rt.New().Interface()
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		err := w.conn.Invoke(ctx, c.full, req, resp, grpc.PerRPCCredentials(servertest.BearerCreds(secret)))
		cancel()
		out = append(out, "grpc "+w.grpcAnswer(t, resp, err))
		next := ""
		if fd := md.Output().Fields().ByName("next_page_token"); err == nil && fd != nil {
			next = resp.ProtoReflect().Get(fd).String()
		}
		if !v.page1 || next == "" {
			break
		}
		req.ProtoReflect().Set(tokFD, protoreflect.ValueOfString(next))
	}
	// REST, every page.
	token := ""
	for page := 0; page < 30; page++ {
		body, next := w.rest(t, c, secret, v.page1, token)
		out = append(out, "rest "+body)
		if !v.page1 || next == "" {
			break
		}
		token = next
	}
	return out
}

// rest calls c's REST route and returns the normalised body and its
// nextPageToken.
func (w *privacyWorld) rest(t *testing.T, c *matrixCall, secret string, page1 bool, token string) (string, string) {
	t.Helper()
	method, path := "GET", c.path
	var body io.Reader
	switch {
	case c.http.GetPost() != "":
		method = "POST"
		js, err := protojson.Marshal(c.req)
		if err != nil {
			t.Fatal(err)
		}
		body = strings.NewReader(string(js))
	default:
		q := url.Values{}
		js, _ := protojson.Marshal(c.req)
		var fields map[string]any
		_ = json.Unmarshal(js, &fields)
		for k, v := range fields {
			if k == "name" || k == "parent" {
				continue // in the path
			}
			switch x := v.(type) {
			case []any:
				for _, e := range x {
					q.Add(k, fmt.Sprint(e))
				}
			default:
				q.Set(k, fmt.Sprint(x))
			}
		}
		if token != "" {
			q.Set("pageToken", token)
		}
		if len(q) > 0 {
			path += "?" + q.Encode()
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, w.env.srv.HTTPURL+path, body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var next struct {
		NextPageToken string `json:"nextPageToken"`
	}
	_ = json.Unmarshal(b, &next)
	return fmt.Sprintf("%d %s", resp.StatusCode, w.normalize(t, b)), next.NextPageToken
}

// probes are the writes whose refusal could tell whether a DIN exists: an
// outsider registering a unit in its own bank under the DIN of nybc's
// private unit, one by one and by import, over gRPC and REST. They run
// after the reads (they may write).
func (w *privacyWorld) probes(t *testing.T) []string {
	t.Helper()
	var out []string
	ctx := t.Context()
	for i, o := range privacyOutsiders {
		if o.name != "manager/other" && o.name != "technician/other" {
			continue
		}
		creds := grpc.PerRPCCredentials(servertest.BearerCreds(w.secrets[i]))
		for _, din := range []string{privAutologousDIN, neverDIN} {
			u := validUnit(din)
			resp, err := pb.NewRegistryServiceClient(w.conn).CreateUnit(ctx, &pb.CreateUnitRequest{Parent: "banks/other", Unit: u}, creds)
			out = append(out, o.name+" CreateUnit "+din+" "+w.grpcAnswer(t, resp, err))
			st, err := pb.NewRegistryServiceClient(w.conn).ImportUnits(ctx, creds)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Send(&pb.ImportUnitsRequest{Parent: "banks/other", Unit: u}); err != nil && err != io.EOF {
				t.Fatal(err)
			}
			r, err := st.CloseAndRecv() // an io.EOF from Send: the status comes here
			out = append(out, o.name+" ImportUnits "+din+" "+w.grpcAnswer(t, r, err))
			js, _ := protojson.Marshal(&pb.ImportUnitsRequest{Parent: "banks/other", Unit: u})
			req, _ := http.NewRequestWithContext(ctx, "POST", w.env.srv.HTTPURL+"/v1/units:import", strings.NewReader(string(js)+"\n"))
			req.Header.Set("Content-Type", "application/x-ndjson")
			req.Header.Set("Authorization", "Bearer "+w.secrets[i])
			resp2, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp2.Body)
			resp2.Body.Close()
			var lines []string
			for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				lines = append(lines, w.normalize(t, []byte(l)))
			}
			out = append(out, fmt.Sprintf("%s REST import %s %d %s", o.name, din, resp2.StatusCode, strings.Join(lines, "\n")))
			out = append(out, w.typingReportProbes(t, o.name, w.secrets[i], din)...)
			// The same unit as a spreadsheet row, dry run and real.
			var sheet bytes.Buffer
			tw, _ := spreadsheet.NewTableWriter(spreadsheet.CSV, &sheet, spreadsheet.Header())
			row, _ := spreadsheet.Row(u)
			_ = tw.Write(row)
			_ = tw.Close()
			for _, dry := range []bool{true, false} {
				ss, err := pb.NewInterchangeServiceClient(w.conn).ImportSpreadsheet(ctx, creds)
				if err != nil {
					t.Fatal(err)
				}
				if err := ss.Send(&pb.ImportSpreadsheetRequest{Parent: "banks/other", Format: pb.SpreadsheetFormat_SPREADSHEET_FORMAT_CSV,
					DryRun: dry, Content: sheet.Bytes()}); err != nil && err != io.EOF {
					t.Fatal(err)
				}
				r, err := ss.CloseAndRecv()
				out = append(out, fmt.Sprintf("%s ImportSpreadsheet dry=%v %s %s", o.name, dry, din, w.grpcAnswer(t, r, err)))
			}
		}
	}
	return out
}

// typingReportProbes: an HML typing report sent to the outsider's own bank
// with a sample naming din, over gRPC and REST (the file as the body); the
// answer must be the same whether nybc holds a private unit under din or
// nobody does.
func (w *privacyWorld) typingReportProbes(t *testing.T, who, secret, din string) []string {
	t.Helper()
	doc := []byte(`<hml xmlns="http://schemas.nmdp.org/spec/hml/1.0.1" version="1.0.1"><sample id="` + din + `">` +
		`<typing gene-family="HLA" date="2026-10-20"><allele-assignment date="2026-10-21" allele-db="IMGT/HLA" allele-version="3.24.0">` +
		`<glstring>HLA-A*02:01+HLA-A*24:02^HLA-B*07:02+HLA-B*44:02^HLA-DRB1*15:01+HLA-DRB1*04:01</glstring></allele-assignment>` +
		`<typing-method><sbt-ngs/></typing-method></typing></sample></hml>`)
	creds := grpc.PerRPCCredentials(servertest.BearerCreds(secret))
	resp, err := pb.NewTypingServiceClient(w.conn).ImportTypingReport(t.Context(), &pb.ImportTypingReportRequest{Parent: "banks/other", Hml: doc}, creds)
	out := []string{who + " ImportTypingReport " + din + " " + w.grpcAnswer(t, resp, err)}
	req, _ := http.NewRequestWithContext(t.Context(), "POST", w.env.srv.HTTPURL+"/v1/banks/other/units:importTypingReport", strings.NewReader(string(doc)))
	req.Header.Set("Content-Type", "application/xml")
	req.Header.Set("Authorization", "Bearer "+secret)
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	return append(out, fmt.Sprintf("%s REST ImportTypingReport %s %d %s", who, din, r.StatusCode, w.normalize(t, b)))
}

// marker records an event every outsider allowed to watch may see (a
// change of bank other), so a watcher knows it has received everything
// stored before it.
func (w *privacyWorld) marker(t *testing.T, parent string) string {
	t.Helper()
	w.markers++
	name := fmt.Sprintf("marker-%d", w.markers)
	if _, err := pb.NewRegistryServiceClient(w.admin).UpdateBank(t.Context(), &pb.UpdateBankRequest{
		Bank: &pb.Bank{Name: cmp.Or(strings.TrimPrefix(parent, "banks/-"), "banks/other"), DisplayName: name}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}}}); err != nil {
		t.Fatal(err)
	}
	return name
}

// watch reads parent's event stream as secret from the start up to a new
// marker, over gRPC and REST.
func (w *privacyWorld) watch(t *testing.T, parent, secret string) []string {
	t.Helper()
	var out []string
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	st, err := pb.NewAuditServiceClient(w.conn).WatchEvents(ctx, &pb.WatchEventsRequest{Parent: parent},
		grpc.PerRPCCredentials(servertest.BearerCreds(secret)))
	if err != nil {
		t.Fatal(err)
	}
	// The first event (or the refusal) proves the watch is subscribed
	// before the marker is written.
	e, err := st.Recv()
	if err != nil {
		return append(out, "grpc "+w.grpcAnswer(t, nil, err))
	}
	out = append(out, "grpc "+w.grpcAnswer(t, e, nil))
	name := w.marker(t, parent)
	for {
		e, err := st.Recv()
		if err != nil {
			t.Fatalf("watch %s: %v", parent, err)
		}
		a := w.grpcAnswer(t, e, nil)
		if strings.Contains(a, name) {
			break
		}
		out = append(out, "grpc "+a)
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", w.env.srv.HTTPURL+"/v1/"+parent+"/events:watch", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	line, _ := r.ReadBytes('\n')
	out = append(out, fmt.Sprintf("rest %d %s", resp.StatusCode, w.normalize(t, line)))
	if resp.StatusCode != http.StatusOK || strings.Contains(string(line), `"error"`) {
		return out
	}
	name = w.marker(t, parent)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			t.Fatalf("REST watch %s: %v", parent, err)
		}
		a := w.normalize(t, line)
		if strings.Contains(a, name) {
			break
		}
		out = append(out, "rest "+a)
	}
	return out
}

func TestPrivacyDifferential(t *testing.T) {
	for _, tc := range []struct {
		name    string
		history privateHistory
	}{{"private-history-after", privateAfter}, {"private-history-interleaved", privateInterleaved}} {
		t.Run(tc.name, func(t *testing.T) {
			comparePrivacyWorlds(t, [2]*privacyWorld{startPrivacyWorld(t, noPrivate), startPrivacyWorld(t, tc.history)})
		})
	}
}

// comparePrivacyWorlds asks every read of both worlds as every outsider
// and reports every difference.
func comparePrivacyWorlds(t *testing.T, worlds [2]*privacyWorld) {
	answers := [2]map[string][]string{{}, {}}
	var keys []string
	record := func(k string, wi int, a []string) {
		if wi == 0 {
			keys = append(keys, k)
		}
		answers[wi][k] = a
	}
	for _, sd := range cordbankServices() {
		for i := 0; i < sd.Methods().Len(); i++ {
			md := sd.Methods().Get(i)
			name := string(sd.Name()) + "/" + string(md.Name())
			if privacyWrites[name] {
				continue
			}
			if md.IsStreamingClient() || md.IsStreamingServer() {
				t.Errorf("%s streams: list it in privacyWrites and compare it on its own", name)
				continue
			}
			for _, v := range privacyVariants(md) {
				for oi, o := range privacyOutsiders {
					k := fmt.Sprintf("%s %s as %s", name, v.key, o.name)
					for wi, w := range worlds {
						record(k, wi, w.call(t, md, v, w.secrets[oi]))
					}
				}
			}
		}
	}
	for oi, o := range privacyOutsiders {
		for _, parent := range []string{"banks/-", "banks/other", "banks/nybc"} {
			k := fmt.Sprintf("AuditService/WatchEvents %s as %s", parent, o.name)
			for wi, w := range worlds {
				record(k, wi, w.watch(t, parent, w.secrets[oi]))
			}
		}
	}
	for oi, o := range privacyOutsiders {
		for _, v := range exportVariants {
			k := fmt.Sprintf("InterchangeService/ExportUnits %s as %s", v.key, o.name)
			for wi, w := range worlds {
				record(k, wi, w.export(t, v.req, w.secrets[oi]))
			}
		}
	}
	for wi, w := range worlds {
		record("write probes", wi, w.probes(t))
	}
	// The test proves something only if the calls reach the data: a
	// search that is refused for a bad request compares nothing.
	for k, din := range map[string]string{"SearchService/SearchUnits relaxed as coordinator/tc-other": otherPublicDIN,
		"SearchService/SearchUnits relaxed as auditor/registry":               otherPublicDIN,
		"RegistryService/ListUnits default as coordinator/tc-other":           matrixPublicDIN,
		"InterchangeService/ExportUnits csv as coordinator/tc-other":          matrixPublicDIN,
		"InterchangeService/ReportAgeingUnits everything as auditor/registry": matrixPublicDIN} {
		if a := strings.Join(answers[1][k], "\n"); strings.Contains(a, "error") || !strings.Contains(a, din) {
			t.Errorf("%s does not find public unit %s: %s", k, din, a)
		}
	}
	sort.Strings(keys)
	diffs := 0
	for _, k := range keys {
		a, b := answers[0][k], answers[1][k]
		if strings.Join(a, "\n") == strings.Join(b, "\n") {
			continue
		}
		diffs++
		if diffs <= 40 {
			i := 0
			for i < len(a) && i < len(b) && a[i] == b[i] {
				i++
			}
			t.Errorf("%s: answers differ once nybc holds private units (answer %d of %d/%d)\nwithout: %s\nwith:    %s",
				k, i+1, len(a), len(b), at(a, i), at(b, i))
		}
	}
	if diffs > 40 {
		t.Errorf("... and %d more differences", diffs-40)
	}
	if os.Getenv("PRIVACY_DUMP") != "" {
		for _, k := range keys {
			if strings.Contains(k, os.Getenv("PRIVACY_DUMP")) {
				t.Logf("%s\n%s", k, strings.Join(answers[1][k], "\n"))
			}
		}
	}
	t.Logf("%d calls compared", len(keys))
}

func at(xs []string, i int) string {
	if i < len(xs) {
		return xs[i]
	}
	return "(none)"
}

// exportVariants are the ExportUnits requests every outsider makes.
var exportVariants = []struct {
	key string
	req *pb.ExportUnitsRequest
}{
	{"csv", &pb.ExportUnitsRequest{Parent: "banks/nybc"}},
	{"json", &pb.ExportUnitsRequest{Parent: "banks/nybc", Format: pb.SpreadsheetFormat_SPREADSHEET_FORMAT_JSON}},
	{"autologous", &pb.ExportUnitsRequest{Parent: "banks/nybc", UnitType: []pb.UnitType{pb.UnitType_UNIT_TYPE_AUTOLOGOUS}}},
	{"other", &pb.ExportUnitsRequest{Parent: "banks/other"}},
}

// export reads a whole export over gRPC and REST.
func (w *privacyWorld) export(t *testing.T, req *pb.ExportUnitsRequest, secret string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var out []string
	stream, err := pb.NewInterchangeServiceClient(w.conn).ExportUnits(ctx, req, grpc.PerRPCCredentials(servertest.BearerCreds(secret)))
	var file []byte
	for err == nil {
		var piece *httpbody.HttpBody
		if piece, err = stream.Recv(); err == nil {
			file = append(file, piece.GetData()...)
		}
	}
	if errors.Is(err, io.EOF) {
		out = append(out, "grpc "+w.normalize(t, file))
	} else {
		out = append(out, "grpc "+w.grpcAnswer(t, nil, err))
	}
	q := url.Values{}
	if req.GetFormat() != 0 {
		q.Set("format", req.GetFormat().String())
	}
	for _, ty := range req.GetUnitType() {
		q.Add("unitType", ty.String())
	}
	hr, _ := http.NewRequestWithContext(ctx, "GET", w.env.srv.HTTPURL+"/v1/"+req.GetParent()+"/units:export?"+q.Encode(), nil)
	hr.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return append(out, fmt.Sprintf("rest %d %s", resp.StatusCode, w.normalize(t, body)))
}
