package checkpoint

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/cordbank/cordbank/bank/audit"
	"github.com/cordbank/cordbank/internal/durable"
)

// Log is an append-only file of signed checkpoints, one JSON object per
// line. Append is safe for concurrent use.
type Log struct {
	path string
	mu   sync.Mutex
}

// OpenLog returns the log at path (created by the first Append).
func OpenLog(path string) *Log { return &Log{path: path} }

// Path is the log's file.
func (l *Log) Path() string { return l.path }

// Append writes c as the log's last line and fsyncs it before returning.
func (l *Log) Append(c audit.Checkpoint) error {
	line, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("checkpoint log: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	_, statErr := os.Stat(l.path)
	created := errors.Is(statErr, os.ErrNotExist)
	f, err := os.OpenFile(l.path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("checkpoint log: %w", err)
	}
	// A crash during an earlier Append can leave a last line cut short
	// (Latest skips it): cut the file back to its last whole line first,
	// or this line would be glued to the fragment and the log would read
	// as altered.
	if err := trimTornLine(f); err != nil {
		f.Close()
		return fmt.Errorf("checkpoint log: %w", err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("checkpoint log: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("checkpoint log: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("checkpoint log: %w", err)
	}
	if created { // a new file is durable only once its directory entry is
		return durable.SyncDir(filepath.Dir(l.path))
	}
	return nil
}

// trimTornLine truncates f after its last newline and leaves the offset at
// the end.
func trimTornLine(f *os.File) error {
	b, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	end := bytes.LastIndexByte(b, '\n') + 1
	if end != len(b) {
		if err := f.Truncate(int64(end)); err != nil {
			return err
		}
	}
	_, err = f.Seek(int64(end), io.SeekStart)
	return err
}

// ErrNoCheckpoint is returned by Latest for a missing or empty log.
var ErrNoCheckpoint = errors.New("the checkpoint log holds no checkpoint")

// Latest returns the log's last checkpoint after checking that pub signed
// it. A last line cut short by a crash during Append is skipped (the
// checkpoint before it is the latest one written whole); any other line
// that does not parse, or a signature that does not verify, is an error:
// the log was altered.
func (l *Log) Latest(pub ed25519.PublicKey) (*audit.Checkpoint, error) {
	b, err := os.ReadFile(l.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", l.path, ErrNoCheckpoint)
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint log: %w", err)
	}
	cps, err := parseLog(b)
	if err != nil {
		return nil, fmt.Errorf("checkpoint log %s: %w", l.path, err)
	}
	if len(cps) == 0 {
		return nil, fmt.Errorf("%s: %w", l.path, ErrNoCheckpoint)
	}
	last := &cps[len(cps)-1]
	if err := last.VerifySignature(pub); err != nil {
		return nil, fmt.Errorf("checkpoint log %s: %w", l.path, err)
	}
	return last, nil
}

// parseLog decodes the log's lines; an unterminated last line is a torn
// append and is dropped.
func parseLog(b []byte) ([]audit.Checkpoint, error) {
	if i := bytes.LastIndexByte(b, '\n'); i != len(b)-1 {
		b = b[:i+1] // torn last line (or no complete line: i = -1)
	}
	var out []audit.Checkpoint
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var c audit.Checkpoint
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if c.Seq < 0 || c.Signature == "" {
			return nil, fmt.Errorf("line %d: not a signed checkpoint", n)
		}
		out = append(out, c)
	}
	return out, sc.Err()
}
