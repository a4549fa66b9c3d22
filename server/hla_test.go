package server_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/hla"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
	"github.com/cordbank/cordbank/server/servertest"
)

// imgt324 is the real IPD-IMGT/HLA 3.24.0 release beside the clone.
const imgt324 = "../../shared/hla/imgt-3.24.0"

func startWithHLA(t *testing.T, dir string) pb.RegistryServiceClient {
	_, c := startServerWithHLA(t, dir)
	return c
}

// startServerWithHLA starts a server reading typings against the release
// in dir (skipped when absent) with one accredited bank, nybc.
func startServerWithHLA(t *testing.T, dir string) (*servertest.Server, pb.RegistryServiceClient) {
	t.Helper()
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("IPD-IMGT/HLA files not found at %s (../shared absent): %v", dir, err)
	}
	ref, err := hla.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := servertest.Start(servertest.WithHLAReference(ref),
		servertest.WithServiceOptions(bank.WithClock(func() time.Time { return testNow })))
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
	if _, err := c.CreateBank(context.Background(), &pb.CreateBankRequest{BankId: "nybc", Bank: &pb.Bank{DisplayName: "T", Fin: "G1234", Country: "US",
		Accreditations: []pb.Accreditation{pb.Accreditation_ACCREDITATION_FACT_NETCORD}}}); err != nil {
		t.Fatal(err)
	}
	return srv, c
}

// TestRegistrationReadsTypings (IPD-IMGT/HLA 3.24.0): a registered unit
// keeps its typing verbatim plus its canonical and reduced forms and the
// release; an allele that never existed, or a deleted one, is refused with
// the locus and the offending text named.
func TestRegistrationReadsTypings(t *testing.T) {
	c := startWithHLA(t, filepath.Join(imgt324))
	ctx := context.Background()
	u := validUnit("G123498654321")
	u.Hla = []*pb.LocusTyping{
		{Locus: "HLA-A", Typing: "HLA-A*01:01:01:01+A*02:01:01:01"},
		{Locus: "b", Typing: "B*15:01+B*44:02"},
		{Locus: "DRB1", Typing: "DRB1*15:01+DRB1*04:AB"}, // MAC without a table: kept, flagged
	}
	got, err := c.CreateUnit(ctx, &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: u})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetHlaRelease() != "3.24.0" {
		t.Errorf("release = %q", got.GetHlaRelease())
	}
	a, b, drb1 := got.GetHla()[0], got.GetHla()[1], got.GetHla()[2]
	if a.GetLocus() != "A" || a.GetTyping() != "HLA-A*01:01:01:01+A*02:01:01:01" || a.GetCanonical() != "A*01:01:01:01+A*02:01:01:01" ||
		a.GetPGroup() != "A*01:01P+A*02:01P" || a.GetLgx() != "A*01:01+A*02:01" || a.GetSerology() != "A1+A2" {
		t.Errorf("A = %v", a)
	}
	if b.GetLocus() != "B" || b.GetSerology() != "B62+B44" {
		t.Errorf("B = %v", b)
	}
	if !strings.Contains(strings.Join(drb1.GetFlags(), ","), "unresolved-mac") {
		t.Errorf("DRB1 flags = %v", drb1.GetFlags())
	}
	// Read back from the store: the same reading.
	again, err := c.GetUnit(ctx, &pb.GetUnitRequest{Name: got.GetName()})
	if err != nil || again.GetHla()[0].GetLgx() != "A*01:01+A*02:01" || again.GetHlaRelease() != "3.24.0" {
		t.Fatalf("get = %v, %v", again, err)
	}

	for _, tc := range []struct{ locus, typing, field, want string }{
		{"A", "A*99:99+A*02:01", "unit.hla.a", `"A*99:99"`},
		{"A", "A*26:03:02+A*02:01", "unit.hla.a", "A*26:111"},        // renamed: the current name is given
		{"B", "B*07:02+A*02:01", "unit.hla.b", "belongs to locus A"}, // a name of another locus
		{"DRB1", "DRB1*banana", "unit.hla.drb1", "banana"},
		{"XYZ", "XYZ*01:01", "unit.hla.xyz", "unknown locus"},
	} {
		bad := validUnit("G123498654322")
		bad.Hla = []*pb.LocusTyping{{Locus: tc.locus, Typing: tc.typing}}
		_, err := c.CreateUnit(ctx, &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: bad})
		if status.Code(err) != codes.InvalidArgument {
			t.Fatalf("%s: %v", tc.typing, err)
		}
		_, br := errorInfo(t, err)
		found := false
		for _, v := range br.GetFieldViolations() {
			if v.GetField() == tc.field && strings.Contains(v.GetDescription(), tc.want) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: violations %v, want %s mentioning %q", tc.typing, br.GetFieldViolations(), tc.field, tc.want)
		}
	}
}
