package bank

import "testing"

// TestTokenCacheRefusesARacedRead: a token read from the store before a
// revocation emptied the cache, and offered to it after, is not kept (the
// next call reads the store again and sees the revocation).
func TestTokenCacheRefusesARacedRead(t *testing.T) {
	c := newTokenCache()
	tok := &Token{ID: "t1", Hash: "h1"}
	got, gen := c.get("h1") // the call misses and reads the store...
	if got != nil {
		t.Fatal("empty cache returned a token")
	}
	c.invalidate()        // ...while RevokeToken commits and empties the cache
	c.put("h1", tok, gen) // the call's read, made before the revocation
	if got, _ := c.get("h1"); got != nil {
		t.Fatal("a token read before an invalidation was kept after it")
	}
	_, gen = c.get("h1")
	c.put("h1", tok, gen)
	if got, _ := c.get("h1"); got != tok {
		t.Fatal("a token read after the invalidation was not kept")
	}
}
