package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/cordbank/cordbank/bank"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
	"github.com/cordbank/cordbank/server"
	"github.com/cordbank/cordbank/server/servertest"
)

// connAs returns a connection that authenticates with secret.
func connAs(t *testing.T, srv *servertest.Server, secret string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()), servertest.BearerAuth(secret))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// privateMarks are strings only the owning bank may ever see.
var privateMarks = []string{"M-SECRET-2", "M-PUBLIC-1", matrixPrivateDIN}

func mustNotLeak(t *testing.T, who, what string, m proto.Message) {
	t.Helper()
	js := protojson.Format(m)
	for _, s := range privateMarks {
		if strings.Contains(js, s) {
			t.Errorf("%s: %s leaks %q:\n%s", who, what, s, js)
		}
	}
}

// TestPrivateDataNeverLeaves calls every read that returns units or events
// as each caller outside bank nybc and requires that no private unit and
// no private field appears: get, list, search, history, events, watch.
func TestPrivateDataNeverLeaves(t *testing.T) {
	e := startMatrix(t)
	ctx := t.Context()
	// The owner sees everything (the control: the marks are there to find).
	own := connAs(t, e.srv, e.secrets[1])
	if u, err := pb.NewRegistryServiceClient(own).GetUnit(ctx, &pb.GetUnitRequest{Name: e.private}); err != nil || u.GetPrivate().GetMaternalId() != "M-SECRET-2" {
		t.Fatalf("owner get private unit: %v %v", u, err)
	}
	if _, err := pb.NewRegistryServiceClient(grpcConn(t, e.srv)).UpdateUnit(ctx, &pb.UpdateUnitRequest{Unit: &pb.Unit{Name: e.public, LocalId: "L-1"}}); err != nil {
		t.Fatal(err)
	}
	for _, j := range []int{2, 4, 5, 6, 8, 9} { // every caller outside nybc
		who := matrixCallers[j].name
		conn := connAs(t, e.srv, e.secrets[j])
		reg := pb.NewRegistryServiceClient(conn)
		if u, err := reg.GetUnit(ctx, &pb.GetUnitRequest{Name: e.public}); err != nil {
			t.Errorf("%s: get public unit: %v", who, err)
		} else {
			mustNotLeak(t, who, "GetUnit", u)
		}
		if _, err := reg.GetUnit(ctx, &pb.GetUnitRequest{Name: e.private}); status.Code(err) != codes.NotFound {
			t.Errorf("%s: get private unit: %v, want NotFound", who, err)
		}
		for _, types := range [][]pb.UnitType{nil, {pb.UnitType_UNIT_TYPE_AUTOLOGOUS}} {
			l, err := reg.ListUnits(ctx, &pb.ListUnitsRequest{Parent: "banks/nybc", UnitType: types})
			if err != nil {
				t.Fatalf("%s: list: %v", who, err)
			}
			mustNotLeak(t, who, "ListUnits", l)
			if want := 1 - len(types); len(l.GetUnits()) != want {
				t.Errorf("%s: list %v: %d units, want %d", who, types, len(l.GetUnits()), want)
			}
		}
		s, err := pb.NewSearchServiceClient(conn).SearchUnits(ctx, &pb.SearchUnitsRequest{Patient: patient, WeightKg: 20, Disease: pb.DiseaseClass_DISEASE_CLASS_MALIGNANT})
		if err != nil {
			t.Fatalf("%s: search: %v", who, err)
		}
		mustNotLeak(t, who, "SearchUnits", s)
		if _, ok := s.GetExcluded()["private"]; ok {
			t.Errorf("%s: search tells how many private units it skipped: %v", who, s.GetExcluded())
		}
		// REST too: the private unit does not exist for outsiders.
		resp, err := servertest.BearerClient(e.secrets[j]).Get(e.srv.HTTPURL + "/v1/" + e.private)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || strings.Contains(string(body), "M-SECRET") {
			t.Errorf("%s: REST get private unit: %d %s", who, resp.StatusCode, body)
		}
	}

	// The registry auditor reads every bank's trail: redacted, without
	// the private unit's events.
	aud := pb.NewAuditServiceClient(connAs(t, e.srv, e.secrets[9]))
	evs, err := aud.ListEvents(ctx, &pb.ListEventsRequest{Parent: "banks/-", PageSize: 1000})
	if err != nil || len(evs.GetEvents()) == 0 {
		t.Fatalf("registry auditor events: %v %v", evs, err)
	}
	mustNotLeak(t, "auditor/registry", "ListEvents", evs)
	if h, err := aud.ListUnitHistory(ctx, &pb.ListUnitHistoryRequest{Name: e.public}); err != nil || len(h.GetEvents()) == 0 {
		t.Errorf("registry auditor public history: %v %v", h, err)
	} else {
		mustNotLeak(t, "auditor/registry", "ListUnitHistory", h)
	}
	if _, err := aud.ListUnitHistory(ctx, &pb.ListUnitHistoryRequest{Name: e.private}); status.Code(err) != codes.NotFound {
		t.Errorf("registry auditor private history: %v, want NotFound", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	stream, err := aud.WatchEvents(wctx, &pb.WatchEventsRequest{Parent: "banks/-"})
	if err != nil {
		t.Fatal(err)
	}
	// The watch replays what the list showed (no more events are written).
	for n := 1; ; n++ {
		ev, err := stream.Recv()
		if err != nil {
			t.Fatalf("watch: %v", err)
		}
		mustNotLeak(t, "auditor/registry", "WatchEvents", ev)
		if n == len(evs.GetEvents()) {
			break
		}
	}
}

// TestCallerIsAudited: the audit trail names the token's principal.
func TestCallerIsAudited(t *testing.T) {
	srv, _ := start(t)
	tech, err := srv.Token(bank.RoleTechnician, "nybc")
	if err != nil {
		t.Fatal(err)
	}
	conn := connAs(t, srv, tech)
	u, err := pb.NewRegistryServiceClient(conn).CreateUnit(t.Context(), &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: validUnit("G123498654321")})
	if err != nil {
		t.Fatal(err)
	}
	h, err := pb.NewAuditServiceClient(conn).ListUnitHistory(t.Context(), &pb.ListUnitHistoryRequest{Name: u.GetName()})
	if err != nil || len(h.GetEvents()) != 1 || h.GetEvents()[0].GetPrincipal() != "technician@nybc" {
		t.Fatalf("history %v, %v: want the technician as principal", h, err)
	}
}

// TestRevokedAndExpiredTokensStopAtOnce.
func TestRevokedAndExpiredTokensStopAtOnce(t *testing.T) {
	var mu sync.Mutex
	now := testNow
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv, err := servertest.Start(servertest.WithServiceOptions(bank.WithClock(clock)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	adm := pb.NewAdminServiceClient(grpcConn(t, srv))
	ctx := t.Context()
	mk := func(exp *timestamppb.Timestamp) (*pb.Token, pb.RegistryServiceClient) {
		r, err := adm.CreateToken(ctx, &pb.CreateTokenRequest{Token: &pb.Token{Principal: "c1", Role: pb.Role_ROLE_COORDINATOR, Org: "tc-1", ExpireTime: exp}})
		if err != nil || r.GetSecret() == "" || !strings.HasPrefix(r.GetSecret(), "cbk_") {
			t.Fatalf("create token: %v %v", r, err)
		}
		return r.GetToken(), pb.NewRegistryServiceClient(connAs(t, srv, r.GetSecret()))
	}
	tok, reg := mk(nil)
	if _, err := reg.ListBanks(ctx, &pb.ListBanksRequest{}); err != nil {
		t.Fatalf("fresh token: %v", err)
	}
	if _, err := adm.RevokeToken(ctx, &pb.RevokeTokenRequest{Name: tok.GetName()}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.ListBanks(ctx, &pb.ListBanksRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("revoked token: %v, want Unauthenticated", err)
	}

	_, reg = mk(timestamppb.New(testNow.Add(time.Hour)))
	if _, err := reg.ListBanks(ctx, &pb.ListBanksRequest{}); err != nil {
		t.Fatalf("token before expiry: %v", err)
	}
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	if _, err := reg.ListBanks(ctx, &pb.ListBanksRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("expired token: %v, want Unauthenticated", err)
	}
	list, err := adm.ListTokens(ctx, &pb.ListTokensRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range list.GetTokens() {
		if tk.GetName() == tok.GetName() && (tk.GetRevokeTime() == nil || tk.GetLastUseTime() == nil) {
			t.Errorf("listed revoked token %v: want revoke and last-use times", tk)
		}
	}
	if n := srv.Server().AuthFailures(); n != 2 {
		t.Errorf("auth failures counted %d, want 2", n)
	}
}

func TestRateLimit(t *testing.T) {
	srv, err := servertest.Start(servertest.WithServerConfig(func(c *server.Config) {
		c.RateLimit = server.RateLimit{PerSecond: 0.001, Burst: 2}
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	reg := pb.NewRegistryServiceClient(grpcConn(t, srv))
	for i := range 2 {
		if _, err := reg.ListBanks(t.Context(), &pb.ListBanksRequest{}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if _, err := reg.ListBanks(t.Context(), &pb.ListBanksRequest{}); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("third call: %v, want ResourceExhausted", err)
	}
	// Another principal has its own bucket.
	other, err := srv.Token(bank.RoleAuditor, bank.OrgRegistry)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pb.NewRegistryServiceClient(connAs(t, srv, other)).ListBanks(t.Context(), &pb.ListBanksRequest{}); err != nil {
		t.Fatalf("other principal: %v", err)
	}
}

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// issue returns a leaf certificate for cn, for servers (loopback IP) or
// clients.
func (ca *testCA) issue(t *testing.T, cn string, server bool) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestMutualTLS: a client certificate from the client CA authenticates as
// the principal bound to its Common Name; one from another CA is refused
// in the handshake; REST keeps working over TLS with a bearer token.
func TestMutualTLS(t *testing.T) {
	serverCA, clientCA, rogueCA := newCA(t, "server CA"), newCA(t, "client CA"), newCA(t, "rogue CA")
	srv, err := servertest.Start(servertest.WithServerConfig(func(c *server.Config) {
		c.TLS = &tls.Config{Certificates: []tls.Certificate{serverCA.issue(t, "cordbank", true)},
			ClientCAs: clientCA.pool, ClientAuth: tls.VerifyClientCertIfGiven, MinVersion: tls.VersionTLS12}
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	ctx := bank.WithCaller(t.Context(), bank.Caller{Principal: "test"})
	if _, err := srv.Service.CreateBank(ctx, &bank.Bank{ID: "nybc", DisplayName: "Test Bank", FIN: "G1234", Country: "US"}, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := srv.Service.CreateToken(ctx, bank.CreateTokenRequest{Principal: "lab-robot", Role: bank.RoleTechnician, Org: "nybc", CertCN: "lab-robot"}); err != nil {
		t.Fatal(err)
	}
	dial := func(cert *tls.Certificate) pb.RegistryServiceClient {
		tc := &tls.Config{RootCAs: serverCA.pool, MinVersion: tls.VersionTLS12}
		if cert != nil {
			// Sent whatever CAs the server names: a rogue client would.
			tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
		}
		conn, err := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(credentials.NewTLS(tc)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return pb.NewRegistryServiceClient(conn)
	}
	good := clientCA.issue(t, "lab-robot", false)
	u, err := dial(&good).CreateUnit(t.Context(), &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: validUnit("G123498654321")})
	if err != nil {
		t.Fatalf("certificate client: %v", err)
	}
	h, _, err := srv.Service.UnitHistory(t.Context(), "nybc", "G123498654321", 10, "")
	if err != nil || len(h) != 1 || h[0].Principal != "lab-robot" {
		t.Fatalf("history of %s: %v %v", u.GetName(), h, err)
	}
	// The certificate's principal is a technician of nybc, nothing more.
	if _, err := dial(&good).CreateBank(t.Context(), &pb.CreateBankRequest{BankId: "x", Bank: &pb.Bank{}}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("certificate technician creates a bank: %v", err)
	}
	rogue := rogueCA.issue(t, "lab-robot", false)
	if _, err := dial(&rogue).ListBanks(t.Context(), &pb.ListBanksRequest{}); status.Code(err) != codes.Unavailable {
		t.Errorf("certificate of another CA: %v, want the handshake refused (Unavailable)", err)
	}
	if _, err := dial(nil).ListBanks(t.Context(), &pb.ListBanksRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("TLS without certificate or token: %v, want Unauthenticated", err)
	}
	// REST over TLS, through the gateway's pinned hop, with a bearer token.
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: serverCA.pool, MinVersion: tls.VersionTLS12}}}
	req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.HTTPURL+"/v1/"+u.GetName(), nil)
	req.Header.Set("Authorization", "Bearer "+srv.AdminToken())
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "G123498654321") || !strings.HasPrefix(srv.HTTPURL, "https://") {
		t.Fatalf("REST over TLS: %d %s", resp.StatusCode, body)
	}
}
