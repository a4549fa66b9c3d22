package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cordbank/cordbank/client"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
	"github.com/cordbank/cordbank/server"
	"github.com/cordbank/cordbank/server/servertest"
)

// restError is a REST error answer, read as the README documents it: a
// google.rpc.Status as JSON with one ErrorInfo.
type restError struct {
	status int
	header http.Header
	st     *spb.Status
	info   *errdetails.ErrorInfo
	bad    *errdetails.BadRequest
	retry  *errdetails.RetryInfo
}

// fields returns the fields the BadRequest names.
func (e restError) fields() []string {
	var out []string
	for _, v := range e.bad.GetFieldViolations() {
		out = append(out, v.GetField())
	}
	return out
}

// readRESTError checks that resp is an error in the documented shape: a
// google.rpc.Status body with a code and message, exactly one ErrorInfo of
// domain cordbank.org whose reason is an ErrorReason value, and an
// X-Request-Id header. It returns what it read; problems are test errors.
func readRESTError(t *testing.T, resp *http.Response, body []byte) restError {
	t.Helper()
	out := restError{status: resp.StatusCode, header: resp.Header, st: &spb.Status{}}
	if resp.Header.Get("X-Request-Id") == "" {
		t.Errorf("HTTP %d without X-Request-Id", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("HTTP %d with Content-Type %q", resp.StatusCode, ct)
	}
	if strings.HasSuffix(resp.Request.URL.Path, ":watch") {
		// The event stream is NDJSON of {"result": event} lines; an error
		// is its one {"error": status} line.
		var chunk struct {
			Error json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal(body, &chunk); err == nil && chunk.Error != nil {
			body = chunk.Error
		}
	}
	if err := protojson.Unmarshal(body, out.st); err != nil {
		t.Errorf("HTTP %d body is not a google.rpc.Status (%v): %.300s", resp.StatusCode, err, body)
		return out
	}
	infos := 0
	for _, a := range out.st.GetDetails() {
		d, err := a.UnmarshalNew()
		if err != nil {
			t.Errorf("detail %s: %v", a.GetTypeUrl(), err)
			continue
		}
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			out.info = d
			infos++
		case *errdetails.BadRequest:
			out.bad = d
		case *errdetails.RetryInfo:
			out.retry = d
		}
	}
	if infos != 1 || out.info.GetDomain() != server.ErrorDomain || pb.ErrorReason_value[out.info.GetReason()] == 0 {
		t.Errorf("HTTP %d: want one ErrorInfo of domain %s with an ErrorReason; got %s", resp.StatusCode, server.ErrorDomain, body)
	}
	if out.st.GetCode() == 0 || out.st.GetMessage() == "" {
		t.Errorf("HTTP %d: status without code or message: %s", resp.StatusCode, body)
	}
	return out
}

// rest sends a request and returns the response with its body read.
func rest(t *testing.T, c *http.Client, method, rawURL string, hdr http.Header, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

// wantRESTError sends a request and checks the error answer's HTTP status
// and reason.
func wantRESTError(t *testing.T, c *http.Client, method, rawURL string, hdr http.Header, body io.Reader, wantHTTP int, wantReason string) restError {
	t.Helper()
	resp, b := rest(t, c, method, rawURL, hdr, body)
	e := readRESTError(t, resp, b)
	if e.status != wantHTTP || e.info.GetReason() != wantReason {
		t.Errorf("%s %.80s: HTTP %d %s, want %d %s: %.300s", method, rawURL, e.status, e.info.GetReason(), wantHTTP, wantReason, b)
	}
	return e
}

// TestInvalidUTF8REST: text that is not UTF-8, in a path parameter, a
// query parameter or a JSON body, answers 400 naming where it was (today a
// 500 with protobuf's marshalling message) and stores nothing.
func TestInvalidUTF8REST(t *testing.T) {
	srv, _ := start(t)
	c, base := srv.HTTPClient(), srv.HTTPURL
	cases := []struct {
		method, path, body string
		reason             string
		fields             []string
	}{
		{"GET", "/v1/banks/nybc%FF", "", "INVALID_ARGUMENT", []string{"name"}},
		{"PATCH", "/v1/banks/ny%C3bc", `{"displayName": "x"}`, "INVALID_ARGUMENT", []string{"bank.name"}},
		{"GET", "/v1/banks/nybc/units/G1234%FF98654321", "", "INVALID_ARGUMENT", []string{"name"}},
		{"POST", "/v1/banks/nybc/units/G123498654321%E2%82:reserve", `{}`, "INVALID_ARGUMENT", []string{"name"}},
		{"GET", "/v1/banks/nybc/units?pageToken=%FF&filter=ok", "", "INVALID_ARGUMENT", []string{"pageToken"}},
		{"POST", "/v1/banks?bankId=x%FFy", `{"displayName": "x", "fin": "G9999", "country": "US"}`, "INVALID_ARGUMENT", []string{"bankId"}},
		{"POST", "/v1/banks?bankId=xy", "{\"displayName\": \"x\xffy\", \"fin\": \"G9999\", \"country\": \"US\"}", "MALFORMED_REQUEST", nil},
		{"POST", "/v1/units:search", "{\"patient\": {\"glString\": \"A*02:01\xc0\"}, \"weightKg\": 20}", "MALFORMED_REQUEST", nil},
		{"GET", "/v2/%FF", "", "MALFORMED_REQUEST", nil},
	}
	for _, tc := range cases {
		e := wantRESTError(t, c, tc.method, base+tc.path, jsonHeader, strings.NewReader(tc.body), 400, tc.reason)
		if !slices.Equal(e.fields(), tc.fields) {
			t.Errorf("%s %s: fields %v, want %v", tc.method, tc.path, e.fields(), tc.fields)
		}
	}
	resp, b := rest(t, c, "GET", base+"/v1/banks", nil, nil)
	var banks pb.ListBanksResponse
	if err := protojson.Unmarshal(b, &banks); resp.StatusCode != 200 || err != nil || len(banks.GetBanks()) != 1 {
		t.Errorf("banks after refused requests: HTTP %d %s", resp.StatusCode, b)
	}
}

// TestInvalidUTF8GRPC: a gRPC request with a string that is not UTF-8
// (which protobuf refuses to decode) is INVALID_ARGUMENT naming the field,
// through the interceptors, not grpc's own INTERNAL; a message that is not
// protobuf at all is INVALID_ARGUMENT too. Unary and streaming.
func TestInvalidUTF8GRPC(t *testing.T) {
	srv, reg := start(t)
	conn := grpcConn(t, srv)
	call := func(method string, msg []byte, out proto.Message) error {
		return conn.Invoke(t.Context(), method, rawMessage(msg), out, grpc.ForceCodecV2(rawCodec{}))
	}
	wantInvalid := func(what string, err error, reason string, fields ...string) {
		t.Helper()
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument", what, err)
			return
		}
		info, br := errorInfo(t, err)
		var got []string
		for _, v := range br.GetFieldViolations() {
			got = append(got, v.GetField())
		}
		if info.GetReason() != reason || !slices.Equal(got, fields) {
			t.Errorf("%s: reason %s fields %v, want %s %v", what, info.GetReason(), got, reason, fields)
		}
	}
	err := call("/cordbank.v1.RegistryService/GetBank", corruptWire(t, &pb.GetBankRequest{Name: "banks/ny~~"}), &pb.Bank{})
	wantInvalid("GetBank", err, "INVALID_ARGUMENT", "name")

	u := validUnit("G123498654321")
	u.Hla[1].Typing = "B*07:02+B*44:~~"
	u.LocalId = "~~"
	err = call("/cordbank.v1.RegistryService/CreateUnit", corruptWire(t, &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: u}), &pb.Unit{})
	wantInvalid("CreateUnit", err, "INVALID_ARGUMENT", "unit.hla[1].typing", "unit.local_id") // wire order

	err = call("/cordbank.v1.RegistryService/GetBank", []byte{0x0a, 0x20, 'b'}, &pb.Bank{}) // truncated
	wantInvalid("truncated", err, "MALFORMED_REQUEST")

	// A server stream: the request arrives through RecvMsg.
	stream, err := conn.NewStream(t.Context(), &grpc.StreamDesc{ServerStreams: true}, "/cordbank.v1.AuditService/WatchEvents", grpc.ForceCodecV2(rawCodec{}))
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.SendMsg(rawMessage(corruptWire(t, &pb.WatchEventsRequest{Parent: "banks/~~"}))); err != nil {
		t.Fatal(err)
	}
	_ = stream.CloseSend()
	wantInvalid("WatchEvents", stream.RecvMsg(&pb.Event{}), "INVALID_ARGUMENT", "parent")

	list, err := reg.ListUnits(t.Context(), &pb.ListUnitsRequest{Parent: "banks/nybc"})
	if err != nil || len(list.GetUnits()) != 0 {
		t.Errorf("after the refused create: %v, %v", list, err)
	}
}

// corruptWire marshals m and replaces every "~~" by two bytes that are not
// UTF-8 (same length: the framing stays valid).
func corruptWire(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.ReplaceAll(b, []byte("~~"), []byte{0xff, 0xfe})
}

// concretePath turns a binding's path template into a path it matches:
// each variable becomes its pattern with "x1", "x2" ... for its wildcards.
func concretePath(template string) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(template); i++ {
		if template[i] != '{' {
			b.WriteByte(template[i])
			continue
		}
		end := strings.IndexByte(template[i:], '}') + i
		_, pattern, ok := strings.Cut(template[i+1:end], "=")
		if !ok {
			pattern = "*"
		}
		for _, seg := range strings.Split(pattern, "/") {
			if seg == "*" || seg == "**" {
				n++
				seg = "x" + strconv.Itoa(n)
			}
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "/") {
				b.WriteByte('/')
			}
			b.WriteString(seg)
		}
		i = end
	}
	return b.String()
}

// templateMatches is the test's own reading of a path template (literal
// segments, "*" for one segment, an optional ":verb"): the oracle the
// server's Allow headers are checked against.
func templateMatches(template, path string) bool {
	flat := template
	for strings.Contains(flat, "{") {
		i, j := strings.IndexByte(flat, '{'), strings.IndexByte(flat, '}')
		_, pattern, ok := strings.Cut(flat[i+1:j], "=")
		if !ok {
			pattern = "*"
		}
		flat = flat[:i] + pattern + flat[j+1:]
	}
	split := func(s string) ([]string, string) {
		segs := strings.Split(strings.TrimPrefix(s, "/"), "/")
		last := segs[len(segs)-1]
		if k := strings.LastIndexByte(last, ':'); k >= 0 {
			segs[len(segs)-1] = last[:k]
			return segs, last[k+1:]
		}
		return segs, ""
	}
	tsegs, tverb := split(flat)
	psegs, pverb := split(path)
	if tverb != pverb || len(tsegs) != len(psegs) {
		return false
	}
	for i := range tsegs {
		if tsegs[i] != "*" && tsegs[i] != psegs[i] {
			return false
		}
	}
	return true
}

// TestMethodNotAllowedEveryRoute: on every path the API binds, a method it
// does not take answers 405 in the error shape with an Allow header listing
// exactly the methods that the bindings (read by the test itself) give the
// path, and each method Allow names is routed (reaches the RPC, whose
// unauthenticated call answers 401).
func TestMethodNotAllowedEveryRoute(t *testing.T) {
	srv, _ := start(t)
	bindings := server.APIBindings()
	if len(bindings) < 40 {
		t.Fatalf("only %d HTTP bindings read from the descriptors", len(bindings))
	}
	anonymous := http.DefaultClient
	checked := map[string]bool{}
	for _, b := range bindings {
		path := concretePath(b.Path)
		if checked[path] {
			continue
		}
		checked[path] = true
		var want []string
		for _, other := range bindings {
			if templateMatches(other.Path, path) && !slices.Contains(want, other.Method) {
				want = append(want, other.Method)
			}
		}
		slices.Sort(want)
		if !slices.Contains(want, b.Method) {
			t.Fatalf("the test's matcher does not match %s to its own template %s", path, b.Path)
		}
		for _, m := range []string{"PUT", "DELETE", "OPTIONS", "GET", "POST", "PATCH"} {
			if slices.Contains(want, m) {
				continue
			}
			e := wantRESTError(t, anonymous, m, srv.HTTPURL+path, jsonHeader, strings.NewReader("{}"), http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
			if got := e.header.Get("Allow"); got != strings.Join(want, ", ") {
				t.Errorf("%s %s: Allow %q, want %q", m, path, got, strings.Join(want, ", "))
			}
		}
		for _, m := range want {
			body := io.Reader(nil)
			if m != "GET" {
				body = strings.NewReader("{}")
			}
			resp, raw := rest(t, anonymous, m, srv.HTTPURL+path, jsonHeader, body)
			if e := readRESTError(t, resp, raw); e.status != 401 {
				t.Errorf("%s %s (allowed): HTTP %d %s, want it routed to its RPC (401 without a token)", m, path, e.status, raw)
			}
		}
	}
	// The two paths outside the gateway.
	for _, p := range []string{"/healthz", "/openapi.json"} {
		e := wantRESTError(t, anonymous, "POST", srv.HTTPURL+p, jsonHeader, strings.NewReader("{}"), 405, "METHOD_NOT_ALLOWED")
		if got := e.header.Get("Allow"); got != "GET, HEAD" {
			t.Errorf("POST %s: Allow %q", p, got)
		}
	}
}

// TestRequestHeadLimits: a URL or headers over the limits answer 414 / 431
// in the error shape with X-Request-Id (not Go's bare plain-text 431), up
// to http.Server's larger backstop. Headers are counted per field as
// HTTP/2 counts them (many small fields count too), so what the gateway
// forwards stays within the gRPC hop's header limit.
func TestRequestHeadLimits(t *testing.T) {
	srv, _ := start(t)
	c, base := srv.HTTPClient(), srv.HTTPURL
	wantRESTError(t, c, "GET", base+"/v1/banks?pageToken="+strings.Repeat("a", 9<<10), nil, nil, http.StatusRequestURITooLong, "REQUEST_TOO_LARGE")
	wantRESTError(t, c, "GET", base+"/v1/banks/"+strings.Repeat("b", 9<<10), nil, nil, http.StatusRequestURITooLong, "REQUEST_TOO_LARGE")
	for _, size := range []int{40 << 10, 600 << 10} {
		e := wantRESTError(t, c, "GET", base+"/v1/banks", http.Header{"X-Padding": {strings.Repeat("p", size)}}, nil,
			http.StatusRequestHeaderFieldsTooLarge, "REQUEST_TOO_LARGE")
		if e.info.GetMetadata()["part"] != "headers" {
			t.Errorf("%d-byte header: metadata %v", size, e.info.GetMetadata())
		}
	}
	many := func(n int) http.Header {
		h := http.Header{}
		for i := range n {
			h.Set(fmt.Sprintf("Grpc-Metadata-K%d", i), "v")
		}
		return h
	}
	wantRESTError(t, c, "GET", base+"/v1/banks", many(1500), nil, http.StatusRequestHeaderFieldsTooLarge, "REQUEST_TOO_LARGE")
	if resp, b := rest(t, c, "GET", base+"/v1/banks", many(200), nil); resp.StatusCode != 200 {
		t.Errorf("200 small headers: HTTP %d %s", resp.StatusCode, b)
	}
}

// hiddenLength hides a body's length, so it is sent chunked.
type hiddenLength struct{ io.Reader }

// TestBodyLimits: the gateway takes bodies up to the gRPC server's message
// limit (server.MaxMessageBytes, not 1 MiB); over it, 413 in the error
// shape, whether the length is declared or the body is chunked. gRPC
// refuses a larger message too.
func TestBodyLimits(t *testing.T) {
	srv, reg := start(t)
	c, base := srv.HTTPClient(), srv.HTTPURL
	bankJSON := func(nameLen int) string {
		return `{"displayName": "` + strings.Repeat("n", nameLen) + `", "fin": "G9999", "country": "US"}`
	}
	// 2 MiB: over the old limit, under the new one: the domain answers.
	e := wantRESTError(t, c, "POST", base+"/v1/banks?bankId=big", jsonHeader, strings.NewReader(bankJSON(2<<20)), 400, "INVALID_ARGUMENT")
	if !slices.Contains(e.fields(), "bank.displayName") { // REST names fields in JSON
		t.Errorf("2 MiB name: fields %v", e.fields())
	}
	over := bankJSON(server.MaxMessageBytes)
	e = wantRESTError(t, c, "POST", base+"/v1/banks?bankId=big", jsonHeader, strings.NewReader(over), http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE")
	if e.info.GetMetadata()["limit_bytes"] != strconv.Itoa(server.MaxMessageBytes) {
		t.Errorf("metadata %v", e.info.GetMetadata())
	}
	wantRESTError(t, c, "POST", base+"/v1/banks?bankId=big", jsonHeader, hiddenLength{strings.NewReader(over)}, http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE")
	_, err := reg.CreateBank(t.Context(), &pb.CreateBankRequest{BankId: "big", Bank: &pb.Bank{DisplayName: strings.Repeat("n", server.MaxMessageBytes)}})
	if status.Code(err) != codes.ResourceExhausted {
		t.Errorf("gRPC message over the limit: %v", err)
	}
	// The SDK tells it from a rate limit: retrying cannot help.
	sdk, err := client.New(srv.GRPCAddr, client.WithToken(srv.AdminToken()))
	if err != nil {
		t.Fatal(err)
	}
	defer sdk.Close()
	_, err = sdk.CreateBank(t.Context(), "big", &pb.Bank{DisplayName: strings.Repeat("n", server.MaxMessageBytes)})
	if !errors.Is(err, client.ErrRequestTooLarge) || errors.Is(err, client.ErrRateLimited) {
		t.Errorf("SDK, message over the limit: %v", err)
	}
	resp, b := rest(t, c, "GET", base+"/v1/banks", nil, nil)
	if resp.StatusCode != 200 || strings.Contains(string(b), "banks/big") {
		t.Errorf("a refused bank was stored: %s", b)
	}
}

// TestRateLimitedAnswer: a call over its principal's rate is
// RESOURCE_EXHAUSTED with reason RATE_LIMITED and a RetryInfo; over REST,
// HTTP 429 with Retry-After.
func TestRateLimitedAnswer(t *testing.T) {
	srv, err := servertest.Start(servertest.WithServerConfig(func(c *server.Config) {
		c.RateLimit = server.RateLimit{PerSecond: 0.01, Burst: 1}
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	reg := pb.NewRegistryServiceClient(grpcConn(t, srv))
	if _, err := reg.ListBanks(t.Context(), &pb.ListBanksRequest{}); err != nil {
		t.Fatal(err)
	}
	_, err = reg.ListBanks(t.Context(), &pb.ListBanksRequest{})
	var retry *errdetails.RetryInfo
	for _, d := range status.Convert(err).Details() {
		if r, ok := d.(*errdetails.RetryInfo); ok {
			retry = r
		}
	}
	if info, _ := errorInfo(t, err); status.Code(err) != codes.ResourceExhausted || info.GetReason() != "RATE_LIMITED" ||
		retry.GetRetryDelay().AsDuration() <= 0 || retry.GetRetryDelay().AsDuration().Seconds() > 100 {
		t.Fatalf("over the rate: %v, retry %v", err, retry)
	}
	sdk, err := client.New(srv.GRPCAddr, client.WithToken(srv.AdminToken()))
	if err != nil {
		t.Fatal(err)
	}
	defer sdk.Close()
	// The SDK would retry after the server's delay (100 s here), but not
	// when the caller's deadline ends first: then it answers at once.
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := sdk.GetBank(ctx, "banks/nybc"); !errors.Is(err, client.ErrRateLimited) || errors.Is(err, client.ErrRequestTooLarge) {
		t.Errorf("SDK over the rate: %v", err)
	}
	if ctx.Err() != nil {
		t.Error("the SDK waited out a retry delay longer than the caller's deadline")
	}
	e := wantRESTError(t, srv.HTTPClient(), "GET", srv.HTTPURL+"/v1/banks", nil, nil, http.StatusTooManyRequests, "RATE_LIMITED")
	if secs, err := strconv.Atoi(e.header.Get("Retry-After")); err != nil || secs < 1 || secs > 100 || e.retry == nil {
		t.Errorf("Retry-After %q, RetryInfo %v", e.header.Get("Retry-After"), e.retry)
	}
}

// TestImplausibleValuesRefused: readings dated before cord blood banking
// (1900, the Unix epoch) or ahead of the clock, non-numeric temperatures,
// and antibody MFIs that are infinite, not a number, negative or absurd
// are INVALID_ARGUMENT naming the field, over REST and gRPC alike, and
// store nothing.
func TestImplausibleValuesRefused(t *testing.T) {
	srv, _ := start(t)
	conn := grpcConn(t, srv)
	inv := pb.NewInventoryServiceClient(conn)
	if _, err := inv.CreateContainer(t.Context(), &pb.CreateContainerRequest{Parent: "banks/nybc", ContainerId: "tank-1",
		Container: &pb.Container{Kind: pb.ContainerKind_CONTAINER_KIND_TANK, Label: "LN2-1", Layout: &pb.ContainerLayout{Kind: pb.LayoutKind_LAYOUT_KIND_SLOTS, Slots: 10}}}); err != nil {
		t.Fatal(err)
	}
	c, base := srv.HTTPClient(), srv.HTTPURL
	readings := base + "/v1/banks/nybc/containers/tank-1/temperatureReadings"
	for body, field := range map[string]string{
		`{"time": "1900-01-01T00:00:00Z", "celsius": -190}`: "reading.time",
		`{"time": "1970-01-01T00:00:00Z", "celsius": -190}`: "reading.time",
		`{"time": "2099-01-01T00:00:00Z", "celsius": -190}`: "reading.time",
		`{"celsius": "NaN"}`:      "reading.celsius",
		`{"celsius": "Infinity"}`: "reading.celsius",
	} {
		e := wantRESTError(t, c, "POST", readings, jsonHeader, strings.NewReader(body), 400, "INVALID_ARGUMENT")
		if !slices.Equal(e.fields(), []string{field}) {
			t.Errorf("reading %s: fields %v, want %s", body, e.fields(), field)
		}
	}
	search := func(mfi string) string {
		return `{"patient": {"glString": "A*02:01+A*24:02^B*07:02+B*44:02^C*05:01+C*07:02^DRB1*15:01+DRB1*04:01"}, "weightKg": 20,
			"disease": "DISEASE_CLASS_MALIGNANT", "antibodies": [{"specificity": "A1", "mfi": ` + mfi + `}]}`
	}
	for _, mfi := range []string{`"Infinity"`, `"-Infinity"`, `"NaN"`, `-1`, `1e9`} {
		e := wantRESTError(t, c, "POST", base+"/v1/units:search", jsonHeader, strings.NewReader(search(mfi)), 400, "INVALID_ARGUMENT")
		if !slices.Equal(e.fields(), []string{"antibodies[0].mfi"}) {
			t.Errorf("MFI %s: fields %v", mfi, e.fields())
		}
	}
	if resp, b := rest(t, c, "POST", base+"/v1/units:search", jsonHeader, strings.NewReader(search("4000"))); resp.StatusCode != 200 {
		t.Errorf("a plausible MFI: HTTP %d %s", resp.StatusCode, b)
	}

	// gRPC: the same rules, and a timestamp that is not one.
	_, err := inv.RecordTemperatureReading(t.Context(), &pb.RecordTemperatureReadingRequest{Parent: "banks/nybc/containers/tank-1",
		Reading: &pb.TemperatureReading{Time: timestamppb.New(time.Unix(0, 0)), Celsius: -190}})
	wantField(t, "gRPC reading at the epoch", err, "reading.time")
	_, err = pb.NewSearchServiceClient(conn).SearchUnits(t.Context(), &pb.SearchUnitsRequest{
		Patient:  &pb.PatientTyping{GlString: "A*02:01+A*24:02^B*07:02+B*44:02^C*05:01+C*07:02^DRB1*15:01+DRB1*04:01"},
		WeightKg: 20, Disease: pb.DiseaseClass_DISEASE_CLASS_MALIGNANT, Antibodies: []*pb.Antibody{{Specificity: "A1", Mfi: math.Inf(1)}}})
	wantField(t, "gRPC infinite MFI", err, "antibodies[0].mfi")
	_, err = pb.NewReservationServiceClient(conn).ReserveUnit(t.Context(), &pb.ReserveUnitRequest{Name: "banks/nybc/units/G123498654321",
		TransplantCenter: "tc-1", PatientId: "P-1", ExpireTime: &timestamppb.Timestamp{Seconds: testNow.Unix() + 86400, Nanos: -1}})
	wantField(t, "gRPC invalid expire_time", err, "expire_time")

	ex, err := inv.ListExcursions(t.Context(), &pb.ListExcursionsRequest{Parent: "banks/nybc"})
	if err != nil || len(ex.GetExcursions()) != 0 {
		t.Errorf("excursions after refused readings: %v, %v", ex, err)
	}
}

func wantField(t *testing.T, what string, err error, field string) {
	t.Helper()
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("%s: %v, want InvalidArgument", what, err)
		return
	}
	_, br := errorInfo(t, err)
	if len(br.GetFieldViolations()) != 1 || br.GetFieldViolations()[0].GetField() != field {
		t.Errorf("%s: violations %v, want %s", what, br.GetFieldViolations(), field)
	}
}

// logRecords is a slog handler that hands every record to a channel.
type logRecords chan slog.Record

func (l logRecords) Enabled(context.Context, slog.Level) bool      { return true }
func (l logRecords) Handle(_ context.Context, r slog.Record) error { l <- r.Clone(); return nil }
func (l logRecords) WithAttrs([]slog.Attr) slog.Handler            { return l }
func (l logRecords) WithGroup(string) slog.Handler                 { return l }

// TestCallerCancelIsLoggedAtInfo: a client that cancels its call (here an
// event stream it is reading) is logged at INFO with code Canceled, never
// at ERROR as an internal error.
func TestCallerCancelIsLoggedAtInfo(t *testing.T) {
	logs := make(logRecords, 1000)
	srv, err := servertest.Start(servertest.WithLogger(slog.New(logs)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	conn := grpcConn(t, srv)
	if _, err := pb.NewRegistryServiceClient(conn).CreateBank(t.Context(), &pb.CreateBankRequest{BankId: "nybc",
		Bank: &pb.Bank{DisplayName: "Test Bank", Fin: "G1234", Country: "US"}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	stream, err := pb.NewAuditServiceClient(conn).WatchEvents(ctx, &pb.WatchEventsRequest{Parent: "banks/nybc"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil { // the handler is running
		t.Fatal(err)
	}
	cancel()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case r := <-logs:
			attrs := map[string]string{}
			r.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value.String(); return true })
			if r.Level >= slog.LevelError {
				t.Fatalf("logged at %v: %s %v", r.Level, r.Message, attrs)
			}
			if r.Message == "rpc" && strings.HasSuffix(attrs["method"], "/WatchEvents") {
				if attrs["code"] != "Canceled" || r.Level != slog.LevelInfo {
					t.Fatalf("the cancelled watch was logged at %v with code %s", r.Level, attrs["code"])
				}
				return
			}
		case <-timeout:
			t.Fatal("the cancelled watch was never logged")
		}
	}
}
