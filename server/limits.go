package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cordbank/cordbank/bank"
)

// MaxMessageBytes is the largest request the server reads as one message:
// a gRPC message, a REST body, one line of a REST import. A unit is a few
// kilobytes; the limit leaves room for large batch requests while bounding
// what one call can make the server hold. Over it, a call fails with
// RESOURCE_EXHAUSTED, reason REQUEST_TOO_LARGE (HTTP 413; see tooLarge).
const MaxMessageBytes = 16 << 20

// Limits of an HTTP request's head. Headers are counted as HTTP/2 counts
// them (RFC 7540 §6.5.2: name, value and 32 bytes per field), so what the
// gateway forwards as gRPC metadata always fits the gRPC server's
// header limit, maxGRPCHeaderBytes. http.Server's own MaxHeaderBytes is a
// larger backstop, so that these limits, checked by checkRequestHead,
// answer in the API's error shape rather than Go's plain-text 431.
const (
	maxURLBytes           = 8 << 10
	maxHeaderBytes        = 32 << 10
	maxGRPCHeaderBytes    = 64 << 10
	httpMaxHeaderBackstop = 1 << 20
)

// tooLarge is the error for a request part over its limit: part is "body",
// "line" (of an import), "url" or "headers"; the REST status follows from
// it (httpStatusOf: 413, 414 or 431).
func tooLarge(part string, limit int) error {
	st := status.New(codes.ResourceExhausted, "request "+part+" too large: the limit is "+strconv.Itoa(limit)+" bytes")
	st, _ = st.WithDetails(&errdetails.ErrorInfo{Reason: reasonTooLarge, Domain: ErrorDomain,
		Metadata: map[string]string{"part": part, "limit_bytes": strconv.Itoa(limit)}})
	return st.Err()
}

// checkRequestHead answers, in the API's error shape and before the
// gateway sees them, requests whose URL or headers are over the limits and
// requests whose path or query is not valid UTF-8 once percent-decoded
// (every text field of the API is UTF-8; protobuf refuses anything else).
func (s *Server) checkRequestHead(routes *httpRoutes, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var err error
		switch {
		case len(r.RequestURI) > maxURLBytes:
			err = tooLarge("url", maxURLBytes)
		case headerBytes(r) > maxHeaderBytes:
			err = tooLarge("headers", maxHeaderBytes)
		default:
			err = checkURLText(routes, r)
		}
		if err != nil {
			writeHTTPError(w, r, s, 0, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// headerBytes is the size of r's header fields as HTTP/2 counts them.
func headerBytes(r *http.Request) int {
	n := len(r.Host) + len(":authority") + 32
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 32
		}
	}
	return n
}

// checkURLText refuses a path or query that is not valid UTF-8, naming the
// path parameter (as the API's binding names it: "name", "unit.name") or
// query parameter (as sent) that holds it.
func checkURLText(routes *httpRoutes, r *http.Request) error {
	var v bank.Violations
	if !utf8.ValidString(r.URL.Path) {
		params := routes.pathParams(r.Method, r.URL)
		for _, k := range sortedKeys(params) {
			if !utf8.ValidString(params[k]) {
				v.Add(k, "not valid UTF-8 (the URL path, percent-decoded)")
			}
		}
		if v.Len() == 0 {
			return status.Error(codes.InvalidArgument, "the URL path is not valid UTF-8 once percent-decoded")
		}
	}
	query := r.URL.Query()
	for _, k := range sortedKeys(query) {
		if !utf8.ValidString(k) || slices.ContainsFunc(query[k], func(s string) bool { return !utf8.ValidString(s) }) {
			v.Add(strings.ToValidUTF8(k, "\uFFFD"), "not valid UTF-8 (a query parameter, percent-decoded)")
		}
	}
	return v.Err("invalid request: text must be UTF-8")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// bodyGuard caps a request body and remembers whether the client sent more,
// so that the decoding error the gateway reports becomes a 413.
type bodyGuard struct {
	io.ReadCloser
	limit int
	over  atomic.Bool
	// read keeps what the gateway read of a body of one message, so that
	// a body that does not decode can be examined (bodyEnumViolationsOf).
	keep bool
	read bytes.Buffer
}

type bodyGuardKey struct{}

func (b *bodyGuard) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if b.keep {
		b.read.Write(p[:n])
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		b.over.Store(true)
	}
	return n, err
}

// guardBody caps r's body at limit bytes. It returns false, having answered
// 413, when the declared length is already over it.
func (s *Server) guardBody(w http.ResponseWriter, r *http.Request, limit int) (*http.Request, bool) {
	if r.ContentLength > int64(limit) {
		writeHTTPError(w, r, s, 0, tooLarge("body", limit))
		return r, false
	}
	g := &bodyGuard{ReadCloser: http.MaxBytesReader(w, r.Body, int64(limit)), limit: limit, keep: limit <= MaxMessageBytes}
	r = r.WithContext(context.WithValue(r.Context(), bodyGuardKey{}, g))
	r.Body = g
	return r, true
}

// bodyOverLimit returns the tooLarge error when the request of ctx sent a
// body over its limit, nil otherwise.
func bodyOverLimit(ctx context.Context) error {
	if g, ok := ctx.Value(bodyGuardKey{}).(*bodyGuard); ok && g.over.Load() {
		return tooLarge("body", g.limit)
	}
	return nil
}

// bodyEnumViolationsOf returns the enum values the body of ctx's request
// holds that its route's enums do not have (none without a kept body).
func bodyEnumViolationsOf(ctx context.Context, rf *routeFields) *bank.Violations {
	g, ok := ctx.Value(bodyGuardKey{}).(*bodyGuard)
	if !ok || rf == nil || rf.body == nil || g.over.Load() {
		return &bank.Violations{}
	}
	prefix := ""
	if rf.bodyPath != "" {
		prefix = rf.bodyPath + "."
	}
	return bodyEnumViolations(g.read.Bytes(), rf.body, prefix)
}
