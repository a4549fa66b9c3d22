package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/server/servertest"
)

func TestClientScanAndLabel(t *testing.T) {
	srv, err := servertest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	b, err := srv.Service.CreateBank(ctx, banktest.ValidBank("nybc"), "")
	if err != nil {
		t.Fatal(err)
	}
	u, err := srv.Service.CreateUnit(ctx, banktest.ValidUnit(b.ID, banktest.DIN(b.FIN, 24, 1)), "")
	if err != nil {
		t.Fatal(err)
	}
	tech, err := srv.Token(bank.RoleTechnician, "nybc")
	if err != nil {
		t.Fatal(err)
	}
	server := []string{"--server", srv.GRPCAddr, "--token", tech}
	cli := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(append(args, server...)...)
	}
	scan := "=" + string(u.DIN) + "00"
	if code, out, errOut := cli("client", "scan", scan); code != 0 || !strings.Contains(out, u.Name()) {
		t.Errorf("scan %s: exit %d %q %q", scan, code, out, errOut)
	}
	if code, _, errOut := cli("client", "scan", "=<S1234V0"); code != 1 || !strings.Contains(errOut, "Product Code [003] at offset 2") {
		t.Errorf("scan of a cut product code: exit %d %q", code, errOut)
	}
	file := filepath.Join(t.TempDir(), "bag.zpl")
	code, out, errOut := cli("client", "label", u.Name(), "--pdc", "S1234", "--format", "zpl", "--out", file)
	if code != 0 || !strings.Contains(out, "copy 1") {
		t.Fatalf("label: exit %d %q %q", code, out, errOut)
	}
	zpl, err := os.ReadFile(file)
	if err != nil || !bytes.HasPrefix(zpl, []byte("^XA")) || !bytes.Contains(zpl, []byte("^FD"+scan+"^FS")) {
		t.Errorf("label file: %v %.80q", err, zpl)
	}
	// A technician may not reprint: exit 1 with the server's reason.
	if code, _, errOut := cli("client", "label", u.Name(), "--pdc", "S1234", "--reprint", "--reason", "torn", "--out", "-"); code != 1 || !strings.Contains(errOut, "PERMISSION_DENIED") {
		t.Errorf("reprint as a technician: exit %d %q", code, errOut)
	}
}
