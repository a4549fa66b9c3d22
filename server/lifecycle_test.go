package server_test

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/cordbank/cordbank/bank"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
	"github.com/cordbank/cordbank/server/servertest"
)

// startLifecycle starts a server with bank nybc and one unit in
// quarantine, and returns lifecycle and registry clients and the unit.
func startLifecycle(t *testing.T) (*servertest.Server, pb.LifecycleServiceClient, pb.RegistryServiceClient, *pb.Unit) {
	t.Helper()
	srv, reg := start(t)
	conn, err := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()), srv.AdminAuth())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	u, err := reg.CreateUnit(context.Background(), &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: validUnit("G123498654321")})
	if err != nil {
		t.Fatal(err)
	}
	return srv, pb.NewLifecycleServiceClient(conn), reg, u
}

func TestLifecycleGRPC(t *testing.T) {
	_, lc, reg, u := startLifecycle(t)
	ctx := context.Background()
	if u.GetDistributingBank() != "banks/nybc" || !u.GetStatusTime().AsTime().Equal(testNow) || u.GetStatusReason() != "" {
		t.Fatalf("new unit: distributing %q, status time %v, reason %q", u.GetDistributingBank(), u.GetStatusTime().AsTime(), u.GetStatusReason())
	}

	rel, err := lc.ReleaseUnit(ctx, &pb.ReleaseUnitRequest{Name: u.GetName(), Etag: u.GetEtag(), Note: "IDM and sterility passed"})
	if err != nil {
		t.Fatal(err)
	}
	if rel.GetStatus() != pb.UnitStatus_UNIT_STATUS_AVAILABLE || rel.GetEmdisStatus() != "AV" || rel.GetEmdisReason() != "" ||
		rel.GetStatusNote() != "IDM and sterility passed" || rel.GetEtag() == u.GetEtag() {
		t.Fatalf("released = %v", rel)
	}

	// Bad input names every field: a date that does not parse, a reason
	// the action does not take.
	_, err = lc.MakeUnitUnavailable(ctx, &pb.MakeUnitUnavailableRequest{Name: u.GetName(), Reason: "CD", Until: "1/12/2026"})
	info, br := errorInfo(t, err)
	if status.Code(err) != codes.InvalidArgument || info.GetReason() != "INVALID_ARGUMENT" || len(br.GetFieldViolations()) != 2 {
		t.Fatalf("bad unavailable request: %v", err)
	}
	_, err = lc.MakeUnitUnavailable(ctx, &pb.MakeUnitUnavailableRequest{Name: u.GetName(), Reason: "AD", Until: "2026-10-31"})
	if _, br := errorInfo(t, err); status.Code(err) != codes.InvalidArgument || br.GetFieldViolations()[0].GetField() != "until" {
		t.Fatalf("until in the past: %v", err)
	}

	tu, err := lc.MakeUnitUnavailable(ctx, &pb.MakeUnitUnavailableRequest{Name: u.GetName(), Etag: rel.GetEtag(), Reason: "qr", Until: "2026-12-01"})
	if err != nil {
		t.Fatal(err)
	}
	if tu.GetStatus() != pb.UnitStatus_UNIT_STATUS_TEMPORARILY_UNAVAILABLE || tu.GetEmdisStatus() != "TU" || tu.GetEmdisReason() != "QR" ||
		tu.GetStatusReason() != "QR" || tu.GetStatusEndDate() != "2026-12-01" {
		t.Fatalf("unavailable = %v", tu)
	}

	// Illegal: FAILED_PRECONDITION naming the current state.
	_, err = lc.ReleaseUnit(ctx, &pb.ReleaseUnitRequest{Name: u.GetName()})
	info, _ = errorInfo(t, err)
	if status.Code(err) != codes.FailedPrecondition || info.GetReason() != "ILLEGAL_TRANSITION" ||
		info.GetMetadata()["status"] != "TEMPORARILY_UNAVAILABLE" || info.GetMetadata()["action"] != "release" {
		t.Fatalf("release of an unavailable unit: %v %v", err, info)
	}
	// Stale etag: ABORTED.
	_, err = lc.MakeUnitAvailable(ctx, &pb.MakeUnitAvailableRequest{Name: u.GetName(), Etag: rel.GetEtag()})
	if info, _ := errorInfo(t, err); status.Code(err) != codes.Aborted || info.GetReason() != "ETAG_MISMATCH" {
		t.Fatalf("stale etag: %v", err)
	}

	av, err := lc.MakeUnitAvailable(ctx, &pb.MakeUnitAvailableRequest{Name: u.GetName(), Etag: tu.GetEtag()})
	if err != nil || av.GetStatus() != pb.UnitStatus_UNIT_STATUS_AVAILABLE || av.GetStatusEndDate() != "" {
		t.Fatalf("available again = %v, %v", av, err)
	}
	dis, err := lc.DiscardUnit(ctx, &pb.DiscardUnitRequest{Name: u.GetName(), Reason: "CD", Note: "bag cracked in dewar 3"})
	if err != nil || dis.GetEmdisStatus() != "DE" || dis.GetEmdisReason() != "CD" || dis.GetStatus() != pb.UnitStatus_UNIT_STATUS_DISCARDED {
		t.Fatalf("discarded = %v, %v", dis, err)
	}
	for name, call := range map[string]func() error{
		"expire": func() error { _, err := lc.ExpireUnit(ctx, &pb.ExpireUnitRequest{Name: u.GetName()}); return err },
		"withdraw": func() error {
			_, err := lc.WithdrawUnit(ctx, &pb.WithdrawUnitRequest{Name: u.GetName(), Reason: "OT"})
			return err
		},
		"ship": func() error { _, err := lc.ShipUnit(ctx, &pb.ShipUnitRequest{Name: u.GetName()}); return err },
		"infusion": func() error {
			_, err := lc.RecordInfusion(ctx, &pb.RecordInfusionRequest{Name: u.GetName()})
			return err
		},
		"transfer": func() error {
			_, err := lc.TransferUnit(ctx, &pb.TransferUnitRequest{Name: u.GetName(), DistributingBank: "banks/nybc"})
			return err
		},
	} {
		if info, _ := errorInfo(t, call()); info.GetReason() != "ILLEGAL_TRANSITION" || info.GetMetadata()["status"] != "DISCARDED" {
			t.Errorf("%s of a discarded unit: %v", name, info)
		}
	}

	// The stored unit keeps everything; the status is not writable by update.
	got, err := reg.GetUnit(ctx, &pb.GetUnitRequest{Name: u.GetName()})
	if err != nil || got.GetStatusNote() != "bag cracked in dewar 3" || got.GetEtag() != dis.GetEtag() {
		t.Fatalf("stored = %v, %v", got, err)
	}
	_, err = reg.UpdateUnit(ctx, &pb.UpdateUnitRequest{Unit: &pb.Unit{Name: u.GetName(), StatusNote: "x"}, UpdateMask: nil})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("update of status_note alone: %v", err)
	}
	// Missing unit, malformed name.
	_, err = lc.ReleaseUnit(ctx, &pb.ReleaseUnitRequest{Name: "banks/nybc/units/G123498654322"})
	if info, _ := errorInfo(t, err); status.Code(err) != codes.NotFound || info.GetReason() != "UNIT_NOT_FOUND" {
		t.Fatalf("missing unit: %v", err)
	}
	_, err = lc.DiscardUnit(ctx, &pb.DiscardUnitRequest{Name: "units/x"})
	if _, br := errorInfo(t, err); status.Code(err) != codes.InvalidArgument || len(br.GetFieldViolations()) != 2 {
		t.Fatalf("bad name and no reason: %v", err)
	}
}

func TestLifecycleTransferGRPC(t *testing.T) {
	_, lc, reg, u := startLifecycle(t)
	ctx := context.Background()
	if _, err := reg.CreateBank(ctx, &pb.CreateBankRequest{BankId: "other", Bank: &pb.Bank{DisplayName: "Other", Fin: "G5678", Country: "DE"}}); err != nil {
		t.Fatal(err)
	}
	_, err := lc.TransferUnit(ctx, &pb.TransferUnitRequest{Name: u.GetName(), DistributingBank: "banks/nowhere"})
	info, br := errorInfo(t, err)
	if status.Code(err) != codes.InvalidArgument || info.GetReason() != "BANK_NOT_FOUND" || br.GetFieldViolations()[0].GetField() != "distributing_bank" {
		t.Fatalf("unknown target: %v", err)
	}
	_, err = lc.TransferUnit(ctx, &pb.TransferUnitRequest{Name: u.GetName(), DistributingBank: "other"})
	if _, br := errorInfo(t, err); status.Code(err) != codes.InvalidArgument || br.GetFieldViolations()[0].GetField() != "distributing_bank" {
		t.Fatalf("target not a bank name: %v", err)
	}
	req := &pb.TransferUnitRequest{Name: u.GetName(), Etag: u.GetEtag(), DistributingBank: "banks/other", RequestId: "0b7d5a52-5e1c-4bfe-9d55-3f3c2c0f0a11"}
	moved, err := lc.TransferUnit(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if moved.GetDistributingBank() != "banks/other" || moved.GetName() != u.GetName() || moved.GetStatus() != u.GetStatus() {
		t.Fatalf("transferred = %v", moved)
	}
	// A retry (with the now stale etag) returns the same result.
	again, err := lc.TransferUnit(ctx, req)
	if err != nil || again.GetEtag() != moved.GetEtag() {
		t.Fatalf("retry = %v, %v", again, err)
	}
	req.DistributingBank = "banks/nybc"
	_, err = lc.TransferUnit(ctx, req)
	if info, _ := errorInfo(t, err); status.Code(err) != codes.InvalidArgument || info.GetReason() != "REQUEST_ID_REUSED" {
		t.Fatalf("reused request id: %v", err)
	}
}

// TestLifecycleREST drives the custom methods over the gateway.
func TestLifecycleREST(t *testing.T) {
	srv, _, _, u := startLifecycle(t)
	base := srv.HTTPURL + "/v1/" + u.GetName()
	post := func(verb, body string) (int, []byte) {
		t.Helper()
		resp, err := srv.HTTPClient().Post(base+":"+verb, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	reason := func(b []byte) string {
		var st struct {
			Details []struct {
				Reason   string            `json:"reason"`
				Metadata map[string]string `json:"metadata"`
			} `json:"details"`
		}
		_ = json.Unmarshal(b, &st)
		for _, d := range st.Details {
			if d.Reason != "" {
				return d.Reason + " " + d.Metadata["status"]
			}
		}
		return string(b)
	}

	code, body := post("release", `{"note": "tests passed"}`)
	var got pb.Unit
	if err := protojson.Unmarshal(body, &got); code != 200 || err != nil || got.GetStatus() != pb.UnitStatus_UNIT_STATUS_AVAILABLE {
		t.Fatalf("release: HTTP %d %s", code, body)
	}
	code, body = post("makeUnavailable", `{"reason": "AD", "until": "2027-01-15", "etag": "`+got.GetEtag()+`"}`)
	if err := protojson.Unmarshal(body, &got); code != 200 || err != nil || got.GetStatusEndDate() != "2027-01-15" || got.GetEmdisReason() != "AD" {
		t.Fatalf("makeUnavailable: HTTP %d %s", code, body)
	}
	for _, tc := range []struct {
		verb, body string
		wantHTTP   int
		want       string
	}{
		{"release", `{}`, 400, "ILLEGAL_TRANSITION TEMPORARILY_UNAVAILABLE"},
		{"makeAvailable", `{"etag": "1"}`, 409, "ETAG_MISMATCH "},
		{"makeUnavailable", `{"reason": "AD", "until": "2020-01-01"}`, 400, "INVALID_ARGUMENT "},
		{"discard", `{"reasn": "CD"}`, 400, "MALFORMED_REQUEST "},
		{"destroy", `{}`, 404, "NOT_FOUND "}, // an unknown verb on a unit route
	} {
		if code, body := post(tc.verb, tc.body); code != tc.wantHTTP || reason(body) != tc.want {
			t.Errorf("%s %s: HTTP %d %s, want %d %s", tc.verb, tc.body, code, body, tc.wantHTTP, tc.want)
		}
	}
	code, body = post("withdraw", `{"reason": "MR", "note": "maternal history"}`)
	if err := protojson.Unmarshal(body, &got); code != 200 || err != nil || got.GetEmdisStatus()+"/"+got.GetEmdisReason() != "DE/MR" {
		t.Fatalf("withdraw: HTTP %d %s", code, body)
	}
}

// TestIllegalTransitionReasonIsOnTheWire: the domain's reason is a value
// of the proto ErrorReason enum, so clients can branch on it.
func TestIllegalTransitionReasonIsOnTheWire(t *testing.T) {
	if _, ok := pb.ErrorReason_value[string(bank.ReasonIllegalTransition)]; !ok {
		t.Fatalf("%s is not an ErrorReason value", bank.ReasonIllegalTransition)
	}
}
