package schema

import (
	"testing"
	"testing/fstest"
)

func TestLoadSortsByVersion(t *testing.T) {
	fsys := fstest.MapFS{"migrations/0002_b.sql": {Data: []byte("B")}, "migrations/0001_a.sql": {Data: []byte("A")}, "migrations/README": {}}
	m, err := Load(fsys)
	if err != nil || len(m) != 2 || m[0] != (File{1, "a", "A"}) || m[1] != (File{2, "b", "B"}) {
		t.Fatalf("Load = %+v, %v", m, err)
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"gap":      {"migrations/0001_a.sql": {Data: []byte("")}, "migrations/0003_c.sql": {Data: []byte("")}},
		"no name":  {"migrations/0001.sql": {Data: []byte("")}},
		"not num":  {"migrations/one_a.sql": {Data: []byte("")}},
		"zero":     {"migrations/0000_a.sql": {Data: []byte("")}},
		"two of 1": {"migrations/0001_a.sql": {Data: []byte("")}, "migrations/001_b.sql": {Data: []byte("")}},
	} {
		if m, err := Load(fsys); err == nil {
			t.Errorf("%s: Load = %v, want an error", name, m)
		}
	}
}
