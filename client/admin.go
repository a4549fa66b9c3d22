package client

import (
	"context"

	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

func (c *Client) admin() pb.AdminServiceClient { return pb.NewAdminServiceClient(c.conn) }

// CreateToken issues an API token (administrators only). The secret in the
// response is shown this once; the server keeps only its hash. Not retried:
// a retry after a lost response would issue a second token.
func (c *Client) CreateToken(ctx context.Context, t *pb.Token) (*pb.CreateTokenResponse, error) {
	return call(ctx, c, false, func(ctx context.Context) (*pb.CreateTokenResponse, error) {
		return c.admin().CreateToken(ctx, &pb.CreateTokenRequest{Token: t})
	})
}

// RevokeToken revokes the token name ("tokens/{id}"); it stops working at
// once.
func (c *Client) RevokeToken(ctx context.Context, name string) (*pb.Token, error) {
	return call(ctx, c, true, func(ctx context.Context) (*pb.Token, error) {
		return c.admin().RevokeToken(ctx, &pb.RevokeTokenRequest{Name: name})
	})
}

// ListTokens returns every token (never their secrets), reading as many
// pages as the server gives.
func (c *Client) ListTokens(ctx context.Context) ([]*pb.Token, error) {
	var out []*pb.Token
	req := &pb.ListTokensRequest{PageSize: 1000}
	for {
		resp, err := call(ctx, c, true, func(ctx context.Context) (*pb.ListTokensResponse, error) {
			return c.admin().ListTokens(ctx, req)
		})
		if err != nil {
			return out, err
		}
		out = append(out, resp.GetTokens()...)
		if resp.GetNextPageToken() == "" {
			return out, nil
		}
		req = &pb.ListTokensRequest{PageSize: 1000, PageToken: resp.GetNextPageToken()}
	}
}
