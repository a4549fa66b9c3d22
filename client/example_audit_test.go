package client_test

import (
	"context"
	"fmt"
	"log"

	"github.com/cordbank/cordbank/client"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

func ExampleClient_UnitHistory() {
	srv, c := startExample()
	defer srv.Close()
	defer c.Close()
	ctx := context.Background()
	u, err := c.CreateUnit(ctx, "banks/example", exampleUnit("G123498654321"))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.ReleaseUnit(ctx, u.GetName()); err != nil {
		log.Fatal(err)
	}
	// Every change of the unit, oldest first, with who made it and what changed.
	for e, err := range c.UnitHistory(ctx, u.GetName()) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(e.GetSeq(), e.GetMethod(), e.GetPrincipal(), len(e.GetChanges()) > 0)
	}
	// Output:
	// 3 CreateUnit admin true
	// 4 ReleaseUnit admin true
}

func ExampleClient_ListEvents() {
	srv, c := startExample()
	defer srv.Close()
	defer c.Close()
	ctx := context.Background()
	for _, din := range []string{"G123498654321", "G123498654322"} {
		if _, err := c.CreateUnit(ctx, "banks/example", exampleUnit(din)); err != nil {
			log.Fatal(err)
		}
	}
	// The bank's unit registrations, in the order they were recorded.
	req := &pb.ListEventsRequest{Parent: "banks/example", Resource: "banks/example/units/*", Methods: []string{"CreateUnit"}}
	for e, err := range c.ListEvents(ctx, req) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(e.GetSeq(), e.GetMethod(), e.GetResource())
	}
	// Output:
	// 3 CreateUnit banks/example/units/G123498654321
	// 4 CreateUnit banks/example/units/G123498654322
}

func ExampleClient_VerifyAuditTrail() {
	srv, c := startExample()
	defer srv.Close()
	defer c.Close()
	sum, err := c.VerifyAuditTrail(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	// Keep the head hash where the server cannot rewrite it: a later
	// verification that still contains it proves the trail before it intact.
	fmt.Println(sum.GetEventsChecked(), len(sum.GetHeadHash()), len(sum.GetProblems()))
	// Output:
	// 2 64 0
}

func ExampleClient_WatchEvents() {
	srv, c := startExample()
	defer srv.Close()
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	u, err := c.CreateUnit(ctx, "banks/example", exampleUnit("G123498654321"))
	if err != nil {
		log.Fatal(err)
	}
	// From the start of the trail: the stored events, then live ones. A
	// dropped connection is resumed after the last event received.
	for e, err := range c.WatchEvents(ctx, "banks/example", client.EventPosition{}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(e.GetSeq(), e.GetMethod())
		if e.GetSeq() == 4 {
			break
		}
		if e.GetSeq() == 3 { // caught up: make a change while watching
			if _, err := c.ReleaseUnit(ctx, u.GetName()); err != nil {
				log.Fatal(err)
			}
		}
	}
	// Output:
	// 2 CreateBank
	// 3 CreateUnit
	// 4 ReleaseUnit
}
