package main

import (
	"bytes"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/internal/store/sqlite"
)

func TestAuditVerify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cordbank.db")
	store, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	svc := bank.NewService(store)
	b := banktest.ValidBank("bank-a")
	if _, err := svc.CreateBank(t.Context(), b, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUnit(t.Context(), banktest.ValidUnit("bank-a", banktest.DIN(b.FIN, 24, 1)), ""); err != nil {
		t.Fatal(err)
	}
	store.Close()

	verify := func() (int, string) {
		var out, errOut bytes.Buffer
		code := run([]string{"audit", "verify", "--db", path}, &out, &errOut)
		return code, out.String() + errOut.String()
	}
	if code, out := verify(); code != 0 || !strings.Contains(out, "events checked: 2\n") || !strings.Contains(out, "intact") {
		t.Fatalf("exit %d:\n%s", code, out)
	}

	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE events SET principal = 'someone-else' WHERE seq = 1`); err != nil {
		t.Fatal(err)
	}
	if code, out := verify(); code != 1 || !strings.Contains(out, "event 1: content does not match its hash") {
		t.Fatalf("tampered: exit %d:\n%s", code, out)
	}

	var errOut bytes.Buffer
	if code := run([]string{"audit", "verify", "--db", filepath.Join(t.TempDir(), "missing.db")}, &bytes.Buffer{}, &errOut); code != 1 || !strings.Contains(errOut.String(), "no such database") {
		t.Errorf("missing database: exit %d: %s", code, errOut.String())
	}
	if code := run([]string{"audit"}, &bytes.Buffer{}, &bytes.Buffer{}); code != 2 {
		t.Errorf("no subcommand: exit %d", code)
	}
}
