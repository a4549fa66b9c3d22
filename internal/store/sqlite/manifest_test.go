package sqlite

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParseManifest: any bytes give a manifest or an error, never a
// panic; an accepted manifest re-encodes to one that parses equal.
func FuzzParseManifest(f *testing.F) {
	good, _ := json.Marshal(Manifest{Format: ManifestFormat, SHA256: strings.Repeat("a", 64), Size: 4096, Point: Point{SchemaVersion: 9, Events: 3, HeadSeq: 3, HeadHash: "x"}})
	f.Add(good)
	f.Add([]byte(`{"format":"cordbank-backup/v1"}`))
	f.Add([]byte(`{} {}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseManifest(data)
		if err != nil {
			return
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		back, err := parseManifest(b)
		if err != nil || back.Point != m.Point || back.SHA256 != m.SHA256 || back.Size != m.Size {
			t.Fatalf("re-encoded manifest %+v, %v; want %+v", back, err, m)
		}
	})
}
