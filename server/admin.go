package server

import (
	"context"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/credential"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// admin implements pb.AdminServiceServer: API credentials. The rule table
// (authz.go) admits administrators only.
type admin struct {
	pb.UnimplementedAdminServiceServer
	svc *bank.Service
}

const pfxRole = "ROLE_"

// roleFromProto returns the domain role of a wire role ("" for unspecified).
func roleFromProto(r pb.Role) bank.Role {
	return bank.Role(strings.ToLower(fromEnum[string](r, pfxRole)))
}

func roleToProto(r bank.Role) pb.Role {
	return pb.Role(toEnum(pb.Role(0).Descriptor(), pfxRole, bank.Role(strings.ToUpper(string(r)))))
}

func tokenToProto(t *credential.Token) *pb.Token {
	return &pb.Token{Name: t.Name(), Principal: t.Principal, Role: roleToProto(t.Role), Org: t.Org, CertCn: t.CertCN,
		ExpireTime: optTime(t.ExpireTime), CreateTime: timestamppb.New(t.CreateTime), RevokeTime: optTime(t.RevokeTime),
		LastUseTime: optTime(t.LastUseTime), CreatedBy: t.CreatedBy}
}

func (a *admin) CreateToken(ctx context.Context, req *pb.CreateTokenRequest) (*pb.CreateTokenResponse, error) {
	t := req.GetToken()
	var v bank.Violations
	exp := timeField(&v, "token.expire_time", t.GetExpireTime())
	if err := v.Err("invalid token"); err != nil {
		return nil, err
	}
	out, secret, err := a.svc.CreateToken(ctx, bank.CreateTokenRequest{Principal: t.GetPrincipal(), Role: roleFromProto(t.GetRole()),
		Org: t.GetOrg(), CertCN: t.GetCertCn(), ExpireTime: exp})
	if err != nil {
		return nil, withPrefix(err, "token.")
	}
	return &pb.CreateTokenResponse{Token: tokenToProto(out), Secret: secret}, nil
}

func (a *admin) RevokeToken(ctx context.Context, req *pb.RevokeTokenRequest) (*pb.Token, error) {
	id, ok := strings.CutPrefix(req.GetName(), "tokens/")
	if !ok || id == "" || strings.Contains(id, "/") {
		return nil, invalid("name", errNotTokenName(req.GetName()))
	}
	out, err := a.svc.RevokeToken(ctx, id)
	if err != nil {
		return nil, err
	}
	return tokenToProto(out), nil
}

func (a *admin) ListTokens(ctx context.Context, req *pb.ListTokensRequest) (*pb.ListTokensResponse, error) {
	list, next, err := a.svc.ListTokensPage(ctx, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	resp := &pb.ListTokensResponse{NextPageToken: next, Tokens: make([]*pb.Token, len(list))}
	for i, t := range list {
		resp.Tokens[i] = tokenToProto(t)
	}
	return resp, nil
}

type errNotTokenName string

func (e errNotTokenName) Error() string {
	return "\"" + string(e) + "\" is not a token name of the form tokens/{id}"
}
