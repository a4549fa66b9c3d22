package server

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/audit"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

func (a *auditService) GetLatestAuditCheckpoint(ctx context.Context, _ *pb.GetLatestAuditCheckpointRequest) (*pb.AuditCheckpoint, error) {
	var c *audit.Checkpoint
	if a.checkpoint != nil {
		c = a.checkpoint()
	}
	if c == nil {
		return nil, bank.NewError(bank.KindFailedPrecondition, bank.ReasonFailedPrecondition,
			"this server signs no audit checkpoints: start it with --checkpoint-key")
	}
	return &pb.AuditCheckpoint{Seq: c.Seq, HeadHash: c.Head, SignTime: timestamppb.New(c.Time),
		PublicKey: c.PublicKey, Signature: c.Signature, SignedMessage: string(c.SignedMessage())}, nil
}
