package client

import (
	"context"
	"iter"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// ErrUnitNotReservable matches the error of reserving a unit that is not
// available (someone else holds it), autologous, or directed to another
// recipient.
var ErrUnitNotReservable error = &reasonError{"UNIT_NOT_RESERVABLE"}

func (c *Client) reservations() pb.ReservationServiceClient {
	return pb.NewReservationServiceClient(c.conn)
}

// ReserveUnit holds the unit name ("banks/{bank}/units/{din}") for a
// patient until expire. Of concurrent reservations of one unit exactly one
// succeeds; the others get ErrUnitNotReservable. A request id is generated
// and reused on retry, so a retried call never reserves twice.
func (c *Client) ReserveUnit(ctx context.Context, name, transplantCenter, patientID string, expire time.Time) (*pb.Reservation, error) {
	req := &pb.ReserveUnitRequest{Name: name, TransplantCenter: transplantCenter, PatientId: patientID,
		ExpireTime: timestamppb.New(expire), RequestId: uuid.NewString()}
	return call(ctx, c, true, func(ctx context.Context) (*pb.Reservation, error) { return c.reservations().ReserveUnit(ctx, req) })
}

// GetReservation returns a reservation by name.
func (c *Client) GetReservation(ctx context.Context, name string) (*pb.Reservation, error) {
	return call(ctx, c, true, func(ctx context.Context) (*pb.Reservation, error) {
		return c.reservations().GetReservation(ctx, &pb.GetReservationRequest{Name: name})
	})
}

// ListReservations iterates over the reservations req selects.
func (c *Client) ListReservations(ctx context.Context, req *pb.ListReservationsRequest) iter.Seq2[*pb.Reservation, error] {
	return pages(func(token string) ([]*pb.Reservation, string, error) {
		r := &pb.ListReservationsRequest{Parent: req.GetParent(), Unit: req.GetUnit(), TransplantCenter: req.GetTransplantCenter(),
			OpenOnly: req.GetOpenOnly(), PageSize: req.GetPageSize(), PageToken: token}
		resp, err := call(ctx, c, true, func(ctx context.Context) (*pb.ListReservationsResponse, error) {
			return c.reservations().ListReservations(ctx, r)
		})
		return resp.GetReservations(), resp.GetNextPageToken(), err
	})
}

// ExtendReservation moves an open reservation's expiry later.
func (c *Client) ExtendReservation(ctx context.Context, name string, expire time.Time) (*pb.Reservation, error) {
	req := &pb.ExtendReservationRequest{Name: name, ExpireTime: timestamppb.New(expire), RequestId: uuid.NewString()}
	return call(ctx, c, true, func(ctx context.Context) (*pb.Reservation, error) {
		return c.reservations().ExtendReservation(ctx, req)
	})
}

// ReleaseReservation ends an open reservation; the unit becomes available.
func (c *Client) ReleaseReservation(ctx context.Context, name, reason string) (*pb.Reservation, error) {
	req := &pb.ReleaseReservationRequest{Name: name, Reason: reason, RequestId: uuid.NewString()}
	return call(ctx, c, true, func(ctx context.Context) (*pb.Reservation, error) {
		return c.reservations().ReleaseReservation(ctx, req)
	})
}

// RequestConfirmatoryTyping asks the bank to retype the unit.
func (c *Client) RequestConfirmatoryTyping(ctx context.Context, name string) (*pb.Reservation, error) {
	req := &pb.RequestConfirmatoryTypingRequest{Name: name, RequestId: uuid.NewString()}
	return call(ctx, c, true, func(ctx context.Context) (*pb.Reservation, error) {
		return c.reservations().RequestConfirmatoryTyping(ctx, req)
	})
}

// RecordConfirmatoryTyping records the retest of A, B and DRB1.
func (c *Client) RecordConfirmatoryTyping(ctx context.Context, name string, typing []*pb.LocusTyping) (*pb.Reservation, error) {
	req := &pb.RecordConfirmatoryTypingRequest{Name: name, Typing: typing, RequestId: uuid.NewString()}
	return call(ctx, c, true, func(ctx context.Context) (*pb.Reservation, error) {
		return c.reservations().RecordConfirmatoryTyping(ctx, req)
	})
}

// RequestShipment asks for the reserved unit to be shipped.
func (c *Client) RequestShipment(ctx context.Context, name string) (*pb.Reservation, error) {
	req := &pb.RequestShipmentRequest{Name: name, RequestId: uuid.NewString()}
	return call(ctx, c, true, func(ctx context.Context) (*pb.Reservation, error) { return c.reservations().RequestShipment(ctx, req) })
}
