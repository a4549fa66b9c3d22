package client

import (
	"context"

	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// ImportTypingReport sends a laboratory's HML 1.0.x typing report (the
// file's bytes) to be applied to the units of bank (the bank id) as
// confirmatory or extended typing, and returns what it did to each
// sample's unit. The report is applied whole or not at all. It is retried
// like a read: a report sent again changes nothing more.
func (c *Client) ImportTypingReport(ctx context.Context, bank string, hml []byte) (*pb.ImportTypingReportResponse, error) {
	req := &pb.ImportTypingReportRequest{Parent: "banks/" + bank, Hml: hml}
	return call(ctx, c, true, func(ctx context.Context) (*pb.ImportTypingReportResponse, error) {
		return pb.NewTypingServiceClient(c.conn).ImportTypingReport(ctx, req)
	})
}
