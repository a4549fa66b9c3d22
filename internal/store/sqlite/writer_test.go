package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank"
	"github.com/cordbank/cordbank/bank/audit"
	"github.com/cordbank/cordbank/bank/banktest"
)

// blockWriter runs a Write that holds the writer until release is closed,
// and returns once the writer is inside it.
func blockWriter(t *testing.T, s *Store) (release func(), done <-chan error) {
	t.Helper()
	inside, rel := make(chan struct{}), make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- s.Write(context.Background(), func(bank.Tx) error {
			close(inside)
			<-rel
			return nil
		})
	}()
	<-inside
	return func() { close(rel) }, errc
}

// waitQueued waits until n Write calls (besides the running one) are
// queued for the writer: counted as they enter Write, and parked on the
// job channel (the counter moves a moment before a call reaches the
// channel, and a call not yet there would miss the writer's next group).
func waitQueued(t *testing.T, s *Store, n int64) {
	t.Helper()
	for s.waiting.Load() < n+1 || parkedSubmits() < int(n) {
		runtime.Gosched()
	}
}

// parkedSubmits counts goroutines blocked in the queue's Submit (sending a
// job, or awaiting its outcome): while blockWriter holds the writer, every
// one of them is a queued job.
func parkedSubmits() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "[select") && strings.Contains(g, "writequeue.(*Queue[...]).Submit(") {
			count++
		}
	}
	return count
}

func unitOf(s *Store, t *testing.T, b *bank.Bank, seq int) *bank.Unit {
	u := banktest.ValidUnit(b.ID, banktest.DIN(b.FIN, 24, seq))
	u.CreateTime, u.UpdateTime, u.Version = banktest.Now, banktest.Now, 1
	return u
}

func unitExists(t *testing.T, s *Store, u *bank.Unit) bool {
	t.Helper()
	err := s.Read(t.Context(), func(tx bank.ReadTx) error {
		_, err := tx.GetUnit(t.Context(), u.Bank, u.DIN)
		return err
	})
	if err != nil && bank.KindOf(err) != bank.KindNotFound {
		t.Fatal(err)
	}
	return err == nil
}

// TestGroupCommit: writes queued together commit in one transaction, and
// each one's outcome is its own: a failing, a panicking and a cancelled
// write are rolled back alone, the others commit, and the writer goes on.
func TestGroupCommit(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "db"))
	b := storeOneBank(t, s, "bank-a")
	release, blocked := blockWriter(t, s)
	before := s.WriterStats()

	errBoom := errors.New("use case refused")
	const n = 12
	units := make([]*bank.Unit, n)
	errs := make([]error, n)
	cancelMid, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for i := range n {
		units[i] = unitOf(s, t, b, i+1)
		ctx := context.Background()
		if i == 5 {
			ctx = cancelMid
		}
		wg.Go(func() {
			errs[i] = s.Write(ctx, func(tx bank.Tx) error {
				if err := tx.InsertUnit(ctx, units[i]); err != nil {
					return err
				}
				switch i {
				case 3:
					return errBoom // its insert must not survive
				case 4:
					panic("a bug in one use case")
				case 5:
					cancel() // the caller leaves while its fn runs
				}
				return nil
			})
		})
	}
	waitQueued(t, s, n)
	release()
	wg.Wait()
	if err := <-blocked; err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		var want error
		switch i {
		case 3:
			want = errBoom
		case 5:
			want = context.Canceled
		}
		if i == 4 {
			wantKind(t, err, bank.KindInternal, bank.ReasonInternal)
		} else if !errors.Is(err, want) && err != want {
			t.Errorf("write %d: err = %v, want %v", i, err, want)
		}
		if got, stored := unitExists(t, s, units[i]), err == nil; got != stored {
			t.Errorf("write %d (err %v): unit stored = %v", i, err, got)
		}
	}
	after := s.WriterStats()
	if commits, writes := after.Commits-before.Commits, after.Writes-before.Writes; writes != n-3+1 || commits > 3 {
		t.Errorf("%d writes committed in %d transactions; want %d writes in at most 3 (the blocker's and the queued group)", writes, commits, n-3+1)
	}
	// The writer survived the panic.
	storeOneBank(t, s, "bank-b")
}

// TestWriteCancelledWhileQueued: a Write whose context ends while it waits
// for the writer returns at once with ctx's error, and its fn never runs.
func TestWriteCancelledWhileQueued(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "db"))
	release, blocked := blockWriter(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{}, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- s.Write(ctx, func(bank.Tx) error { ran <- struct{}{}; return nil })
	}()
	waitQueued(t, s, 1)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	release()
	if err := <-blocked; err != nil {
		t.Fatal(err)
	}
	storeOneBank(t, s, "bank-a") // one more write through the writer
	select {
	case <-ran:
		t.Fatal("the abandoned write's fn ran")
	default:
	}
}

// TestCloseFailsQueuedWrites: Close lets the running write finish and
// fails the ones still waiting; nothing hangs.
func TestCloseFailsQueuedWrites(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	release, blocked := blockWriter(t, s)
	errc := make(chan error, 1)
	go func() { errc <- s.Write(context.Background(), func(bank.Tx) error { return nil }) }()
	waitQueued(t, s, 1)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	release()
	if err := <-blocked; err != nil {
		t.Errorf("running write: %v", err)
	}
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := <-errc; err != nil {
		wantKind(t, err, bank.KindUnavailable, bank.ReasonStoreUnavailable)
	}
}

// TestSmallWritesGoBeforeBulk: of the writes queued together, the small
// ones run (and commit) before a bulk one (an import batch) queued ahead
// of them.
func TestSmallWritesGoBeforeBulk(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "db"))
	release, blocked := blockWriter(t, s)
	var mu sync.Mutex
	var order []string
	write := func(ctx context.Context, name string) {
		if err := s.Write(ctx, func(bank.Tx) error {
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			return nil
		}); err != nil {
			t.Error(err)
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { write(bank.WithBulkWrite(context.Background()), "bulk") })
	waitQueued(t, s, 1)
	wg.Go(func() { write(context.Background(), "small") })
	waitQueued(t, s, 2)
	release()
	wg.Wait()
	if err := <-blocked; err != nil {
		t.Fatal(err)
	}
	if len(order) != 2 || order[0] != "small" {
		t.Fatalf("order %v, want the small write first", order)
	}
}

// TestCancelledReadIsNotInternal: a read whose request was cancelled fails
// with the context's error, which the server answers as CANCELLED, not as
// an internal error it would log as a failure of its own.
func TestCancelledReadIsNotInternal(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "db"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := s.Read(ctx, func(bank.ReadTx) error { return nil })
	var be *bank.Error
	if !errors.Is(err, context.Canceled) || errors.As(err, &be) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestReadCancelledMidwayIsNotInternal: a read cancelled between its
// statements fails with the context's error, whether the next statement
// sees the cancellation or the transaction database/sql has already ended
// for it (sql.ErrTxDone), which watches once reported as a store failure.
func TestReadCancelledMidwayIsNotInternal(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "db"))
	storeOneBank(t, s, "bank-a")
	for range 20 {
		ctx, cancel := context.WithCancel(t.Context())
		err := s.Read(ctx, func(tx bank.ReadTx) error {
			if _, err := tx.GetBank(ctx, "bank-a"); err != nil {
				return err
			}
			cancel()
			for {
				if _, err := tx.ListBanks(ctx, "", 10); err != nil {
					return err
				}
			}
		})
		var be *bank.Error
		if !errors.Is(err, context.Canceled) || errors.As(err, &be) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	}
}

// TestPingWrite: the probe passes while the store can take a write, and
// fails (KindUnavailable) while another process holds the write lock.
func TestPingWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	s := open(t, path, WithBusyTimeout(20*time.Millisecond))
	if err := s.PingWrite(t.Context()); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite3", "file:"+path+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	wantKind(t, s.PingWrite(t.Context()), bank.KindUnavailable, bank.ReasonStoreUnavailable)
}

// TestTransactionEndedBySQLite: when a statement makes SQLite end the
// whole transaction by itself (as an I/O error or a full disk can), the
// writes that ran before it in the group are lost with it and answered
// with an error, the failing write gets its own error, the writes after
// it are run again in a fresh transaction and commit, and the writer goes
// on. (The test ends the transaction with a raw ROLLBACK, the one way to
// do it on purpose.)
func TestTransactionEndedBySQLite(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "db"))
	b := storeOneBank(t, s, "bank-a")
	release, blocked := blockWriter(t, s)
	units := []*bank.Unit{unitOf(s, t, b, 1), unitOf(s, t, b, 2), unitOf(s, t, b, 3)}
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			errs[i] = s.Write(context.Background(), func(tx bank.Tx) error {
				if err := tx.InsertUnit(context.Background(), units[i]); err != nil {
					return err
				}
				if i == 1 {
					_, _ = tx.(*txn).tx.ExecContext(context.Background(), `ROLLBACK`)
					return errors.New("the statement that ended the transaction")
				}
				return nil
			})
		})
		waitQueued(t, s, int64(i+1)) // queued in this order: 0, 1, 2
	}
	release()
	wg.Wait()
	if err := <-blocked; err != nil {
		t.Fatal(err)
	}
	if errs[1] == nil || unitExists(t, s, units[1]) {
		t.Errorf("the failing write: err %v, stored %v", errs[1], unitExists(t, s, units[1]))
	}
	// Write 0 ran before it in the group: either it was answered with an
	// error and is absent, or (when the writer took it in a group of its
	// own) it committed. Its answer and the table must agree.
	if (errs[0] == nil) != unitExists(t, s, units[0]) {
		t.Errorf("write 0: err %v but stored %v", errs[0], unitExists(t, s, units[0]))
	}
	if errs[2] != nil || !unitExists(t, s, units[2]) {
		t.Errorf("write 2, after the failure: err %v, stored %v; want it retried and committed", errs[2], unitExists(t, s, units[2]))
	}
	storeOneBank(t, s, "bank-b") // the writer goes on
}

// TestGroupCacheForgetsARolledBackJob: within one group the writer
// remembers the chain's head and the banks (txnCache); a job rolled back
// to its savepoint takes what it taught that cache with it, so the next
// job of the group links to the head that is stored and reads the bank
// as it is stored. The job that runs first appends an event, renames the
// bank, reads both back (its own changes) and fails; the other must see
// neither.
func TestGroupCacheForgetsARolledBackJob(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "db"))
	b := storeOneBank(t, s, "bank-a")
	ctx := t.Context()
	release, blocked := blockWriter(t, s)
	errBoom := errors.New("use case refused")
	var mu sync.Mutex
	ran := 0
	var secondSaw *bank.Event
	var secondBank string
	secondStream := int64(-1)
	job := func(tx bank.Tx) error {
		mu.Lock()
		ran++
		warm, first := ran == 1, ran == 2
		mu.Unlock()
		if warm {
			// Reads the stream head into the group's cache before the
			// failing job, which then advances it and is rolled back.
			_, err := tx.StreamHead(ctx, audit.PublicStream)
			return err
		}
		head, err := tx.LastEvent(ctx)
		if err != nil {
			return err
		}
		streamHead, err := tx.StreamHead(ctx, audit.PublicStream)
		if err != nil {
			return err
		}
		e := &bank.Event{Seq: 1, Time: banktest.Now, Principal: "p", Method: "Test", Resource: "r", Hash: "second", HashScheme: audit.CurrentHashScheme,
			StreamSeq: streamHead + 1}
		if head != nil {
			e.Seq, e.PrevHash = head.Seq+1, head.Hash
		}
		if first {
			e.Hash = "first"
		}
		if err := tx.AppendEvent(ctx, e); err != nil {
			return err
		}
		got, err := tx.GetBank(ctx, b.ID)
		if err != nil {
			return err
		}
		if !first {
			secondSaw, secondBank, secondStream = head, got.DisplayName, streamHead
			return nil
		}
		if n, err := tx.StreamHead(ctx, audit.PublicStream); err != nil || n != 1 {
			t.Errorf("the job's own event left the stream head at %d (%v), want 1", n, err)
		}
		got.DisplayName = "renamed by a failed job"
		if err := tx.UpdateBank(ctx, got); err != nil {
			return err
		}
		if again, err := tx.GetBank(ctx, b.ID); err != nil || again.DisplayName != got.DisplayName {
			t.Errorf("the job's own rename read back as %v (%v)", again, err)
		}
		if h, err := tx.LastEvent(ctx); err != nil || h == nil || h.Hash != "first" {
			t.Errorf("the job's own event read back as head %v (%v)", h, err)
		}
		return errBoom
	}
	errs := make(chan error, 3)
	for i := range 3 {
		go func() { errs <- s.Write(context.Background(), job) }()
		waitQueued(t, s, int64(i+1)) // queued, and so run, in this order
	}
	release()
	if err := <-blocked; err != nil {
		t.Fatal(err)
	}
	var failed int
	for range 3 {
		if err := <-errs; errors.Is(err, errBoom) {
			failed++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if failed != 1 {
		t.Fatalf("%d jobs failed, want 1", failed)
	}
	if secondSaw != nil {
		t.Errorf("the second job saw head %d %q, want the empty chain (the first job's event was rolled back)", secondSaw.Seq, secondSaw.Hash)
	}
	if secondBank != b.DisplayName {
		t.Errorf("the second job read the bank as %q, want %q as stored", secondBank, b.DisplayName)
	}
	if secondStream != 0 {
		t.Errorf("the second job saw the public stream at %d, want 0 (the first job's event was rolled back)", secondStream)
	}
	err := s.Read(ctx, func(tx bank.ReadTx) error {
		head, err := tx.LastEvent(ctx)
		if err != nil {
			return err
		}
		if head == nil || head.Seq != 1 || head.Hash != "second" || head.PrevHash != "" {
			t.Errorf("stored head %+v, want the second job's event at seq 1", head)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// cachedRows reads what the writer's cache holds (txnCache): the chain's
// head, the public stream's head and a bank.
func cachedRows(ctx context.Context, tx bank.Tx, bankID string) (head *bank.Event, streamHead int64, b *bank.Bank, err error) {
	if head, err = tx.LastEvent(ctx); err != nil {
		return nil, 0, nil, err
	}
	if streamHead, err = tx.StreamHead(ctx, audit.PublicStream); err != nil {
		return nil, 0, nil, err
	}
	b, err = tx.GetBank(ctx, bankID)
	return head, streamHead, b, err
}

// TestWriterCacheSeesOtherConnections: the writer carries its cache of the
// chain's head, the stream heads and the banks from one committed group
// to the next (keptCache), and must drop it when another connection, here
// a second Store on the same file as a command-line tool in another
// process would be, has committed in between. The second store appends
// an event and renames the bank; the first store's next group must link
// to that event and read the new name.
func TestWriterCacheSeesOtherConnections(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	s := open(t, path)
	b := storeOneBank(t, s, "bank-a")
	ctx := t.Context()
	// appendNext links an event to the head and the public stream's head as
	// tx reads them, renames the bank, and reports what it read.
	appendNext := func(st *Store, name string) (head *bank.Event, streamHead int64, bankName string) {
		t.Helper()
		err := st.Write(ctx, func(tx bank.Tx) error {
			var got *bank.Bank
			var err error
			if head, streamHead, got, err = cachedRows(ctx, tx, b.ID); err != nil {
				return err
			}
			bankName = got.DisplayName
			e := &bank.Event{Seq: 1, Time: banktest.Now, Principal: "p", Method: "Test", Resource: "r", Hash: name,
				HashScheme: audit.CurrentHashScheme, Stream: audit.PublicStream, StreamSeq: streamHead + 1}
			if head != nil {
				e.Seq, e.PrevHash = head.Seq+1, head.Hash
			}
			if err := tx.AppendEvent(ctx, e); err != nil {
				return err
			}
			got.DisplayName, got.Version = name, got.Version+1
			return tx.UpdateBank(ctx, got)
		})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return head, streamHead, bankName
	}
	appendNext(s, "first")                                // the first store's writer now knows the head "first"
	if _, _, n := appendNext(s, "second"); n != "first" { // from its kept cache
		t.Fatalf("the second group read the bank as %q, want its own rename %q", n, "first")
	}
	other := open(t, path)
	appendNext(other, "elsewhere")
	head, streamHead, name := appendNext(s, "third")
	if head == nil || head.Hash != "elsewhere" || head.Seq != 3 {
		t.Errorf("after another connection's commit the writer linked to head %+v, want seq 3 %q", head, "elsewhere")
	}
	if streamHead != 3 {
		t.Errorf("after another connection's commit the writer saw the public stream at %d, want 3", streamHead)
	}
	if name != "elsewhere" {
		t.Errorf("after another connection's commit the writer read the bank as %q, want %q", name, "elsewhere")
	}
}

// TestWriterCacheForgetsALostTransaction: a group whose transaction is
// lost (here SQLite ends it during the second job) must not hand what its
// jobs taught the cache to the group that runs the rest: the write retried
// after the loss reads the stored head, stream head and bank, not those of
// the lost first write.
func TestWriterCacheForgetsALostTransaction(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "db"))
	b := storeOneBank(t, s, "bank-a")
	ctx := context.Background()
	warm := func(tx bank.Tx) error { // a committed group whose cache is kept
		_, _, _, err := cachedRows(ctx, tx, b.ID)
		return err
	}
	if err := s.Write(ctx, warm); err != nil {
		t.Fatal(err)
	}
	release, blocked := blockWriter(t, s)
	var head *bank.Event
	var streamHead int64
	var name string
	jobs := []func(tx bank.Tx) error{
		func(tx bank.Tx) error { // lost with its transaction
			if err := warm(tx); err != nil {
				return err
			}
			e := &bank.Event{Seq: 1, Time: banktest.Now, Principal: "p", Method: "Test", Resource: "r", Hash: "lost",
				HashScheme: audit.CurrentHashScheme, Stream: audit.PublicStream, StreamSeq: 1}
			if err := tx.AppendEvent(ctx, e); err != nil {
				return err
			}
			got, err := tx.GetBank(ctx, b.ID)
			if err != nil {
				return err
			}
			got.DisplayName, got.Version = "lost", got.Version+1
			return tx.UpdateBank(ctx, got)
		},
		func(tx bank.Tx) error {
			_, _ = tx.(*txn).tx.ExecContext(ctx, `ROLLBACK`)
			return errors.New("the statement that ended the transaction")
		},
		func(tx bank.Tx) error { // run again in a fresh transaction
			var got *bank.Bank
			var err error
			if head, streamHead, got, err = cachedRows(ctx, tx, b.ID); err == nil {
				name = got.DisplayName
			}
			return err
		},
	}
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, job := range jobs {
		wg.Go(func() { errs[i] = s.Write(ctx, job) })
		waitQueued(t, s, int64(i+1)) // queued in this order
	}
	release()
	wg.Wait()
	if err := <-blocked; err != nil {
		t.Fatal(err)
	}
	if errs[0] == nil || errs[1] == nil || errs[2] != nil {
		t.Fatalf("answers %v, want the first two to fail and the third to commit", errs)
	}
	if head != nil || streamHead != 0 || name != b.DisplayName {
		t.Errorf("after the lost transaction the writer read head %+v, public stream at %d, bank %q; want no event, 0, %q",
			head, streamHead, name, b.DisplayName)
	}
}

// TestWriterCacheForgetsMaintenance: a job on the writer's connection
// outside any transaction (onWriterConn) is the writer's own connection,
// so PRAGMA data_version does not see what it changes; the writer must
// drop its kept cache after one, or a row it changed would be read from
// the cache as it was.
func TestWriterCacheForgetsMaintenance(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "db"))
	b := storeOneBank(t, s, "bank-a")
	ctx := t.Context()
	read := func() string {
		t.Helper()
		var name string
		err := s.Write(ctx, func(tx bank.Tx) error {
			_, _, got, err := cachedRows(ctx, tx, b.ID)
			if err == nil {
				name = got.DisplayName
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return name
	}
	read() // the bank is in the kept cache now
	err := s.onWriterConn(ctx, func(c *sql.Conn) error {
		_, err := c.ExecContext(ctx, `UPDATE banks SET display_name = 'changed by maintenance' WHERE id = ?`, b.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "changed by maintenance" {
		t.Errorf("after a maintenance job the writer read the bank as %q, want the stored name", got)
	}
}

// TestWriterKeepsSubJournalsInMemory: a small write that changes many
// pages that were there before its savepoint (request records spread over
// the whole index) opens no temporary file; with SQLite's default
// temp_store its sub-journal would spill to one past 64 KiB, at two
// pwrites a page. A bulk write (an import batch) of the same pages does
// spill, so its memory stays bounded, and a maintenance job after small
// writes runs with the default too (store.go, temp_store). The test looks
// for temporary files among the process's open files while the write
// still holds its transaction: SQLite unlinks its own as soon as it opens
// them ("etilqs_…" or, with O_TMPFILE, "#inode", both "(deleted)").
func TestWriterKeepsSubJournalsInMemory(t *testing.T) {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil || len(fds) == 0 {
		t.Skipf("no /proc/self/fd to list open files: %v", err)
	}
	s := open(t, filepath.Join(t.TempDir(), "db"))
	ctx := t.Context()
	put := func(tx bank.Tx, id string) error {
		return tx.PutRequest(ctx, &bank.RequestRecord{ID: id, Method: "CreateUnit", Fingerprint: "f", Resource: "banks/b/units/" + id, CreateTime: time.Unix(0, 0)})
	}
	// Thousands of records first: hundreds of index pages.
	const n = 20000
	if err := s.Write(ctx, func(tx bank.Tx) error {
		for i := range n {
			if err := put(tx, fmt.Sprintf("r%07d", i*100)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// changeManyPages writes one record between every hundredth pair: a
	// change to ~200 of those pages, far past the 64 KiB a sub-journal
	// keeps in memory by default. It returns the temporary files open
	// meanwhile.
	round := 0
	changeManyPages := func(ctx context.Context) []string {
		t.Helper()
		round++
		var open []string
		if err := s.Write(ctx, func(tx bank.Tx) error {
			for i := 0; i < n; i += 100 {
				if err := put(tx, fmt.Sprintf("r%07d", i*100+round)); err != nil {
					return err
				}
			}
			open = sqliteTempFiles(t)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return open
	}
	if open := changeManyPages(ctx); len(open) > 0 {
		t.Errorf("a small write's sub-journal went to temporary files %v; want it in memory", open)
	}
	if open := changeManyPages(bank.WithBulkWrite(ctx)); len(open) == 0 {
		t.Errorf("a bulk write's sub-journal stayed in memory; want it spilled to a temporary file past 64 KiB")
	}
	if open := changeManyPages(ctx); len(open) > 0 {
		t.Errorf("after a bulk write, a small write's sub-journal went to temporary files %v; want it in memory", open)
	}
	var mode int
	if err := s.onWriterConn(ctx, func(c *sql.Conn) error {
		return c.QueryRowContext(ctx, `PRAGMA temp_store`).Scan(&mode)
	}); err != nil {
		t.Fatal(err)
	}
	if mode != 0 {
		t.Errorf("a maintenance job ran with temp_store %d; want SQLite's default (0)", mode)
	}
}

// sqliteTempFiles lists the process's open files that are deleted from
// their directory already: SQLite's temporary files.
func sqliteTempFiles(t *testing.T) []string {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, fd := range fds {
		if target, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && strings.HasSuffix(target, " (deleted)") {
			out = append(out, target)
		}
	}
	return out
}
