package server_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/audit"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
	"github.com/cordbank/cordbank/server"
	"github.com/cordbank/cordbank/server/servertest"
)

// TestGetLatestAuditCheckpoint: the API hands out the signed head, which
// verifies over its signed message with the signer's key (over REST too);
// only auditors read it; a server that signs nothing says so.
func TestGetLatestAuditCheckpoint(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	cp := audit.SignCheckpoint(key, 42, strings.Repeat("ab", 32), time.Date(2026, 12, 1, 12, 0, 0, 123, time.UTC))
	srv, err := servertest.Start(servertest.WithServerConfig(func(c *server.Config) {
		c.LatestCheckpoint = func() *audit.Checkpoint { return &cp }
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	ac, _, reg := auditClients(t, srv)
	if _, err := reg.CreateBank(t.Context(), &pb.CreateBankRequest{BankId: "nybc", Bank: &pb.Bank{DisplayName: "Test Bank", Fin: "G1234", Country: "US"}}); err != nil {
		t.Fatal(err)
	}
	got, err := ac.GetLatestAuditCheckpoint(t.Context(), &pb.GetLatestAuditCheckpointRequest{})
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := base64.StdEncoding.DecodeString(got.GetSignature())
	if got.GetSeq() != 42 || got.GetHeadHash() != cp.Head || !ed25519.Verify(pub, []byte(got.GetSignedMessage()), sig) ||
		!got.GetSignTime().AsTime().Equal(cp.Time) || !strings.Contains(got.GetSignedMessage(), "\n42\n"+cp.Head+"\n") {
		t.Fatalf("checkpoint %v does not verify with the signing key", got)
	}
	resp, err := srv.HTTPClient().Get(srv.HTTPURL + "/v1/auditTrail/latestCheckpoint")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("REST: %v %v", resp, err)
	}
	resp.Body.Close()

	manager, err := srv.Token(bank.RoleManager, "nybc")
	if err != nil {
		t.Fatal(err)
	}
	_, err = pb.NewAuditServiceClient(connAs(t, srv, manager)).GetLatestAuditCheckpoint(t.Context(), &pb.GetLatestAuditCheckpointRequest{})
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("a manager reads the checkpoint: %v", err)
	}

	plain, err := servertest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(plain.Close)
	ac2, _, _ := auditClients(t, plain)
	if _, err := ac2.GetLatestAuditCheckpoint(t.Context(), &pb.GetLatestAuditCheckpointRequest{}); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("without checkpoints: %v", err)
	}
}
