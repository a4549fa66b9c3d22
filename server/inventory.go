package server

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/inventory"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// inventoryService implements pb.InventoryServiceServer over a bank.Service.
type inventoryService struct {
	pb.UnimplementedInventoryServiceServer
	svc *bank.Service
}

const (
	pfxContainerKind = "CONTAINER_KIND_"
	pfxLayoutKind    = "LAYOUT_KIND_"
)

// parseContainerName reads "banks/{bank}/containers/{container}".
func parseContainerName(name string) (string, string, error) {
	parts := strings.Split(name, "/")
	if len(parts) != 4 || parts[0] != "banks" || parts[2] != "containers" {
		return "", "", fmt.Errorf("%q is not a container name of the form banks/{bank}/containers/{container}", name)
	}
	id, err := parseBankName("banks/" + parts[1])
	if err != nil {
		return "", "", err
	}
	if !inventory.ValidContainerID(parts[3]) {
		return "", "", fmt.Errorf("%q is not a valid container id", parts[3])
	}
	return id, parts[3], nil
}

// containerIn parses an optional container name in field of a request on
// bank bankID: it must name a container of that bank. "" gives "".
func containerIn(v *bank.Violations, field, name, bankID string) string {
	if name == "" {
		return ""
	}
	b, id, err := parseContainerName(name)
	switch {
	case err != nil:
		v.Add(field, "%v", err)
	case bankID != "" && b != bankID:
		v.Add(field, "%s is not a container of banks/%s", name, bankID)
	}
	return id
}

func containerFromProto(bankID, id string, c *pb.Container, v *bank.Violations, prefix string) *inventory.Container {
	out := &inventory.Container{Bank: bankID, ID: id,
		Kind:           fromEnum[inventory.ContainerKind](c.GetKind(), pfxContainerKind),
		Parent:         containerIn(v, prefix+"container.parent", c.GetParent(), bankID),
		ParentPosition: c.GetParentPosition(),
		Label:          c.GetLabel(),
		Layout: inventory.Layout{Kind: fromEnum[inventory.LayoutKind](c.GetLayout().GetKind(), pfxLayoutKind),
			Rows: int(c.GetLayout().GetRows()), Columns: int(c.GetLayout().GetColumns()),
			Slots: int(c.GetLayout().GetSlots()), Capacity: int(c.GetLayout().GetCapacity())},
		MinCelsius: c.MinTemperatureCelsius,
		MaxCelsius: c.MaxTemperatureCelsius,
	}
	return out
}

func containerToProto(c *inventory.Container) *pb.Container {
	out := &pb.Container{
		Name:           c.Name(),
		Kind:           pb.ContainerKind(toEnum(pb.ContainerKind(0).Descriptor(), pfxContainerKind, c.Kind)),
		ParentPosition: c.ParentPosition,
		Label:          c.Label,
		Layout: &pb.ContainerLayout{Kind: pb.LayoutKind(toEnum(pb.LayoutKind(0).Descriptor(), pfxLayoutKind, c.Layout.Kind)),
			Rows: int32(c.Layout.Rows), Columns: int32(c.Layout.Columns), Slots: int32(c.Layout.Slots), Capacity: int32(c.Layout.Capacity)},
		MinTemperatureCelsius: c.MinCelsius,
		MaxTemperatureCelsius: c.MaxCelsius,
		CreateTime:            timestamppb.New(c.CreateTime),
		UpdateTime:            timestamppb.New(c.UpdateTime),
		Etag:                  bank.Etag(c.Version),
	}
	if c.Parent != "" {
		out.Parent = inventory.ContainerName(c.Bank, c.Parent)
	}
	return out
}

func locationToProto(unit string, l *inventory.Location) *pb.UnitLocation {
	return &pb.UnitLocation{Unit: unit, Container: l.Container, Position: l.Position, Path: l.Path}
}

func (s *inventoryService) CreateContainer(ctx context.Context, req *pb.CreateContainerRequest) (*pb.Container, error) {
	var v bank.Violations
	id, err := parseBankName(req.GetParent())
	if err != nil {
		v.Add("parent", "%v", err)
	}
	c := containerFromProto(id, req.GetContainerId(), req.GetContainer(), &v, "")
	if err := v.Err("invalid container"); err != nil {
		return nil, err
	}
	out, err := s.svc.CreateContainer(ctx, c, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return containerToProto(out), nil
}

func (s *inventoryService) BatchCreateContainers(ctx context.Context, req *pb.BatchCreateContainersRequest) (*pb.BatchCreateContainersResponse, error) {
	var v bank.Violations
	id, err := parseBankName(req.GetParent())
	if err != nil {
		v.Add("parent", "%v", err)
	}
	cs := make([]*inventory.Container, len(req.GetRequests()))
	for i, r := range req.GetRequests() {
		prefix := fmt.Sprintf("requests[%d].", i)
		if r.GetParent() != "" && r.GetParent() != req.GetParent() {
			v.Add(prefix+"parent", "must be empty or %s", req.GetParent())
		}
		cs[i] = containerFromProto(id, r.GetContainerId(), r.GetContainer(), &v, prefix)
	}
	if err := v.Err("invalid containers"); err != nil {
		return nil, err
	}
	out, err := s.svc.CreateContainers(ctx, id, cs, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	resp := &pb.BatchCreateContainersResponse{}
	for _, c := range out {
		resp.Containers = append(resp.Containers, containerToProto(c))
	}
	return resp, nil
}

func (s *inventoryService) GetContainer(ctx context.Context, req *pb.GetContainerRequest) (*pb.Container, error) {
	b, id, err := parseContainerName(req.GetName())
	if err != nil {
		return nil, invalid("name", err)
	}
	c, err := s.svc.GetContainer(ctx, b, id)
	if err != nil {
		return nil, err
	}
	return containerToProto(c), nil
}

func (s *inventoryService) ListContainers(ctx context.Context, req *pb.ListContainersRequest) (*pb.ListContainersResponse, error) {
	var v bank.Violations
	b, err := parseBankName(req.GetParent())
	if err != nil {
		v.Add("parent", "%v", err)
	}
	parent := containerIn(&v, "container", req.GetContainer(), b)
	if err := v.Err("invalid list request"); err != nil {
		return nil, err
	}
	cs, next, err := s.svc.ListContainers(ctx, bank.ListContainersRequest{Bank: b, Parent: parent, PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken()})
	if err != nil {
		return nil, err
	}
	resp := &pb.ListContainersResponse{NextPageToken: next}
	for _, c := range cs {
		resp.Containers = append(resp.Containers, containerToProto(c))
	}
	return resp, nil
}

func (s *inventoryService) GetContainerMap(ctx context.Context, req *pb.GetContainerMapRequest) (*pb.ContainerMap, error) {
	b, id, err := parseContainerName(req.GetName())
	if err != nil {
		return nil, invalid("name", err)
	}
	m, err := s.svc.GetContainerMap(ctx, b, id)
	if err != nil {
		return nil, err
	}
	out := &pb.ContainerMap{Container: containerToProto(m.Container), Entries: make([]*pb.ContainerMapEntry, len(m.Entries))}
	for i, e := range m.Entries {
		pe := &pb.ContainerMapEntry{Position: e.Position}
		if e.Unit != "" {
			pe.Unit = bank.UnitName(b, e.Unit)
		}
		if e.Container != "" {
			pe.Container = inventory.ContainerName(b, e.Container)
		}
		out.Entries[i] = pe
	}
	return out, nil
}

func occupancyToProto(bankID string, o *inventory.Occupancy) *pb.ContainerOccupancy {
	out := &pb.ContainerOccupancy{Container: inventory.ContainerName(bankID, o.Container), Places: int32(o.Places), Units: int32(o.Units),
		Containers: int32(o.Containers), Free: int32(o.Free), Unbounded: o.Unbounded}
	for _, c := range o.Children {
		out.Children = append(out.Children, occupancyToProto(bankID, c))
	}
	return out
}

func (s *inventoryService) GetContainerOccupancy(ctx context.Context, req *pb.GetContainerOccupancyRequest) (*pb.ContainerOccupancy, error) {
	b, id, err := parseContainerName(req.GetName())
	if err != nil {
		return nil, invalid("name", err)
	}
	o, err := s.svc.GetOccupancy(ctx, b, id)
	if err != nil {
		return nil, err
	}
	return occupancyToProto(b, o), nil
}

func (s *inventoryService) FindFreePositions(ctx context.Context, req *pb.FindFreePositionsRequest) (*pb.FindFreePositionsResponse, error) {
	var v bank.Violations
	b, err := parseBankName(req.GetParent())
	if err != nil {
		v.Add("parent", "%v", err)
	}
	within := containerIn(&v, "within", req.GetWithin(), b)
	if req.GetCount() < 1 || req.GetCount() > bank.MaxFindFree {
		v.Add("count", "%d is outside 1..%d", req.GetCount(), bank.MaxFindFree)
	}
	if err := v.Err("invalid search for free positions"); err != nil {
		return nil, err
	}
	ps, err := s.svc.FindFreePositions(ctx, bank.FindFreeRequest{Bank: b, Within: within, Count: int(req.GetCount()), SameContainer: req.GetSameContainer()})
	if err != nil {
		return nil, err
	}
	resp := &pb.FindFreePositionsResponse{Positions: make([]*pb.FreePosition, len(ps))}
	for i, p := range ps {
		resp.Positions[i] = &pb.FreePosition{Container: inventory.ContainerName(b, p.Container), Position: p.Position}
	}
	return resp, nil
}

// placeFields are the fields PlaceUnit and MoveUnit share.
type placeFields interface {
	GetName() string
	GetContainer() string
	GetPosition() string
}

func (s *inventoryService) put(ctx context.Context, req placeFields, fn func(context.Context, bank.PlaceRequest) (*inventory.Location, error)) (*pb.UnitLocation, error) {
	var v bank.Violations
	b, din, err := parseUnitName(req.GetName())
	if err != nil {
		v.Add("name", "%v", err)
	}
	if req.GetContainer() == "" {
		v.Add("container", "required: banks/{bank}/containers/{container}")
	}
	c := containerIn(&v, "container", req.GetContainer(), b)
	if err := v.Err("invalid request"); err != nil {
		return nil, err
	}
	loc, err := fn(ctx, bank.PlaceRequest{Bank: b, DIN: din, Container: c, Position: req.GetPosition()})
	if err != nil {
		return nil, err
	}
	return locationToProto(bank.UnitName(b, din), loc), nil
}

func (s *inventoryService) PlaceUnit(ctx context.Context, req *pb.PlaceUnitRequest) (*pb.UnitLocation, error) {
	return s.put(ctx, req, s.svc.PlaceUnit)
}

func (s *inventoryService) MoveUnit(ctx context.Context, req *pb.MoveUnitRequest) (*pb.UnitLocation, error) {
	return s.put(ctx, req, s.svc.MoveUnit)
}

func (s *inventoryService) GetUnitLocation(ctx context.Context, req *pb.GetUnitLocationRequest) (*pb.UnitLocation, error) {
	b, din, err := parseUnitName(req.GetName())
	if err != nil {
		return nil, invalid("name", err)
	}
	loc, err := s.svc.GetUnitLocation(ctx, b, din)
	if err != nil {
		return nil, err
	}
	return locationToProto(bank.UnitName(b, din), loc), nil
}

func (s *inventoryService) MoveContainer(ctx context.Context, req *pb.MoveContainerRequest) (*pb.Container, error) {
	var v bank.Violations
	b, id, err := parseContainerName(req.GetName())
	if err != nil {
		v.Add("name", "%v", err)
	}
	parent := containerIn(&v, "parent", req.GetParent(), b)
	if err := v.Err("invalid move"); err != nil {
		return nil, err
	}
	c, err := s.svc.MoveContainer(ctx, bank.MoveContainerRequest{Bank: b, ID: id, Parent: parent, Position: req.GetPosition(), Etag: req.GetEtag()})
	if err != nil {
		return nil, err
	}
	return containerToProto(c), nil
}

func (s *inventoryService) EvacuateContainer(ctx context.Context, req *pb.EvacuateContainerRequest) (*pb.EvacuateContainerResponse, error) {
	var v bank.Violations
	b, id, err := parseContainerName(req.GetName())
	if err != nil {
		v.Add("name", "%v", err)
	}
	if req.GetTarget() == "" {
		v.Add("target", "required: banks/{bank}/containers/{container}")
	}
	target := containerIn(&v, "target", req.GetTarget(), b)
	if err := v.Err("invalid evacuation"); err != nil {
		return nil, err
	}
	res, err := s.svc.Evacuate(ctx, bank.EvacuateRequest{Bank: b, ID: id, Target: target, Etag: req.GetEtag(), RequestID: req.GetRequestId()})
	if err != nil {
		return nil, err
	}
	return &pb.EvacuateContainerResponse{Target: containerToProto(res.Target), UnitsMoved: int32(res.Units), ContainersMoved: int32(res.Containers)}, nil
}

func excursionToProto(e *inventory.Excursion) *pb.Excursion {
	out := &pb.Excursion{Name: e.Name(), Container: inventory.ContainerName(e.Bank, e.Container), StartTime: timestamppb.New(e.StartTime),
		MinTemperatureCelsius: e.MinCelsius, MaxTemperatureCelsius: e.MaxCelsius, LowestCelsius: e.LowestCelsius,
		HighestCelsius: e.HighestCelsius, Readings: int32(e.Readings), UnitsExposed: int32(e.UnitsExposed)}
	if !e.Open() {
		out.EndTime = timestamppb.New(e.EndTime)
	}
	return out
}

func (s *inventoryService) RecordTemperatureReading(ctx context.Context, req *pb.RecordTemperatureReadingRequest) (*pb.RecordTemperatureReadingResponse, error) {
	var v bank.Violations
	b, id, err := parseContainerName(req.GetParent())
	if err != nil {
		v.Add("parent", "%v", err)
	}
	if req.GetReading() == nil {
		v.Add("reading", "required")
	}
	r := inventory.TemperatureReading{Bank: b, Container: id, Celsius: req.GetReading().GetCelsius()}
	if ts := req.GetReading().GetTime(); ts != nil {
		if err := ts.CheckValid(); err != nil {
			v.Add("reading.time", "%v", err)
		}
		r.Time = ts.AsTime()
	}
	if err := v.Err("invalid temperature reading"); err != nil {
		return nil, err
	}
	res, err := s.svc.RecordReading(ctx, r)
	if err != nil {
		return nil, err
	}
	out := &pb.RecordTemperatureReadingResponse{Reading: &pb.TemperatureReading{Time: timestamppb.New(res.Reading.Time), Celsius: res.Reading.Celsius},
		Opened: res.Opened, Closed: res.Closed}
	if res.Excursion != nil {
		out.Excursion = excursionToProto(res.Excursion)
	}
	return out, nil
}

func (s *inventoryService) ListExcursions(ctx context.Context, req *pb.ListExcursionsRequest) (*pb.ListExcursionsResponse, error) {
	var v bank.Violations
	b, err := parseBankName(req.GetParent())
	if err != nil {
		v.Add("parent", "%v", err)
	}
	c := containerIn(&v, "container", req.GetContainer(), b)
	var open *bool
	switch req.GetState() {
	case pb.ExcursionState_EXCURSION_STATE_OPEN:
		t := true
		open = &t
	case pb.ExcursionState_EXCURSION_STATE_CLOSED:
		f := false
		open = &f
	case pb.ExcursionState_EXCURSION_STATE_UNSPECIFIED:
	default:
		v.Add("state", "unknown state %d", req.GetState())
	}
	if err := v.Err("invalid list request"); err != nil {
		return nil, err
	}
	es, next, err := s.svc.ListExcursions(ctx, bank.ListExcursionsRequest{Bank: b, Container: c, Open: open, PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken()})
	if err != nil {
		return nil, err
	}
	resp := &pb.ListExcursionsResponse{NextPageToken: next}
	for _, e := range es {
		resp.Excursions = append(resp.Excursions, excursionToProto(e))
	}
	return resp, nil
}
