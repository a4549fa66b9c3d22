package client

import (
	"context"
	"iter"

	"github.com/google/uuid"

	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// Storage error sentinels, by reason (see cordbank.v1.ErrorReason).
var (
	ErrContainerNotFound = error(&reasonError{"CONTAINER_NOT_FOUND"})
	ErrContainerExists   = error(&reasonError{"CONTAINER_ALREADY_EXISTS"})
	ErrLabelExists       = error(&reasonError{"LABEL_ALREADY_EXISTS"})
	ErrPositionOutside   = error(&reasonError{"POSITION_OUT_OF_LAYOUT"})
	// ErrPositionOccupied: Metadata["occupant"] names what is there.
	ErrPositionOccupied = error(&reasonError{"POSITION_OCCUPIED"})
	ErrContainerFull    = error(&reasonError{"CONTAINER_FULL"})
	ErrContainerCycle   = error(&reasonError{"CONTAINER_CYCLE"})
	ErrIllegalNesting   = error(&reasonError{"ILLEGAL_NESTING"})
	ErrContainerInUse   = error(&reasonError{"CONTAINER_NOT_EMPTY"})
	ErrLayoutMismatch   = error(&reasonError{"LAYOUT_MISMATCH"})
	ErrUnitNotStorable  = error(&reasonError{"UNIT_NOT_STORABLE"})
	ErrUnitPlaced       = error(&reasonError{"UNIT_ALREADY_PLACED"})
	ErrUnitNotPlaced    = error(&reasonError{"UNIT_NOT_PLACED"})
)

func (c *Client) inv() pb.InventoryServiceClient { return pb.NewInventoryServiceClient(c.conn) }

// CreateContainer creates container id in the bank parent
// ("banks/{bank}"). A request id is generated and reused across retries.
func (c *Client) CreateContainer(ctx context.Context, parent, id string, ct *pb.Container) (*pb.Container, error) {
	req := &pb.CreateContainerRequest{Parent: parent, ContainerId: id, Container: ct, RequestId: uuid.NewString()}
	return call(ctx, c, true, func(ctx context.Context) (*pb.Container, error) { return c.inv().CreateContainer(ctx, req) })
}

// CreateContainers creates a hierarchy atomically: containers maps each
// entry's container_id; parents come before their children.
func (c *Client) CreateContainers(ctx context.Context, parent string, reqs []*pb.CreateContainerRequest) ([]*pb.Container, error) {
	req := &pb.BatchCreateContainersRequest{Parent: parent, Requests: reqs, RequestId: uuid.NewString()}
	resp, err := call(ctx, c, true, func(ctx context.Context) (*pb.BatchCreateContainersResponse, error) {
		return c.inv().BatchCreateContainers(ctx, req)
	})
	return resp.GetContainers(), err
}

// GetContainer returns the container name ("banks/{bank}/containers/{id}").
func (c *Client) GetContainer(ctx context.Context, name string) (*pb.Container, error) {
	return call(ctx, c, true, func(ctx context.Context) (*pb.Container, error) {
		return c.inv().GetContainer(ctx, &pb.GetContainerRequest{Name: name})
	})
}

// ListContainers iterates over the children of container (a container
// name), or over the top-level containers of bank when container is "".
func (c *Client) ListContainers(ctx context.Context, bank, container string) iter.Seq2[*pb.Container, error] {
	return pages(func(token string) ([]*pb.Container, string, error) {
		resp, err := call(ctx, c, true, func(ctx context.Context) (*pb.ListContainersResponse, error) {
			return c.inv().ListContainers(ctx, &pb.ListContainersRequest{Parent: bank, Container: container, PageSize: 1000, PageToken: token})
		})
		return resp.GetContainers(), resp.GetNextPageToken(), err
	})
}

// ContainerMap returns every position of a container with its occupant.
func (c *Client) ContainerMap(ctx context.Context, name string) (*pb.ContainerMap, error) {
	return call(ctx, c, true, func(ctx context.Context) (*pb.ContainerMap, error) {
		return c.inv().GetContainerMap(ctx, &pb.GetContainerMapRequest{Name: name})
	})
}

// Occupancy returns the counts of places, units and free places of a
// container's subtree.
func (c *Client) Occupancy(ctx context.Context, name string) (*pb.ContainerOccupancy, error) {
	return call(ctx, c, true, func(ctx context.Context) (*pb.ContainerOccupancy, error) {
		return c.inv().GetContainerOccupancy(ctx, &pb.GetContainerOccupancyRequest{Name: name})
	})
}

// FindFreePositions returns n free positions of bank, within a container
// when within is not "", all in one container when sameContainer.
func (c *Client) FindFreePositions(ctx context.Context, bank, within string, n int, sameContainer bool) ([]*pb.FreePosition, error) {
	req := &pb.FindFreePositionsRequest{Parent: bank, Within: within, Count: int32(n), SameContainer: sameContainer}
	resp, err := call(ctx, c, true, func(ctx context.Context) (*pb.FindFreePositionsResponse, error) {
		return c.inv().FindFreePositions(ctx, req)
	})
	return resp.GetPositions(), err
}

// PlaceUnit stores unit (a unit name) at position of container; position
// "" takes the first free one. Retries are safe: placing a unit where it
// already is succeeds without change.
func (c *Client) PlaceUnit(ctx context.Context, unit, container, position string) (*pb.UnitLocation, error) {
	req := &pb.PlaceUnitRequest{Name: unit, Container: container, Position: position}
	return call(ctx, c, true, func(ctx context.Context) (*pb.UnitLocation, error) { return c.inv().PlaceUnit(ctx, req) })
}

// MoveUnit moves a stored unit; retries are safe like PlaceUnit's.
func (c *Client) MoveUnit(ctx context.Context, unit, container, position string) (*pb.UnitLocation, error) {
	req := &pb.MoveUnitRequest{Name: unit, Container: container, Position: position}
	return call(ctx, c, true, func(ctx context.Context) (*pb.UnitLocation, error) { return c.inv().MoveUnit(ctx, req) })
}

// UnitLocation returns where a unit is stored (empty Container when not).
func (c *Client) UnitLocation(ctx context.Context, unit string) (*pb.UnitLocation, error) {
	return call(ctx, c, true, func(ctx context.Context) (*pb.UnitLocation, error) {
		return c.inv().GetUnitLocation(ctx, &pb.GetUnitLocationRequest{Name: unit})
	})
}

// MoveContainer moves a container with its contents under parent ("" for
// the top level) at position ("" for the first free one). etag, when not
// "", must be current.
func (c *Client) MoveContainer(ctx context.Context, name, parent, position, etag string) (*pb.Container, error) {
	req := &pb.MoveContainerRequest{Name: name, Parent: parent, Position: position, Etag: etag}
	return call(ctx, c, true, func(ctx context.Context) (*pb.Container, error) { return c.inv().MoveContainer(ctx, req) })
}

// Evacuate moves everything in container name into the empty container
// target of the same kind and layout, keeping positions. A request id
// makes retries safe.
func (c *Client) Evacuate(ctx context.Context, name, target string) (*pb.EvacuateContainerResponse, error) {
	req := &pb.EvacuateContainerRequest{Name: name, Target: target, RequestId: uuid.NewString()}
	return call(ctx, c, true, func(ctx context.Context) (*pb.EvacuateContainerResponse, error) {
		return c.inv().EvacuateContainer(ctx, req)
	})
}

// RecordTemperature records a reading of tank (a container name) taken
// now. Not retried: a reading recorded twice would count twice.
func (c *Client) RecordTemperature(ctx context.Context, tank string, celsius float64) (*pb.RecordTemperatureReadingResponse, error) {
	req := &pb.RecordTemperatureReadingRequest{Parent: tank, Reading: &pb.TemperatureReading{Celsius: celsius}}
	return call(ctx, c, false, func(ctx context.Context) (*pb.RecordTemperatureReadingResponse, error) {
		return c.inv().RecordTemperatureReading(ctx, req)
	})
}

// Excursions iterates over a bank's temperature excursions in state.
func (c *Client) Excursions(ctx context.Context, bank string, state pb.ExcursionState) iter.Seq2[*pb.Excursion, error] {
	return pages(func(token string) ([]*pb.Excursion, string, error) {
		resp, err := call(ctx, c, true, func(ctx context.Context) (*pb.ListExcursionsResponse, error) {
			return c.inv().ListExcursions(ctx, &pb.ListExcursionsRequest{Parent: bank, State: state, PageSize: 1000, PageToken: token})
		})
		return resp.GetExcursions(), resp.GetNextPageToken(), err
	})
}
