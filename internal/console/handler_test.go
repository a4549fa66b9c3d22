package console_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cordbank/cordbank/server/servertest"
)

// TestServedBesideTheAPI: the REST listener serves the console at / and
// its assets, with a policy that keeps the page to its own origin, while
// the API, /healthz and /openapi.json answer as before and unknown paths
// still get the API's JSON 404 (no browser needed).
func TestServedBesideTheAPI(t *testing.T) {
	srv, err := servertest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	get := func(method, path string, auth bool) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.HTTPURL+path, nil)
		c := http.DefaultClient
		if auth {
			c = srv.HTTPClient()
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	resp, body := get("GET", "/", false)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, `src="/assets/js/app.js"`) {
		t.Errorf("GET / = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("CSP = %q", csp)
	}
	for path, ctype := range map[string]string{"/assets/js/app.js": "text/javascript", "/assets/console.css": "text/css"} {
		if resp, _ := get("GET", path, false); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), ctype) {
			t.Errorf("GET %s = %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	if resp, _ := get("HEAD", "/", false); resp.StatusCode != 200 {
		t.Errorf("HEAD / = %d", resp.StatusCode)
	}
	if resp, body := get("GET", "/healthz", false); resp.StatusCode != 200 || !strings.Contains(body, "SERVING") {
		t.Errorf("GET /healthz = %d %s", resp.StatusCode, body)
	}
	if resp, body := get("GET", "/openapi.json", false); resp.StatusCode != 200 || !json.Valid([]byte(body)) {
		t.Errorf("GET /openapi.json = %d", resp.StatusCode)
	}
	if resp, body := get("GET", "/v1/banks", true); resp.StatusCode != 200 || !json.Valid([]byte(body)) {
		t.Errorf("GET /v1/banks = %d %s", resp.StatusCode, body)
	}
	// Not the console's: the API's own answers, in its error shape.
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/v1/nothing", 404}, {"GET", "/nothing", 404}, {"GET", "/assets/none.js", 404},
		{"GET", "/assets/", 404}, {"GET", "/index.html", 404}, {"POST", "/", 404}, {"GET", "/v1/banks", 401},
	} {
		resp, body := get(c.method, c.path, false)
		var st struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		}
		if resp.StatusCode != c.status || json.Unmarshal([]byte(body), &st) != nil || st.Message == "" {
			t.Errorf("%s %s = %d %q, want %d in the API's error shape", c.method, c.path, resp.StatusCode, body, c.status)
		}
	}
}
