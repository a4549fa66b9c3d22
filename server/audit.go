package server

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/audit"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// auditService implements pb.AuditServiceServer over a bank.Service.
type auditService struct {
	pb.UnimplementedAuditServiceServer
	svc *bank.Service
	// stop is closed when the server shuts down: watches end then, or
	// GracefulStop would wait for them forever.
	stop <-chan struct{}
	// checkpoint is Config.LatestCheckpoint.
	checkpoint func() *audit.Checkpoint
}

// parseEventsParent reads "banks/{bank}", or "banks/-" (every bank) as "".
func parseEventsParent(name string) (string, error) {
	if name == "banks/-" {
		return "", nil
	}
	return parseBankName(name)
}

func (a *auditService) ListUnitHistory(ctx context.Context, req *pb.ListUnitHistoryRequest) (*pb.ListUnitHistoryResponse, error) {
	id, din, err := parseUnitName(req.GetName())
	if err != nil {
		return nil, invalid("name", err)
	}
	evs, next, err := a.svc.UnitHistory(ctx, id, din, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &pb.ListUnitHistoryResponse{Events: eventsToProto(evs), NextPageToken: next}, nil
}

func (a *auditService) ListEvents(ctx context.Context, req *pb.ListEventsRequest) (*pb.ListEventsResponse, error) {
	var v bank.Violations
	id, err := parseEventsParent(req.GetParent())
	if err != nil {
		v.Add("parent", "%v", err)
	}
	r := bank.ListEventsRequest{Bank: id, Resource: req.GetResource(), Methods: req.GetMethods(),
		PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken()}
	r.Since = timeField(&v, "start_time", req.GetStartTime())
	r.Until = timeField(&v, "end_time", req.GetEndTime())
	if err := v.Err("invalid list request"); err != nil {
		return nil, err
	}
	evs, next, err := a.svc.ListEvents(ctx, r)
	if err != nil {
		return nil, err
	}
	return &pb.ListEventsResponse{Events: eventsToProto(evs), NextPageToken: next}, nil
}

func (a *auditService) VerifyAuditTrail(ctx context.Context, req *pb.VerifyAuditTrailRequest) (*pb.VerifyAuditTrailResponse, error) {
	sum, err := a.svc.VerifyAuditTrail(ctx)
	if err != nil {
		return nil, err
	}
	resp := &pb.VerifyAuditTrailResponse{EventsChecked: sum.Events, HeadHash: sum.Head}
	for _, p := range sum.Problems {
		resp.Problems = append(resp.Problems, &pb.ChainProblem{Seq: p.Seq, Reason: p.Reason})
	}
	return resp, nil
}

func (a *auditService) WatchEvents(req *pb.WatchEventsRequest, stream grpc.ServerStreamingServer[pb.Event]) error {
	id, err := parseEventsParent(req.GetParent())
	if err != nil {
		return invalid("parent", err)
	}
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	var stopping atomic.Bool
	go func() {
		select {
		case <-a.stop:
			stopping.Store(true)
			cancel()
		case <-ctx.Done():
		}
	}()
	after := bank.EventPosition{Seq: req.GetAfterSeq(), StreamSeq: req.GetAfterStreamSeq()}
	if s := req.GetAfterStream(); s != "" {
		var ok bool
		if after.Stream, ok = parseStreamName(s); !ok {
			return invalid("after_stream", fmt.Errorf("%q is not a stream: want public or banks/{bank}/private", s))
		}
	}
	err = a.svc.WatchEvents(ctx, id, after, func(e *bank.Event) error {
		return stream.Send(eventToProto(e))
	})
	if stopping.Load() && stream.Context().Err() == nil {
		return status.Error(codes.Unavailable, "the server is shutting down: watch again with after_stream and after_stream_seq set to the stream and stream_seq of the last event received")
	}
	return err
}

// timeField converts an optional timestamp, reporting an invalid one.
func timeField(v *bank.Violations, field string, ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	if err := ts.CheckValid(); err != nil {
		v.Add(field, "%v", err)
		return time.Time{}
	}
	return ts.AsTime()
}

func eventsToProto(evs []*bank.Event) []*pb.Event {
	out := make([]*pb.Event, len(evs))
	for i, e := range evs {
		out[i] = eventToProto(e)
	}
	return out
}

func eventToProto(e *bank.Event) *pb.Event {
	out := &pb.Event{Seq: e.Seq, Time: timestamppb.New(e.Time), Principal: e.Principal, RequestId: e.RequestID,
		Method: e.Method, Resource: e.Resource, Reason: e.Reason, PrevHash: e.PrevHash, Hash: e.Hash, HashScheme: int32(e.HashScheme),
		Changes: make([]*pb.FieldChange, len(e.Changes)), Stream: streamName(e.Stream), StreamSeq: e.StreamSeq}
	if e.Bank != "" {
		out.Bank = bankName(e.Bank)
	}
	for i, c := range e.Changes {
		out.Changes[i] = &pb.FieldChange{Field: c.Field, Before: c.Before, After: c.After}
	}
	return out
}

// streamName is the API's name of an event stream: "public", or
// "banks/{bank}/private".
func streamName(stream string) string {
	if stream == audit.PublicStream {
		return "public"
	}
	return bankName(stream) + "/private"
}

// parseStreamName reads a name streamName made.
func parseStreamName(name string) (string, bool) {
	if name == "public" {
		return audit.PublicStream, true
	}
	rest, ok := strings.CutSuffix(name, "/private")
	if !ok {
		return "", false
	}
	id, err := parseBankName(rest)
	return id, err == nil
}
