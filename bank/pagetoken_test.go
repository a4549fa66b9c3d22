package bank

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPageTokenRoundTrip(t *testing.T) {
	fk := filterKey("units", "bank-a", "AVAILABLE")
	for _, after := range []string{"B123424000001", "a", "ünïcode", strings.Repeat("z", 300)} {
		var v Violations
		tok := encodePageToken(after, fk)
		if got := decodePageToken(&v, tok, fk); got != after || v.Len() != 0 {
			t.Errorf("decode(encode(%q)) = %q, violations %v", after, got, v.List())
		}
		if strings.ContainsAny(tok, "+/=") {
			t.Errorf("token %q is not URL-safe", tok)
		}
		var v2 Violations
		if got := decodePageToken(&v2, tok, filterKey("units", "bank-b", "AVAILABLE")); got != "" || !v2.Has("page_token") {
			t.Errorf("token used with another filter: got %q, violations %v", got, v2.List())
		}
	}
	var v Violations
	if got := decodePageToken(&v, "", fk); got != "" || v.Len() != 0 {
		t.Errorf("empty token: %q, %v; want the first page", got, v.List())
	}
}

func TestFilterKeySeparatesParts(t *testing.T) {
	// Parts are delimited, so moving a boundary changes the key.
	if filterKey("ab", "c") == filterKey("a", "bc") {
		t.Error(`filterKey("ab","c") == filterKey("a","bc")`)
	}
}

// FuzzPageToken: decodePageToken never panics, accepts only tokens of this
// filter, and an encoded token decodes to its cursor.
func FuzzPageToken(f *testing.F) {
	fk := filterKey("units", "bank-a")
	f.Add(encodePageToken("B123424000001", fk), "B123424000001")
	f.Add(encodePageToken("x", "other"), "")
	f.Add("", "")
	f.Add("eyJhIjoiIiwiZiI6IiJ9", "\x00")
	f.Add("!!!", "é")
	f.Add("bnVsbA", "null")
	f.Fuzz(func(t *testing.T, tok, after string) {
		var v Violations
		got := decodePageToken(&v, tok, fk)
		if (got != "") == (v.Len() > 0) && tok != "" {
			t.Fatalf("decode(%q) = %q with violations %v: want a cursor xor a violation", tok, got, v.List())
		}
		if tok == "" && (got != "" || v.Len() > 0) {
			t.Fatalf("empty token: %q, %v", got, v.List())
		}
		if after == "" || !utf8.ValidString(after) {
			return // cursors are keys: DINs and bank ids, always valid UTF-8
		}
		var v2 Violations
		enc := encodePageToken(after, fk)
		if back := decodePageToken(&v2, enc, fk); v2.Len() > 0 || back != after {
			t.Fatalf("decode(encode(%q)) = %q, violations %v", after, back, v2.List())
		}
	})
}
