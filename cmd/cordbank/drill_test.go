package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/client"
)

// runBin runs the binary with args and returns its exit code and output.
func runBin(t *testing.T, bin string, args ...string) (int, string) {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatalf("%s %v: %v", bin, args, err)
	}
	return 0, string(out)
}

// TestRestoreDrill is the drill a bank's IT runs: writes go on against a
// real server, a backup is taken mid-way with `cordbank backup`, the
// database is destroyed, the backup is restored and the service
// restarted. Every write acknowledged before the backup is there, the
// trail and the tables verify, and the service serves. The signed
// checkpoints show what the restore lost, and the old checkpoint log
// keeps the service from starting over the rolled-back trail unnoticed.
func TestRestoreDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	db, key, cpLog := filepath.Join(dir, "cordbank.db"), filepath.Join(dir, "keys", "checkpoint.key"), filepath.Join(dir, "keys", "checkpoints.log")
	if err := os.Mkdir(filepath.Dir(key), 0o700); err != nil {
		t.Fatal(err)
	}
	token := adminToken(t, bin, db)
	serveArgs := []string{"--db", db, "--rate-limit", "0", "--checkpoint-key", key, "--checkpoint-log", cpLog, "--checkpoint-every", "1h"}
	p := startBinary(t, bin, serveArgs...)
	ctx := context.Background()
	c, err := client.New(p.grpcAddr, client.WithToken(token))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if code, body := httpDo(t, token, "POST", p.httpURL+"/v1/banks?bankId=drill", `{"displayName": "Drill Bank", "fin": "G1234", "country": "US"}`); code != 200 {
		t.Fatalf("create bank: %d %s", code, body)
	}
	if code, body := httpDo(t, token, "POST", p.httpURL+"/v1/banks/drill/units", e2eUnitJSON); code != 200 {
		t.Fatalf("create unit: %d %s", code, body)
	}
	template, err := c.GetUnit(ctx, "banks/drill/units/G123498654321")
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var acked []string
	ackc := make(chan int, 1<<16)
	wctx, stopWriter := context.WithCancel(ctx)
	writerDone := make(chan error, 1)
	go func() {
		for i := 1; ; i++ {
			u := protoCloneUnit(template)
			u.Name, u.Din = "", string(banktest.DIN("G1234", 25, i))
			got, err := c.CreateUnit(wctx, "banks/drill", u)
			if err != nil {
				if wctx.Err() != nil {
					err = nil
				}
				writerDone <- err
				return
			}
			mu.Lock()
			acked = append(acked, got.GetName())
			n := len(acked)
			mu.Unlock()
			ackc <- n
		}
	}()
	waitAcked := func(n int) {
		t.Helper()
		for {
			select {
			case got := <-ackc:
				if got >= n {
					return
				}
			case err := <-writerDone:
				t.Fatalf("writer stopped: %v", err)
			}
		}
	}
	waitAcked(30)
	mu.Lock()
	before := append([]string(nil), acked...)
	mu.Unlock()
	backup := filepath.Join(dir, "backups", "drill.db")
	os.Mkdir(filepath.Dir(backup), 0o755)
	if code, out := runBin(t, bin, "backup", "--db", db, "--to", backup); code != 0 || !strings.Contains(out, "(verified)") {
		t.Fatalf("backup: exit %d\n%s", code, out)
	}
	waitAcked(len(before) + 10)
	if code, body := httpDo(t, token, "GET", p.httpURL+"/v1/auditTrail/latestCheckpoint", ""); code != 200 || !strings.Contains(body, `"signedMessage":"cordbank/audit-checkpoint/v1\n`) {
		t.Fatalf("latest checkpoint over REST: %d %s", code, body)
	}
	stopWriter()
	if err := <-writerDone; err != nil {
		t.Fatal(err)
	}
	p.stop(t) // signs the final head

	// The disk is lost.
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		os.Remove(f)
	}
	if code, out := runBin(t, bin, "restore", "--from", backup, "--db", db); code != 0 {
		t.Fatalf("restore: exit %d\n%s", code, out)
	}
	if code, out := runBin(t, bin, "audit", "verify", "--db", db, "--state"); code != 0 || !strings.Contains(out, "state differences: none") {
		t.Fatalf("verify after restore: exit %d\n%s", code, out)
	}
	// Against the checkpoint signed at shutdown, the restored trail is
	// short: the writes after the backup point are gone, and it says so.
	if code, out := runBin(t, bin, "audit", "verify", "--db", db, "--checkpoint-log", cpLog, "--checkpoint-key", key+".pub"); code != 1 || !strings.Contains(out, "truncated") {
		t.Fatalf("verify against the last checkpoint: exit %d\n%s", code, out)
	}
	// Serving on with the old log would bury that: the service refuses.
	if code, out := runBin(t, bin, append([]string{"serve", "--grpc-addr", "127.0.0.1:0", "--http-addr", ""}, serveArgs...)...); code == 0 || !strings.Contains(out, "does not hold the last signed checkpoint") {
		t.Fatalf("serve over a rolled-back trail with the old checkpoint log: exit %d\n%s", code, out)
	}

	// The documented way on: a new checkpoint log, the old one kept.
	serveArgs[len(serveArgs)-3] = filepath.Join(dir, "keys", "checkpoints-after-restore.log")
	p = startBinary(t, bin, serveArgs...)
	c2, err := client.New(p.grpcAddr, client.WithToken(token))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	for _, name := range before {
		if _, err := c2.GetUnit(ctx, name); err != nil {
			t.Fatalf("%s, acknowledged before the backup, after the restore: %v", name, err)
		}
	}
	u := protoCloneUnit(template)
	u.Name, u.Din = "", string(banktest.DIN("G1234", 26, 1))
	if _, err := c2.CreateUnit(ctx, "banks/drill", u); err != nil {
		t.Fatalf("write after the restore: %v", err)
	}
	if code, body := httpDo(t, "", "GET", p.httpURL+"/healthz", ""); code != 200 || !strings.Contains(body, "SERVING") {
		t.Fatalf("healthz after the restore: %d %s", code, body)
	}
	p.stop(t)
	if code, out := runBin(t, bin, "audit", "verify", "--db", db, "--state"); code != 0 {
		t.Fatalf("verify after the restart: exit %d\n%s", code, out)
	}
}
