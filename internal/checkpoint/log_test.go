package checkpoint

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank/audit"
)

func TestLogLatest(t *testing.T) {
	dir := t.TempDir()
	key, created, err := LoadOrCreateKey(filepath.Join(dir, "k"))
	if err != nil || !created {
		t.Fatal(created, err)
	}
	again, created, err := LoadOrCreateKey(filepath.Join(dir, "k"))
	if err != nil || created || !again.Equal(key) {
		t.Fatal("a second load did not read the same key")
	}
	if fi, _ := os.Stat(filepath.Join(dir, "k")); fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	pub, err := LoadPublicKey(filepath.Join(dir, "k.pub"))
	if err != nil || !pub.Equal(key.Public()) {
		t.Fatal("public key file does not hold the key's public key", err)
	}
	l := OpenLog(filepath.Join(dir, "log"))
	if _, err := l.Latest(pub); !errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("empty log: %v", err)
	}
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for i := int64(1); i <= 3; i++ {
		if err := l.Append(audit.SignCheckpoint(key, i, "h", now)); err != nil {
			t.Fatal(err)
		}
	}
	if c, err := l.Latest(pub); err != nil || c.Seq != 3 {
		t.Fatalf("latest %+v %v", c, err)
	}
	// A torn last line (a crash inside Append) leaves the one before it.
	f, _ := os.OpenFile(l.Path(), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"seq": 4, "he`)
	f.Close()
	if c, err := l.Latest(pub); err != nil || c.Seq != 3 {
		t.Fatalf("after a torn append: %+v %v", c, err)
	}
	// The next append (the service signing at its restart) replaces the
	// fragment rather than gluing onto it.
	if err := l.Append(audit.SignCheckpoint(key, 4, "h", now)); err != nil {
		t.Fatal(err)
	}
	if c, err := l.Latest(pub); err != nil || c.Seq != 4 {
		t.Fatalf("an append after a torn line: %+v %v", c, err)
	}
	// An edited checkpoint no longer verifies.
	forged := audit.SignCheckpoint(key, 9, "h", now)
	forged.Seq = 2
	b, _ := json.Marshal(forged)
	os.WriteFile(l.Path(), append(b, '\n'), 0o644)
	if _, err := l.Latest(pub); !errors.Is(err, audit.ErrCheckpointSignature) {
		t.Fatalf("edited checkpoint: %v", err)
	}
}

// FuzzParseLog: any bytes give checkpoints or an error, never a panic,
// and what parses re-encodes to lines that parse the same.
func FuzzParseLog(f *testing.F) {
	_, key, _ := ed25519.GenerateKey(nil)
	b, _ := json.Marshal(audit.SignCheckpoint(key, 7, "abc", time.Unix(0, 0)))
	f.Add(append(b, '\n'))
	f.Add([]byte("{}\n{\"seq\":1}"))
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cps, err := parseLog(data)
		if err != nil {
			return
		}
		var again []byte
		for _, c := range cps {
			line, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			again = append(append(again, line...), '\n')
		}
		back, err := parseLog(again)
		if err != nil || len(back) != len(cps) {
			t.Fatalf("re-encoded log: %d checkpoints, %v; want %d", len(back), err, len(cps))
		}
	})
}
