package server

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/cordbank/cordbank/bank"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// TestEveryCodeHasAnErrorReason: whatever raises a status (the gRPC
// runtime, the gateway, the caller's cancellation), the reason clients
// branch on is a value of the ErrorReason enum.
func TestEveryCodeHasAnErrorReason(t *testing.T) {
	for c := codes.Canceled; c <= codes.Unauthenticated; c++ {
		if r := reasonForCode(c); pb.ErrorReason_value[r] == 0 {
			t.Errorf("code %v: reason %q is not an ErrorReason", c, r)
		}
	}
}

// TestCallerCancellationIsNotAnInternalError: a call the caller cancelled
// or let time out is answered CANCELLED / DEADLINE_EXCEEDED and logged at
// INFO, even when what failed inside was a statement the cancellation
// interrupted; an internal error of a live call stays an ERROR.
func TestCallerCancellationIsNotAnInternalError(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithTimeout(context.Background(), 0)
	defer cancel2()
	<-expired.Done()
	live := context.Background()
	interrupted := errors.New("sqlite: interrupted")
	cases := []struct {
		name      string
		ctx       context.Context
		err       error
		code      codes.Code
		reason    string
		wantError bool // logged at ERROR
	}{
		{"interrupted statement", cancelled, bank.Internal(interrupted, "sqlite: insert unit"), codes.Canceled, "CANCELLED", false},
		{"wrapped context error", cancelled, bank.Internal(context.Canceled, "sqlite: commit"), codes.Canceled, "CANCELLED", false},
		{"bare context error", cancelled, context.Canceled, codes.Canceled, "CANCELLED", false},
		{"deadline", expired, bank.Internal(interrupted, "sqlite: read"), codes.DeadlineExceeded, "DEADLINE_EXCEEDED", false},
		{"gateway hop", live, status.Error(codes.Canceled, "context canceled"), codes.Canceled, "CANCELLED", false},
		{"server's own timeout", live, bank.Internal(context.DeadlineExceeded, "sqlite: read"), codes.Internal, "INTERNAL", true},
		{"internal error", live, bank.Internal(interrupted, "sqlite: read"), codes.Internal, "INTERNAL", true},
		{"runtime internal status", live, status.Error(codes.Internal, "grpc: error while marshaling"), codes.Internal, "INTERNAL", true},
		{"answer to a cancelled call", cancelled, bank.NewError(bank.KindNotFound, bank.ReasonUnitNotFound, "unit not found"), codes.NotFound, "UNIT_NOT_FOUND", false},
	}
	for _, c := range cases {
		var logs bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		st := status.Convert(toStatus(c.ctx, log, c.err))
		info := errorInfoOf(st)
		if st.Code() != c.code || info.GetReason() != c.reason {
			t.Errorf("%s: %v %s, want %v %s", c.name, st.Code(), info.GetReason(), c.code, c.reason)
		}
		if got := strings.Contains(logs.String(), "level=ERROR"); got != c.wantError {
			t.Errorf("%s: logged at ERROR = %v, want %v; log: %s", c.name, got, c.wantError, logs.String())
		}
		if c.code == codes.Internal && strings.Contains(st.Message(), "marshaling") {
			t.Errorf("%s: internal message not masked: %q", c.name, st.Message())
		}
	}
}

// TestStatusTextIsValidUTF8: a message or metadata quoting invalid UTF-8
// still yields a status that marshals.
func TestStatusTextIsValidUTF8(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, err := range []error{
		status.Error(codes.NotFound, "no such route: GET /v2/x\xff"),
		bank.NewError(bank.KindNotFound, bank.ReasonUnitNotFound, "unit \xfe not found", "name", "banks/x/units/\xff"),
	} {
		st := status.Convert(toStatus(live(), log, err))
		if _, merr := protoMarshalStatus(st); merr != nil {
			t.Errorf("%v: %v", err, merr)
		}
	}
}

func live() context.Context { return context.Background() }

func protoMarshalStatus(st *status.Status) ([]byte, error) { return proto.Marshal(st.Proto()) }
