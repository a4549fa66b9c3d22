package client_test

import (
	"context"
	"fmt"
	"log"

	"github.com/cordbank/cordbank/client"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// An administrator issues a technician token for a bank; the secret is
// shown once. The technician can work in its bank until the token is
// revoked, and not a call longer.
func ExampleClient_CreateToken() {
	srv, admin := startExample()
	defer srv.Close()
	defer admin.Close()
	ctx := context.Background()

	created, err := admin.CreateToken(ctx, &pb.Token{Principal: "lab-tech-1", Role: pb.Role_ROLE_TECHNICIAN, Org: "example"})
	if err != nil {
		log.Fatal(err)
	}
	tech, err := client.New(srv.GRPCAddr, client.WithToken(created.GetSecret()))
	if err != nil {
		log.Fatal(err)
	}
	defer tech.Close()
	if _, err := tech.CreateUnit(ctx, "banks/example", exampleUnit("G123498654321")); err != nil {
		log.Fatal(err)
	}
	fmt.Println("technician registered a unit")

	if _, err := admin.RevokeToken(ctx, created.GetToken().GetName()); err != nil {
		log.Fatal(err)
	}
	_, err = tech.GetUnit(ctx, "banks/example/units/G123498654321")
	fmt.Println("after revocation:", errorsIsUnauthenticated(err))
	// Output:
	// technician registered a unit
	// after revocation: true
}

func errorsIsUnauthenticated(err error) bool {
	e, ok := client.AsError(err)
	return ok && e.Is(client.ErrUnauthenticated)
}
