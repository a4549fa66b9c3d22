package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/cordbank/cordbank/client"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

func ExampleClient_ReleaseUnit() {
	srv, c := startExample()
	defer srv.Close()
	defer c.Close()
	ctx := context.Background()
	u, err := c.CreateUnit(ctx, "banks/example", exampleUnit("G123498654321"))
	if err != nil {
		log.Fatal(err)
	}
	// Release from quarantine, only if nobody changed the unit since it was read.
	u, err = c.ReleaseUnit(ctx, u.GetName(), client.IfMatch(u.GetEtag()), client.WithNote("IDM, sterility and HLA confirmed"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.GetStatus(), u.GetEmdisStatus())

	// Withhold it for a month for an administrative reason.
	until := time.Now().AddDate(0, 1, 0).Format(time.DateOnly)
	u, err = c.MakeUnitUnavailable(ctx, u.GetName(), "AD", until)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.GetStatus(), u.GetEmdisStatus()+"/"+u.GetEmdisReason(), u.GetStatusEndDate() == until)

	// A unit that is not in quarantine cannot be released.
	_, err = c.ReleaseUnit(ctx, u.GetName())
	if errors.Is(err, client.ErrIllegalTransition) {
		e, _ := client.AsError(err)
		fmt.Println("refused:", e.Code, "unit is", e.Metadata["status"])
	}

	// Units are never deleted: a discarded one keeps its record and reason.
	u, err = c.DiscardUnit(ctx, u.GetName(), "CD", client.WithNote("bag cracked during transfer between dewars"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.GetStatus(), u.GetEmdisStatus()+"/"+u.GetEmdisReason(), u.GetStatusNote())
	// Output:
	// UNIT_STATUS_AVAILABLE AV
	// UNIT_STATUS_TEMPORARILY_UNAVAILABLE TU/AD true
	// refused: FailedPrecondition unit is TEMPORARILY_UNAVAILABLE
	// UNIT_STATUS_DISCARDED DE/CD bag cracked during transfer between dewars
}

func ExampleClient_TransferUnit() {
	srv, c := startExample()
	defer srv.Close()
	defer c.Close()
	ctx := context.Background()
	if _, err := c.CreateBank(ctx, "partner", &pb.Bank{DisplayName: "Partner Bank", Fin: "G5678", Country: "DE"}); err != nil {
		log.Fatal(err)
	}
	u, err := c.CreateUnit(ctx, "banks/example", exampleUnit("G123498654321"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.GetDistributingBank())
	// The partner bank takes over distribution; the unit keeps its name.
	u, err = c.TransferUnit(ctx, u.GetName(), "banks/partner")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.GetName(), u.GetDistributingBank())
	_, err = c.TransferUnit(ctx, u.GetName(), "banks/nowhere")
	fmt.Println(errors.Is(err, client.ErrBankNotFound))
	// Output:
	// banks/example
	// banks/example/units/G123498654321 banks/partner
	// true
}
