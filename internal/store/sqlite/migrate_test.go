package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/audit"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/bank/lifecycle"
	"github.com/cordbank/cordbank/bank/unit"
	"github.com/cordbank/cordbank/internal/store/rowenc"
	"github.com/cordbank/cordbank/internal/store/schema"
	"github.com/google/go-cmp/cmp"
)

func embedded(t *testing.T) []schema.File {
	t.Helper()
	m, err := schema.Load(migrationFS)
	if err != nil {
		t.Fatalf("loadMigrations: %v", err)
	}
	if len(m) < 2 {
		t.Fatalf("want at least 2 embedded migrations, have %d", len(m))
	}
	return m
}

func open(t *testing.T, path string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(t.Context(), path, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

type appliedMigration struct {
	Version   int
	Name      string
	AppliedAt int64
}

func applied(t *testing.T, s *Store) []appliedMigration {
	t.Helper()
	rows, err := s.r.QueryContext(t.Context(), `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	defer rows.Close()
	var out []appliedMigration
	for rows.Next() {
		var m appliedMigration
		if err := rows.Scan(&m.Version, &m.Name, &m.AppliedAt); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func TestMigrateFromEmpty(t *testing.T) {
	all := embedded(t)
	s := open(t, filepath.Join(t.TempDir(), "db"))
	got := applied(t, s)
	if len(got) != len(all) {
		t.Fatalf("applied %d migrations, want %d", len(got), len(all))
	}
	for i, m := range all {
		if got[i].Version != m.Version || got[i].Name != m.Name || got[i].AppliedAt == 0 {
			t.Errorf("schema_migrations row %d = %+v, want version %d name %q", i, got[i], m.Version, m.Name)
		}
	}
	for _, table := range []string{"banks", "units", "requests", "schema_migrations"} {
		var strict int
		err := s.r.QueryRowContext(t.Context(), `SELECT strict FROM pragma_table_list WHERE name = ?`, table).Scan(&strict)
		if err != nil || strict != 1 {
			t.Errorf("table %s: strict = %d, err %v; want a STRICT table", table, strict, err)
		}
	}
	// Every unit column the code writes exists.
	var n int
	if err := s.r.QueryRowContext(t.Context(), `SELECT count(*) FROM pragma_table_info('units')`).Scan(&n); err != nil || n != len(unitColumns) {
		t.Errorf("units has %d columns (err %v), the code writes %d", n, err, len(unitColumns))
	}
}

// TestMigrateAcrossVersions stops at every schema version, stores data
// with it, then lets the current binary migrate the rest. Old versions are
// written with plain SQL, as an old binary would have written them: the
// current code's prepared statements name columns old schemas lack.
func TestMigrateAcrossVersions(t *testing.T) {
	all := embedded(t)
	for k := 1; k < len(all); k++ {
		path := filepath.Join(t.TempDir(), "db")
		b := banktest.ValidBank("bank-a")
		b.CreateTime, b.UpdateTime, b.Version = banktest.Now, banktest.Now, 1
		u := banktest.FullUnit("bank-a", banktest.DIN(b.FIN, 24, 1))
		writeAtVersion(t, path, all[:k], b, u)

		// Columns added after version k come back with their defaults.
		want := *u
		if k < 3 {
			want.HLARelease = ""
			want.HLA = slices.Clone(u.HLA)
			for i := range want.HLA {
				want.HLA[i].Reading = bank.TypingReading{}
			}
		}
		if k < 4 {
			want.StatusReason, want.StatusEndDate, want.StatusNote = "", unit.Date{}, ""
			want.StatusTime, want.DistributingBank = time.Time{}, ""
		}
		s := open(t, path)
		if got := applied(t, s); len(got) != len(all) {
			t.Fatalf("from version %d: at version %d after Open, want %d", k, len(got), len(all))
		}
		err := s.Read(t.Context(), func(tx bank.ReadTx) error {
			gotB, err := tx.GetBank(t.Context(), "bank-a")
			if err != nil {
				return err
			}
			// Migration 0010 gives every bank its own FIN to register under.
			wantB := *b
			wantB.FINs = []string{b.FIN}
			if d := cmp.Diff(&wantB, gotB); d != "" {
				t.Errorf("from version %d: bank (-want +got):\n%s", k, d)
			}
			got, err := tx.ListUnits(t.Context(), bank.UnitQuery{Bank: "bank-a", Statuses: []lifecycle.Status{u.Status}, Limit: 5})
			if err != nil {
				return err
			}
			if d := cmp.Diff([]*bank.Unit{&want}, got); d != "" {
				t.Errorf("from version %d: units (-want +got):\n%s", k, d)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("read after migration from version %d: %v", k, err)
		}
	}
}

// writeAtVersion creates a database at the schema of migs and inserts b and
// u into the columns that schema has.
func writeAtVersion(t *testing.T, path string, migs []schema.File, b *bank.Bank, u *bank.Unit) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_foreign_keys=on")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := migrate(t.Context(), db, migs); err != nil {
		t.Fatalf("migrate to version %d: %v", len(migs), err)
	}
	if _, err := db.Exec(`INSERT INTO banks (id, display_name, fin, country, accreditations, create_time, update_time, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		b.ID, b.DisplayName, b.FIN, b.Country, accreditations(b.Accreditations), b.CreateTime.UnixNano(), b.UpdateTime.UnixNano(), b.Version); err != nil {
		t.Fatal(err)
	}
	if len(migs) >= 10 { // a binary at version 10 or later registers the bank's FIN with it
		if _, err := db.Exec(`INSERT INTO bank_fins (fin, bank_id) VALUES (?, ?)`, b.FIN, b.ID); err != nil {
			t.Fatal(err)
		}
	}
	have := map[string]bool{}
	rows, err := db.Query(`SELECT name FROM pragma_table_info('units')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		have[n] = true
	}
	rows.Close()
	args, err := unitArgs(nil, u)
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	var vals []any
	for i, c := range unitColumns {
		if have[c] {
			cols, vals = append(cols, c), append(vals, args[i])
		}
	}
	q := "INSERT INTO units (" + strings.Join(cols, ", ") + ") VALUES (" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	if _, err := db.Exec(q, vals...); err != nil {
		t.Fatalf("insert at version %d: %v", len(migs), err)
	}
}

func TestReopenIsNoop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	before := applied(t, s)
	s.Close()
	s2 := open(t, path)
	if d := cmp.Diff(before, applied(t, s2)); d != "" {
		t.Errorf("schema_migrations changed on reopen (-before +after):\n%s", d)
	}
}

func TestRefuseNewerSchema(t *testing.T) {
	all := embedded(t)
	future := append(all[:len(all):len(all)], schema.File{Version: len(all) + 1, Name: "future", SQL: `CREATE TABLE future (x INTEGER) STRICT`})
	path := filepath.Join(t.TempDir(), "db")
	s, err := Open(t.Context(), path, withMigrations(future))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(t.Context(), path)
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open of a newer database: err = %v, want ErrSchemaTooNew", err)
	}
	if want := fmt.Sprintf("version %d", len(all)+1); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name the database's version (%s)", err, want)
	}
}

func TestFailedMigrationRollsBack(t *testing.T) {
	all := embedded(t)
	bad := append(all[:len(all):len(all)], schema.File{Version: len(all) + 1, Name: "bad",
		SQL: "CREATE TABLE half (x INTEGER) STRICT; INSERT INTO nowhere VALUES (1);"})
	path := filepath.Join(t.TempDir(), "db")
	if _, err := Open(t.Context(), path, withMigrations(bad)); err == nil || !strings.Contains(err.Error(), "_bad") {
		t.Fatalf("Open with a failing migration: err = %v, want it to name the migration", err)
	}
	s := open(t, path)
	if got := applied(t, s); len(got) != len(all) {
		t.Errorf("at version %d after a failed migration, want %d", len(got), len(all))
	}
	var n int
	if err := s.r.QueryRowContext(t.Context(), `SELECT count(*) FROM sqlite_schema WHERE name = 'half'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("table of the failed migration exists (n=%d, err %v): it was not rolled back", n, err)
	}
}

func TestOpenRefusesNonFiles(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db?mode=memory"} {
		if s, err := Open(context.Background(), p); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", p)
		}
	}
}

// TestEventsWrittenBeforeHashSchemesStayScheme1: an audit event stored by
// a binary that predates migration 0009 reads back as hash scheme 1 and
// still verifies, and the trail goes on under the current scheme.
func TestEventsWrittenBeforeHashSchemesStayScheme1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	all := embedded(t)
	var before []schema.File
	for _, m := range all {
		if m.Version < 9 {
			before = append(before, m)
		}
	}
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate(t.Context(), db, before); err != nil {
		t.Fatal(err)
	}
	old := &bank.Event{Seq: 1, Time: banktest.Now, Principal: "old-binary", Method: "CreateBank", Resource: "banks/x",
		Changes: []audit.FieldChange{{Field: "*", After: `{"id":"x"}`}}, HashScheme: audit.HashSchemeFlat}
	old.Hash = old.ComputeHash()
	if _, err := db.Exec(`INSERT INTO events (seq, time, principal, request_id, method, resource, bank_id, reason, changes, prev_hash, hash)
		VALUES (?, ?, ?, '', ?, ?, '', '', ?, '', ?)`, old.Seq, old.Time.UnixNano(), old.Principal, old.Method, old.Resource,
		rowenc.ChangesJSON(old), old.Hash); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s := open(t, path)
	svc := bank.NewService(s, bank.WithClock(banktest.Clock))
	if _, err := svc.CreateBank(t.Context(), banktest.ValidBank("bank-a"), ""); err != nil {
		t.Fatal(err)
	}
	var got []*bank.Event
	err = s.Read(t.Context(), func(tx bank.ReadTx) error {
		got, err = tx.ListEvents(t.Context(), bank.EventQuery{Limit: 10})
		return err
	})
	if err != nil || len(got) != 2 {
		t.Fatalf("events %v, %v; want 2", got, err)
	}
	if got[0].HashScheme != audit.HashSchemeFlat || got[1].HashScheme != audit.CurrentHashScheme {
		t.Errorf("schemes %d, %d; want %d, %d", got[0].HashScheme, got[1].HashScheme, audit.HashSchemeFlat, audit.CurrentHashScheme)
	}
	sum, err := svc.VerifyEvents(t.Context())
	if err != nil || len(sum.Problems) != 0 || sum.Events != 2 {
		t.Errorf("verify: %+v, %v", sum, err)
	}
}

// TestMigrateEventStreams: events written before migration 0011 get their
// stream from their unit's type (a private unit's events and those of its
// reservations go to its bank's private stream, the others to the public
// one), numbered 1, 2, 3 ... per stream in chain order, and the migrated
// trail verifies whole, old events and new.
func TestMigrateEventStreams(t *testing.T) {
	all := embedded(t)
	path := filepath.Join(t.TempDir(), "db")
	b := banktest.ValidBank("bank-a")
	b.CreateTime, b.UpdateTime, b.Version = banktest.Now, banktest.Now, 1
	public := banktest.FullUnit("bank-a", banktest.DIN(b.FIN, 24, 1))
	private := banktest.FullUnit("bank-a", banktest.DIN(b.FIN, 24, 2))
	public.Type, private.Type = bank.UnitTypePublic, bank.UnitTypeAutologous
	writeAtVersion(t, path, all[:10], b, public)
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	args, err := unitArgs(nil, private)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO units (`+strings.Join(unitColumns, ", ")+`) VALUES (`+strings.TrimSuffix(strings.Repeat("?, ", len(unitColumns)), ", ")+`)`, args...); err != nil {
		t.Fatal(err)
	}
	resources := []string{"banks/bank-a", public.Name(), private.Name(), private.Name() + "/reservations/r1", public.Name() + "/reservations/r2", private.Name()}
	prev := ""
	for i, r := range resources {
		e := &bank.Event{Seq: int64(i + 1), Time: banktest.Now, Principal: "old", Method: "Old", Resource: r, Bank: "bank-a",
			Changes: []audit.FieldChange{{Field: "x", After: `1`}}, PrevHash: prev, HashScheme: audit.HashSchemeLinked}
		e.Hash = e.ComputeHash()
		if _, err := db.Exec(`INSERT INTO events (seq, time, principal, request_id, method, resource, bank_id, reason, changes, prev_hash, hash, hash_scheme)
			VALUES (?, ?, ?, '', ?, ?, ?, '', '[{"Field":"x","After":"1"}]', ?, ?, ?)`,
			e.Seq, e.Time.UnixNano(), e.Principal, e.Method, e.Resource, e.Bank, e.PrevHash, e.Hash, e.HashScheme); err != nil {
			t.Fatal(err)
		}
		prev = e.Hash
	}
	db.Close()

	s := open(t, path)
	svc := bank.NewService(s, bank.WithClock(banktest.Clock))
	if _, err := svc.UpdateUnit(t.Context(), &bank.Unit{Bank: "bank-a", DIN: private.DIN, LocalID: "L-9"}, []string{"local_id"}, ""); err != nil {
		t.Fatal(err)
	}
	type pos struct {
		Stream string
		Seq    int64
	}
	var got []pos
	err = s.Read(t.Context(), func(tx bank.ReadTx) error {
		evs, err := tx.ListEvents(t.Context(), bank.EventQuery{Limit: 100})
		for _, e := range evs {
			got = append(got, pos{e.Stream, e.StreamSeq})
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []pos{{"", 1}, {"", 2}, {"bank-a", 1}, {"bank-a", 2}, {"", 3}, {"bank-a", 3}, {"bank-a", 4}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("streams after migration and one new event (-want +got):\n%s", d)
	}
	sum, err := svc.VerifyEvents(t.Context())
	if err != nil || len(sum.Problems) != 0 || sum.Events != 7 {
		t.Errorf("verify after migration: %+v %v", sum, err)
	}
}
