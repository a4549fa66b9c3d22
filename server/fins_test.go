package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/cordbank/cordbank/bank"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
	"github.com/cordbank/cordbank/server/servertest"
)

// The registry administrator assigns FINs; a bank registers units under
// its own FINs only, and the refusal of another's names the field.
func TestAssignFINsAndRegisterUnderThem(t *testing.T) {
	srv, reg := start(t)
	ctx := t.Context()
	mgr, err := srv.Token(bank.RoleManager, "nybc")
	if err != nil {
		t.Fatal(err)
	}
	asMgr := grpc.PerRPCCredentials(servertest.BearerCreds(mgr))
	if _, err := reg.CreateBank(ctx, &pb.CreateBankRequest{BankId: "other", Bank: &pb.Bank{DisplayName: "Other", Fin: "G9876", Country: "US"}}); err != nil {
		t.Fatal(err)
	}
	conn := grpcConnWithout(t, srv)
	mreg := pb.NewRegistryServiceClient(conn)

	// A manager may rename its bank but not change its FINs.
	fins := &pb.UpdateBankRequest{Bank: &pb.Bank{Name: "banks/nybc", Fins: []string{"G1234", "G5555"}}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"fins"}}}
	if _, err := mreg.UpdateBank(ctx, fins, asMgr); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("manager assigning FINs: %v, want PermissionDenied", err)
	}
	if _, err := mreg.UpdateBank(ctx, &pb.UpdateBankRequest{Bank: &pb.Bank{Name: "banks/nybc", DisplayName: "Renamed"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name"}}}, asMgr); err != nil {
		t.Fatalf("manager renaming its bank: %v", err)
	}
	b, err := reg.UpdateBank(ctx, fins)
	if err != nil {
		t.Fatalf("admin assigning FINs: %v", err)
	}
	if got := strings.Join(b.GetFins(), ","); got != "G1234,G5555" {
		t.Errorf("fins %q, want G1234,G5555", got)
	}
	// Another bank's FIN is taken.
	_, err = reg.UpdateBank(ctx, &pb.UpdateBankRequest{Bank: &pb.Bank{Name: "banks/nybc", Fins: []string{"G1234", "G9876"}}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"fins"}}})
	if info, _ := errorInfo(t, err); status.Code(err) != codes.AlreadyExists || info.GetReason() != "FIN_ALREADY_REGISTERED" {
		t.Errorf("assigning another bank's FIN: %v", err)
	}

	if _, err := mreg.CreateUnit(ctx, &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: validUnit("G555526000001")}, asMgr); err != nil {
		t.Fatalf("unit under the new FIN: %v", err)
	}
	_, err = mreg.CreateUnit(ctx, &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: validUnit("G987626000001")}, asMgr)
	info, br := errorInfo(t, err)
	if status.Code(err) != codes.InvalidArgument || info.GetReason() != "FIN_NOT_OWNED" || br == nil || br.GetFieldViolations()[0].GetField() != "unit.din" {
		t.Errorf("unit under another bank's FIN: %v (%v, %v)", err, info, br)
	}
	// Over REST, as the README shows it: the administrator assigns, the
	// unit under another bank's FIN is a 400 with the reason.
	patch, _ := http.NewRequestWithContext(ctx, "PATCH", srv.HTTPURL+"/v1/banks/nybc?updateMask=fins", strings.NewReader(`{"fins": ["G1234", "G5555", "G5556"]}`))
	patch.Header.Set("Authorization", "Bearer "+srv.AdminToken())
	patch.Header.Set("Content-Type", "application/json")
	presp, err := http.DefaultClient.Do(patch)
	if err != nil {
		t.Fatal(err)
	}
	pbody, _ := io.ReadAll(presp.Body)
	presp.Body.Close()
	if presp.StatusCode != http.StatusOK || !strings.Contains(string(pbody), `"G5556"`) {
		t.Errorf("REST assigning FINs: %d %s", presp.StatusCode, pbody)
	}
	js, _ := protojson.Marshal(validUnit("G987626000002"))
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.HTTPURL+"/v1/banks/nybc/units", strings.NewReader(string(js)))
	req.Header.Set("Authorization", "Bearer "+mgr)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"FIN_NOT_OWNED"`) {
		t.Errorf("REST create under another bank's FIN: %d %s, want 400 FIN_NOT_OWNED", resp.StatusCode, body)
	}
}

// grpcConnWithout dials srv without credentials (each call brings its own).
func grpcConnWithout(t *testing.T, srv *servertest.Server) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
