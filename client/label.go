package client

import (
	"context"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

func (c *Client) labels() pb.LabelServiceClient { return pb.NewLabelServiceClient(c.conn) }

// LookupScan returns the unit a scanned ISBT 128 barcode names, whatever
// bank holds it, and the scan's structures as read. A scan that cannot be
// read is ErrInvalidArgument; its Metadata["offset"] and
// Metadata["structure"] say where.
func (c *Client) LookupScan(ctx context.Context, scan string) (*pb.LookupScanResponse, error) {
	return call(ctx, c, true, func(ctx context.Context) (*pb.LookupScanResponse, error) {
		return c.labels().LookupScan(ctx, &pb.LookupScanRequest{Scan: scan})
	})
}

// PrintLabel prints the first copy of a unit's bag or segment label. A
// request id is generated when req has none and reused across retries, so
// a retry after a lost answer returns the same copy rather than a refusal.
func (c *Client) PrintLabel(ctx context.Context, req *pb.PrintLabelRequest) (*pb.Label, error) {
	if req.GetRequestId() == "" {
		req = proto.CloneOf(req)
		req.RequestId = uuid.NewString()
	}
	return call(ctx, c, true, func(ctx context.Context) (*pb.Label, error) { return c.labels().PrintLabel(ctx, req) })
}

// ReprintLabel prints another copy of a label, with a reason (managers
// only); request ids as for PrintLabel.
func (c *Client) ReprintLabel(ctx context.Context, req *pb.ReprintLabelRequest) (*pb.Label, error) {
	if req.GetRequestId() == "" {
		req = proto.CloneOf(req)
		req.RequestId = uuid.NewString()
	}
	return call(ctx, c, true, func(ctx context.Context) (*pb.Label, error) { return c.labels().ReprintLabel(ctx, req) })
}
