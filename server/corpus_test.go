package server_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
	"github.com/cordbank/cordbank/server"
)

// malformed is one generated bad request.
type malformed struct {
	kind, method, path, ctype string
	body                      []byte
}

// storeState is what the corpus must leave as it found it: the audit
// chain (every write appends to it in its own transaction) and the
// resources, read back.
func storeState(t *testing.T, conn *grpc.ClientConn) []any {
	t.Helper()
	ctx := t.Context()
	verify, err := pb.NewAuditServiceClient(conn).VerifyAuditTrail(ctx, &pb.VerifyAuditTrailRequest{})
	if err != nil {
		t.Fatal(err)
	}
	units, err := pb.NewRegistryServiceClient(conn).ListUnits(ctx, &pb.ListUnitsRequest{Parent: "banks/nybc"})
	if err != nil {
		t.Fatal(err)
	}
	containers, err := pb.NewInventoryServiceClient(conn).ListContainers(ctx, &pb.ListContainersRequest{Parent: "banks/nybc"})
	if err != nil {
		t.Fatal(err)
	}
	reservations, err := pb.NewReservationServiceClient(conn).ListReservations(ctx, &pb.ListReservationsRequest{Parent: "banks/nybc"})
	if err != nil {
		t.Fatal(err)
	}
	return []any{verify, units, containers, reservations}
}

// TestMalformedRequestCorpus sends a few hundred generated malformed
// requests (random bytes, truncated JSON, wrong types, huge numbers,
// invalid UTF-8, wrong methods and content types, very long names and
// unknown verbs) at every REST route, aimed at resources that exist. None
// may answer 5xx or an error outside the documented shape, none that
// writes may succeed, and the store must be unchanged afterwards.
func TestMalformedRequestCorpus(t *testing.T) {
	srv, reg := start(t)
	conn := grpcConn(t, srv)
	ctx := t.Context()
	const din = "G123498654321"
	if _, err := reg.CreateUnit(ctx, &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: validUnit(din)}); err != nil {
		t.Fatal(err)
	}
	if _, err := pb.NewLifecycleServiceClient(conn).ReleaseUnit(ctx, &pb.ReleaseUnitRequest{Name: "banks/nybc/units/" + din}); err != nil {
		t.Fatal(err)
	}
	res, err := pb.NewReservationServiceClient(conn).ReserveUnit(ctx, &pb.ReserveUnitRequest{Name: "banks/nybc/units/" + din,
		TransplantCenter: "tc-1", PatientId: "P-1", ExpireTime: timestamppb.New(testNow.Add(7 * 24 * time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pb.NewInventoryServiceClient(conn).CreateContainer(ctx, &pb.CreateContainerRequest{Parent: "banks/nybc", ContainerId: "tank-1",
		Container: &pb.Container{Kind: pb.ContainerKind_CONTAINER_KIND_TANK, Label: "LN2-1", Layout: &pb.ContainerLayout{Kind: pb.LayoutKind_LAYOUT_KIND_SLOTS, Slots: 10}}}); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{"banks": "nybc", "units": din, "containers": "tank-1", "reservations": res.GetName()[strings.LastIndexByte(res.GetName(), '/')+1:], "tokens": "0000"}
	before := storeState(t, conn)

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 10))
	var corpus []malformed
	for _, b := range server.APIBindings() {
		// A sample of each route's candidates keeps the run to a few
		// seconds; the seed varies, so runs cover the rest.
		cands := malformedFor(rng, b, realPath(b.Path, ids))
		rng.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
		corpus = append(corpus, cands[:min(len(cands), perRoute)]...)
	}
	if len(corpus) < 300 {
		t.Fatalf("only %d requests generated", len(corpus))
	}
	c := srv.HTTPClient()
	for _, m := range corpus {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		req, err := http.NewRequestWithContext(rctx, m.method, srv.HTTPURL+m.path, bytes.NewReader(m.body))
		if err != nil {
			t.Fatalf("%s: %v", m.kind, err)
		}
		if m.ctype != "" {
			req.Header.Set("Content-Type", m.ctype)
		}
		resp, err := c.Do(req)
		if err != nil {
			cancel()
			t.Errorf("%s %s %.80s: %v", m.kind, m.method, m.path, err)
			continue
		}
		var raw bytes.Buffer
		_, _ = raw.ReadFrom(resp.Body)
		resp.Body.Close()
		cancel()
		switch {
		case resp.StatusCode >= 500:
			t.Errorf("%s: %s %.100s %.100q: HTTP %d %.300s", m.kind, m.method, m.path, m.body, resp.StatusCode, raw.Bytes())
		case resp.StatusCode >= 400:
			readRESTError(t, resp, raw.Bytes())
		case m.method != http.MethodGet && !strings.HasSuffix(m.path, ":import"):
			// An import answers per line; the store check below covers it.
			t.Errorf("%s: %s %.100s %.100q was accepted: HTTP %d %.300s", m.kind, m.method, m.path, m.body, resp.StatusCode, raw.Bytes())
		}
	}
	t.Logf("%d malformed requests", len(corpus))
	if diff := cmp.Diff(before, storeState(t, conn), protocmp.Transform()); diff != "" {
		t.Errorf("the corpus changed the store (-before +after):\n%s", diff)
	}
}

// perRoute is how many malformed requests each route gets per run.
const perRoute = 12

// realPath fills a binding's path template with the ids of existing
// resources, by the collection each wildcard follows.
func realPath(template string, ids map[string]string) string {
	p := concretePath(template)
	segs := strings.Split(p, "/")
	for i := 1; i < len(segs); i++ {
		seg, verb, _ := strings.Cut(segs[i], ":")
		if strings.HasPrefix(seg, "x") && strings.Trim(seg[1:], "0123456789") == "" && len(seg) > 1 {
			if id, ok := ids[segs[i-1]]; ok {
				segs[i] = id
				if verb != "" {
					segs[i] += ":" + verb
				}
			}
		}
	}
	return strings.Join(segs, "/")
}

// malformedFor generates bad requests for one binding at path.
func malformedFor(rng *rand.Rand, b server.HTTPBinding, path string) []malformed {
	var out []malformed
	add := func(kind, method, p, ctype string, body []byte) {
		out = append(out, malformed{kind: kind, method: method, path: p, ctype: ctype, body: body})
	}
	const js = "application/json"
	m := b.Method
	hasBody := m != http.MethodGet
	// Bodies: only where the method reads one (a GET ignores its body).
	if hasBody {
		junk := make([]byte, 1+rng.IntN(200))
		for i := range junk {
			junk[i] = byte(rng.UintN(256))
		}
		junk[0] = 0x01 // never valid JSON, even by chance
		add("random bytes", m, path, js, junk)
		full := `{"name": "banks/nybc", "etag": "1", "requestId": "r-1", "note": "a note"}`
		add("truncated JSON", m, path, js, []byte(full[:1+rng.IntN(len(full)-2)]))
		for _, body := range []string{`[]`, `"text"`, `42`, `{"name": 7}`, `{"etag": {"a": 1}}`, `{"requestId": [1, 2]}`, `{"pageSize": "ten"}`, `{"name": null, "x": }`} {
			add("wrong type", m, path, js, []byte(body))
		}
		for _, n := range []string{"1e400", "-1e400", "99999999999999999999999999", "NaN", "1.5e308"} {
			add("huge number", m, path, js, []byte(`{"pageSize": `+n+`, "name": 1}`))
		}
		add("invalid UTF-8 body", m, path, js, []byte("{\"name\": \"banks/nybc\xff\xfe\"}"))
		add("invalid UTF-8 body", m, path, js, []byte("{\"note\": \"\xc0\xaf\", \"x\": 1}"))
		for _, ct := range []string{"text/plain", "application/xml", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "garbage;;=", "application/json\xff"} {
			add("wrong content type", m, path, ct, []byte(`{}`))
		}
	}
	// Query parameters: huge, malformed and invalid UTF-8 values.
	// Unknown query parameters are ignored (a GET of the event stream with
	// one would stream on), so every number here is one the routes' own
	// parameters refuse.
	n := []string{"1e400", "99999999999999999999", "ten"}[rng.IntN(3)]
	q := "?pageSize=" + n + "&afterSeq=" + n
	add("huge number query", m, path+q, js, []byte("\x01"))
	add("invalid UTF-8 query", m, path+"?pageToken=%FF%FE&requestId=%C0", js, []byte("\x01"))
	add("malformed query", m, path+"?pageToken=%zz", js, []byte("\x01"))
	// Paths: invalid UTF-8, very long, unknown verbs and sub-resources.
	last := strings.LastIndexByte(path, '/')
	head, tail := path[:last+1], path[last+1:]
	seg, verb, hasVerb := strings.Cut(tail, ":")
	if hasVerb {
		verb = ":" + verb
	}
	add("invalid UTF-8 path", m, head+seg+"%FF%C0"+verb, js, []byte("\x01"))
	add("long name", m, head+strings.Repeat("A", 5000)+verb, js, []byte("\x01"))
	add("over-long URL", m, head+strings.Repeat("B", 10000)+verb, js, []byte("\x01"))
	add("unknown verb", m, head+seg+":frobnicate", js, []byte("\x01"))
	add("unknown sub-resource", m, path+"/"+fmt.Sprintf("x%d", rng.IntN(1000)), js, []byte("\x01"))
	// Methods the binding does not use.
	for _, wrong := range []string{"PUT", "DELETE", "OPTIONS", "PATCH", "POST"} {
		if wrong != m {
			add("wrong method", wrong, path, js, []byte("\x01"))
		}
	}
	return out
}
