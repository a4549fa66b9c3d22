package credential

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestTokenCacheRefusesARacedRead: a token read from the store before a
// revocation emptied the cache, and offered to it after, is not kept (the
// next call reads the store again and sees the revocation).
func TestTokenCacheRefusesARacedRead(t *testing.T) {
	c := NewCache()
	tok := &Token{ID: "t1", Hash: "h1"}
	got, gen := c.Get("h1") // the call misses and reads the store...
	if got != nil {
		t.Fatal("empty cache returned a token")
	}
	c.Invalidate()        // ...while RevokeToken commits and empties the cache
	c.Put("h1", tok, gen) // the call's read, made before the revocation
	if got, _ := c.Get("h1"); got != nil {
		t.Fatal("a token read before an invalidation was kept after it")
	}
	_, gen = c.Get("h1")
	c.Put("h1", tok, gen)
	if got, _ := c.Get("h1"); got != tok {
		t.Fatal("a token read after the invalidation was not kept")
	}
}

// TestCacheRecheck: the epoch is read at most once per TokenRecheckEvery;
// the cache is emptied on the first reading and whenever the epoch moved,
// kept while it stays; a failed read is retried by the next call.
func TestCacheRecheck(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	epoch, reads := int64(5), 0
	var fail error
	read := func(context.Context) (int64, error) {
		reads++
		return epoch, fail
	}
	c := NewCache()
	tok := &Token{ID: "t1", Hash: "h1"}
	keep := func() {
		_, gen := c.Get("h1")
		c.Put("h1", tok, gen)
	}
	cached := func() bool { got, _ := c.Get("h1"); return got != nil }

	keep()
	if err := c.Recheck(ctx, now, read); err != nil || reads != 1 || cached() {
		t.Fatalf("first recheck: err %v, %d reads, cached %v; want one read that empties the cache", err, reads, cached())
	}
	keep()
	if err := c.Recheck(ctx, now.Add(TokenRecheckEvery-time.Nanosecond), read); err != nil || reads != 1 || !cached() {
		t.Fatalf("within the bound: err %v, %d reads, cached %v; want no read", err, reads, cached())
	}
	now = now.Add(TokenRecheckEvery)
	if err := c.Recheck(ctx, now, read); err != nil || reads != 2 || !cached() {
		t.Fatalf("same epoch: err %v, %d reads, cached %v; want a read that keeps the cache", err, reads, cached())
	}
	epoch, now = 6, now.Add(TokenRecheckEvery)
	if err := c.Recheck(ctx, now, read); err != nil || reads != 3 || cached() {
		t.Fatalf("epoch moved: err %v, %d reads, cached %v; want the cache emptied", err, reads, cached())
	}
	keep()
	fail, now = errors.New("store down"), now.Add(TokenRecheckEvery)
	if err := c.Recheck(ctx, now, read); err != fail {
		t.Fatalf("failed read: err %v", err)
	}
	fail, epoch = nil, 7
	if err := c.Recheck(ctx, now, read); err != nil || reads != 5 || cached() {
		t.Fatalf("after a failed read: err %v, %d reads, cached %v; want the next call to read again", err, reads, cached())
	}
}
