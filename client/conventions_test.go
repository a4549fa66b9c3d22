package client_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/cordbank/cordbank/client"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// fakeRegistry answers GetBank with whatever answer says, counting calls.
type fakeRegistry struct {
	pb.UnimplementedRegistryServiceServer
	calls  atomic.Int32
	answer func(ctx context.Context, call int32) (*pb.Bank, error)
}

func (f *fakeRegistry) GetBank(ctx context.Context, req *pb.GetBankRequest) (*pb.Bank, error) {
	return f.answer(ctx, f.calls.Add(1))
}

// fakeServer serves f on a loopback port.
func fakeServer(t *testing.T, f *fakeRegistry) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	pb.RegisterRegistryServiceServer(s, f)
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

// TestDefaultDeadline: a server that never answers does not hold a call
// past the client's call timeout, and the error reads as DEADLINE_EXCEEDED
// with status.Code, like a generated client's.
func TestDefaultDeadline(t *testing.T) {
	f := &fakeRegistry{answer: func(ctx context.Context, _ int32) (*pb.Bank, error) {
		<-ctx.Done() // silent until the client gives up
		return nil, ctx.Err()
	}}
	c, err := client.New(fakeServer(t, f), client.WithCallTimeout(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	_, err = c.GetBank(context.Background(), "banks/b1")
	if got := status.Code(err); got != codes.DeadlineExceeded {
		t.Fatalf("status.Code(%v) = %v, want DeadlineExceeded", err, got)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("the call took %v", took)
	}
	if client.DefaultCallTimeout <= 0 || client.DefaultCallTimeout > time.Minute {
		t.Errorf("DefaultCallTimeout = %v", client.DefaultCallTimeout)
	}
}

// TestRateLimitRetryHonoursRetryDelay: a RESOURCE_EXHAUSTED answer with a
// google.rpc.RetryInfo is retried, not sooner than the delay it asks for.
func TestRateLimitRetryHonoursRetryDelay(t *testing.T) {
	const delay = 250 * time.Millisecond
	f := &fakeRegistry{answer: func(_ context.Context, call int32) (*pb.Bank, error) {
		if call == 1 {
			st, _ := status.New(codes.ResourceExhausted, "rate limited").WithDetails(
				&errdetails.ErrorInfo{Reason: "RATE_LIMITED", Domain: "cordbank.org"},
				&errdetails.RetryInfo{RetryDelay: durationpb.New(delay)})
			return nil, st.Err()
		}
		return &pb.Bank{Name: "banks/b1"}, nil
	}}
	c, err := client.New(fakeServer(t, f), client.WithRetry(client.RetryPolicy{Attempts: 3, Backoff: time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	b, err := c.GetBank(context.Background(), "banks/b1")
	if err != nil || b.GetName() != "banks/b1" {
		t.Fatalf("GetBank = %v, %v", b, err)
	}
	if took := time.Since(start); took < delay {
		t.Errorf("retried after %v, before the server's retry delay of %v", took, delay)
	}
	if n := f.calls.Load(); n != 2 {
		t.Errorf("%d calls, want 2", n)
	}
}

// TestSDKErrorsReadAsStatus: the SDK's errors read with status.Code and
// status.FromError as the generated client's do, details included, and a
// NOT_FOUND is not retried.
func TestSDKErrorsReadAsStatus(t *testing.T) {
	f := &fakeRegistry{answer: func(context.Context, int32) (*pb.Bank, error) {
		st, _ := status.New(codes.NotFound, "bank not found").WithDetails(&errdetails.ErrorInfo{Reason: "BANK_NOT_FOUND", Domain: "cordbank.org"})
		return nil, st.Err()
	}}
	c, err := client.New(fakeServer(t, f))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.GetBank(context.Background(), "banks/b1")
	if status.Code(err) != codes.NotFound {
		t.Fatalf("status.Code = %v, want NotFound", status.Code(err))
	}
	e, ok := client.AsError(err)
	if !ok || e.Reason != "BANK_NOT_FOUND" {
		t.Fatalf("AsError = %v, %v", e, ok)
	}
	if st, _ := status.FromError(err); len(st.Details()) == 0 {
		t.Error("status.FromError lost the error's details")
	}
	if n := f.calls.Load(); n != 1 {
		t.Errorf("%d calls: NOT_FOUND was retried", n)
	}
}

// TestRemoteTargetsGetTLS: a target that is not on this machine gets TLS
// by default, so a token is not refused for want of transport security.
func TestRemoteTargetsGetTLS(t *testing.T) {
	c, err := client.New("cordbank.example.org:443", client.WithToken("cbk_secret"))
	if err != nil {
		t.Fatalf("New with a remote target: %v", err)
	}
	c.Close()
	if _, err := client.New("cordbank.example.org:443", client.WithToken("cbk_secret"), client.WithInsecure()); err == nil {
		t.Error("a token in plain text to a remote target was accepted")
	}
}
