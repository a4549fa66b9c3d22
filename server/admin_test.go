package server_test

import (
	"fmt"
	"net/http"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// ListTokens pages like every other list (AIP-158): a registry that grows
// its tokens must not get them all in one answer.
func TestListTokensPages(t *testing.T) {
	srv, _ := start(t)
	adm := pb.NewAdminServiceClient(grpcConn(t, srv))
	for i := range 5 {
		if _, err := adm.CreateToken(t.Context(), &pb.CreateTokenRequest{Token: &pb.Token{Principal: fmt.Sprintf("tech-%d", i), Role: pb.Role_ROLE_TECHNICIAN, Org: "nybc"}}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := adm.ListTokens(t.Context(), &pb.ListTokensRequest{})
	if err != nil || len(all.GetTokens()) < 6 || all.GetNextPageToken() != "" {
		t.Fatalf("one page: %d tokens, next %q, %v", len(all.GetTokens()), all.GetNextPageToken(), err)
	}
	var paged []string
	pages := 0
	for req := (&pb.ListTokensRequest{PageSize: 2}); ; {
		pages++
		resp, err := adm.ListTokens(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.GetTokens()) > 2 {
			t.Fatalf("page of %d tokens, asked for 2", len(resp.GetTokens()))
		}
		for _, tk := range resp.GetTokens() {
			paged = append(paged, tk.GetName())
		}
		if resp.GetNextPageToken() == "" {
			break
		}
		req.PageToken = resp.GetNextPageToken()
	}
	if len(paged) != len(all.GetTokens()) || pages < 3 {
		t.Fatalf("paged %d tokens in %d pages, the list has %d", len(paged), pages, len(all.GetTokens()))
	}
	for i, tk := range all.GetTokens() {
		if paged[i] != tk.GetName() {
			t.Errorf("token %d: paged %s, listed %s", i, paged[i], tk.GetName())
		}
	}
	_, err = adm.ListTokens(t.Context(), &pb.ListTokensRequest{PageToken: "garbage"})
	if _, br := errorInfo(t, err); status.Code(err) != codes.InvalidArgument || br.GetFieldViolations()[0].GetField() != "page_token" {
		t.Errorf("bad page token: %v", err)
	}
	// Over REST, the query parameters are the JSON names.
	e := wantRESTError(t, srv.HTTPClient(), "GET", srv.HTTPURL+"/v1/tokens?pageToken=garbage", nil, nil, http.StatusBadRequest, "INVALID_ARGUMENT")
	e.violation(t, "pageToken")
}
