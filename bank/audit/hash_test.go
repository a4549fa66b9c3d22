package audit_test

import (
	"testing"
	"time"

	"github.com/cordbank/cordbank/bank/audit"
)

func sample() (*audit.Link, *audit.Content) {
	return &audit.Link{Seq: 42, PrevHash: "00ff", Stream: "bank-a", StreamSeq: 7},
		&audit.Content{Time: time.Date(2026, 3, 1, 12, 0, 0, 5, time.UTC), Principal: "tech-1", RequestID: "req-9",
			Method: "UpdateUnit", Resource: "banks/bank-a/units/W123426000001", Bank: "bank-a", Reason: "CD",
			Changes: []audit.FieldChange{{Field: "local_id", Before: `"CB-1"`, After: `"CB-2"`}, {Field: "ethnicity", After: `"HIS"`}}}
}

// TestHashesAreStable pins every scheme to the digests bank's
// TestEventHashesAreStable pins for the same event: stored hashes must
// verify forever.
func TestHashesAreStable(t *testing.T) {
	for _, tc := range []struct {
		scheme int
		want   string
	}{
		{audit.HashSchemeFlat, "8d4f176094f0fcb43676be8e23a115646b5695242b590de070110cc72193839f"},
		{audit.HashSchemeLinked, "a09abcb9fc1e1381e1c77b84ffbfe8c234dd847c82397c412f0525529d3be470"},
		{audit.HashSchemeStreamed, "db6ec8475a255fb566ec3a37e58a10b193c8604a48ad815d3a2bc433b9e6f692"},
	} {
		l, c := sample()
		l.Scheme = tc.scheme
		if got := audit.Hash(l, c); got != tc.want {
			t.Errorf("scheme %d: hash %s, want %s", tc.scheme, got, tc.want)
		}
		if tc.scheme != audit.HashSchemeFlat {
			body := audit.BodyHash(c)
			if got := audit.LinkedHash(l, &body); got != tc.want {
				t.Errorf("scheme %d: LinkedHash of the body hash is %s, want %s", tc.scheme, got, tc.want)
			}
		}
	}
	l, c := sample()
	for _, scheme := range []int{0, 4} {
		l.Scheme = scheme
		if got := audit.Hash(l, c); got != "" {
			t.Errorf("unknown scheme %d: hash %q, want \"\"", scheme, got)
		}
	}
}

// Every field an event's hash covers changes it, under every scheme; the
// stream only under scheme 3. A field moved to its neighbour (the length
// prefixes) changes it too.
func TestHashCoversEveryField(t *testing.T) {
	edits := map[string]func(l *audit.Link, c *audit.Content){
		"seq":        func(l *audit.Link, c *audit.Content) { l.Seq++ },
		"prev hash":  func(l *audit.Link, c *audit.Content) { l.PrevHash = "00fe" },
		"time":       func(l *audit.Link, c *audit.Content) { c.Time = c.Time.Add(time.Nanosecond) },
		"principal":  func(l *audit.Link, c *audit.Content) { c.Principal = "tech-2" },
		"request id": func(l *audit.Link, c *audit.Content) { c.RequestID = "" },
		"method":     func(l *audit.Link, c *audit.Content) { c.Method = "ReleaseUnit" },
		"resource":   func(l *audit.Link, c *audit.Content) { c.Resource += "x" },
		"bank":       func(l *audit.Link, c *audit.Content) { c.Bank = "bank-b" },
		"reason":     func(l *audit.Link, c *audit.Content) { c.Reason = "R" },
		"a change":   func(l *audit.Link, c *audit.Content) { c.Changes[1].After = `"WHT"` },
		"a before":   func(l *audit.Link, c *audit.Content) { c.Changes[0].Before = "" },
		"no changes": func(l *audit.Link, c *audit.Content) { c.Changes = nil },
		"shifted":    func(l *audit.Link, c *audit.Content) { c.Principal, c.RequestID = "tech-1r", "eq-9" },
		"stream":     func(l *audit.Link, c *audit.Content) { l.Stream = "" },
		"stream seq": func(l *audit.Link, c *audit.Content) { l.StreamSeq++ },
	}
	for _, scheme := range []int{audit.HashSchemeFlat, audit.HashSchemeLinked, audit.HashSchemeStreamed} {
		l, c := sample()
		l.Scheme = scheme
		base := audit.Hash(l, c)
		for what, edit := range edits {
			l, c := sample()
			l.Scheme = scheme
			edit(l, c)
			streamOnly := what == "stream" || what == "stream seq"
			if changed := audit.Hash(l, c) != base; changed != (!streamOnly || scheme == audit.HashSchemeStreamed) {
				t.Errorf("scheme %d, %s: hash changed %v", scheme, what, changed)
			}
		}
	}
}

func TestIsPrivate(t *testing.T) {
	for field, want := range map[string]bool{"private": true, "private.maternal_id": true, "privateer": false, "local_id": false, "*": false} {
		if got := (audit.FieldChange{Field: field}).IsPrivate(); got != want {
			t.Errorf("%q: IsPrivate %v, want %v", field, got, want)
		}
	}
}
