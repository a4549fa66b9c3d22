package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/cordbank/cordbank/internal/console"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
	"github.com/cordbank/cordbank/proto/cordbank/v1/openapi"
)

// maxImportBodyBytes caps a whole REST import, which streams a bank's
// inventory; each of its lines is one message (MaxMessageBytes).
const maxImportBodyBytes = 1 << 30

// gatewayHandler returns the HTTP handler: /openapi.json (Swagger 2.0),
// /openapi.v3.json, the reference page /docs, /healthz, and the
// REST gateway, which calls the gRPC server at grpcAddr over a client
// connection.
func (s *Server) gatewayHandler(grpcAddr string) (http.Handler, *grpc.ClientConn, error) {
	creds, err := s.gatewayCreds()
	if err != nil {
		return nil, nil, err
	}
	routes, err := newHTTPRoutes(apiBindings())
	if err != nil {
		return nil, nil, err
	}
	conn, err := grpc.NewClient(grpcAddr, append(s.gatewayTracing(),
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))...)
	if err != nil {
		return nil, nil, err
	}
	marshaler := &runtime.JSONPb{
		MarshalOptions: protojson.MarshalOptions{EmitUnpopulated: false},
		// Unknown JSON fields are an error, not silently dropped: a typo
		// in a field name must not store a unit without that value.
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
	}
	gw := runtime.NewServeMux(
		// HttpBody answers (reports) are their bytes, with their content type.
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.HTTPBodyMarshaler{Marshaler: marshaler}),
		runtime.WithForwardResponseOption(reportDownload),
		runtime.WithErrorHandler(func(ctx context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
			httpStatus := 0
			var he *runtime.HTTPStatusError
			if errors.As(err, &he) {
				httpStatus, err = he.HTTPStatus, status.Error(codes.InvalidArgument, he.Err.Error())
			}
			if tooBig := bodyOverLimit(ctx); tooBig != nil {
				httpStatus, err = 0, tooBig
			} else if st, ok := status.FromError(err); ok && st.Code() == codes.InvalidArgument && errorInfoOf(st) == nil {
				// The gateway's own: a body or parameter that does not decode.
				msg := "malformed request (the body must be JSON of the method's request, parameters of their field's type): " + st.Message()
				err = status.Error(codes.InvalidArgument, msg)
				if v := bodyEnumViolationsOf(ctx, routes.match(r.Method, r.URL).fields); v.Len() > 0 {
					err = v.Err(msg)
				}
			} else if rf := routes.match(r.Method, r.URL).fields; rf != nil {
				// The gRPC server names fields in proto names.
				err = withJSONFieldPaths(err, rf.input)
			}
			writeHTTPError(w, r.WithContext(ctx), s, httpStatus, err)
		}),
		runtime.WithRoutingErrorHandler(func(ctx context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
			if httpStatus == http.StatusMethodNotAllowed {
				writeMethodNotAllowed(w, r, s, routes.allowed(r.URL))
				return
			}
			writeHTTPError(w, r, s, 0, status.Error(codes.NotFound, "no such route: "+r.Method+" "+r.URL.Path))
		}),
		runtime.WithIncomingHeaderMatcher(func(h string) (string, bool) {
			if strings.EqualFold(h, RequestIDHeader) {
				return RequestIDHeader, true
			}
			return runtime.DefaultHeaderMatcher(h)
		}),
		// The HTTP layer already answers with X-Request-Id (see
		// withHTTPRequestID); gRPC response headers are not copied.
		runtime.WithOutgoingHeaderMatcher(func(string) (string, bool) { return "", false }),
	)
	for _, register := range []func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error{
		pb.RegisterAdminServiceHandler, pb.RegisterRegistryServiceHandler, pb.RegisterSearchServiceHandler, pb.RegisterLifecycleServiceHandler,
		pb.RegisterAuditServiceHandler, pb.RegisterReservationServiceHandler,
		pb.RegisterInventoryServiceHandler,
		pb.RegisterTypingServiceHandler,
		pb.RegisterLabelServiceHandler,
		pb.RegisterInterchangeServiceHandler,
	} {
		if err := register(context.Background(), gw, conn); err != nil {
			_ = conn.Close()
			return nil, nil, err
		}
	}

	mux := http.NewServeMux()
	mux.Handle("/openapi.json", withPattern("/openapi.json", s.onlyGET(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapi.Spec)
	})))
	mux.Handle("/openapi.v3.json", withPattern("/openapi.v3.json", s.onlyGET(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapi.SpecV3)
	})))
	mux.Handle("/docs", withPattern("/docs", s.onlyGET(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// The page's scripts are inline: allow those, and nothing from
		// elsewhere.
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline' blob:; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:")
		_, _ = w.Write(openapi.ReferencePage)
	})))
	mux.Handle("/healthz", withPattern("/healthz", s.onlyGET(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if err := s.cfg.Service.Store().Ping(r.Context()); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":"NOT_SERVING"}` + "\n"))
			return
		}
		_, _ = w.Write([]byte(`{"status":"SERVING"}` + "\n"))
	})))
	// Liveness: the process answers HTTP. Readiness: it can serve writes
	// (the store's writer takes a write lock) and reads; a load balancer
	// sends traffic only while it is ready. The search index is built
	// before the server listens, so a listening server has it.
	mux.Handle("/livez", withPattern("/livez", s.onlyGET(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"SERVING"}` + "\n"))
	})))
	mux.Handle("/readyz", withPattern("/readyz", s.onlyGET(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := s.ready(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":"NOT_SERVING"}` + "\n"))
			return
		}
		_, _ = w.Write([]byte(`{"status":"SERVING"}` + "\n"))
	})))
	mux.Handle("POST /v1/units:import", s.checkRoute(routes, s.checkBody(s.restImport(conn, gw, marshaler))))
	mux.Handle("POST /v1/banks/{bank}/units:importTypingReport", s.checkRoute(routes, s.restTypingReport(conn, gw, marshaler, s.checkBody(gw))))
	// Spreadsheets are not JSON: their own handlers, with the import's
	// body limit.
	mux.Handle("POST /v1/units:importSpreadsheet", s.checkRoute(routes, s.spreadsheetBodyLimit(s.restImportSpreadsheet(conn, gw, marshaler))))
	mux.Handle("GET /v1/banks/{bank}/units:export", s.checkRoute(routes, s.restExportUnits(conn, gw, marshaler)))
	// The web console answers GET / and its assets; every other path
	// goes on to the API's routing, which answers unknown ones itself.
	mux.Handle("/", console.Handler(s.checkRoute(routes, s.checkBody(gw))))
	gz, err := withGzip(s.checkRequestHead(routes, mux))
	if err != nil {
		_ = conn.Close()
		return nil, nil, err
	}
	return withHTTPRequestID(withAccessLog(s.log, gz)), conn, nil
}

// onlyGET serves h for GET and HEAD and answers other methods 405.
func (s *Server) onlyGET(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeMethodNotAllowed(w, r, s, []string{http.MethodGet, http.MethodHead})
			return
		}
		h(w, r)
	})
}

// writeProber is a store that can prove it takes writes (sqlite.Store).
type writeProber interface {
	PingWrite(ctx context.Context) error
}

// ready reports whether the server can serve reads and writes.
func (s *Server) ready(ctx context.Context) error {
	st := s.cfg.Service.Store()
	if err := st.Ping(ctx); err != nil {
		return err
	}
	if wp, ok := st.(writeProber); ok {
		return wp.PingWrite(ctx)
	}
	return nil
}

// gatewayCreds returns the credentials of the gateway's hop to its own
// gRPC listener: plain text without TLS; with TLS, a connection that
// trusts exactly the server's own certificate (pinned, so neither a CA
// nor a host name is needed for a loopback hop). The gateway presents no
// client certificate: REST callers authenticate with their bearer token,
// which the gateway forwards as "authorization" metadata.
func (s *Server) gatewayCreds() (credentials.TransportCredentials, error) {
	if s.cfg.TLS == nil {
		return insecure.NewCredentials(), nil
	}
	if len(s.cfg.TLS.Certificates) == 0 || len(s.cfg.TLS.Certificates[0].Certificate) == 0 {
		return nil, errors.New("server TLS config has no certificate for the gateway to pin")
	}
	own := s.cfg.TLS.Certificates[0].Certificate[0]
	return credentials.NewTLS(&tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by the pin below
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 || !bytes.Equal(raw[0], own) {
				return errors.New("gateway: the gRPC listener did not present the server's own certificate")
			}
			return nil
		},
	}), nil
}

// withHTTPRequestID gives every HTTP request a request id before anything
// else runs, so errors the gateway raises itself (malformed JSON, unknown
// routes) carry one too; the gateway forwards it to the gRPC call.
func withHTTPRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if len(id) == 0 || len(id) > 64 || !printable(id) {
			id = newRequestID()
			r.Header.Set(RequestIDHeader, id)
		}
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

// checkRoute answers requests no binding takes: 405 with Allow when the
// path has bindings for other methods, 404 otherwise. The gateway would
// route some of them anyway (a wildcard taking an unknown custom verb).
func (s *Server) checkRoute(routes *httpRoutes, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m := routes.match(r.Method, r.URL); m.ok {
			notePattern(r.Context(), m.fields.pattern)
			if err := m.fields.checkQuery(r.URL.Query()); err != nil {
				writeHTTPError(w, r, s, 0, err)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		if allowed := routes.allowed(r.URL); len(allowed) > 0 {
			writeMethodNotAllowed(w, r, s, allowed)
			return
		}
		writeHTTPError(w, r, s, 0, status.Error(codes.NotFound, "no such route: "+r.Method+" "+r.URL.Path))
	})
}

// checkBody refuses request bodies that are not JSON (415, in the API's
// error shape) and caps their size (413), before the gateway decodes them.
func (s *Server) checkBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodDelete || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		limit := MaxMessageBytes
		if strings.HasSuffix(r.URL.Path, ":import") {
			limit = maxImportBodyBytes
		}
		r, ok := s.guardBody(w, r, limit)
		if !ok {
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "" {
			mt, _, err := mime.ParseMediaType(ct)
			if err != nil || (mt != "application/json" && mt != "application/x-ndjson" && !strings.HasSuffix(mt, "+json")) {
				writeHTTPError(w, r, s, http.StatusUnsupportedMediaType, status.Error(codes.InvalidArgument,
					"unsupported content type "+strings.ToValidUTF8(ct, "\uFFFD")+": send application/json (or application/x-ndjson for imports)"))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// writeHTTPError writes err in the gateway's error shape (a google.rpc.Status
// as JSON, with an ErrorInfo). httpStatus 0 derives the HTTP status from
// the error (httpStatusOf). A RetryInfo detail becomes a Retry-After header.
func writeHTTPError(w http.ResponseWriter, r *http.Request, s *Server, httpStatus int, err error) {
	st, _ := status.FromError(toStatus(r.Context(), s.log, err))
	if httpStatus == 0 {
		httpStatus = httpStatusOf(st)
	}
	body, merr := protojson.Marshal(st.Proto())
	if merr != nil { // toStatus makes every text valid UTF-8: not expected
		s.log.ErrorContext(r.Context(), "error body does not marshal", "request_id", RequestID(r.Context()), "err", merr)
		httpStatus, body = http.StatusInternalServerError, []byte(`{"code":13,"message":"internal error"}`)
	}
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			secs := int64(math.Ceil(ri.GetRetryDelay().AsDuration().Seconds()))
			w.Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpStatus)
	_, _ = w.Write(body)
}

// writeMethodNotAllowed answers 405 with the methods the path takes.
func writeMethodNotAllowed(w http.ResponseWriter, r *http.Request, s *Server, allowed []string) {
	allow := strings.Join(allowed, ", ")
	w.Header().Set("Allow", allow)
	st, _ := status.New(codes.Unimplemented, "method "+r.Method+" not allowed on "+strings.ToValidUTF8(r.URL.Path, "\uFFFD")+"; allowed: "+allow).
		WithDetails(&errdetails.ErrorInfo{Reason: reasonMethodNotAllowed, Domain: ErrorDomain, Metadata: map[string]string{"allow": allow}})
	writeHTTPError(w, r, s, http.StatusMethodNotAllowed, st.Err())
}

// httpStatusOf is the HTTP status of st: the gateway's mapping of its code,
// except for the reasons that have a status of their own.
func httpStatusOf(st *status.Status) int {
	info := errorInfoOf(st)
	switch info.GetReason() {
	case reasonMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case reasonTooLarge:
		switch info.GetMetadata()["part"] {
		case "url":
			return http.StatusRequestURITooLong
		case "headers":
			return http.StatusRequestHeaderFieldsTooLarge
		}
		return http.StatusRequestEntityTooLarge
	}
	return runtime.HTTPStatusFromCode(st.Code())
}
