package main

import (
	"google.golang.org/protobuf/proto"

	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

func protoCloneUnit(u *pb.Unit) *pb.Unit { return proto.Clone(u).(*pb.Unit) }
