package server

import (
	"context"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// reservations implements pb.ReservationServiceServer.
type reservations struct {
	pb.UnimplementedReservationServiceServer
	svc *bank.Service
}

// parseReservationName reads "banks/{bank}/units/{din}/reservations/{id}".
func parseReservationName(name string) (string, unit.DIN, string, error) {
	unit, id, ok := strings.Cut(name, "/reservations/")
	if !ok || id == "" || strings.Contains(id, "/") || len(id) > 64 {
		return "", "", "", fmt.Errorf("%q is not a reservation name of the form banks/{bank}/units/{din}/reservations/{id}", name)
	}
	b, din, err := parseUnitName(unit)
	return b, din, id, err
}

// expireTime converts a request's expire_time, refusing a timestamp that
// is not one (nanos out of range, beyond year 9999) rather than letting
// AsTime normalise it into another instant.
func expireTime(ts *timestamppb.Timestamp) (time.Time, error) {
	var v bank.Violations
	t := timeField(&v, "expire_time", ts)
	return t, v.Err("invalid reservation")
}

func optTime(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

var reservationStatuses = map[lifecycle.ReservationStatus]pb.ReservationStatus{
	lifecycle.ReservationActive:            pb.ReservationStatus_RESERVATION_STATUS_ACTIVE,
	lifecycle.ReservationShipmentRequested: pb.ReservationStatus_RESERVATION_STATUS_SHIPMENT_REQUESTED,
	lifecycle.ReservationReleased:          pb.ReservationStatus_RESERVATION_STATUS_RELEASED,
	lifecycle.ReservationExpired:           pb.ReservationStatus_RESERVATION_STATUS_EXPIRED,
	lifecycle.ReservationCancelled:         pb.ReservationStatus_RESERVATION_STATUS_CANCELLED,
	lifecycle.ReservationFulfilled:         pb.ReservationStatus_RESERVATION_STATUS_FULFILLED,
}

var ctStatuses = map[lifecycle.CTStatus]pb.ConfirmatoryTypingStatus{
	lifecycle.CTRequested:  pb.ConfirmatoryTypingStatus_CONFIRMATORY_TYPING_STATUS_REQUESTED,
	lifecycle.CTComplete:   pb.ConfirmatoryTypingStatus_CONFIRMATORY_TYPING_STATUS_COMPLETE,
	lifecycle.CTDiscrepant: pb.ConfirmatoryTypingStatus_CONFIRMATORY_TYPING_STATUS_DISCREPANT,
}

func reservationToProto(r *bank.Reservation) *pb.Reservation {
	return &pb.Reservation{
		Name: r.Name(), TransplantCenter: r.TransplantCenter, PatientId: r.PatientID,
		Status: reservationStatuses[r.Status], ExpireTime: timestamppb.New(r.ExpireTime),
		ConfirmatoryTyping: ctStatuses[r.CT], ConfirmatoryTypingRequestTime: optTime(r.CTRequestTime),
		ConfirmatoryTypingCompleteDate: r.CTCompleteDate.String(), ConfirmatoryTypingResult: typingsToProto(r.CTTyping),
		DiscrepantLoci: r.CTDiscrepancies, ShipmentRequestTime: optTime(r.ShipmentRequestTime),
		EndTime: optTime(r.EndTime), EndReason: r.EndReason,
		CreateTime: timestamppb.New(r.CreateTime), UpdateTime: timestamppb.New(r.UpdateTime), Etag: bank.Etag(r.Version),
	}
}

func (s *reservations) ReserveUnit(ctx context.Context, req *pb.ReserveUnitRequest) (*pb.Reservation, error) {
	b, din, err := parseUnitName(req.GetName())
	if err != nil {
		return nil, invalid("name", err)
	}
	exp, err := expireTime(req.GetExpireTime())
	if err != nil {
		return nil, err
	}
	out, err := s.svc.ReserveUnit(ctx, bank.ReserveRequest{Bank: b, DIN: din, TransplantCenter: req.GetTransplantCenter(),
		PatientID: req.GetPatientId(), ExpireTime: exp, Etag: req.GetEtag(), RequestID: req.GetRequestId()})
	if err != nil {
		return nil, err
	}
	return reservationToProto(out), nil
}

func (s *reservations) GetReservation(ctx context.Context, req *pb.GetReservationRequest) (*pb.Reservation, error) {
	b, din, id, err := parseReservationName(req.GetName())
	if err != nil {
		return nil, invalid("name", err)
	}
	out, err := s.svc.GetReservation(ctx, b, din, id)
	if err != nil {
		return nil, err
	}
	return reservationToProto(out), nil
}

func (s *reservations) ListReservations(ctx context.Context, req *pb.ListReservationsRequest) (*pb.ListReservationsResponse, error) {
	b, err := parseBankName(req.GetParent())
	if err != nil {
		return nil, invalid("parent", err)
	}
	lr := bank.ListReservationsRequest{Bank: b, TransplantCenter: req.GetTransplantCenter(), OpenOnly: req.GetOpenOnly(),
		PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken()}
	if req.GetUnit() != "" {
		ub, din, err := parseUnitName(req.GetUnit())
		if err != nil || ub != b {
			if err == nil {
				err = fmt.Errorf("unit %s is not of bank %s", req.GetUnit(), b)
			}
			return nil, invalid("unit", err)
		}
		lr.DIN = din
	}
	list, next, err := s.svc.ListReservationsPage(ctx, lr)
	if err != nil {
		return nil, err
	}
	resp := &pb.ListReservationsResponse{NextPageToken: next}
	for _, r := range list {
		resp.Reservations = append(resp.Reservations, reservationToProto(r))
	}
	return resp, nil
}

// change runs one reservation action named by a reservation resource name.
func (s *reservations) change(ctx context.Context, name string, c bank.ReservationChange) (*pb.Reservation, error) {
	b, din, id, err := parseReservationName(name)
	if err != nil {
		return nil, invalid("name", err)
	}
	c.Bank, c.DIN, c.ID = b, din, id
	out, err := s.svc.ChangeReservation(ctx, c)
	if err != nil {
		return nil, err
	}
	return reservationToProto(out), nil
}

func (s *reservations) ExtendReservation(ctx context.Context, req *pb.ExtendReservationRequest) (*pb.Reservation, error) {
	exp, err := expireTime(req.GetExpireTime())
	if err != nil {
		return nil, err
	}
	return s.change(ctx, req.GetName(), bank.ReservationChange{Action: lifecycle.ReservationExtend,
		ExpireTime: exp, Etag: req.GetEtag(), RequestID: req.GetRequestId()})
}

func (s *reservations) ReleaseReservation(ctx context.Context, req *pb.ReleaseReservationRequest) (*pb.Reservation, error) {
	return s.change(ctx, req.GetName(), bank.ReservationChange{Action: lifecycle.ReservationRelease,
		Reason: req.GetReason(), Etag: req.GetEtag(), RequestID: req.GetRequestId()})
}

func (s *reservations) RequestConfirmatoryTyping(ctx context.Context, req *pb.RequestConfirmatoryTypingRequest) (*pb.Reservation, error) {
	return s.change(ctx, req.GetName(), bank.ReservationChange{Action: lifecycle.ReservationRequestTyping, Etag: req.GetEtag(), RequestID: req.GetRequestId()})
}

func (s *reservations) RecordConfirmatoryTyping(ctx context.Context, req *pb.RecordConfirmatoryTypingRequest) (*pb.Reservation, error) {
	return s.change(ctx, req.GetName(), bank.ReservationChange{Action: lifecycle.ReservationRecordTyping,
		Typing: typingsFromProto(req.GetTyping()), Etag: req.GetEtag(), RequestID: req.GetRequestId()})
}

func (s *reservations) RequestShipment(ctx context.Context, req *pb.RequestShipmentRequest) (*pb.Reservation, error) {
	return s.change(ctx, req.GetName(), bank.ReservationChange{Action: lifecycle.ReservationRequestShipment, Etag: req.GetEtag(), RequestID: req.GetRequestId()})
}
