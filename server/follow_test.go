package server_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
	"github.com/cordbank/cordbank/server/servertest"
)

// TestSearchFollowsOtherServers runs two servers, each with its own search
// index, over one database. A unit released through one is found by a
// search on the other at once, and once reserved through one it is gone
// from the other's results at once: a search catches up with the trail
// before it runs, so it sees every write acknowledged before it began,
// whichever server made it. No waiting, no polling in the test.
func TestSearchFollowsOtherServers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cordbank.db")
	var servers [2]*servertest.Server
	var conns [2]*grpc.ClientConn
	for i := range servers {
		srv, err := servertest.Start(servertest.WithDatabase(path), servertest.WithServiceOptions(bank.WithClock(func() time.Time { return testNow })))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Close)
		conn, err := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()), srv.AdminAuth())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		servers[i], conns[i] = srv, conn
	}
	ctx := t.Context()
	// The bank is created through server 0 after both indexes were built:
	// server 1 learns of it by following the trail too.
	if _, err := pb.NewRegistryServiceClient(conns[0]).CreateBank(ctx, &pb.CreateBankRequest{BankId: "nybc", Bank: &pb.Bank{
		DisplayName: "Test Bank", Fin: "G1234", Country: "US", Accreditations: []pb.Accreditation{pb.Accreditation_ACCREDITATION_FACT_NETCORD},
	}}); err != nil {
		t.Fatal(err)
	}
	found := func(via int, name string) bool {
		t.Helper()
		res, err := pb.NewSearchServiceClient(conns[via]).SearchUnits(ctx, &pb.SearchUnitsRequest{
			Patient:  &pb.PatientTyping{GlString: "A*02:01+A*24:02^B*07:02+B*44:02^DRB1*15:01+DRB1*04:01"},
			WeightKg: 20, Disease: pb.DiseaseClass_DISEASE_CLASS_MALIGNANT, Criterion: pb.MatchCriterion_MATCH_CRITERION_SIX_OF_SIX})
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(res.GetMatches(), func(m *pb.UnitMatch) bool { return m.GetUnit() == name })
	}
	for round := range 20 {
		writer, reader := round%2, 1-round%2
		name := fmt.Sprintf("banks/nybc/units/%s", banktest.DIN("G1234", 26, 100+round))
		if _, err := pb.NewRegistryServiceClient(conns[writer]).CreateUnit(ctx, &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: validUnit(name[len("banks/nybc/units/"):])}); err != nil {
			t.Fatal(err)
		}
		if _, err := pb.NewLifecycleServiceClient(conns[writer]).ReleaseUnit(ctx, &pb.ReleaseUnitRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
		if !found(reader, name) {
			t.Fatalf("round %d: a unit released through server %d is not found through server %d", round, writer, reader)
		}
		if _, err := pb.NewReservationServiceClient(conns[writer]).ReserveUnit(ctx, &pb.ReserveUnitRequest{Name: name,
			TransplantCenter: "tc", PatientId: "P", ExpireTime: timestamppb.New(testNow.Add(24 * time.Hour))}); err != nil {
			t.Fatal(err)
		}
		if found(reader, name) {
			t.Fatalf("round %d: a unit reserved through server %d is still found through server %d", round, writer, reader)
		}
	}
	if got := servers[1].Service.Following(); got <= 0 {
		t.Errorf("server 1 follows the trail at %d", got)
	}
}
