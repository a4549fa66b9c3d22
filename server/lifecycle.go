package server

import (
	"context"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/lifecycle"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// lifecycleService implements pb.LifecycleServiceServer over a bank.Service: every
// method converts its request to one bank.TransitionRequest.
type lifecycleService struct {
	pb.UnimplementedLifecycleServiceServer
	svc *bank.Service
}

// transitionFields are the request fields every lifecycle request has.
type transitionFields interface {
	GetName() string
	GetEtag() string
	GetRequestId() string
}

// transition parses the common fields, reports parse errors together with
// the domain's own findings, and runs the action.
func (l *lifecycleService) transition(ctx context.Context, req transitionFields, r bank.TransitionRequest, v *bank.Violations) (*pb.Unit, error) {
	id, din, err := parseUnitName(req.GetName())
	if err != nil {
		v.Add("name", "%v", err)
	}
	r.Bank, r.DIN, r.Etag, r.RequestID = id, din, req.GetEtag(), req.GetRequestId()
	if v.Len() > 0 {
		for _, dv := range l.svc.ValidateTransition(r) {
			if !v.Has(dv.Field) {
				v.Add(dv.Field, "%s", dv.Description)
			}
		}
		return nil, v.Err("invalid " + string(r.Action) + " request")
	}
	out, err := l.svc.Transition(ctx, r)
	if err != nil {
		return nil, err
	}
	return unitToProto(out), nil
}

func (l *lifecycleService) ReleaseUnit(ctx context.Context, req *pb.ReleaseUnitRequest) (*pb.Unit, error) {
	return l.transition(ctx, req, bank.TransitionRequest{Action: lifecycle.ActionRelease, Reason: req.GetReason(), Note: req.GetNote()}, &bank.Violations{})
}

func (l *lifecycleService) MakeUnitUnavailable(ctx context.Context, req *pb.MakeUnitUnavailableRequest) (*pb.Unit, error) {
	var v bank.Violations
	until := parseDateField(&v, "until", req.GetUntil())
	return l.transition(ctx, req, bank.TransitionRequest{Action: lifecycle.ActionMakeUnavailable, Reason: req.GetReason(), Until: until, Note: req.GetNote()}, &v)
}

func (l *lifecycleService) MakeUnitAvailable(ctx context.Context, req *pb.MakeUnitAvailableRequest) (*pb.Unit, error) {
	return l.transition(ctx, req, bank.TransitionRequest{Action: lifecycle.ActionMakeAvailable, Reason: req.GetReason(), Note: req.GetNote()}, &bank.Violations{})
}

func (l *lifecycleService) DiscardUnit(ctx context.Context, req *pb.DiscardUnitRequest) (*pb.Unit, error) {
	return l.transition(ctx, req, bank.TransitionRequest{Action: lifecycle.ActionDiscard, Reason: req.GetReason(), Note: req.GetNote()}, &bank.Violations{})
}

func (l *lifecycleService) ExpireUnit(ctx context.Context, req *pb.ExpireUnitRequest) (*pb.Unit, error) {
	return l.transition(ctx, req, bank.TransitionRequest{Action: lifecycle.ActionExpire, Note: req.GetNote()}, &bank.Violations{})
}

func (l *lifecycleService) WithdrawUnit(ctx context.Context, req *pb.WithdrawUnitRequest) (*pb.Unit, error) {
	return l.transition(ctx, req, bank.TransitionRequest{Action: lifecycle.ActionWithdraw, Reason: req.GetReason(), Note: req.GetNote()}, &bank.Violations{})
}

func (l *lifecycleService) ShipUnit(ctx context.Context, req *pb.ShipUnitRequest) (*pb.Unit, error) {
	return l.transition(ctx, req, bank.TransitionRequest{Action: lifecycle.ActionShip, Note: req.GetNote()}, &bank.Violations{})
}

func (l *lifecycleService) RecordInfusion(ctx context.Context, req *pb.RecordInfusionRequest) (*pb.Unit, error) {
	return l.transition(ctx, req, bank.TransitionRequest{Action: lifecycle.ActionRecordInfusion, Note: req.GetNote()}, &bank.Violations{})
}

func (l *lifecycleService) TransferUnit(ctx context.Context, req *pb.TransferUnitRequest) (*pb.Unit, error) {
	var v bank.Violations
	target := ""
	if name := req.GetDistributingBank(); name != "" {
		id, err := parseBankName(name)
		if err != nil {
			v.Add("distributing_bank", "%v", err)
		}
		target = id
	}
	return l.transition(ctx, req, bank.TransitionRequest{Action: lifecycle.ActionTransfer, DistributingBank: target}, &v)
}
