package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cordbank/cordbank/client"
	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// process is a running `cordbank serve`.
type process struct {
	cmd      *exec.Cmd
	grpcAddr string
	httpURL  string
	exited   chan error
	// tokens are the demo tokens printed by --demo, by role.
	tokens map[string]string
}

var demoTokenLine = regexp.MustCompile(`demo token (\w+)\s+\([^)]*\): (cbk_\S+)`)

var listenLine = regexp.MustCompile(`(gRPC on |REST on http://)(127\.0\.0\.1:\d+)`)

// startBinary runs the built binary on free ports and waits until it
// prints both listen addresses.
func startBinary(t testing.TB, bin string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--log-level", "warn"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, exited: make(chan error, 1), tokens: map[string]string{}}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := demoTokenLine.FindStringSubmatch(sc.Text()); m != nil {
				p.tokens[m[1]] = m[2]
				continue
			}
			m := listenLine.FindStringSubmatch(sc.Text())
			if m == nil {
				continue
			}
			if m[1] == "gRPC on " {
				p.grpcAddr = m[2]
			} else {
				p.httpURL = "http://" + m[2]
				close(ready)
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() { p.exited <- cmd.Wait() }()
	select {
	case <-ready:
	case err := <-p.exited:
		t.Fatalf("cordbank exited before listening: %v", err)
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("cordbank did not start listening in 60 s")
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return p
}

// stop sends SIGTERM and requires a clean exit.
func (p *process) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		if err != nil {
			t.Fatalf("cordbank exited with %v after SIGTERM", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("cordbank did not stop within 20 s of SIGTERM")
	}
}

func buildBinary(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "cordbank")
	out, err := exec.Command("go", "build", "-race", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// adminToken creates an administrator token in db with "cordbank token create".
func adminToken(t testing.TB, bin, db string) string {
	t.Helper()
	out, err := exec.Command(bin, "token", "create", "--db", db, "--role", "admin", "--principal", "e2e-admin").Output()
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func httpDo(t *testing.T, token, method, url, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const e2eUnitJSON = `{
  "din": "G1234 98 654321 H", "unitType": "UNIT_TYPE_PUBLIC",
  "collectionDate": "2024-03-17", "processingDate": "2024-03-18", "infantBirthDate": "2024-03-17",
  "processingMethod": "PROCESSING_METHOD_HES", "reduction": "REDUCTION_PLASMA_AND_RBC",
  "infantSex": "SEX_FEMALE", "abo": "ABO_O", "rh": "RH_POSITIVE", "idm": "IDM_RESULT_NEGATIVE",
  "collectionVolumeMl": 92.5, "frozenVolumeMl": 25,
  "cells": {"postProcessingTnc": 1.1e9, "postProcessingCd34": 3.1e6, "viabilityPercent": 96.5},
  "bags": 1, "compartmentsPerBag": 2, "attachedSegments": 2,
  "hla": [{"locus": "A", "typing": "A*02:01+A*24:02"}, {"locus": "B", "typing": "B*07:02+B*44:02"},
          {"locus": "DRB1", "typing": "DRB1*15:01+DRB1*04:01"}]
}`

// TestEndToEnd builds the binary, serves on free ports with a temporary
// database, registers and reads units over REST and the SDK, stops it,
// restarts it on the same database and finds everything intact.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	db := filepath.Join(t.TempDir(), "e2e.db")
	token := adminToken(t, bin, db)
	p := startBinary(t, bin, "--db", db)

	if code, _ := httpDo(t, "", "GET", p.httpURL+"/v1/banks", ""); code != http.StatusUnauthorized {
		t.Fatalf("list banks without a token: HTTP %d, want 401", code)
	}
	code, body := httpDo(t, token, "POST", p.httpURL+"/v1/banks?bankId=e2e", `{"displayName": "E2E Bank", "fin": "G1234", "country": "US"}`)
	if code != 200 {
		t.Fatalf("create bank: %d %s", code, body)
	}
	code, body = httpDo(t, token, "POST", p.httpURL+"/v1/banks/e2e/units", e2eUnitJSON)
	if code != 200 || !strings.Contains(body, `"name":"banks/e2e/units/G123498654321"`) {
		t.Fatalf("create unit over REST: %d %s", code, body)
	}

	ctx := context.Background()
	c, err := client.New(p.grpcAddr, client.WithToken(token))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	u, err := c.GetUnit(ctx, "banks/e2e/units/G123498654321")
	if err != nil || u.GetStatus() != pb.UnitStatus_UNIT_STATUS_QUARANTINE {
		t.Fatalf("SDK get: %v %v", u, err)
	}
	u2 := protoCloneUnit(u)
	u2.Din = "G123498654322"
	if _, err := c.CreateUnit(ctx, "banks/e2e", u2); err != nil {
		t.Fatalf("SDK create: %v", err)
	}
	upd, err := c.UpdateUnit(ctx, &pb.Unit{Name: u.GetName(), Etag: u.GetEtag(), LocalId: "CB-2024-00001"}, "local_id")
	if err != nil {
		t.Fatalf("SDK update: %v", err)
	}
	code, body = httpDo(t, token, "GET", p.httpURL+"/v1/banks/e2e/units?pageSize=1", "")
	if code != 200 || !strings.Contains(body, "nextPageToken") {
		t.Fatalf("list over REST: %d %s", code, body)
	}
	p.stop(t)

	// Restart on the same file: the data survived.
	p = startBinary(t, bin, "--db", db)
	c2, err := client.New(p.grpcAddr, client.WithToken(token))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	var names []string
	for u, err := range c2.ListUnits(ctx, &pb.ListUnitsRequest{Parent: "banks/e2e", PageSize: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, u.GetName())
	}
	if fmt.Sprint(names) != "[banks/e2e/units/G123498654321 banks/e2e/units/G123498654322]" {
		t.Fatalf("after restart: %v", names)
	}
	got, err := c2.GetUnit(ctx, u.GetName())
	if err != nil || got.GetLocalId() != "CB-2024-00001" || got.GetEtag() != upd.GetEtag() {
		t.Fatalf("after restart: %v %v", got, err)
	}
	code, body = httpDo(t, "", "GET", p.httpURL+"/healthz", "")
	if code != 200 || !strings.Contains(body, "SERVING") {
		t.Fatalf("healthz: %d %s", code, body)
	}
	p.stop(t)
}

// TestDemoSeed checks the newcomer's path: --demo on an empty database
// gives a bank with units at once, and a second start adds nothing.
func TestDemoSeed(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	db := filepath.Join(t.TempDir(), "demo.db")
	var first map[string]string
	for i := range 2 {
		p := startBinary(t, bin, "--db", db, "--demo", "--demo-units", "1200")
		// The second start prints the same tokens: none are minted again.
		if i == 0 {
			first = p.tokens
		} else if fmt.Sprint(p.tokens) != fmt.Sprint(first) {
			t.Errorf("second start printed other tokens: %v, first %v", p.tokens, first)
		}
		// The demo prints a token per role; the coordinator's searches,
		// the technician's lists every unit of the demo bank.
		if len(p.tokens) != 5 {
			t.Fatalf("demo tokens %v, want one per role", p.tokens)
		}
		code, body := httpDo(t, p.tokens["coordinator"], "POST", p.httpURL+"/v1/units:search",
			`{"patient": {"glString": "HLA-A*02:01+HLA-A*24:02^HLA-B*07:02+HLA-B*44:02^HLA-C*05:01+HLA-C*07:02^HLA-DRB1*15:01+HLA-DRB1*04:01"}, "weightKg": 20, "disease": "DISEASE_CLASS_MALIGNANT"}`)
		if code != 200 || !strings.Contains(body, "matches") {
			t.Fatalf("demo coordinator search: %d %s", code, body)
		}
		c, err := client.New(p.grpcAddr, client.WithToken(p.tokens["technician"]))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, err := range c.ListUnits(context.Background(), &pb.ListUnitsRequest{Parent: "banks/demo", PageSize: 1000}) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		c.Close()
		if n != 1200 {
			t.Fatalf("demo has %d units, want 1200", n)
		}
		p.stop(t)
	}
	out, err := exec.Command(bin, "token", "list", "--db", db).Output()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Split(line, "\t"); len(f) > 1 && strings.HasPrefix(f[1], "demo-") {
			n++
		}
	}
	if n != 5 {
		t.Errorf("%d demo tokens after two starts, want 5:\n%s", n, out)
	}
}
