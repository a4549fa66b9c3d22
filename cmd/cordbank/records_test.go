package main

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/bank/unit"
	"github.com/cordbank/cordbank/internal/checkpoint"
	"github.com/cordbank/cordbank/internal/store/sqlite"
)

// trailDB is a closed database with a bank and three units, and a signed
// checkpoint of its head in a log.
type trailDB struct {
	path, key, log string
	dins           []unit.DIN
}

func newTrailDB(t *testing.T) *trailDB {
	t.Helper()
	dir := t.TempDir()
	d := &trailDB{path: filepath.Join(dir, "cordbank.db"), key: filepath.Join(dir, "cp.key"), log: filepath.Join(dir, "cp.log")}
	store, err := sqlite.Open(t.Context(), d.path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	svc := bank.NewService(store)
	b := banktest.ValidBank("bank-a")
	if _, err := svc.CreateBank(t.Context(), b, ""); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		din := banktest.DIN(b.FIN, 24, i)
		if _, err := svc.CreateUnit(t.Context(), banktest.ValidUnit("bank-a", din), ""); err != nil {
			t.Fatal(err)
		}
		d.dins = append(d.dins, din)
	}
	key, created, err := checkpoint.LoadOrCreateKey(d.key)
	if err != nil || !created {
		t.Fatalf("key: created %v, %v", created, err)
	}
	if cp, err := checkpoint.NewSigner(svc, key, checkpoint.OpenLog(d.log), nil).Sign(t.Context(), time.Now()); err != nil || cp == nil || cp.Seq != 4 {
		t.Fatalf("sign: %+v %v", cp, err)
	}
	return d
}

func (d *trailDB) exec(t *testing.T, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+d.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func (d *trailDB) verify(t *testing.T, extra ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(append([]string{"audit", "verify", "--db", d.path}, extra...), &out, &errOut)
	return code, out.String() + errOut.String()
}

func (d *trailDB) verifyCheckpoint(t *testing.T) (int, string) {
	return d.verify(t, "--checkpoint-log", d.log, "--checkpoint-key", d.key+".pub")
}

// rebuild rewrites the chain as someone with write access to the file
// would: event 1 altered, then every hash recomputed in order.
func (d *trailDB) rebuild(t *testing.T) {
	t.Helper()
	store, err := sqlite.Open(t.Context(), d.path)
	if err != nil {
		t.Fatal(err)
	}
	var events []*bank.Event
	err = store.Read(t.Context(), func(tx bank.ReadTx) error {
		events, err = tx.ListEvents(t.Context(), bank.EventQuery{Limit: 1000})
		return err
	})
	store.Close()
	if err != nil {
		t.Fatal(err)
	}
	var stmts []string
	prev := ""
	for _, e := range events {
		if e.Seq == 1 {
			e.Principal = "someone-else"
			stmts = append(stmts, `UPDATE events SET principal = 'someone-else' WHERE seq = 1`)
		}
		e.PrevHash = prev
		e.Hash = e.ComputeHash()
		prev = e.Hash
		stmts = append(stmts, "UPDATE events SET prev_hash = '"+e.PrevHash+"', hash = '"+e.Hash+"' WHERE seq = "+strconv.FormatInt(e.Seq, 10))
	}
	d.exec(t, stmts...)
}

// TestAuditVerifyDetectsTruncationEmptyingAndRebuilding: the three attacks
// on the trail that the hash chain alone misses (each one verifies
// "intact" without a checkpoint) fail against the signed checkpoint.
func TestAuditVerifyDetectsTruncationEmptyingAndRebuilding(t *testing.T) {
	d := newTrailDB(t)
	if code, out := d.verifyCheckpoint(t); code != 0 || !strings.Contains(out, "intact") || !strings.Contains(out, "checkpoint: event 4") {
		t.Fatalf("untouched: exit %d\n%s", code, out)
	}
	for _, c := range []struct {
		name   string
		attack func(t *testing.T, d *trailDB)
		want   string
	}{
		{"Truncated", func(t *testing.T, d *trailDB) { d.exec(t, `DELETE FROM events WHERE seq > 2`) }, "the trail was truncated"},
		{"Emptied", func(t *testing.T, d *trailDB) { d.exec(t, `DELETE FROM events`) }, "the trail was emptied"},
		{"Rebuilt", func(t *testing.T, d *trailDB) { d.rebuild(t) }, "the chain was rewritten"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := newTrailDB(t)
			c.attack(t, d)
			if code, out := d.verify(t); code != 0 {
				t.Fatalf("the attack is supposed to pass the chain check alone: exit %d\n%s", code, out)
			}
			code, out := d.verifyCheckpoint(t)
			if code != 1 || !strings.Contains(out, c.want) {
				t.Fatalf("against the checkpoint: exit %d, want 1 and %q\n%s", code, c.want, out)
			}
		})
	}

	t.Run("ForgedCheckpoint", func(t *testing.T) {
		// A checkpoint signed with another key (the attacker's) is refused.
		d := newTrailDB(t)
		other := filepath.Join(t.TempDir(), "other.key")
		if _, _, err := checkpoint.LoadOrCreateKey(other); err != nil {
			t.Fatal(err)
		}
		code, out := d.verify(t, "--checkpoint-log", d.log, "--checkpoint-key", other+".pub")
		if code != 1 || !strings.Contains(out, "does not verify with the trusted key") {
			t.Fatalf("exit %d\n%s", code, out)
		}
	})
	t.Run("NoCheckpoint", func(t *testing.T) {
		d := newTrailDB(t)
		code, out := d.verify(t, "--checkpoint-log", filepath.Join(t.TempDir(), "none.log"), "--checkpoint-key", d.key)
		if code != 1 || !strings.Contains(out, "holds no checkpoint") {
			t.Fatalf("exit %d\n%s", code, out)
		}
	})
}

// TestAuditVerifyStateNamesTheEditedUnit: a unit's TNC changed with plain
// SQL passes the chain check and fails --state, naming unit and field.
func TestAuditVerifyStateNamesTheEditedUnit(t *testing.T) {
	d := newTrailDB(t)
	if code, out := d.verify(t, "--state"); code != 0 || !strings.Contains(out, "state differences: none") {
		t.Fatalf("untouched: exit %d\n%s", code, out)
	}
	d.exec(t, `UPDATE units SET post_processing_tnc = 2.5e9 WHERE din = '`+string(d.dins[1])+`'`)
	if code, out := d.verify(t); code != 0 {
		t.Fatalf("the edit is supposed to pass the chain check: exit %d\n%s", code, out)
	}
	code, out := d.verify(t, "--state")
	want := "banks/bank-a/units/" + string(d.dins[1]) + " field cells.post_processing_tnc: trail 1200000000, table 2500000000"
	if code != 1 || !strings.Contains(out, want) {
		t.Fatalf("exit %d, want 1 and %q\n%s", code, want, out)
	}
}

// TestRecordFlagsFromEnvironment: each new flag takes its CORDBANK_*
// variable, and a bad value is refused, not ignored.
func TestRecordFlagsFromEnvironment(t *testing.T) {
	for _, c := range []struct {
		env, value string
		args       []string
	}{
		{"CORDBANK_BACKUP_EVERY", "daily", []string{"serve"}},
		{"CORDBANK_BACKUP_KEEP", "many", []string{"serve"}},
		{"CORDBANK_CHECKPOINT_EVERY", "-", []string{"serve"}},
		{"CORDBANK_AUDIT_STATE", "perhaps", []string{"audit", "verify"}},
		{"CORDBANK_RESTORE_CHECK", "2", []string{"restore", "--from", "x"}},
		{"CORDBANK_RATE_LIMIT", "fast", []string{"serve"}},
		{"CORDBANK_DEMO", "yes please", []string{"serve"}},
	} {
		t.Run(c.env, func(t *testing.T) {
			t.Setenv(c.env, c.value)
			var out, errOut bytes.Buffer
			if code := run(c.args, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), c.env) {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
		})
	}
	t.Run("Invalid", func(t *testing.T) {
		for _, args := range [][]string{
			{"serve", "--backup-keep", "0"}, {"serve", "--backup-every", "0s"}, {"serve", "--checkpoint-log", "x.log"},
		} {
			var errOut bytes.Buffer
			if code := run(args, &bytes.Buffer{}, &errOut); code != 2 {
				t.Errorf("%v: exit %d: %s", args, code, errOut.String())
			}
		}
	})
	t.Run("Applied", func(t *testing.T) {
		d := newTrailDB(t)
		d.exec(t, `UPDATE units SET ethnicity = 'XXX'`)
		t.Setenv("CORDBANK_AUDIT_STATE", "true")
		t.Setenv("CORDBANK_DB", d.path)
		var out bytes.Buffer
		if code := run([]string{"audit", "verify"}, &out, &bytes.Buffer{}); code != 1 || !strings.Contains(out.String(), "field ethnicity") {
			t.Fatalf("CORDBANK_AUDIT_STATE=true did not turn on --state: exit %d\n%s", code, out.String())
		}
	})
}

// TestBackupAndRestoreCommands: backup, then restore refuses a tampered
// copy (and a copy made with cp, which has no manifest), and restores the
// good one.
func TestBackupAndRestoreCommands(t *testing.T) {
	d := newTrailDB(t)
	dir := t.TempDir()
	backup := filepath.Join(dir, "b.db")
	var out, errOut bytes.Buffer
	if code := run([]string{"backup", "--db", d.path, "--to", backup}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "events: 4\n") {
		t.Fatalf("backup: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	target := filepath.Join(dir, "restored.db")
	cpCopy := filepath.Join(dir, "cp.db")
	b, _ := os.ReadFile(d.path)
	os.WriteFile(cpCopy, b, 0o644)
	errOut.Reset()
	if code := run([]string{"restore", "--from", cpCopy, "--db", target}, &bytes.Buffer{}, &errOut); code != 1 || !strings.Contains(errOut.String(), "manifest") {
		t.Fatalf("restore of a cp copy: exit %d: %s", code, errOut.String())
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Fatal("a refused restore created the target")
	}
	out.Reset()
	if code := run([]string{"restore", "--from", backup, "--check"}, &out, &errOut); code != 0 {
		t.Fatalf("restore --check: exit %d: %s", code, errOut.String())
	}
	out.Reset()
	if code := run([]string{"restore", "--from", backup, "--db", target}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "restored: "+target) {
		t.Fatalf("restore: exit %d: %s%s", code, out.String(), errOut.String())
	}
}
