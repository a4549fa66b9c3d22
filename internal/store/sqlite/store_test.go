package sqlite

import (
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
)

func pragma(t *testing.T, db *sql.DB, name string) string {
	t.Helper()
	var v string
	if err := db.QueryRowContext(t.Context(), "PRAGMA "+name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

// TestConnectionSettings checks the settings Open documents, as SQLite
// reports them (a DSN typo would silently fall back to defaults).
func TestConnectionSettings(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "db"))
	writer := func(name string) string {
		var v string
		if err := s.onWriterConn(t.Context(), func(c *sql.Conn) error {
			return c.QueryRowContext(t.Context(), "PRAGMA "+name).Scan(&v)
		}); err != nil {
			t.Fatalf("writer PRAGMA %s: %v", name, err)
		}
		return v
	}
	reader := func(name string) string { return pragma(t, s.r, name) }
	for _, c := range []struct {
		who        string
		get        func(string) string
		name, want string
	}{
		{"writer", writer, "journal_mode", "wal"},
		{"writer", writer, "synchronous", "2"}, // FULL: durable commits
		{"writer", writer, "foreign_keys", "1"},
		{"writer", writer, "busy_timeout", "5000"},
		{"writer", writer, "query_only", "0"},
		{"reader", reader, "journal_mode", "wal"},
		{"reader", reader, "foreign_keys", "1"},
		{"reader", reader, "busy_timeout", "5000"},
		{"reader", reader, "query_only", "1"},
	} {
		if got := c.get(c.name); got != c.want {
			t.Errorf("%s: PRAGMA %s = %s, want %s", c.who, c.name, got, c.want)
		}
	}
	if got := s.w.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("writer MaxOpenConnections = %d, want 1", got)
	}
	if _, err := s.r.ExecContext(t.Context(), `DELETE FROM banks`); err == nil {
		t.Error("a reader connection could write")
	}
}

// storeOneBank writes a bank with the store's Write.
func storeOneBank(t *testing.T, s *Store, id string) *bank.Bank {
	t.Helper()
	b := banktest.ValidBank(id)
	b.CreateTime, b.UpdateTime, b.Version = banktest.Now, banktest.Now, 1
	if err := s.Write(t.Context(), func(tx bank.Tx) error { return tx.InsertBank(t.Context(), b) }); err != nil {
		t.Fatalf("InsertBank: %v", err)
	}
	return b
}

func wantKind(t *testing.T, err error, kind bank.Kind, reason bank.Reason) {
	t.Helper()
	var be *bank.Error
	if !errors.As(err, &be) || be.Kind != kind || be.Reason != reason {
		t.Fatalf("err = %v, want kind %v reason %s", err, kind, reason)
	}
}

// TestBusyIsUnavailable: when another process holds the write lock longer
// than the busy timeout, Write fails with KindUnavailable.
func TestBusyIsUnavailable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	s := open(t, path, WithBusyTimeout(20*time.Millisecond))
	other, err := sql.Open("sqlite3", "file:"+path+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatalf("other process BEGIN IMMEDIATE: %v", err)
	}
	err = s.Write(t.Context(), func(tx bank.Tx) error { return nil })
	wantKind(t, err, bank.KindUnavailable, bank.ReasonStoreUnavailable)
	if !errors.Is(err, bank.ErrUnavailable) {
		t.Errorf("errors.Is(err, bank.ErrUnavailable) = false for %v", err)
	}
	tx.Rollback()
	storeOneBank(t, s, "bank-a") // works again once the lock is gone
}

func TestClosedStoreFails(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	wantKind(t, s.Ping(t.Context()), bank.KindUnavailable, bank.ReasonStoreUnavailable)
	wantKind(t, s.Read(t.Context(), func(bank.ReadTx) error { return nil }), bank.KindUnavailable, bank.ReasonStoreUnavailable)
	wantKind(t, s.Write(t.Context(), func(bank.Tx) error { return nil }), bank.KindUnavailable, bank.ReasonStoreUnavailable)
}

// TestReadDuringWrite: a Read completes while a Write transaction is open
// (WAL readers never wait for the writer) and does not see its writes.
func TestReadDuringWrite(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "db"))
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	inWrite, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- s.Write(t.Context(), func(tx bank.Tx) error {
			b := banktest.ValidBank("bank-a")
			if err := tx.InsertBank(t.Context(), b); err != nil {
				return err
			}
			close(inWrite)
			<-release
			return nil
		})
	}()
	<-inWrite
	err := s.Read(t.Context(), func(tx bank.ReadTx) error {
		_, err := tx.GetBank(t.Context(), "bank-a")
		if bank.KindOf(err) != bank.KindNotFound {
			t.Errorf("read during write: GetBank err = %v, want not found (uncommitted)", err)
		}
		return nil
	})
	close(release)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Write: %v", err)
	}
}

// TestWritePanicReleasesConnection: a panicking fn must not leave the
// single writer connection inside a transaction.
func TestWritePanicReleasesConnection(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "db"))
	func() {
		defer func() { _ = recover() }()
		_ = s.Write(t.Context(), func(tx bank.Tx) error {
			_ = tx.InsertBank(t.Context(), banktest.ValidBank("bank-a"))
			panic("boom")
		})
	}()
	storeOneBank(t, s, "bank-a")
}

// TestCorruptRowIsInternal: a row no Store method could have written (a
// bad date typed in by hand) is an internal error, not a panic.
func TestCorruptRowIsInternal(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "db"))
	b := storeOneBank(t, s, "bank-a")
	u := banktest.ValidUnit("bank-a", banktest.DIN(b.FIN, 24, 1))
	if err := s.Write(t.Context(), func(tx bank.Tx) error { return tx.InsertUnit(t.Context(), u) }); err != nil {
		t.Fatal(err)
	}
	if err := s.onWriterConn(t.Context(), func(c *sql.Conn) error {
		_, err := c.ExecContext(t.Context(), `UPDATE units SET collection_date = '2024-13-45'`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	err := s.Read(t.Context(), func(tx bank.ReadTx) error {
		_, err := tx.GetUnit(t.Context(), "bank-a", u.DIN)
		return err
	})
	wantKind(t, err, bank.KindInternal, bank.ReasonInternal)
}

func TestInsertUnitOfMissingBank(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "db"))
	u := banktest.ValidUnit("nope", banktest.DIN("B1234", 24, 1))
	err := s.Write(t.Context(), func(tx bank.Tx) error { return tx.InsertUnit(t.Context(), u) })
	wantKind(t, err, bank.KindNotFound, bank.ReasonBankNotFound)
}

// TestListUsesIndexes guards the query plans behind ListUnits: a full
// scan of units would make every page cost the size of the inventory.
func TestListUsesIndexes(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "db"))
	for _, c := range []struct{ where, index string }{
		{"bank_id = 'a' AND din > '' ORDER BY din", "units_bank_din"},
		{"bank_id = 'a' AND status IN ('AVAILABLE') AND din > '' ORDER BY din", "units_bank_status_din"},
	} {
		rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN SELECT din FROM units WHERE "+c.where+" LIMIT 50")
		if err != nil {
			t.Fatal(err)
		}
		var plan string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan += detail + "; "
		}
		rows.Close()
		if !strings.Contains(plan, c.index) || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("plan for %s: %s; want index %s and no sort", c.where, plan, c.index)
		}
	}
}
