package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cordbank/cordbank/bank"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
	"github.com/cordbank/cordbank/server/servertest"
)

// The authorization matrix. Columns: who calls, relative to the target
// resources, which all belong to bank nybc (the reservation is held by
// transplant centre tc-own).
var matrixCallers = []struct {
	name string
	role bank.Role
	org  string
}{
	{"admin", bank.RoleAdmin, bank.OrgRegistry},
	{"manager/own", bank.RoleManager, "nybc"},
	{"manager/other", bank.RoleManager, "other"},
	{"technician/own", bank.RoleTechnician, "nybc"},
	{"technician/other", bank.RoleTechnician, "other"},
	{"coordinator/own", bank.RoleCoordinator, "tc-own"},
	{"coordinator/other", bank.RoleCoordinator, "tc-other"},
	{"auditor/own", bank.RoleAuditor, "nybc"},
	{"auditor/other", bank.RoleAuditor, "other"},
	{"auditor/registry", bank.RoleAuditor, bank.OrgRegistry},
}

// matrixWant: one letter per caller column above. A = allowed (any answer
// but UNAUTHENTICATED, PERMISSION_DENIED or a hidden resource's
// NOT_FOUND), D = PERMISSION_DENIED, N = NOT_FOUND. This is the README's
// role x method matrix; keep them in step.
//
//	admin  mgr    tech   coord  auditor
//	       own/x  own/x  own/x  own/x/registry
var matrixWant = map[string]string{
	"AdminService/CreateToken": "ADDDDDDDDD",
	"AdminService/RevokeToken": "ADDDDDDDDD",
	"AdminService/ListTokens":  "ADDDDDDDDD",

	"RegistryService/CreateBank":     "ADDDDDDDDD",
	"RegistryService/GetBank":        "AAAAAAAAAA",
	"RegistryService/ListBanks":      "AAAAAAAAAA",
	"RegistryService/UpdateBank":     "AADDDDDDDD",
	"RegistryService/CreateUnit":     "AADADDDDDD",
	"RegistryService/GetUnit":        "AAAAAAAAAA",
	"RegistryService/ListUnits":      "AAAAAAAAAA",
	"RegistryService/SummarizeUnits": "AAAAAAAAAA",
	"RegistryService/UpdateUnit":     "AADADDDDDD",
	"RegistryService/ImportUnits":    "AADADDDDDD",

	"SearchService/SearchUnits":       "AAAAAAAAAA",
	"SearchService/SearchDoubleUnits": "AAAAAAAAAA",
	"SearchService/SearchBankUnits":   "AADADDDADD",

	"LifecycleService/ReleaseUnit":         "AADADDDDDD",
	"LifecycleService/MakeUnitUnavailable": "AADADDDDDD",
	"LifecycleService/MakeUnitAvailable":   "AADADDDDDD",
	"LifecycleService/DiscardUnit":         "AADADDDDDD",
	"LifecycleService/ExpireUnit":          "AADADDDDDD",
	"LifecycleService/WithdrawUnit":        "AADDDDDDDD",
	"LifecycleService/ShipUnit":            "AADADDDDDD",
	"LifecycleService/RecordInfusion":      "AADADDDDDD",
	"LifecycleService/TransferUnit":        "AADDDDDDDD",

	"AuditService/ListUnitHistory":          "AADADDDADA",
	"AuditService/ListEvents":               "AADADDDADA",
	"AuditService/WatchEvents":              "AADADDDADA",
	"AuditService/VerifyAuditTrail":         "ADDDDDDAAA",
	"AuditService/GetLatestAuditCheckpoint": "ADDDDDDDDD",

	"ReservationService/ReserveUnit":               "AADADAADDD",
	"ReservationService/GetReservation":            "AADADANADD",
	"ReservationService/ListReservations":          "AADADAAADD",
	"ReservationService/ExtendReservation":         "AADADANDDD",
	"ReservationService/ReleaseReservation":        "AADADANDDD",
	"ReservationService/RequestConfirmatoryTyping": "ADDDDANDDD",
	"ReservationService/RequestShipment":           "ADDDDANDDD",
	"ReservationService/RecordConfirmatoryTyping":  "AADADDDDDD",

	"InventoryService/CreateContainer":          "AADADDDDDD",
	"InventoryService/BatchCreateContainers":    "AADADDDDDD",
	"InventoryService/GetContainer":             "AADADDDADD",
	"InventoryService/ListContainers":           "AADADDDADD",
	"InventoryService/GetContainerMap":          "AADADDDADD",
	"InventoryService/GetContainerOccupancy":    "AADADDDADD",
	"InventoryService/FindFreePositions":        "AADADDDADD",
	"InventoryService/PlaceUnit":                "AADADDDDDD",
	"InventoryService/MoveUnit":                 "AADADDDDDD",
	"InventoryService/GetUnitLocation":          "AADADDDADD",
	"InventoryService/MoveContainer":            "AADADDDDDD",
	"InventoryService/EvacuateContainer":        "AADADDDDDD",
	"InventoryService/RecordTemperatureReading": "AADADDDDDD",
	"InventoryService/ListExcursions":           "AADADDDADD",

	"TypingService/ImportTypingReport":      "AADADDDDDD",
	"LabelService/LookupScan":               "AAAAAAAAAA",
	"LabelService/PrintLabel":               "AADADDDDDD",
	"LabelService/ReprintLabel":             "AADDDDDDDD",
	"InterchangeService/ImportSpreadsheet":  "AADADDDDDD",
	"InterchangeService/ExportUnits":        "AAAAAAAAAA",
	"InterchangeService/ReportInventory":    "AAAAAAAAAA",
	"InterchangeService/ReportAgeingUnits":  "AAAAAAAAAA",
	"InterchangeService/ReportReservations": "AADADAAADD",
	"InterchangeService/ReportExcursions":   "AADADDDADD",
}

// cordbankServices lists every service of the API, from the descriptors:
// an RPC added later without a row in matrixWant fails the test.
func cordbankServices() []protoreflect.ServiceDescriptor {
	var out []protoreflect.ServiceDescriptor
	for _, f := range []protoreflect.FileDescriptor{
		pb.File_cordbank_v1_admin_service_proto, pb.File_cordbank_v1_registry_service_proto,
		pb.File_cordbank_v1_search_service_proto, pb.File_cordbank_v1_lifecycle_service_proto,
		pb.File_cordbank_v1_audit_service_proto, pb.File_cordbank_v1_reservation_service_proto,
		pb.File_cordbank_v1_inventory_service_proto, pb.File_cordbank_v1_typing_service_proto, pb.File_cordbank_v1_label_service_proto,
		pb.File_cordbank_v1_interchange_service_proto,
	} {
		for i := 0; i < f.Services().Len(); i++ {
			out = append(out, f.Services().Get(i))
		}
	}
	return out
}

// matrixEnv is a server with two banks, a public and an autologous unit,
// a container, a reservation and a token to revoke.
type matrixEnv struct {
	srv                      *servertest.Server
	public, private          string // unit names in nybc
	reservation, container   string
	token                    string // a token name, for RevokeToken
	secrets                  []string
	coordOwnTC, coordOtherTC string
}

const (
	matrixPublicDIN  = "G123426000001"
	matrixPrivateDIN = "G123426000002"
)

func startMatrix(t *testing.T) *matrixEnv {
	t.Helper()
	srv, reg := start(t)
	ctx := t.Context()
	if _, err := reg.CreateBank(ctx, &pb.CreateBankRequest{BankId: "other", Bank: &pb.Bank{DisplayName: "Other Bank", Fin: "G9876", Country: "US"}}); err != nil {
		t.Fatal(err)
	}
	pub := validUnit(matrixPublicDIN)
	pub.Private = &pb.UnitPrivate{MaternalId: "M-PUBLIC-1"}
	priv := validUnit(matrixPrivateDIN)
	priv.UnitType = pb.UnitType_UNIT_TYPE_AUTOLOGOUS
	priv.Private = &pb.UnitPrivate{MaternalId: "M-SECRET-2"}
	for _, u := range []*pb.Unit{pub, priv} {
		if _, err := reg.CreateUnit(ctx, &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: u}); err != nil {
			t.Fatal(err)
		}
	}
	release(t, srv, "nybc", matrixPublicDIN, matrixPrivateDIN)
	e := &matrixEnv{srv: srv, public: "banks/nybc/units/" + matrixPublicDIN, private: "banks/nybc/units/" + matrixPrivateDIN}
	conn := grpcConn(t, srv)
	c, err := pb.NewInventoryServiceClient(conn).CreateContainer(ctx, &pb.CreateContainerRequest{Parent: "banks/nybc", ContainerId: "tank-1",
		Container: &pb.Container{Kind: pb.ContainerKind_CONTAINER_KIND_TANK, Label: "T1", Layout: slotsLayout(4)}})
	if err != nil {
		t.Fatal(err)
	}
	e.container = c.GetName()
	r, err := pb.NewReservationServiceClient(conn).ReserveUnit(ctx, &pb.ReserveUnitRequest{Name: e.public, TransplantCenter: "tc-own",
		PatientId: "P-1", ExpireTime: timestamppb.New(testNow.Add(14 * 24 * time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	e.reservation = r.GetName()
	tk, err := pb.NewAdminServiceClient(conn).CreateToken(ctx, &pb.CreateTokenRequest{Token: &pb.Token{Principal: "to-revoke", Role: pb.Role_ROLE_TECHNICIAN, Org: "nybc"}})
	if err != nil {
		t.Fatal(err)
	}
	e.token = tk.GetToken().GetName()
	for _, c := range matrixCallers {
		secret, err := srv.Token(c.role, c.org)
		if err != nil {
			t.Fatal(err)
		}
		e.secrets = append(e.secrets, secret)
	}
	return e
}

var templateField = regexp.MustCompile(`\{([a-z_.]+)(?:=([^}]*))?\}`)

// resource returns the name of the fixture resource a path template
// pattern asks for.
func (e *matrixEnv) resource(pattern string, private bool) string {
	switch pattern {
	case "banks/*":
		return "banks/nybc"
	case "banks/*/units/*":
		if private {
			return e.private
		}
		return e.public
	case "banks/*/units/*/reservations/*":
		return e.reservation
	case "banks/*/containers/*":
		return e.container
	case "tokens/*":
		return e.token
	}
	panic("no fixture for " + pattern)
}

// matrixCall is one RPC with its request, built from the method's HTTP
// rule: the path's field names the fixture resource; etags are set to a
// value that never matches, so allowed writes change nothing.
type matrixCall struct {
	method protoreflect.MethodDescriptor
	full   string // "/cordbank.v1.X/Y"
	req    proto.Message
	http   *annotations.HttpRule
	path   string
}

func newMatrixCall(t *testing.T, e *matrixEnv, md protoreflect.MethodDescriptor, private bool) *matrixCall {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.Input().FullName())
	if err != nil {
		t.Fatal(err)
	}
	c := &matrixCall{method: md, full: fmt.Sprintf("/%s/%s", md.Parent().FullName(), md.Name()), req: mt.New().Interface()}
	c.http = proto.GetExtension(md.Options(), annotations.E_Http).(*annotations.HttpRule)
	tmpl := c.http.GetGet() + c.http.GetPost() + c.http.GetPatch() + c.http.GetDelete()
	c.path = templateField.ReplaceAllStringFunc(tmpl, func(m string) string {
		sub := templateField.FindStringSubmatch(m)
		v := e.resource(sub[2], private)
		setString(c.req.ProtoReflect(), strings.Split(sub[1], "."), v)
		return v
	})
	// A route without the bank in its path (an import) names it in the body.
	if fd := md.Input().Fields().ByName("parent"); fd != nil && !c.req.ProtoReflect().Has(fd) {
		c.req.ProtoReflect().Set(fd, protoreflect.ValueOfString("banks/nybc"))
	}
	setEtags(c.req.ProtoReflect())
	// A valid expiry, so a reservation change reaches the reservation
	// (and its visibility check) rather than stopping at validation.
	if fd := md.Input().Fields().ByName("expire_time"); fd != nil {
		c.req.ProtoReflect().Set(fd, protoreflect.ValueOfMessage(timestamppb.New(testNow.Add(20*24*time.Hour)).ProtoReflect()))
	}
	return c
}

func setString(m protoreflect.Message, path []string, v string) {
	fd := m.Descriptor().Fields().ByName(protoreflect.Name(path[0]))
	if len(path) == 1 {
		m.Set(fd, protoreflect.ValueOfString(v))
		return
	}
	setString(m.Mutable(fd).Message(), path[1:], v)
}

func setEtags(m protoreflect.Message) {
	fds := m.Descriptor().Fields()
	for i := 0; i < fds.Len(); i++ {
		fd := fds.Get(i)
		switch {
		case fd.Name() == "etag" && fd.Kind() == protoreflect.StringKind:
			m.Set(fd, protoreflect.ValueOfString("0"))
		case fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap() && m.Has(fd):
			setEtags(m.Mutable(fd).Message())
		}
	}
}

// grpcCode calls the method over gRPC with secret ("" for none).
func (c *matrixCall) grpcCode(t *testing.T, conn *grpc.ClientConn, secret string) (codes.Code, string) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var opts []grpc.CallOption
	if secret != "" {
		opts = append(opts, grpc.PerRPCCredentials(servertest.BearerCreds(secret)))
	}
	rt, _ := protoregistry.GlobalTypes.FindMessageByName(c.method.Output().FullName())
	resp := rt.New().Interface()
	var err error
	switch {
	case c.method.IsStreamingClient() || c.method.IsStreamingServer():
		var s grpc.ClientStream
		s, err = conn.NewStream(ctx, &grpc.StreamDesc{ClientStreams: c.method.IsStreamingClient(), ServerStreams: c.method.IsStreamingServer()}, c.full, opts...)
		if err == nil {
			// SendMsg returns io.EOF when the server has already ended
			// the stream (a refusal before the first message is read):
			// the status is then what RecvMsg returns.
			if err = s.SendMsg(c.req); err == nil {
				err = s.CloseSend()
			}
			if err == nil || err == io.EOF {
				err = s.RecvMsg(resp)
			}
		}
	default:
		err = conn.Invoke(ctx, c.full, c.req, resp, opts...)
	}
	return status.Code(err), reasonOf(err)
}

func reasonOf(err error) string {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}

// restCode calls the method's REST route with secret ("" for none).
func (c *matrixCall) restCode(t *testing.T, base, secret string) (codes.Code, string) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	method := "GET"
	switch {
	case c.http.GetPost() != "":
		method = "POST"
	case c.http.GetPatch() != "":
		method = "PATCH"
	}
	var body io.Reader
	contentType, path := "application/json", c.path
	if b := c.http.GetBody(); b != "" {
		var m proto.Message = c.req
		if b != "*" {
			fd := c.req.ProtoReflect().Descriptor().Fields().ByName(protoreflect.Name(b))
			if fd.Kind() == protoreflect.BytesKind { // a file upload: the body is the file, the rest the query
				b, contentType = "", "text/csv"
				body = strings.NewReader("din\n")
				path += "?parent=" + url.QueryEscape(c.req.ProtoReflect().Get(c.req.ProtoReflect().Descriptor().Fields().ByName("parent")).String())
			} else {
				m = c.req.ProtoReflect().Get(fd).Message().Interface()
			}
		}
		if b != "" {
			js, err := protojson.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			body = strings.NewReader(string(js))
		}
	}
	req, _ := http.NewRequestWithContext(ctx, method, base+path, body)
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// One line is enough: a watch streams one JSON object per line.
	line, _ := bufio.NewReader(resp.Body).ReadBytes('\n')
	var st struct {
		Code    int `json:"code"`
		Details []struct {
			Reason string `json:"reason"`
		} `json:"details"`
		Error *struct {
			Code    int `json:"code"`
			Details []struct {
				Reason string `json:"reason"`
			} `json:"details"`
		} `json:"error"`
	}
	_ = json.Unmarshal(line, &st)
	if st.Error != nil {
		st.Code, st.Details = st.Error.Code, st.Error.Details
	}
	if resp.StatusCode == http.StatusOK && st.Error == nil {
		return codes.OK, ""
	}
	reason := ""
	if len(st.Details) > 0 {
		reason = st.Details[0].Reason
	}
	return codes.Code(st.Code), reason
}

// outcome classifies an answer as the matrix does.
func outcome(code codes.Code, reason string) byte {
	switch {
	case code == codes.Unauthenticated:
		return 'U'
	case code == codes.PermissionDenied:
		return 'D'
	case code == codes.NotFound && (reason == "UNIT_NOT_FOUND" || reason == "RESERVATION_NOT_FOUND"):
		return 'N'
	}
	return 'A'
}

// TestAuthorizationMatrix calls every RPC of every service, over gRPC and
// REST, without credentials, with a bogus token, and as every role from
// the target's own and from another organisation.
func TestAuthorizationMatrix(t *testing.T) {
	e := startMatrix(t)
	conn, err := grpc.NewClient(e.srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	seen := 0
	for _, sd := range cordbankServices() {
		for i := 0; i < sd.Methods().Len(); i++ {
			md := sd.Methods().Get(i)
			key := string(sd.Name()) + "/" + string(md.Name())
			want, ok := matrixWant[key]
			if !ok {
				t.Errorf("%s has no row in the authorization matrix (and so, probably, no rule)", key)
				continue
			}
			seen++
			t.Run(key, func(t *testing.T) {
				c := newMatrixCall(t, e, md, false)
				for _, secret := range []string{"", "cbk_not-a-token"} {
					if code, _ := c.grpcCode(t, conn, secret); code != codes.Unauthenticated {
						t.Errorf("gRPC with credentials %q: %v, want Unauthenticated", secret, code)
					}
					if code, _ := c.restCode(t, e.srv.HTTPURL, secret); code != codes.Unauthenticated {
						t.Errorf("REST with credentials %q: %v, want Unauthenticated", secret, code)
					}
				}
				var gotGRPC, gotREST []byte
				for j := range matrixCallers {
					gotGRPC = append(gotGRPC, outcome(c.grpcCode(t, conn, e.secrets[j])))
					gotREST = append(gotREST, outcome(c.restCode(t, e.srv.HTTPURL, e.secrets[j])))
				}
				if string(gotGRPC) != want || string(gotREST) != want {
					t.Errorf("gRPC %s\nREST %s\nwant %s (columns: %s)", gotGRPC, gotREST, want, callerNames())
				}
			})
		}
	}
	if seen != len(matrixWant) {
		t.Errorf("matrix has %d rows, the API %d methods: remove rows of removed methods", len(matrixWant), seen)
	}
}

func callerNames() string {
	var s []string
	for _, c := range matrixCallers {
		s = append(s, c.name)
	}
	return strings.Join(s, " ")
}
