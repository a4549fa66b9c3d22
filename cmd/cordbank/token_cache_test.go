package main

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/credential"
	"github.com/cordbank/cordbank/client"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
	"github.com/cordbank/cordbank/server/servertest"
)

// TestTokenRevokedByAnotherProcess: `cordbank token revoke --db` on the
// database a server is using (its own store, connections and token cache,
// as another process has) stops the token in the server within
// credential.TokenRecheckEvery of the server's clock.
func TestTokenRevokedByAnotherProcess(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	db := filepath.Join(t.TempDir(), "cordbank.db")
	srv, err := servertest.Start(servertest.WithDatabase(db), servertest.WithServiceOptions(bank.WithClock(clock)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	ctx := t.Context()
	adm, err := client.New(srv.GRPCAddr, client.WithToken(srv.AdminToken()))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	made, err := adm.CreateToken(ctx, &pb.Token{Principal: "tc-reader", Role: pb.Role_ROLE_COORDINATOR, Org: "tc-1"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(srv.GRPCAddr, client.WithToken(made.GetSecret()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	call := func() error {
		for _, err := range c.ListBanks(ctx) {
			if err != nil {
				return err
			}
		}
		return nil
	}
	if err := call(); err != nil {
		t.Fatalf("fresh token: %v", err)
	}
	id := strings.TrimPrefix(made.GetToken().GetName(), "tokens/")
	if code, out, errOut := runCLI("token", "revoke", "--db", db, id); code != 0 {
		t.Fatalf("token revoke: exit %d: %s%s", code, out, errOut)
	}
	advance(credential.TokenRecheckEvery)
	if err := call(); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("revoked by another process, %v later: %v, want Unauthenticated", credential.TokenRecheckEvery, err)
	}
}
