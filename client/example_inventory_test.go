package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/cordbank/cordbank/client"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

func ExampleClient_Evacuate() {
	srv, c := startExample()
	defer srv.Close()
	defer c.Close()
	ctx := context.Background()
	slots := &pb.ContainerLayout{Kind: pb.LayoutKind_LAYOUT_KIND_SLOTS, Slots: 6}
	cassette := &pb.ContainerLayout{Kind: pb.LayoutKind_LAYOUT_KIND_GRID, Rows: 8, Columns: 12}
	// A dewar with one cassette, and an empty backup dewar, in one call.
	_, err := c.CreateContainers(ctx, "banks/example", []*pb.CreateContainerRequest{
		{ContainerId: "dewar-1", Container: &pb.Container{Kind: pb.ContainerKind_CONTAINER_KIND_TANK, Label: "D1", Layout: slots}},
		{ContainerId: "dewar-2", Container: &pb.Container{Kind: pb.ContainerKind_CONTAINER_KIND_TANK, Label: "D2", Layout: slots}},
		{ContainerId: "cassette-1", Container: &pb.Container{Kind: pb.ContainerKind_CONTAINER_KIND_BOX, Label: "C1",
			Parent: "banks/example/containers/dewar-1", ParentPosition: "3", Layout: cassette}},
	})
	if err != nil {
		log.Fatal(err)
	}
	u, err := c.CreateUnit(ctx, "banks/example", exampleUnit("G123498654321"))
	if err != nil {
		log.Fatal(err)
	}
	loc, err := c.PlaceUnit(ctx, u.GetName(), "banks/example/containers/cassette-1", "B7")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(loc.GetPosition(), loc.GetPath())

	// A second unit cannot take the same position.
	u2, _ := c.CreateUnit(ctx, "banks/example", exampleUnit("G123498654322"))
	_, err = c.PlaceUnit(ctx, u2.GetName(), "banks/example/containers/cassette-1", "b7")
	fmt.Println(errors.Is(err, client.ErrPositionOccupied))

	// Dewar 1 fails: move everything to dewar 2, keeping every position.
	ev, err := c.Evacuate(ctx, "banks/example/containers/dewar-1", "banks/example/containers/dewar-2")
	if err != nil {
		log.Fatal(err)
	}
	loc, _ = c.UnitLocation(ctx, u.GetName())
	fmt.Println(ev.GetContainersMoved(), loc.GetPosition(), loc.GetPath())
	// Output:
	// B7 [banks/example/containers/dewar-1 banks/example/containers/cassette-1]
	// true
	// 1 B7 [banks/example/containers/dewar-2 banks/example/containers/cassette-1]
}
