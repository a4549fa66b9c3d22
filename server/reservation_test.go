package server_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cordbank/cordbank/client"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// TestReservationsOverGRPCAndREST: a centre reserves, extends, asks for
// typing and shipment; many clients racing for one unit get one winner;
// a reserved unit is gone from search at once.
func TestReservationsOverGRPCAndREST(t *testing.T) {
	srv, c := start(t)
	ctx := context.Background()
	for i := 1; i <= 2; i++ {
		din := fmt.Sprintf("G12342600000%d", i)
		if _, err := c.CreateUnit(ctx, &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: searchUnit(din, "A*02:01+A*24:02", "B*07:02+B*44:02", "C*05:01+C*07:02", "DRB1*04:01+DRB1*15:01", 1.2e9)}); err != nil {
			t.Fatal(err)
		}
		release(t, srv, "nybc", din)
	}
	search := func() int {
		resp, err := pb.NewSearchServiceClient(grpcConn(t, srv)).SearchUnits(ctx, &pb.SearchUnitsRequest{Patient: patient, WeightKg: 20, Disease: pb.DiseaseClass_DISEASE_CLASS_MALIGNANT})
		if err != nil {
			t.Fatal(err)
		}
		return len(resp.GetMatches())
	}
	if n := search(); n != 2 {
		t.Fatalf("search before reserving: %d", n)
	}

	// Many SDK clients race for unit 1: exactly one wins.
	expire := testNow.Add(14 * 24 * time.Hour)
	var wins, losses atomic.Int32
	var winner atomic.Value
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			sdk, err := client.New(srv.GRPCAddr, client.WithToken(srv.AdminToken()))
			if err != nil {
				t.Error(err)
				return
			}
			defer sdk.Close()
			r, err := sdk.ReserveUnit(ctx, "banks/nybc/units/G123426000001", "tc-"+fmt.Sprint(i), "P-"+fmt.Sprint(i), expire)
			switch {
			case err == nil:
				wins.Add(1)
				winner.Store(r)
			case errorsIs(err, client.ErrUnitNotReservable), errorsIs(err, client.ErrAborted):
				losses.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 || losses.Load() != 7 {
		t.Fatalf("%d wins, %d losses", wins.Load(), losses.Load())
	}
	if n := search(); n != 1 {
		t.Fatalf("search after reserving: %d units, want 1", n)
	}
	res := winner.Load().(*pb.Reservation)
	if res.GetStatus() != pb.ReservationStatus_RESERVATION_STATUS_ACTIVE || !strings.HasPrefix(res.GetName(), "banks/nybc/units/G123426000001/reservations/") {
		t.Fatalf("reservation = %v", res)
	}
	u, _ := c.GetUnit(ctx, &pb.GetUnitRequest{Name: "banks/nybc/units/G123426000001"})
	if u.GetStatus() != pb.UnitStatus_UNIT_STATUS_RESERVED || u.GetEmdisStatus() != "RS" {
		t.Fatalf("unit = %s %s", u.GetStatus(), u.GetEmdisStatus())
	}

	// REST: extend, then request shipment.
	body := fmt.Sprintf(`{"expireTime": %q}`, testNow.Add(30*24*time.Hour).Format(time.RFC3339))
	resp, err := srv.HTTPClient().Post(srv.HTTPURL+"/v1/"+res.GetName()+":extend", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(raw), testNow.Add(30*24*time.Hour).Format("2006-01-02")) {
		t.Fatalf("extend over REST: %d %s", resp.StatusCode, raw)
	}
	rc := pb.NewReservationServiceClient(grpcConn(t, srv))
	if _, err := rc.RequestShipment(ctx, &pb.RequestShipmentRequest{Name: res.GetName()}); err != nil {
		t.Fatal(err)
	}
	// Bad input: expiry in the past; a quarantined unit; an unknown reservation.
	_, err = rc.ReserveUnit(ctx, &pb.ReserveUnitRequest{Name: "banks/nybc/units/G123426000002", TransplantCenter: "tc", PatientId: "P", ExpireTime: timestamppb.New(testNow.Add(-time.Hour))})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("past expiry: %v", err)
	}
	_, err = rc.GetReservation(ctx, &pb.GetReservationRequest{Name: "banks/nybc/units/G123426000002/reservations/nope"})
	if info, _ := errorInfo(t, err); status.Code(err) != codes.NotFound || info.GetReason() != "RESERVATION_NOT_FOUND" {
		t.Fatalf("unknown reservation: %v", err)
	}
	list, err := rc.ListReservations(ctx, &pb.ListReservationsRequest{Parent: "banks/nybc", OpenOnly: true})
	if err != nil || len(list.GetReservations()) != 1 || list.GetReservations()[0].GetStatus() != pb.ReservationStatus_RESERVATION_STATUS_SHIPMENT_REQUESTED {
		t.Fatalf("list = %v, %v", list, err)
	}
}

func errorsIs(err, target error) bool {
	e, ok := client.AsError(err)
	return ok && e.Is(target)
}
