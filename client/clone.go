package client

import (
	"google.golang.org/protobuf/proto"

	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

func cloneListUnits(r *pb.ListUnitsRequest) *pb.ListUnitsRequest {
	if r == nil {
		return &pb.ListUnitsRequest{}
	}
	return proto.Clone(r).(*pb.ListUnitsRequest)
}
