package client

import (
	"context"
	"errors"
	"io"
	"iter"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// UnitHistory iterates over the chain of custody of the unit name
// ("banks/{bank}/units/{din}"): every event recorded for it, oldest first,
// fetching pages as needed. A unit that does not exist yields one error
// matching ErrNotFound.
func (c *Client) UnitHistory(ctx context.Context, name string) iter.Seq2[*pb.Event, error] {
	ac := pb.NewAuditServiceClient(c.conn)
	return pages(func(token string) ([]*pb.Event, string, error) {
		req := &pb.ListUnitHistoryRequest{Name: name, PageToken: token}
		resp, err := call(ctx, c, true, func(ctx context.Context) (*pb.ListUnitHistoryResponse, error) { return ac.ListUnitHistory(ctx, req) })
		return resp.GetEvents(), resp.GetNextPageToken(), err
	})
}

// ListEvents iterates over the audit events req selects (req.Parent is
// "banks/{bank}", or "banks/-" for every bank), in chain order, fetching
// pages of req.PageSize (server default when 0). req.PageToken is managed
// for you; req is not modified.
func (c *Client) ListEvents(ctx context.Context, req *pb.ListEventsRequest) iter.Seq2[*pb.Event, error] {
	ac := pb.NewAuditServiceClient(c.conn)
	return pages(func(token string) ([]*pb.Event, string, error) {
		r := &pb.ListEventsRequest{}
		if req != nil {
			r = proto.Clone(req).(*pb.ListEventsRequest)
		}
		r.PageToken = token
		resp, err := call(ctx, c, true, func(ctx context.Context) (*pb.ListEventsResponse, error) { return ac.ListEvents(ctx, r) })
		return resp.GetEvents(), resp.GetNextPageToken(), err
	})
}

// VerifyAuditTrail has the server read the whole audit trail and check its
// hash chain. A broken chain is not an error: the response lists the
// problems. Keep the head hash somewhere the server cannot rewrite.
func (c *Client) VerifyAuditTrail(ctx context.Context) (*pb.VerifyAuditTrailResponse, error) {
	ac := pb.NewAuditServiceClient(c.conn)
	return call(ctx, c, true, func(ctx context.Context) (*pb.VerifyAuditTrailResponse, error) {
		return ac.VerifyAuditTrail(ctx, &pb.VerifyAuditTrailRequest{})
	})
}

// maxWatchBackoff caps the wait between reconnections of WatchEvents.
const maxWatchBackoff = 5 * time.Second

// EventPosition names an audit event by its stream and its place there,
// as every reader may (see the Event message's stream and stream_seq). The
// zero value is the start of the trail.
type EventPosition struct {
	Stream    string // "public" or "banks/{bank}/private"
	StreamSeq int64
}

// PositionOf is the position of e, to resume a watch after it.
func PositionOf(e *pb.Event) EventPosition {
	return EventPosition{Stream: e.GetStream(), StreamSeq: e.GetStreamSeq()}
}

// WatchEvents iterates over the audit events of parent ("banks/{bank}", or
// "banks/-" for every bank) after position after (the zero position for
// the whole trail): first those already recorded, then each new one as it
// is committed, in chain order.
//
// It survives interruptions: when the connection drops or the server
// restarts (UNAVAILABLE), it reconnects with exponential backoff (the
// client's retry backoff, doubling up to 5 seconds, reset by every event
// received) and resumes after the last event it yielded, so the caller
// sees every event exactly once. It runs until ctx ends, when it yields
// ctx.Err(), until the loop breaks, or until another error (bad parent,
// unknown bank), which it yields as an *Error. To continue after a
// restart of the caller itself, keep PositionOf the last event handled
// and pass it as after.
func (c *Client) WatchEvents(ctx context.Context, parent string, after EventPosition) iter.Seq2[*pb.Event, error] {
	ac := pb.NewAuditServiceClient(c.conn)
	return func(yield func(*pb.Event, error) bool) {
		base := c.retry.Backoff
		if base <= 0 {
			base = 100 * time.Millisecond
		}
		wait := base
		for {
			err := func() error {
				sctx, cancel := context.WithCancel(ctx)
				defer cancel()
				stream, err := ac.WatchEvents(sctx, &pb.WatchEventsRequest{Parent: parent,
					AfterStream: after.Stream, AfterStreamSeq: after.StreamSeq})
				if err != nil {
					return err
				}
				for {
					e, err := stream.Recv()
					if err != nil {
						return err
					}
					after, wait = PositionOf(e), base
					if !yield(e, nil) {
						return errStopped
					}
				}
			}()
			switch {
			case err == errStopped:
				return
			case ctx.Err() != nil:
				yield(nil, ctx.Err())
				return
			case !resumable(err):
				yield(nil, convertError(err))
				return
			}
			select {
			case <-ctx.Done():
				yield(nil, ctx.Err())
				return
			case <-time.After(wait):
			}
			wait = min(wait*2, maxWatchBackoff)
		}
	}
}

// errStopped marks a watch the caller's loop left.
var errStopped = errors.New("watch stopped by the caller")

// resumable reports whether a watch that ended with err may be resumed:
// the server went away (UNAVAILABLE: connection lost, server shutting
// down) or closed the stream without a status.
func resumable(err error) bool {
	return errors.Is(err, io.EOF) || status.Code(err) == codes.Unavailable
}
