package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/cordbank/cordbank/bank/banktest"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
	"github.com/cordbank/cordbank/server/servertest"
)

// rawClient sends the admin token and leaves compression to the test: Go's
// transport would otherwise ask for gzip itself and hide the encoding.
func rawClient(srv *servertest.Server) *http.Client {
	return &http.Client{Transport: &tokenTransport{token: srv.AdminToken(), base: &http.Transport{DisableCompression: true}}}
}

type tokenTransport struct {
	token string
	base  http.RoundTripper
}

func (t *tokenTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+t.token)
	return t.base.RoundTrip(r)
}

func TestRESTGzip(t *testing.T) {
	srv, c := start(t)
	for i := range 5 {
		if _, err := c.CreateUnit(context.Background(), &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: validUnit(dinFor(t, i))}); err != nil {
			t.Fatal(err)
		}
	}
	hc := rawClient(srv)
	get := func(acceptGzip bool) (*http.Response, []byte) {
		hdr := http.Header{}
		if acceptGzip {
			hdr.Set("Accept-Encoding", "gzip")
		}
		return rest(t, hc, "GET", srv.HTTPURL+"/v1/banks/nybc/units", hdr, nil)
	}
	plainResp, plain := get(false)
	if plainResp.StatusCode != 200 || plainResp.Header.Get("Content-Encoding") != "" {
		t.Fatalf("without Accept-Encoding: HTTP %d, Content-Encoding %q", plainResp.StatusCode, plainResp.Header.Get("Content-Encoding"))
	}
	resp, zipped := get(true)
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("with Accept-Encoding gzip: Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var list pb.ListUnitsResponse
	if err := protojson.Unmarshal(unzipped, &list); err != nil || len(list.GetUnits()) != 5 {
		t.Fatalf("gzipped body: %d units, %v", len(list.GetUnits()), err)
	}
	if len(zipped)*2 > len(plain) {
		t.Errorf("gzipped %d bytes, plain %d", len(zipped), len(plain))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
}

// dinFor returns the i-th of a run of valid DINs.
func dinFor(t *testing.T, i int) string {
	t.Helper()
	return string(banktest.DIN("G1234", 98, i))
}

func TestHTTPAccessLog(t *testing.T) {
	logs := make(logRecords, 1000)
	srv, err := servertest.Start(servertest.WithLogger(slog.New(logs)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	hc := srv.HTTPClient()
	body := `{"displayName":"Access Log Bank","fin":"G7777","country":"US"}`
	req, _ := http.NewRequest("POST", srv.HTTPURL+"/v1/banks?bankId=logbank", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-Id", "access-log-test-1")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("HTTP %d", resp.StatusCode)
	}
	missing, _ := http.NewRequest("GET", srv.HTTPURL+"/v1/banks/logbank/units/G123498654321", nil)
	missing.Header.Set("X-Request-Id", "access-log-test-2")
	resp, err = hc.Do(missing)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	want := map[string]map[string]string{
		"access-log-test-1": {"method": "POST", "pattern": "/v1/banks", "status": "200", "bytes": fmt.Sprint(n)},
		"access-log-test-2": {"method": "GET", "pattern": "/v1/{name=banks/*/units/*}", "status": "404"},
	}
	timeout := time.After(30 * time.Second)
	for len(want) > 0 {
		var r slog.Record
		select {
		case r = <-logs:
		case <-timeout:
			t.Fatalf("no access log line for %v", want)
		}
		attrs := map[string]string{}
		text := r.Message
		r.Attrs(func(a slog.Attr) bool {
			attrs[a.Key] = a.Value.String()
			text += " " + a.Key + "=" + a.Value.String()
			return true
		})
		if strings.Contains(text, srv.AdminToken()) || strings.Contains(text, "Access Log Bank") {
			t.Errorf("a log line holds the token or the body: %s", text)
		}
		w, ok := want[attrs["request_id"]]
		if r.Message != "http" || !ok {
			continue
		}
		for k, v := range w {
			if attrs[k] != v {
				t.Errorf("access log %s = %q, want %q (%s)", k, attrs[k], v, text)
			}
		}
		if attrs["duration"] == "" || attrs["duration"] == "0s" {
			t.Errorf("access log without a duration: %s", text)
		}
		delete(want, attrs["request_id"])
	}
}
