package server

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/access"
)

// Authentication: every call except health and reflection carries a
// bearer token ("authorization: Bearer cbk_...", gRPC metadata or HTTP
// header through the gateway) or, with a client CA configured, a verified
// client certificate whose Common Name is bound to a principal
// (bank.CreateTokenRequest.CertCN). A bearer token wins when both are
// present. Secrets are never logged: failures log the method, the peer
// and which credential kind failed.

// openMethods need no credentials: health checks and reflection.
var openPrefixes = []string{"/grpc.health.v1.Health/", "/grpc.reflection.v1.ServerReflection/", "/grpc.reflection.v1alpha.ServerReflection/"}

func isOpen(method string) bool {
	for _, p := range openPrefixes {
		if strings.HasPrefix(method, p) {
			return true
		}
	}
	return false
}

type principalKey struct{}

// PrincipalFrom returns the authenticated principal of a call's context.
func PrincipalFrom(ctx context.Context) (bank.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(bank.Principal)
	return p, ok
}

// RateLimit bounds each principal's calls: a token bucket of Burst calls
// refilled at PerSecond. The zero value disables limiting.
type RateLimit struct {
	PerSecond float64
	Burst     int
}

// guard authenticates, rate-limits and authorizes calls (auth.go, authz.go).
type guard struct {
	svc      *bank.Service
	log      *slog.Logger
	limit    *limiter
	failures atomic.Int64
	metrics  *Metrics // nil: none
}

var errAuthFailed = bank.NewError(bank.KindUnauthenticated, bank.ReasonUnauthenticated,
	"missing, unknown, revoked or expired credentials: send a valid token as \"authorization: Bearer <token>\"")

// authenticate returns the principal of ctx's credentials.
func (g *guard) authenticate(ctx context.Context, method string) (bank.Principal, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	kind := "none"
	var err error = errAuthFailed
	var p bank.Principal
	if vals := md.Get("authorization"); len(vals) > 0 {
		kind = "bearer"
		scheme, secret, ok := strings.Cut(vals[0], " ")
		if ok && strings.EqualFold(scheme, "bearer") && len(vals) == 1 {
			p, err = g.svc.Authenticate(ctx, strings.TrimSpace(secret))
		}
	} else if cn := verifiedCN(ctx); cn != "" {
		kind = "certificate"
		p, err = g.svc.AuthenticateCert(ctx, cn)
	}
	if err != nil {
		if bank.KindOf(err) != bank.KindUnauthenticated {
			return p, err // the store failed: not the caller's fault
		}
		n := g.failures.Add(1)
		g.metrics.authFailed()
		addr := ""
		if pr, ok := peer.FromContext(ctx); ok && pr.Addr != nil {
			addr = pr.Addr.String()
		}
		g.log.WarnContext(ctx, "authentication failed", "method", method, "credential", kind, "peer", addr,
			"request_id", RequestID(ctx), "failures_total", n)
		return p, errAuthFailed
	}
	return p, nil
}

// verifiedCN returns the Common Name of a client certificate the TLS
// handshake verified against the client CA, "" when there is none.
func verifiedCN(ctx context.Context) string {
	pr, ok := peer.FromContext(ctx)
	if !ok {
		return ""
	}
	ti, ok := pr.AuthInfo.(credentials.TLSInfo)
	if !ok || len(ti.State.VerifiedChains) == 0 || len(ti.State.VerifiedChains[0]) == 0 {
		return ""
	}
	var leaf *x509.Certificate = ti.State.VerifiedChains[0][0]
	return leaf.Subject.CommonName
}

// admit authenticates and rate-limits a call and returns ctx carrying the
// principal (PrincipalFrom) and the audit trail's caller.
func (g *guard) admit(ctx context.Context, method string) (context.Context, bank.Principal, error) {
	p, err := g.authenticate(ctx, method)
	if err != nil {
		return ctx, p, err
	}
	if ok, wait := g.limit.allow(p.Name); !ok {
		g.metrics.limited()
		g.log.WarnContext(ctx, "rate limited", "method", method, "principal", p.Name, "request_id", RequestID(ctx))
		return ctx, p, rateLimited(p.Name, wait)
	}
	if n, ok := ctx.Value(callNoteKey{}).(*callNote); ok {
		n.principal = p.Name
	}
	c := bank.CallerFrom(ctx)
	c.Principal = p.Name
	ctx = bank.WithCaller(ctx, c)
	ctx = access.WithPrincipal(ctx, p) // every use case checks it
	return context.WithValue(ctx, principalKey{}, p), p, nil
}

func (g *guard) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if isOpen(info.FullMethod) {
		return h(ctx, req)
	}
	ctx, p, err := g.admit(ctx, info.FullMethod)
	if err != nil {
		return nil, toStatus(ctx, g.log, err)
	}
	r, ok := rpcs[info.FullMethod]
	if !ok {
		return nil, toStatus(ctx, g.log, bank.NewError(bank.KindPermissionDenied, bank.ReasonPermissionDenied, "no authorization rule for "+info.FullMethod))
	}
	if err := r.authorize(p, req); err != nil {
		return nil, toStatus(ctx, g.log, err)
	}
	return h(ctx, req)
}

func (g *guard) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if isOpen(info.FullMethod) {
		return h(srv, ss)
	}
	ctx, p, err := g.admit(ss.Context(), info.FullMethod)
	if err != nil {
		return toStatus(ctx, g.log, err)
	}
	r, ok := rpcs[info.FullMethod]
	if !ok {
		return toStatus(ctx, g.log, bank.NewError(bank.KindPermissionDenied, bank.ReasonPermissionDenied, "no authorization rule for "+info.FullMethod))
	}
	if err := r.authorize(p, nil); err != nil {
		return toStatus(ctx, g.log, err)
	}
	return h(srv, &guardedStream{ServerStream: ss, ctx: ctx, g: g, p: p, r: r})
}

// guardedStream checks every received message (each may name its target
// bank, an import's first one must).
type guardedStream struct {
	grpc.ServerStream
	ctx context.Context
	g   *guard
	p   bank.Principal
	r   rpc
}

func (s *guardedStream) Context() context.Context { return s.ctx }

func (s *guardedStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if err := s.r.authorize(s.p, m); err != nil {
		return toStatus(s.ctx, s.g.log, err)
	}
	return nil
}

// limiter is a token bucket per principal. Hand-written (40 lines) rather
// than golang.org/x/time/rate: one map and one mutex need no dependency.
type limiter struct {
	cfg     RateLimit
	now     func() time.Time
	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(cfg RateLimit) *limiter {
	return &limiter{cfg: cfg, now: time.Now, buckets: map[string]*bucket{}}
}

// rateLimited is the error of a call over its principal's rate: reason
// RATE_LIMITED and a google.rpc.RetryInfo with the time until the bucket
// holds a token again (REST: a Retry-After header, writeHTTPError).
func rateLimited(principal string, wait time.Duration) error {
	st := status.New(codes.ResourceExhausted, fmt.Sprintf("too many requests: retry in %s", wait.Round(time.Millisecond)))
	st, _ = st.WithDetails(
		&errdetails.ErrorInfo{Reason: string(bank.ReasonRateLimited), Domain: ErrorDomain,
			Metadata: map[string]string{"principal": principal, "retry_after": wait.Round(time.Millisecond).String()}},
		&errdetails.RetryInfo{RetryDelay: durationpb.New(wait)})
	return st.Err()
}

// allow takes one token from key's bucket, reporting whether there was one
// and, when there was not, how long until there is.
func (l *limiter) allow(key string) (bool, time.Duration) {
	if l == nil || l.cfg.PerSecond <= 0 {
		return true, 0
	}
	burst := float64(max(l.cfg.Burst, 1))
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		// Forget idle principals (their buckets are full again anyway).
		for k, b := range l.buckets {
			if now.Sub(b.last).Seconds()*l.cfg.PerSecond >= burst {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(burst, b.tokens+now.Sub(b.last).Seconds()*l.cfg.PerSecond)
	b.last = now
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) / l.cfg.PerSecond * float64(time.Second))
	}
	b.tokens--
	return true, 0
}
