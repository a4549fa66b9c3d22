package client

import (
	"context"

	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// SearchUnits finds the best available public units for a patient,
// ranked and explained (see SearchService in the API). It is read-only and
// retried after UNAVAILABLE.
func (c *Client) SearchUnits(ctx context.Context, req *pb.SearchUnitsRequest) (*pb.SearchUnitsResponse, error) {
	return call(ctx, c, true, func(ctx context.Context) (*pb.SearchUnitsResponse, error) {
		return pb.NewSearchServiceClient(c.conn).SearchUnits(ctx, req)
	})
}

// SearchDoubleUnits finds the best pairs of public units for a double-unit
// graft.
func (c *Client) SearchDoubleUnits(ctx context.Context, req *pb.SearchUnitsRequest) (*pb.SearchDoubleUnitsResponse, error) {
	return call(ctx, c, true, func(ctx context.Context) (*pb.SearchDoubleUnitsResponse, error) {
		return pb.NewSearchServiceClient(c.conn).SearchDoubleUnits(ctx, &pb.SearchDoubleUnitsRequest{Search: req})
	})
}

// SearchBankUnits runs a search over one bank's own units ("banks/{bank}"),
// its autologous and directed units included.
func (c *Client) SearchBankUnits(ctx context.Context, bank string, req *pb.SearchUnitsRequest) (*pb.SearchUnitsResponse, error) {
	return call(ctx, c, true, func(ctx context.Context) (*pb.SearchUnitsResponse, error) {
		return pb.NewSearchServiceClient(c.conn).SearchBankUnits(ctx, &pb.SearchBankUnitsRequest{Bank: bank, Search: req})
	})
}
