package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"slices"

	"github.com/cordbank/cordbank/client"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
	"github.com/cordbank/cordbank/server/servertest"
)

// exampleUnit is a complete, valid public unit.
func exampleUnit(din string) *pb.Unit {
	cd34, viability := 3.1e6, 96.5
	return &pb.Unit{
		Din:                din,
		UnitType:           pb.UnitType_UNIT_TYPE_PUBLIC,
		CollectionDate:     "2024-03-17",
		ProcessingDate:     "2024-03-18",
		InfantBirthDate:    "2024-03-17",
		ProcessingMethod:   pb.ProcessingMethod_PROCESSING_METHOD_HES,
		Reduction:          pb.Reduction_REDUCTION_PLASMA_AND_RBC,
		InfantSex:          pb.Sex_SEX_FEMALE,
		Abo:                pb.ABO_ABO_O,
		Rh:                 pb.Rh_RH_POSITIVE,
		Idm:                pb.IDMResult_IDM_RESULT_NEGATIVE,
		CollectionVolumeMl: 92.5,
		Cells:              &pb.CellCounts{PostProcessingTnc: 1.1e9, PostProcessingCd34: &cd34, ViabilityPercent: &viability},
		Bags:               1,
		CompartmentsPerBag: 2,
		AttachedSegments:   2,
		Hla: []*pb.LocusTyping{
			{Locus: "A", Typing: "A*02:01+A*24:02"},
			{Locus: "B", Typing: "B*07:02+B*44:02"},
			{Locus: "DRB1", Typing: "DRB1*15:01+DRB1*04:01"},
		},
	}
}

// startExample starts an in-process server with one bank.
func startExample() (*servertest.Server, *client.Client) {
	srv, err := servertest.Start()
	if err != nil {
		log.Fatal(err)
	}
	c, err := client.New(srv.GRPCAddr, client.WithToken(srv.AdminToken()))
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.CreateBank(context.Background(), "example", &pb.Bank{DisplayName: "Example Bank", Fin: "G1234", Country: "US"})
	if err != nil {
		log.Fatal(err)
	}
	return srv, c
}

func Example() {
	srv, c := startExample()
	defer srv.Close()
	defer c.Close()
	ctx := context.Background()

	// The DIN may be typed as printed on the label; the check character is verified.
	u, err := c.CreateUnit(ctx, "banks/example", exampleUnit("G1234 98 654321 H"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.GetName(), u.GetStatus(), u.GetEmdisStatus()+"/"+u.GetEmdisReason())
	// Output: banks/example/units/G123498654321 UNIT_STATUS_QUARANTINE TU/QR
}

func ExampleClient_ListUnits() {
	srv, c := startExample()
	defer srv.Close()
	defer c.Close()
	ctx := context.Background()
	for _, din := range []string{"G123498654323", "G123498654321", "G123498654322"} {
		if _, err := c.CreateUnit(ctx, "banks/example", exampleUnit(din)); err != nil {
			log.Fatal(err)
		}
	}
	// The iterator fetches pages (here of 2) until the last one.
	req := &pb.ListUnitsRequest{Parent: "banks/example", PageSize: 2, Abo: []pb.ABO{pb.ABO_ABO_O}}
	for u, err := range c.ListUnits(ctx, req) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(u.GetDin())
	}
	// Output:
	// G123498654321
	// G123498654322
	// G123498654323
}

func ExampleError() {
	srv, c := startExample()
	defer srv.Close()
	defer c.Close()
	bad := exampleUnit("G123498654321J") // wrong check character
	bad.Cells.PostProcessingTnc = 110    // typed in x10^7 instead of cells
	_, err := c.CreateUnit(context.Background(), "banks/example", bad)

	if errors.Is(err, client.ErrInvalidArgument) {
		e, _ := client.AsError(err)
		fields := []string{}
		for _, v := range e.Violations {
			fields = append(fields, v.Field)
		}
		slices.Sort(fields)
		fmt.Println(e.Code, fields)
	}
	// Output: InvalidArgument [unit.cells.post_processing_tnc unit.din]
}

func ExampleClient_ImportUnits() {
	srv, c := startExample()
	defer srv.Close()
	defer c.Close()
	units := []*pb.Unit{exampleUnit("G123498654321"), exampleUnit("not-a-din"), exampleUnit("G123498654322")}
	resp, err := c.ImportUnits(context.Background(), "banks/example", slices.Values(units))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created", resp.GetCreatedCount(), "failed", resp.GetFailedCount())
	for _, r := range resp.GetResults() {
		fmt.Println(r.GetIndex(), r.GetName(), r.GetError().GetReason())
	}
	// Output:
	// created 2 failed 1
	// 0 banks/example/units/G123498654321 ERROR_REASON_UNSPECIFIED
	// 1  INVALID_ARGUMENT
	// 2 banks/example/units/G123498654322 ERROR_REASON_UNSPECIFIED
}
