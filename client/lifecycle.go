package client

import (
	"context"

	"github.com/google/uuid"
	"google.golang.org/grpc"

	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// ErrIllegalTransition matches errors of lifecycle calls the unit's state
// does not allow (FAILED_PRECONDITION); the error's Metadata["status"] is
// the unit's current state and Metadata["action"] the refused action.
var ErrIllegalTransition error = &reasonError{"ILLEGAL_TRANSITION"}

// TransitionOption sets an optional field of a lifecycle call.
type TransitionOption func(*transition)

type transition struct {
	etag, note, reason string
}

// IfMatch makes the call fail with ErrEtagMismatch unless etag is the
// unit's current etag, so a change decided on a read unit never applies
// to a unit that changed since.
func IfMatch(etag string) TransitionOption { return func(t *transition) { t.etag = etag } }

// WithNote keeps a free-text note (at most 2000 characters) with the new
// status: which tests passed, what damaged the bag.
func WithNote(note string) TransitionOption { return func(t *transition) { t.note = note } }

// WithReasonCode records an optional EMDIS reason code where an action
// takes one without requiring it: "NS" (no sample left for extra testing)
// on ReleaseUnit and MakeUnitAvailable.
func WithReasonCode(code string) TransitionOption { return func(t *transition) { t.reason = code } }

func transitionOf(opts []TransitionOption) transition {
	var t transition
	for _, o := range opts {
		o(&t)
	}
	return t
}

// lifecycleCall runs one lifecycle method. Every call carries a request id
// generated here and reused across retries, so a retried call is applied
// once: a retry whose first attempt went through returns the unit instead
// of ErrIllegalTransition or ErrEtagMismatch.
func lifecycleCall[R any](ctx context.Context, c *Client, req R, fn func(pb.LifecycleServiceClient, context.Context, R, ...grpc.CallOption) (*pb.Unit, error)) (*pb.Unit, error) {
	lc := pb.NewLifecycleServiceClient(c.conn)
	return call(ctx, c, true, func(ctx context.Context) (*pb.Unit, error) { return fn(lc, ctx, req) })
}

// ReleaseUnit releases the unit name ("banks/{bank}/units/{din}") from
// quarantine: its tests passed and it becomes AVAILABLE. Only from
// QUARANTINE, else ErrIllegalTransition.
func (c *Client) ReleaseUnit(ctx context.Context, name string, opts ...TransitionOption) (*pb.Unit, error) {
	t := transitionOf(opts)
	req := &pb.ReleaseUnitRequest{Name: name, Etag: t.etag, RequestId: uuid.NewString(), Reason: t.reason, Note: t.note}
	return lifecycleCall(ctx, c, req, pb.LifecycleServiceClient.ReleaseUnit)
}

// MakeUnitUnavailable withholds an available unit until the date until
// ("YYYY-MM-DD", after today) for reason "QR" (quarantined) or "AD"
// (administrative). Also from TEMPORARILY_UNAVAILABLE, to change the date
// or reason.
func (c *Client) MakeUnitUnavailable(ctx context.Context, name, reason, until string, opts ...TransitionOption) (*pb.Unit, error) {
	t := transitionOf(opts)
	req := &pb.MakeUnitUnavailableRequest{Name: name, Etag: t.etag, RequestId: uuid.NewString(), Reason: reason, Until: until, Note: t.note}
	return lifecycleCall(ctx, c, req, pb.LifecycleServiceClient.MakeUnitUnavailable)
}

// MakeUnitAvailable makes a temporarily unavailable unit AVAILABLE again.
func (c *Client) MakeUnitAvailable(ctx context.Context, name string, opts ...TransitionOption) (*pb.Unit, error) {
	t := transitionOf(opts)
	req := &pb.MakeUnitAvailableRequest{Name: name, Etag: t.etag, RequestId: uuid.NewString(), Reason: t.reason, Note: t.note}
	return lifecycleCall(ctx, c, req, pb.LifecycleServiceClient.MakeUnitAvailable)
}

// DiscardUnit discards a unit for reason "CD" (destroyed or damaged) or
// "MR" (medical reasons). The unit is kept, as DISCARDED.
func (c *Client) DiscardUnit(ctx context.Context, name, reason string, opts ...TransitionOption) (*pb.Unit, error) {
	t := transitionOf(opts)
	req := &pb.DiscardUnitRequest{Name: name, Etag: t.etag, RequestId: uuid.NewString(), Reason: reason, Note: t.note}
	return lifecycleCall(ctx, c, req, pb.LifecycleServiceClient.DiscardUnit)
}

// ExpireUnit marks a unit past its usable life (EXPIRED, EMDIS DE/XP).
func (c *Client) ExpireUnit(ctx context.Context, name string, opts ...TransitionOption) (*pb.Unit, error) {
	t := transitionOf(opts)
	req := &pb.ExpireUnitRequest{Name: name, Etag: t.etag, RequestId: uuid.NewString(), Note: t.note}
	return lifecycleCall(ctx, c, req, pb.LifecycleServiceClient.ExpireUnit)
}

// WithdrawUnit withdraws a unit for reason "MR" (medical reasons) or "OT"
// (other).
func (c *Client) WithdrawUnit(ctx context.Context, name, reason string, opts ...TransitionOption) (*pb.Unit, error) {
	t := transitionOf(opts)
	req := &pb.WithdrawUnitRequest{Name: name, Etag: t.etag, RequestId: uuid.NewString(), Reason: reason, Note: t.note}
	return lifecycleCall(ctx, c, req, pb.LifecycleServiceClient.WithdrawUnit)
}

// ShipUnit records that a unit whose shipment was requested left the bank
// (SHIPPED, EMDIS DE/DS).
func (c *Client) ShipUnit(ctx context.Context, name string, opts ...TransitionOption) (*pb.Unit, error) {
	t := transitionOf(opts)
	req := &pb.ShipUnitRequest{Name: name, Etag: t.etag, RequestId: uuid.NewString(), Note: t.note}
	return lifecycleCall(ctx, c, req, pb.LifecycleServiceClient.ShipUnit)
}

// RecordInfusion records that a shipped unit was infused (INFUSED).
func (c *Client) RecordInfusion(ctx context.Context, name string, opts ...TransitionOption) (*pb.Unit, error) {
	t := transitionOf(opts)
	req := &pb.RecordInfusionRequest{Name: name, Etag: t.etag, RequestId: uuid.NewString(), Note: t.note}
	return lifecycleCall(ctx, c, req, pb.LifecycleServiceClient.RecordInfusion)
}

// TransferUnit hands distribution of a unit to the bank distributingBank
// ("banks/{bank}"), which must exist (else ErrBankNotFound). The unit's
// name and status do not change. WithNote and WithReasonCode do not apply
// to transfers and are ignored.
func (c *Client) TransferUnit(ctx context.Context, name, distributingBank string, opts ...TransitionOption) (*pb.Unit, error) {
	t := transitionOf(opts)
	req := &pb.TransferUnitRequest{Name: name, Etag: t.etag, RequestId: uuid.NewString(), DistributingBank: distributingBank}
	return lifecycleCall(ctx, c, req, pb.LifecycleServiceClient.TransferUnit)
}
