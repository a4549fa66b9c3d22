package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"mime"
	"net/http"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
	"github.com/cordbank/cordbank/proto/cordbank/v1/openapi"
)

// Request body limits: a unit is a few kilobytes; an import streams a
// bank's whole inventory.
const (
	maxBodyBytes       = 1 << 20
	maxImportBodyBytes = 1 << 30
)

// gatewayHandler returns the HTTP handler: /openapi.json, /healthz, and the
// REST gateway, which calls the gRPC server at grpcAddr over a client
// connection.
func (s *Server) gatewayHandler(grpcAddr string) (http.Handler, *grpc.ClientConn, error) {
	creds, err := s.gatewayCreds()
	if err != nil {
		return nil, nil, err
	}
	conn, err := grpc.NewClient(grpcAddr,
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
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
		runtime.WithMarshalerOption(runtime.MIMEWildcard, marshaler),
		runtime.WithErrorHandler(func(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
			runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, toStatus(ctx, s.log, err))
		}),
		runtime.WithRoutingErrorHandler(func(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
			code := codes.NotFound
			msg := "no such route: " + r.Method + " " + r.URL.Path
			if httpStatus == http.StatusMethodNotAllowed {
				code, msg = codes.Unimplemented, "method "+r.Method+" not allowed on "+r.URL.Path
			}
			runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, toStatus(ctx, s.log, status.Error(code, msg)))
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
	} {
		if err := register(context.Background(), gw, conn); err != nil {
			_ = conn.Close()
			return nil, nil, err
		}
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapi.Spec)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if err := s.cfg.Service.Store().Ping(r.Context()); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":"NOT_SERVING"}` + "\n"))
			return
		}
		_, _ = w.Write([]byte(`{"status":"SERVING"}` + "\n"))
	})
	mux.Handle("POST /v1/units:import", s.checkBody(s.restImport(conn, gw, marshaler)))
	mux.Handle("/", s.checkBody(gw))
	return withHTTPRequestID(mux), conn, nil
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

// checkBody refuses request bodies that are not JSON (415, in the API's
// error shape) and caps their size, before the gateway decodes them.
func (s *Server) checkBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodDelete || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		limit := int64(maxBodyBytes)
		if strings.HasSuffix(r.URL.Path, ":import") {
			limit = maxImportBodyBytes
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if ct := r.Header.Get("Content-Type"); ct != "" {
			mt, _, err := mime.ParseMediaType(ct)
			if err != nil || (mt != "application/json" && mt != "application/x-ndjson" && !strings.HasSuffix(mt, "+json")) {
				writeHTTPError(w, r, s, http.StatusUnsupportedMediaType, status.Error(codes.InvalidArgument,
					"unsupported content type "+ct+": send application/json (or application/x-ndjson for imports)"))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// writeHTTPError writes err in the gateway's error shape (a google.rpc.Status
// as JSON, with an ErrorInfo) with an explicit HTTP status.
func writeHTTPError(w http.ResponseWriter, r *http.Request, s *Server, httpStatus int, err error) {
	st, _ := status.FromError(toStatus(r.Context(), s.log, err))
	body, _ := protojson.Marshal(st.Proto())
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpStatus)
	_, _ = w.Write(body)
}
