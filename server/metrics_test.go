package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/cordbank/cordbank/bank/banktest"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
	"github.com/cordbank/cordbank/server"
	"github.com/cordbank/cordbank/server/servertest"
)

// scrape returns the value of the first sample of the exposition matching
// name and its labels (a regexp over the rest of the line), -1 if none.
func scrape(t *testing.T, m *server.Metrics, series string) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	re := regexp.MustCompile(`(?m)^` + series + ` ([0-9.e+-]+)$`)
	match := re.FindSubmatch(body)
	if match == nil {
		return -1
	}
	v, err := strconv.ParseFloat(string(match[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestMetrics: calls, refusals, the writer and the search index show in
// the Prometheus exposition.
func TestMetrics(t *testing.T) {
	m := server.NewMetrics()
	srv, err := servertest.Start(servertest.WithMetrics(m))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	conn, err := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()), srv.AdminAuth())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	reg := pb.NewRegistryServiceClient(conn)
	ctx := context.Background()
	if _, err := reg.CreateBank(ctx, &pb.CreateBankRequest{BankId: "nybc", Bank: &pb.Bank{DisplayName: "Test", Fin: "G1234", Country: "US"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.CreateUnit(ctx, &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: validUnit(string(banktest.DIN("G1234", 24, 1)))}); err != nil {
		t.Fatal(err)
	}
	anon, err := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()
	_, _ = pb.NewRegistryServiceClient(anon).GetBank(ctx, &pb.GetBankRequest{Name: "banks/nybc"})

	for series, want := range map[string]float64{
		`grpc_server_handled_total\{grpc_code="OK",grpc_method="CreateUnit",grpc_service="cordbank.v1.RegistryService",grpc_type="unary"\}`:           1,
		`grpc_server_handled_total\{grpc_code="Unauthenticated",grpc_method="GetBank",grpc_service="cordbank.v1.RegistryService",grpc_type="unary"\}`: 1,
		`cordbank_auth_failures_total`:                                         1,
		`cordbank_search_index_units`:                                          1,
		`cordbank_writer_queued_writes`:                                        0,
		`cordbank_units\{bank="nybc",status="QUARANTINE",unit_type="PUBLIC"\}`: 1,
		`cordbank_inventory_count_failed`:                                      0,
	} {
		if got := scrape(t, m, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	// The bank, the admin token's last use, and the unit: some writes,
	// each in a commit.
	if n := scrape(t, m, `cordbank_writer_writes_per_commit_count`); n < 2 {
		t.Errorf("writes_per_commit_count = %v, want the commits of the calls above", n)
	}
	if n := scrape(t, m, `cordbank_writer_commit_seconds_count`); n < 2 {
		t.Errorf("commit_seconds_count = %v", n)
	}
}

// TestAlertRules: the example alerting rules (docs/alerts) are valid, fire
// as their unit tests say (promtool), and name only metrics the server
// exports.
func TestAlertRules(t *testing.T) {
	rules, err := os.ReadFile("../docs/alerts/cordbank.rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	m := server.NewMetrics()
	m.WatchBackups() // as serve does with --backup-dir
	srv, err := servertest.Start(servertest.WithMetrics(m))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	// A bank with a unit: the domain gauges have a bank to report.
	b, err := srv.Service.CreateBank(t.Context(), banktest.ValidBank("nybc"), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Service.CreateUnit(t.Context(), banktest.ValidUnit(b.ID, banktest.DIN(b.FIN, 24, 1)), ""); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	exposed := rec.Body.String()
	for _, name := range regexp.MustCompile(`\b(cordbank_[a-z_]+|grpc_server_[a-z_]+)`).FindAllString(string(rules), -1) {
		if !strings.Contains(exposed, "# TYPE "+name+" ") {
			t.Errorf("the rules use %s, which the server does not export", name)
		}
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (Debian package prometheus; .ci/run installs it): rule syntax and alert tests not run")
	}
	for _, args := range [][]string{{"check", "rules", "cordbank.rules.yml"}, {"test", "rules", "cordbank.rules.test.yml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = "../docs/alerts"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestLivenessAndReadiness: /livez answers while the process runs;
// /readyz only while the store takes reads and writes.
func TestLivenessAndReadiness(t *testing.T) {
	srv, err := servertest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	get := func(path string) int {
		t.Helper()
		resp, err := http.Get(srv.HTTPURL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if live, ready := get("/livez"), get("/readyz"); live != 200 || ready != 200 {
		t.Fatalf("/livez %d, /readyz %d; want 200 and 200", live, ready)
	}
	if err := srv.Service.Store().Close(); err != nil {
		t.Fatal(err)
	}
	if live, ready := get("/livez"), get("/readyz"); live != 200 || ready != http.StatusServiceUnavailable {
		t.Fatalf("with the store closed: /livez %d, /readyz %d; want 200 and 503", live, ready)
	}
}
