package sqlite_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/banktest"
	"github.com/cordbank/cordbank/bank/unit"
	"github.com/cordbank/cordbank/internal/store/sqlite"
)

// liveDB is a database with a bank, written to by a goroutine until stop.
type liveDB struct {
	path  string
	store *sqlite.Store
	svc   *bank.Service
	fin   string

	mu     sync.Mutex
	acked  []unit.DIN // units whose CreateUnit returned OK, in order
	tokens []string   // ids of tokens created
	ackc   chan int   // receives len(acked) after each acknowledged write
	stop   context.CancelFunc
	done   chan error
}

func newLiveDB(t *testing.T) *liveDB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cordbank.db")
	store, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	l := &liveDB{path: path, store: store, svc: bank.NewService(store), fin: banktest.FIN("live"), ackc: make(chan int, 1<<16)}
	b := banktest.ValidBank("live")
	b.FIN = l.fin
	if _, err := l.svc.CreateBank(t.Context(), b, ""); err != nil {
		t.Fatal(err)
	}
	return l
}

// write registers units, and a token every tenth unit, until stopped.
func (l *liveDB) write(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	l.stop, l.done = cancel, make(chan error, 1)
	go func() {
		for i := 1; ; i++ {
			din := banktest.DIN(l.fin, 24, i)
			if _, err := l.svc.CreateUnit(ctx, banktest.ValidUnit("live", din), ""); err != nil {
				if ctx.Err() != nil {
					l.done <- nil
				} else {
					l.done <- err
				}
				return
			}
			var tokenID string
			if i%10 == 0 {
				tk, _, err := l.svc.CreateToken(ctx, bank.CreateTokenRequest{Principal: fmt.Sprint("p", i), Role: bank.RoleTechnician, Org: "live"})
				if err != nil && ctx.Err() == nil {
					l.done <- err
					return
				}
				if err == nil {
					tokenID = tk.ID
				}
			}
			l.mu.Lock()
			l.acked = append(l.acked, din)
			if tokenID != "" {
				l.tokens = append(l.tokens, tokenID)
			}
			n := len(l.acked)
			l.mu.Unlock()
			select {
			case l.ackc <- n:
			default:
			}
		}
	}()
}

// waitAcked blocks until at least n units are acknowledged.
func (l *liveDB) waitAcked(t *testing.T, n int) {
	t.Helper()
	for {
		select {
		case got := <-l.ackc:
			if got >= n {
				return
			}
		case err := <-l.done:
			t.Fatalf("writer stopped: %v", err)
		}
	}
}

func (l *liveDB) snapshot() ([]unit.DIN, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]unit.DIN(nil), l.acked...), append([]string(nil), l.tokens...)
}

func (l *liveDB) halt(t *testing.T) {
	t.Helper()
	l.stop()
	if err := <-l.done; err != nil {
		t.Fatal(err)
	}
}

// TestBackupWhileWriting takes a backup while a writer keeps committing and
// checks the copy: it verifies, its head and event count are the source's
// at the backup point, and every unit and token acknowledged before the
// backup started is in it.
func TestBackupWhileWriting(t *testing.T) {
	l := newLiveDB(t)
	l.write(t)
	l.waitAcked(t, 40)
	ackedBefore, tokensBefore := l.snapshot()
	dest := filepath.Join(t.TempDir(), "backup.db")
	m, err := sqlite.Backup(t.Context(), l.path, dest, "test")
	if err != nil {
		t.Fatal(err)
	}
	// Writes go on after the backup point.
	l.waitAcked(t, len(ackedBefore)+20)
	l.halt(t)

	if m.Point.Units < int64(len(ackedBefore)) || m.Point.Events != m.Point.HeadSeq || m.Point.SchemaVersion == 0 {
		t.Fatalf("manifest point %+v; %d units acknowledged before the backup", m.Point, len(ackedBefore))
	}
	size, sum := digest(t, dest)
	if m.Size != size || m.SHA256 != sum {
		t.Errorf("manifest says %d bytes %s, the file is %d bytes %s", m.Size, m.SHA256, size, sum)
	}
	read, err := sqlite.ReadManifest(dest)
	if err != nil || read.SHA256 != m.SHA256 || read.Point != m.Point {
		t.Fatalf("manifest on disk %+v, %v; returned %+v", read, err, m)
	}
	// The source's event at the backup point is the copy's head.
	var srcHash string
	var srcEvents int64
	err = l.store.Read(t.Context(), func(tx bank.ReadTx) error {
		evs, err := tx.ListEvents(t.Context(), bank.EventQuery{AfterSeq: m.Point.HeadSeq - 1, Limit: 1})
		if err == nil && len(evs) == 1 {
			srcHash = evs[0].Hash
		}
		last, err2 := tx.LastEvent(t.Context())
		if last != nil {
			srcEvents = last.Seq
		}
		return errors.Join(err, err2)
	})
	if err != nil || srcHash != m.Point.HeadHash {
		t.Fatalf("source's event %d has hash %q (%v), the backup's head is %q", m.Point.HeadSeq, srcHash, err, m.Point.HeadHash)
	}
	if srcEvents <= m.Point.HeadSeq {
		t.Fatalf("the source has %d events, the backup %d: writes after the backup point are missing from the source", srcEvents, m.Point.HeadSeq)
	}
	if _, err := sqlite.CheckBackup(t.Context(), dest); err != nil {
		t.Fatalf("CheckBackup: %v", err)
	}

	// Open a copy of the backup (opening switches it to WAL) and look for
	// every acknowledged unit and token.
	work := filepath.Join(t.TempDir(), "restored.db")
	copyTo(t, dest, work)
	copyStore, err := sqlite.Open(t.Context(), work)
	if err != nil {
		t.Fatal(err)
	}
	defer copyStore.Close()
	err = copyStore.Read(t.Context(), func(tx bank.ReadTx) error {
		for _, din := range ackedBefore {
			if _, err := tx.GetUnit(t.Context(), "live", din); err != nil {
				return fmt.Errorf("unit %s acknowledged before the backup: %w", din, err)
			}
		}
		for _, id := range tokensBefore {
			if _, err := tx.GetToken(t.Context(), id); err != nil {
				return fmt.Errorf("token %s created before the backup: %w", id, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sumCopy, err := bank.NewService(copyStore).VerifyEvents(t.Context())
	if err != nil || len(sumCopy.Problems) > 0 || sumCopy.Head != m.Point.HeadHash || sumCopy.Events != m.Point.Events {
		t.Fatalf("copy verifies %+v, %v; manifest %+v", sumCopy, err, m.Point)
	}
	if _, err := sqlite.Backup(t.Context(), l.path, dest, "test"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("a second backup over an existing file: %v", err)
	}
}

func digest(t *testing.T, path string) (int64, string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return int64(len(b)), fmt.Sprintf("%x", sha256.Sum256(b))
}

func copyTo(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// copyBackup copies a backup and its manifest to a new directory.
func copyBackup(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	copyTo(t, src, dst)
	copyTo(t, sqlite.ManifestPath(src), sqlite.ManifestPath(dst))
	return dst
}

// editManifest rewrites a backup's manifest with edit applied.
func editManifest(t *testing.T, path string, edit func(m *sqlite.Manifest)) {
	t.Helper()
	m, err := sqlite.ReadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, _ := json.Marshal(m)
	if err := os.WriteFile(sqlite.ManifestPath(path), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// resign makes a manifest match its (altered) file again, as someone who
// can write both would.
func resign(t *testing.T, path string) {
	size, sum := digest(t, path)
	editManifest(t, path, func(m *sqlite.Manifest) { m.Size, m.SHA256 = size, sum })
}

func execOn(t *testing.T, path, stmt string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmt); err != nil {
		t.Fatal(err)
	}
}

// TestRestoreRefusesBadBackups: a tampered, truncated or mismatched backup
// is refused and the database in place is left exactly as it was.
func TestRestoreRefusesBadBackups(t *testing.T) {
	l := newLiveDB(t)
	l.write(t)
	l.waitAcked(t, 30)
	l.halt(t)
	good := filepath.Join(t.TempDir(), "good.db")
	if _, err := sqlite.Backup(t.Context(), l.path, good, "test"); err != nil {
		t.Fatal(err)
	}
	l.store.Close()

	// The database a restore would replace: a distinct, closed file.
	target := filepath.Join(t.TempDir(), "target.db")
	other := newLiveDB(t)
	other.store.Close()
	copyTo(t, other.path, target)
	// In rollback-journal mode already, as Restore leaves a replaced file.
	execOn(t, target, `PRAGMA journal_mode=DELETE`)
	_, before := digest(t, target)

	cases := []struct {
		name  string
		spoil func(t *testing.T, path string)
		want  string
	}{
		{"TamperedEventManifestRefreshed", func(t *testing.T, p string) {
			execOn(t, p, `UPDATE events SET principal = 'mallory' WHERE seq = 3`)
			resign(t, p)
		}, "content does not match its hash"},
		{"TamperedFileManifestKept", func(t *testing.T, p string) {
			execOn(t, p, `UPDATE units SET ethnicity = 'XXX'`)
		}, "not the one backed up"},
		{"Truncated", func(t *testing.T, p string) {
			fi, _ := os.Stat(p)
			if err := os.Truncate(p, fi.Size()/2); err != nil {
				t.Fatal(err)
			}
		}, "not the one backed up"},
		{"TruncatedManifestRefreshed", func(t *testing.T, p string) {
			fi, _ := os.Stat(p)
			if err := os.Truncate(p, fi.Size()/2); err != nil {
				t.Fatal(err)
			}
			resign(t, p)
		}, "does not verify"},
		{"UnitRowEditedManifestRefreshed", func(t *testing.T, p string) {
			execOn(t, p, `UPDATE units SET post_processing_tnc = 9e9`)
			resign(t, p)
		}, "differ from its audit trail"},
		{"EventsDeletedManifestRefreshed", func(t *testing.T, p string) {
			execOn(t, p, `DELETE FROM events WHERE seq > 10`)
			resign(t, p)
		}, "differs from the backup point"},
		{"ManifestHeadMismatch", func(t *testing.T, p string) {
			editManifest(t, p, func(m *sqlite.Manifest) { m.Point.HeadHash = strings.Repeat("0", 64) })
		}, "differs from the backup point"},
		{"ManifestUnitCountMismatch", func(t *testing.T, p string) {
			editManifest(t, p, func(m *sqlite.Manifest) { m.Point.Units++ })
		}, "differs from the backup point"},
		{"NoManifest", func(t *testing.T, p string) {
			os.Remove(sqlite.ManifestPath(p))
		}, "manifest"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := copyBackup(t, good)
			c.spoil(t, p)
			_, _, err := sqlite.Restore(t.Context(), p, target)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Restore = %v, want an error with %q", err, c.want)
			}
			if _, after := digest(t, target); after != before {
				t.Fatal("a refused restore changed the database in place")
			}
			if _, err := os.Stat(target + ".restoring"); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a refused restore left its scratch copy: %v", err)
			}
		})
	}

	t.Run("InUse", func(t *testing.T) {
		s, err := sqlite.Open(t.Context(), target)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, _, err := sqlite.Restore(t.Context(), copyBackup(t, good), target); !errors.Is(err, sqlite.ErrInUse) {
			t.Fatalf("Restore over an open database = %v, want ErrInUse", err)
		}
	})

	t.Run("Good", func(t *testing.T) {
		execOn(t, target, `PRAGMA journal_mode=DELETE`) // InUse opened it in WAL mode
		_, before := digest(t, target)
		m, replaced, err := sqlite.Restore(t.Context(), copyBackup(t, good), target)
		if err != nil {
			t.Fatal(err)
		}
		if _, kept := digest(t, replaced); kept != before {
			t.Error("the replaced database was not kept as it was")
		}
		if _, got := digest(t, target); got != m.SHA256 {
			t.Error("the restored file is not the backup")
		}
	})
}

// TestBackupDuringImport backs up a database an import is writing into:
// the copy holds whole import transactions only, and verifies.
func TestBackupDuringImport(t *testing.T) {
	l := newLiveDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	batches := make(chan int, 1024) // units acknowledged so far, after each batch
	done := make(chan error, 1)
	const batch = 250
	go func() {
		for b := 0; ; b++ {
			units := make([]*bank.Unit, batch)
			for i := range units {
				units[i] = banktest.ValidUnit("live", banktest.DIN(l.fin, 23, b*batch+i+1))
			}
			res, err := l.svc.ImportUnits(ctx, "live", units)
			if ctx.Err() != nil {
				done <- nil
				return
			}
			if err == nil {
				for _, r := range res {
					err = errors.Join(err, r.Err)
				}
			}
			if err != nil {
				done <- err
				return
			}
			batches <- (b + 1) * batch
		}
	}()
	seen := 0
	for seen < 2*batch {
		seen = <-batches
	}
	dest := filepath.Join(t.TempDir(), "during-import.db")
	m, err := sqlite.Backup(t.Context(), l.path, dest, "test")
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	after := seen // units acknowledged in all
	for len(batches) > 0 {
		after = <-batches
	}
	if m.Point.Units%batch != 0 || m.Point.Units < 2*batch || m.Point.Units > int64(after) {
		t.Fatalf("the backup holds %d units: not whole import batches of %d between %d and %d", m.Point.Units, batch, 2*batch, after)
	}
	if m.Point.Events != m.Point.Units+1 { // one per unit, one for the bank
		t.Fatalf("backup point %+v: events do not match units", m.Point)
	}
	if _, err := sqlite.CheckBackup(t.Context(), dest); err != nil {
		t.Fatal(err)
	}
}
