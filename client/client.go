package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"net"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// Client calls a cordbank server. It is safe for concurrent use; create
// one per server and Close it when done.
type Client struct {
	conn  *grpc.ClientConn
	reg   pb.RegistryServiceClient
	retry RetryPolicy
}

// RetryPolicy says how calls are retried: those safe to repeat (reads, and
// creates carrying a request id) after UNAVAILABLE, and every call after a
// rate-limit answer (RESOURCE_EXHAUSTED with a retry delay: the server did
// not run it). Waits are jittered (each a random time between half and
// all of the current backoff, which doubles after each try) so clients
// that failed together do not retry together, and never shorter than a
// retry delay the server sent.
type RetryPolicy struct {
	// Attempts is the total number of tries; 1 disables retries.
	Attempts int
	// Backoff is the wait before the second try; it doubles after each.
	Backoff time.Duration
	// MaxBackoff caps the wait between two tries (0: 10 s).
	MaxBackoff time.Duration
}

// DefaultRetryPolicy is used unless WithRetry says otherwise.
var DefaultRetryPolicy = RetryPolicy{Attempts: 4, Backoff: 100 * time.Millisecond, MaxBackoff: 10 * time.Second}

// DefaultCallTimeout bounds every unary call whose context has no deadline
// of its own (WithCallTimeout changes it): a server that never answers
// must not hold a caller forever. Streams (imports, event watches) have
// none: they last as long as their work.
const DefaultCallTimeout = 30 * time.Second

type options struct {
	token       string
	creds       credentials.TransportCredentials
	userAgent   string
	retry       RetryPolicy
	callTimeout time.Duration
	dial        []grpc.DialOption
}

// WithCallTimeout replaces DefaultCallTimeout; 0 or less means no default
// deadline.
func WithCallTimeout(d time.Duration) Option { return func(o *options) { o.callTimeout = d } }

// Option configures New.
type Option func(*options)

// WithTransportCredentials sets the TLS (or other) credentials.
func WithTransportCredentials(c credentials.TransportCredentials) Option {
	return func(o *options) { o.creds = c }
}

// WithInsecure sends calls in plain text. New uses it by default only for
// loopback targets (127.0.0.1, ::1, localhost); any other target gets TLS
// with the system's root certificates unless credentials are given.
func WithInsecure() Option { return func(o *options) { o.creds = insecure.NewCredentials() } }

// WithToken authenticates every call with an API token (a secret from
// "cordbank token create" or AdminService.CreateToken), sent as
// "authorization: Bearer <token>" metadata. The token travels in plain
// text over WithInsecure connections, so New allows that only for loopback
// targets (the default there); any other target needs
// WithTransportCredentials (TLS).
func WithToken(token string) Option { return func(o *options) { o.token = token } }

// WithUserAgent adds a product token to the user agent.
func WithUserAgent(ua string) Option { return func(o *options) { o.userAgent = ua } }

// WithRetry replaces DefaultRetryPolicy.
func WithRetry(p RetryPolicy) Option { return func(o *options) { o.retry = p } }

// WithDialOptions adds raw gRPC dial options (interceptors, keepalive...).
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dial = append(o.dial, opts...) }
}

// New returns a client for the server at target ("host:port" or any gRPC
// target). No connection is made until the first call.
func New(target string, opts ...Option) (*Client, error) {
	o := options{retry: DefaultRetryPolicy, userAgent: "cordbank-go", callTimeout: DefaultCallTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if o.creds == nil {
		o.creds = defaultCreds(target)
	}
	if o.retry.Attempts < 1 {
		o.retry.Attempts = 1
	}
	if o.retry.MaxBackoff <= 0 {
		o.retry.MaxBackoff = 10 * time.Second
	}
	dial := []grpc.DialOption{
		grpc.WithTransportCredentials(o.creds),
		grpc.WithUserAgent(o.userAgent),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64 << 20)),
	}
	if o.callTimeout > 0 {
		dial = append(dial, grpc.WithChainUnaryInterceptor(defaultDeadline(o.callTimeout)))
	}
	if o.token != "" {
		plain := o.creds.Info().SecurityProtocol == "insecure"
		if plain && !IsLoopback(target) {
			return nil, fmt.Errorf("cordbank: refusing to send a token in plain text to %q: use WithTransportCredentials", target)
		}
		dial = append(dial, grpc.WithPerRPCCredentials(tokenCreds{token: o.token, secure: !plain}))
	}
	dial = append(dial, o.dial...)
	conn, err := grpc.NewClient(target, dial...)
	if err != nil {
		return nil, fmt.Errorf("cordbank: %w", err)
	}
	return &Client{conn: conn, reg: pb.NewRegistryServiceClient(conn), retry: o.retry}, nil
}

// tokenCreds sends a bearer token. It claims to need transport security
// only when the connection has it: gRPC refuses per-RPC credentials that
// require security on insecure connections, and New already allowed
// plain text for loopback targets only.
type tokenCreds struct {
	token  string
	secure bool
}

func (t tokenCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + t.token}, nil
}

func (t tokenCreds) RequireTransportSecurity() bool { return t.secure }

// defaultCreds: plain text to loopback targets (a server on this machine,
// tests), TLS with the system's roots to anything else.
func defaultCreds(target string) credentials.TransportCredentials {
	if IsLoopback(target) {
		return insecure.NewCredentials()
	}
	return credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12})
}

// defaultDeadline gives unary calls without a deadline one of d.
func defaultDeadline(d time.Duration) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

// IsLoopback reports whether target ("host:port" or a host) names this
// machine: localhost or a loopback address.
func IsLoopback(target string) bool {
	host, _, err := net.SplitHostPort(target)
	if err != nil {
		host = target
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Close releases the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Conn returns the underlying connection, for services this SDK does not
// wrap yet.
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// call runs fn, retrying per the policy (see RetryPolicy), and converts
// the final error.
func call[T any](ctx context.Context, c *Client, retryable bool, fn func(context.Context) (T, error)) (T, error) {
	backoff := c.retry.Backoff
	for attempt := 1; ; attempt++ {
		out, err := fn(ctx)
		if err == nil {
			return out, nil
		}
		e := convertError(err)
		wait, ok := c.retryWait(e, retryable, attempt, backoff)
		if !ok {
			return out, e
		}
		if dl, has := ctx.Deadline(); has && time.Until(dl) < wait {
			return out, e // the answer would come too late anyway
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return out, e
		case <-timer.C:
		}
		backoff = min(2*backoff, c.retry.MaxBackoff)
	}
}

// retryWait decides whether the call that failed with err is tried again
// and after how long: a jittered wait in [backoff/2, backoff], never
// shorter than the server's retry delay.
func (c *Client) retryWait(err error, retryable bool, attempt int, backoff time.Duration) (time.Duration, bool) {
	var ce *Error
	if attempt >= c.retry.Attempts || !errors.As(err, &ce) {
		return 0, false
	}
	rateLimited := ce.Code == codes.ResourceExhausted && ce.RetryDelay > 0
	if !rateLimited && (!retryable || ce.Code != codes.Unavailable) {
		return 0, false
	}
	wait := backoff/2 + rand.N(backoff/2+1)
	return max(wait, ce.RetryDelay), true
}

// CreateBank registers a bank with id bankID. A request id is generated
// and reused across retries.
func (c *Client) CreateBank(ctx context.Context, bankID string, b *pb.Bank) (*pb.Bank, error) {
	req := &pb.CreateBankRequest{BankId: bankID, Bank: b, RequestId: uuid.NewString()}
	return call(ctx, c, true, func(ctx context.Context) (*pb.Bank, error) { return c.reg.CreateBank(ctx, req) })
}

// GetBank returns the bank named "banks/{bank}".
func (c *Client) GetBank(ctx context.Context, name string) (*pb.Bank, error) {
	return call(ctx, c, true, func(ctx context.Context) (*pb.Bank, error) {
		return c.reg.GetBank(ctx, &pb.GetBankRequest{Name: name})
	})
}

// ListBanks iterates over all banks, fetching pages as needed. Iteration
// stops at the first error, which is yielded.
func (c *Client) ListBanks(ctx context.Context) iter.Seq2[*pb.Bank, error] {
	return pages(func(token string) ([]*pb.Bank, string, error) {
		resp, err := call(ctx, c, true, func(ctx context.Context) (*pb.ListBanksResponse, error) {
			return c.reg.ListBanks(ctx, &pb.ListBanksRequest{PageToken: token, PageSize: 1000})
		})
		return resp.GetBanks(), resp.GetNextPageToken(), err
	})
}

// UpdateBank changes the fields of b named by paths (all mutable fields
// when none are given). b.Name names the bank; b.Etag, when set, must be
// current (else ErrEtagMismatch).
func (c *Client) UpdateBank(ctx context.Context, b *pb.Bank, paths ...string) (*pb.Bank, error) {
	req := &pb.UpdateBankRequest{Bank: b, UpdateMask: mask(paths)}
	return call(ctx, c, false, func(ctx context.Context) (*pb.Bank, error) { return c.reg.UpdateBank(ctx, req) })
}

// CreateUnit registers u in the bank parent ("banks/{bank}"). A request id
// is generated and reused across retries, so a retried create never
// registers twice.
func (c *Client) CreateUnit(ctx context.Context, parent string, u *pb.Unit) (*pb.Unit, error) {
	req := &pb.CreateUnitRequest{Parent: parent, Unit: u, RequestId: uuid.NewString()}
	return call(ctx, c, true, func(ctx context.Context) (*pb.Unit, error) { return c.reg.CreateUnit(ctx, req) })
}

// GetUnit returns the unit named "banks/{bank}/units/{din}".
func (c *Client) GetUnit(ctx context.Context, name string) (*pb.Unit, error) {
	return call(ctx, c, true, func(ctx context.Context) (*pb.Unit, error) {
		return c.reg.GetUnit(ctx, &pb.GetUnitRequest{Name: name})
	})
}

// ListUnits iterates over the units req selects, fetching pages of
// req.PageSize (server default when 0). req.PageToken is managed for you.
func (c *Client) ListUnits(ctx context.Context, req *pb.ListUnitsRequest) iter.Seq2[*pb.Unit, error] {
	return pages(func(token string) ([]*pb.Unit, string, error) {
		r := cloneListUnits(req)
		r.PageToken = token
		resp, err := call(ctx, c, true, func(ctx context.Context) (*pb.ListUnitsResponse, error) { return c.reg.ListUnits(ctx, r) })
		return resp.GetUnits(), resp.GetNextPageToken(), err
	})
}

// UpdateUnit changes the fields of u named by paths (every mutable field
// when none are given). u.Name names the unit; u.Etag, when set, must be
// current (else ErrEtagMismatch).
func (c *Client) UpdateUnit(ctx context.Context, u *pb.Unit, paths ...string) (*pb.Unit, error) {
	req := &pb.UpdateUnitRequest{Unit: u, UpdateMask: mask(paths)}
	return call(ctx, c, false, func(ctx context.Context) (*pb.Unit, error) { return c.reg.UpdateUnit(ctx, req) })
}

// ImportUnits streams units into the bank parent and returns one result
// per unit. A unit that is refused does not stop the others. The stream is
// not retried: re-running an import reports already registered units as
// UNIT_ALREADY_EXISTS and registers the rest.
func (c *Client) ImportUnits(ctx context.Context, parent string, units iter.Seq[*pb.Unit]) (*pb.ImportUnitsResponse, error) {
	stream, err := c.reg.ImportUnits(ctx)
	if err != nil {
		return nil, convertError(err)
	}
	first := true
	for u := range units {
		req := &pb.ImportUnitsRequest{Unit: u}
		if first {
			req.Parent, first = parent, false
		}
		if err := stream.Send(req); err != nil {
			// The server ended the stream; its status says why.
			_, err = stream.CloseAndRecv()
			return nil, convertError(err)
		}
	}
	if first { // an empty import still names its bank
		if err := stream.Send(&pb.ImportUnitsRequest{Parent: parent}); err != nil {
			_, err = stream.CloseAndRecv()
			return nil, convertError(err)
		}
	}
	resp, err := stream.CloseAndRecv()
	return resp, convertError(err)
}

func mask(paths []string) *fieldmaskpb.FieldMask {
	if len(paths) == 0 {
		return &fieldmaskpb.FieldMask{Paths: []string{"*"}}
	}
	return &fieldmaskpb.FieldMask{Paths: paths}
}

// pages turns a page fetcher into an iterator over items.
func pages[T any](fetch func(token string) ([]T, string, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		token := ""
		for {
			items, next, err := fetch(token)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if next == "" {
				return
			}
			token = next
		}
	}
}
