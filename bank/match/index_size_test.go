package match

import (
	"testing"
	"unsafe"
)

// The scan streams every entry: its size is a performance contract.
func TestEntryIs24Bytes(t *testing.T) {
	if n := unsafe.Sizeof(entry{}); n != 24 {
		t.Errorf("entry is %d bytes, want 24", n)
	}
}
