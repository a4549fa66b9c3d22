package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cordbank/cordbank/bank"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
	"github.com/cordbank/cordbank/server/servertest"
)

func inventoryClient(t *testing.T, srv *servertest.Server) pb.InventoryServiceClient {
	t.Helper()
	conn, err := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()), srv.AdminAuth())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return pb.NewInventoryServiceClient(conn)
}

func startAt(t *testing.T, path string) (*servertest.Server, pb.RegistryServiceClient, pb.InventoryServiceClient) {
	t.Helper()
	srv, err := servertest.Start(servertest.WithDatabase(path), servertest.WithServiceOptions(bank.WithClock(func() time.Time { return testNow })))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()), srv.AdminAuth())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return srv, pb.NewRegistryServiceClient(conn), pb.NewInventoryServiceClient(conn)
}

func slotsLayout(n int32) *pb.ContainerLayout {
	return &pb.ContainerLayout{Kind: pb.LayoutKind_LAYOUT_KIND_SLOTS, Slots: n}
}

func gridLayout(r, c int32) *pb.ContainerLayout {
	return &pb.ContainerLayout{Kind: pb.LayoutKind_LAYOUT_KIND_GRID, Rows: r, Columns: c}
}

// entries renders a map's occupied positions as "position=occupant" with
// the occupant's last name segment.
func entries(t *testing.T, inv pb.InventoryServiceClient, name string) []string {
	t.Helper()
	m, err := inv.GetContainerMap(context.Background(), &pb.GetContainerMapRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range m.GetEntries() {
		occ := e.GetUnit() + e.GetContainer()
		if occ != "" {
			out = append(out, e.GetPosition()+"="+occ[strings.LastIndex(occ, "/")+1:])
		}
	}
	return out
}

func wantEntries(t *testing.T, inv pb.InventoryServiceClient, name string, want ...string) {
	t.Helper()
	if d := cmp.Diff(want, entries(t, inv, name)); d != "" {
		t.Errorf("map of %s (-want +got):\n%s", name, d)
	}
}

func wantReason(t *testing.T, what string, err error, code codes.Code, reason string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want %s %s", what, code, reason)
		return
	}
	if info, _ := errorInfo(t, err); status.Code(err) != code || info.GetReason() != reason {
		t.Errorf("%s: %v (%s), want %s %s", what, err, info.GetReason(), code, reason)
	}
}

func TestInventoryGRPC(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cordbank.db")
	srv, reg, inv := startAt(t, path)
	ctx := context.Background()
	if _, err := reg.CreateBank(ctx, &pb.CreateBankRequest{BankId: "nybc", Bank: &pb.Bank{DisplayName: "Test Bank", Fin: "G1234", Country: "US"}}); err != nil {
		t.Fatal(err)
	}
	var units []string
	for i := range 3 {
		u, err := reg.CreateUnit(ctx, &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: validUnit(fmt.Sprintf("G12349865432%d", i))})
		if err != nil {
			t.Fatal(err)
		}
		units = append(units, u.GetName())
	}
	max := -150.0
	batch, err := inv.BatchCreateContainers(ctx, &pb.BatchCreateContainersRequest{Parent: "banks/nybc", RequestId: "h-1", Requests: []*pb.CreateContainerRequest{
		{ContainerId: "tank-1", Container: &pb.Container{Kind: pb.ContainerKind_CONTAINER_KIND_TANK, Label: "T1", Layout: slotsLayout(4), MaxTemperatureCelsius: &max}},
		{ContainerId: "tank-2", Container: &pb.Container{Kind: pb.ContainerKind_CONTAINER_KIND_TANK, Label: "T2", Layout: slotsLayout(4)}},
		{ContainerId: "rack-1", Container: &pb.Container{Kind: pb.ContainerKind_CONTAINER_KIND_RACK, Label: "R1", Parent: "banks/nybc/containers/tank-1", Layout: slotsLayout(3)}},
		{ContainerId: "box-1", Container: &pb.Container{Kind: pb.ContainerKind_CONTAINER_KIND_BOX, Label: "B1", Parent: "banks/nybc/containers/rack-1", ParentPosition: "2", Layout: gridLayout(8, 12)}},
		{ContainerId: "box-2", Container: &pb.Container{Kind: pb.ContainerKind_CONTAINER_KIND_BOX, Label: "B2", Parent: "banks/nybc/containers/tank-1", Layout: gridLayout(8, 12)}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if c := batch.GetContainers()[4]; c.GetParentPosition() != "2" || c.GetEtag() != "1" || c.GetParent() != "banks/nybc/containers/tank-1" {
		t.Fatalf("box-2 = %v", c)
	}
	if c := batch.GetContainers()[1]; c.GetMaxTemperatureCelsius() != -150 || c.MinTemperatureCelsius != nil {
		t.Fatalf("tank-2 limits = %v", c)
	}

	loc, err := inv.PlaceUnit(ctx, &pb.PlaceUnitRequest{Name: units[0], Container: "banks/nybc/containers/box-1", Position: "h12"})
	if err != nil {
		t.Fatal(err)
	}
	if loc.GetPosition() != "H12" || len(loc.GetPath()) != 3 || loc.GetUnit() != units[0] {
		t.Fatalf("location = %v", loc)
	}
	if _, err := inv.PlaceUnit(ctx, &pb.PlaceUnitRequest{Name: units[1], Container: "banks/nybc/containers/box-1"}); err != nil {
		t.Fatal(err)
	}
	wantEntries(t, inv, "banks/nybc/containers/box-1", "A1=G123498654321", "H12=G123498654320")

	// Bad input: precise codes and reasons, nothing changes.
	_, err = inv.PlaceUnit(ctx, &pb.PlaceUnitRequest{Name: units[2], Container: "banks/nybc/containers/box-1", Position: "I1"})
	wantReason(t, "outside the grid", err, codes.InvalidArgument, "POSITION_OUT_OF_LAYOUT")
	if _, br := errorInfo(t, err); br.GetFieldViolations()[0].GetField() != "position" {
		t.Errorf("outside the grid: violations %v", br)
	}
	_, err = inv.PlaceUnit(ctx, &pb.PlaceUnitRequest{Name: units[2], Container: "banks/nybc/containers/box-1", Position: "A1"})
	wantReason(t, "occupied", err, codes.FailedPrecondition, "POSITION_OCCUPIED")
	if info, _ := errorInfo(t, err); info.GetMetadata()["occupant"] != units[1] {
		t.Errorf("occupied: metadata %v", info.GetMetadata())
	}
	_, err = inv.PlaceUnit(ctx, &pb.PlaceUnitRequest{Name: units[2], Container: "banks/other/containers/box-1"})
	wantReason(t, "container of another bank", err, codes.InvalidArgument, "INVALID_ARGUMENT")
	_, err = inv.PlaceUnit(ctx, &pb.PlaceUnitRequest{Name: units[2], Container: "banks/nybc/containers/nowhere"})
	wantReason(t, "unknown container", err, codes.InvalidArgument, "CONTAINER_NOT_FOUND")
	_, err = inv.MoveContainer(ctx, &pb.MoveContainerRequest{Name: "banks/nybc/containers/tank-1", Parent: "banks/nybc/containers/box-1"})
	wantReason(t, "cycle", err, codes.FailedPrecondition, "CONTAINER_CYCLE")
	_, err = inv.MoveContainer(ctx, &pb.MoveContainerRequest{Name: "banks/nybc/containers/box-1", Parent: "banks/nybc/containers/tank-2", Etag: "9"})
	wantReason(t, "stale etag", err, codes.Aborted, "ETAG_MISMATCH")
	_, err = inv.GetContainer(ctx, &pb.GetContainerRequest{Name: "banks/nybc/containers/nowhere"})
	wantReason(t, "get unknown", err, codes.NotFound, "CONTAINER_NOT_FOUND")
	_, err = inv.CreateContainer(ctx, &pb.CreateContainerRequest{Parent: "banks/nybc", ContainerId: "bag", Container: &pb.Container{
		Kind: pb.ContainerKind_CONTAINER_KIND_BOX, Label: "BAG", Layout: &pb.ContainerLayout{Kind: pb.LayoutKind_LAYOUT_KIND_NONE, Capacity: -2}}})
	wantReason(t, "negative capacity", err, codes.InvalidArgument, "INVALID_ARGUMENT")
	_, err = inv.EvacuateContainer(ctx, &pb.EvacuateContainerRequest{Name: "banks/nybc/containers/tank-1", Target: "banks/nybc/containers/box-2"})
	wantReason(t, "evacuate into a box", err, codes.InvalidArgument, "LAYOUT_MISMATCH")
	wantEntries(t, inv, "banks/nybc/containers/box-1", "A1=G123498654321", "H12=G123498654320")

	// Move box-1 into the tank, then evacuate the tank into its backup.
	mb, err := inv.MoveContainer(ctx, &pb.MoveContainerRequest{Name: "banks/nybc/containers/box-1", Parent: "banks/nybc/containers/tank-1", Position: "4", Etag: "1"})
	if err != nil || mb.GetParentPosition() != "4" || mb.GetEtag() != "2" {
		t.Fatalf("moved box = %v, %v", mb, err)
	}
	wantEntries(t, inv, "banks/nybc/containers/tank-1", "1=rack-1", "2=box-2", "4=box-1")
	ev, err := inv.EvacuateContainer(ctx, &pb.EvacuateContainerRequest{Name: "banks/nybc/containers/tank-1", Target: "banks/nybc/containers/tank-2"})
	if err != nil || ev.GetContainersMoved() != 3 || ev.GetUnitsMoved() != 0 {
		t.Fatalf("evacuation = %v, %v", ev, err)
	}
	wantEntries(t, inv, "banks/nybc/containers/tank-1")
	wantEntries(t, inv, "banks/nybc/containers/tank-2", "1=rack-1", "2=box-2", "4=box-1")
	wantEntries(t, inv, "banks/nybc/containers/box-1", "A1=G123498654321", "H12=G123498654320")

	occ, err := inv.GetContainerOccupancy(ctx, &pb.GetContainerOccupancyRequest{Name: "banks/nybc/containers/tank-2"})
	if err != nil || occ.GetUnits() != 2 || occ.GetPlaces() != 4+3+96+96 || occ.GetFree() != 1+3+94+96 || len(occ.GetChildren()) != 3 {
		t.Fatalf("occupancy = %v, %v", occ, err)
	}
	free, err := inv.FindFreePositions(ctx, &pb.FindFreePositionsRequest{Parent: "banks/nybc", Within: "banks/nybc/containers/box-1", Count: 2})
	if err != nil || free.GetPositions()[0].GetPosition() != "A2" || free.GetPositions()[1].GetPosition() != "A3" {
		t.Fatalf("free = %v, %v", free, err)
	}

	// Temperature: an excursion exposes both units.
	rr, err := inv.RecordTemperatureReading(ctx, &pb.RecordTemperatureReadingRequest{Parent: "banks/nybc/containers/tank-2",
		Reading: &pb.TemperatureReading{Celsius: -120, Time: timestamppb.New(testNow.Add(-time.Minute))}})
	if err != nil || !rr.GetOpened() || rr.GetExcursion().GetUnitsExposed() != 2 {
		t.Fatalf("reading = %v, %v", rr, err)
	}
	ex, err := inv.ListExcursions(ctx, &pb.ListExcursionsRequest{Parent: "banks/nybc", State: pb.ExcursionState_EXCURSION_STATE_OPEN})
	if err != nil || len(ex.GetExcursions()) != 1 || ex.GetExcursions()[0].GetContainer() != "banks/nybc/containers/tank-2" {
		t.Fatalf("excursions = %v, %v", ex, err)
	}

	// Restart on the same database keeps everything.
	srv.Close()
	srv, _, inv = startAt(t, path)
	defer srv.Close()
	wantEntries(t, inv, "banks/nybc/containers/tank-2", "1=rack-1", "2=box-2", "4=box-1")
	wantEntries(t, inv, "banks/nybc/containers/box-1", "A1=G123498654321", "H12=G123498654320")
	loc, err = inv.GetUnitLocation(ctx, &pb.GetUnitLocationRequest{Name: units[0]})
	if err != nil || loc.GetContainer() != "banks/nybc/containers/box-1" || loc.GetPath()[0] != "banks/nybc/containers/tank-2" {
		t.Fatalf("location after restart = %v, %v", loc, err)
	}
	ex, _ = inv.ListExcursions(ctx, &pb.ListExcursionsRequest{Parent: "banks/nybc"})
	if len(ex.GetExcursions()) != 1 {
		t.Errorf("excursions after restart = %v", ex)
	}
}

func TestInventoryREST(t *testing.T) {
	srv, reg := start(t)
	ctx := context.Background()
	u, err := reg.CreateUnit(ctx, &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: validUnit("G123498654321")})
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.HTTPURL+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := srv.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var out map[string]any
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: %s", method, path, b)
		}
		return resp.StatusCode, out
	}
	code, body := do("POST", "/v1/banks/nybc/containers?containerId=box-9", `{"kind":"CONTAINER_KIND_BOX","label":"B9","layout":{"kind":"LAYOUT_KIND_GRID","rows":2,"columns":2}}`)
	if code != 200 || body["name"] != "banks/nybc/containers/box-9" {
		t.Fatalf("create: %d %v", code, body)
	}
	code, body = do("POST", "/v1/"+u.GetName()+":place", `{"container":"banks/nybc/containers/box-9","position":"2,1"}`)
	if code != 200 || body["position"] != "B1" {
		t.Fatalf("place: %d %v", code, body)
	}
	code, body = do("GET", "/v1/banks/nybc/containers/box-9:map", "")
	if code != 200 || len(body["entries"].([]any)) != 4 || body["entries"].([]any)[2].(map[string]any)["unit"] != u.GetName() {
		t.Fatalf("map: %d %v", code, body)
	}
	code, body = do("GET", "/v1/"+u.GetName()+"/location", "")
	if code != 200 || body["container"] != "banks/nybc/containers/box-9" {
		t.Fatalf("location: %d %v", code, body)
	}
	code, body = do("POST", "/v1/"+u.GetName()+":move", `{"container":"banks/nybc/containers/box-9","position":"C1"}`)
	if code != 400 || !strings.Contains(fmt.Sprint(body["details"]), "POSITION_OUT_OF_LAYOUT") {
		t.Fatalf("move outside: %d %v", code, body)
	}
	code, body = do("GET", "/v1/banks/nybc/containers?pageSize=10", "")
	if code != 200 || len(body["containers"].([]any)) != 1 {
		t.Fatalf("list: %d %v", code, body)
	}
	code, body = do("GET", "/v1/banks/nybc/containers/box-9:occupancy", "")
	if code != 200 || body["free"] != float64(3) {
		t.Fatalf("occupancy: %d %v", code, body)
	}
	code, body = do("POST", "/v1/banks/nybc/containers:findFreePositions", `{"count":5}`)
	if code != 400 || !strings.Contains(fmt.Sprint(body["details"]), "CONTAINER_FULL") {
		t.Fatalf("find 5: %d %v", code, body)
	}
	code, body = do("POST", "/v1/banks/nybc/containers/box-9/temperatureReadings", `{"celsius":-190}`)
	if code != 400 {
		t.Fatalf("reading of a box: %d %v", code, body)
	}
	code, body = do("GET", "/v1/banks/nybc/excursions", "")
	if code != 200 {
		t.Fatalf("excursions: %d %v", code, body)
	}
}

// Every storage reason of the domain is an ErrorReason on the wire.
func TestStorageReasonsAreOnTheWire(t *testing.T) {
	for _, r := range []bank.Reason{bank.ReasonContainerNotFound, bank.ReasonContainerAlreadyExists, bank.ReasonLabelAlreadyExists,
		bank.ReasonPositionOutOfLayout, bank.ReasonPositionOccupied, bank.ReasonContainerFull, bank.ReasonContainerCycle,
		bank.ReasonIllegalNesting, bank.ReasonContainerNotEmpty, bank.ReasonLayoutMismatch, bank.ReasonUnitNotStorable,
		bank.ReasonUnitAlreadyPlaced, bank.ReasonUnitNotPlaced} {
		if _, ok := pb.ErrorReason_value[string(r)]; !ok {
			t.Errorf("%s is not a cordbank.v1.ErrorReason", r)
		}
	}
}
