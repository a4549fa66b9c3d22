package credential

import (
	"context"
	"sync"
	"time"
)

// TokenRecheckEvery bounds how long a token revoked by another process on
// the same database (`cordbank token revoke --db`) keeps authenticating
// calls in this one: a Cache trusts the tokens it has seen for at most
// this long before Recheck reads the store's token epoch again, and drops
// them all when the epoch moved. A token revoked through the same Service
// (the AdminService) stops working at once: the revocation calls
// Invalidate before it returns.
const TokenRecheckEvery = time.Second

// Cache keeps the active tokens authentication has read, by hash, so a
// call costs a map lookup rather than a store read (a read transaction
// per call was a sixth of a unary create's CPU). Only tokens found active
// are kept, so its size is bounded by the tokens an administrator made;
// an unknown secret is looked up in the store every time.
//
// Revocation: a generation counts invalidations. A caller that misses
// notes the generation (Get) before its store read and may add what it
// read (Put) only while the generation is unchanged, so a read that raced
// a revocation (here, or one that the epoch check noticed) never puts the
// revoked token back.
//
// A Cache is safe for concurrent use; the zero value is not ready: use
// NewCache.
type Cache struct {
	mu      sync.Mutex
	tokens  map[string]*Token // never modified once added: entries are replaced
	gen     uint64
	epoch   int64
	checked time.Time // when epoch was last read; zero: never
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{tokens: map[string]*Token{}} }

// Get returns the cached token of hash (nil when none) and the generation
// a store read made now must present to Put.
func (c *Cache) Get(hash string) (*Token, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tokens[hash], c.gen
}

// Put keeps t, read from the store at generation gen, unless the cache
// was invalidated since. The cache keeps t: the caller must not change it.
func (c *Cache) Put(hash string, t *Token, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.tokens[hash] = t
	}
}

// Invalidate forgets every token: the next call of each reads the store.
func (c *Cache) Invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.invalidateLocked()
}

func (c *Cache) invalidateLocked() {
	c.gen++
	clear(c.tokens)
}

// Recheck reads the store's token epoch (with readEpoch) when it was last
// read TokenRecheckEvery or longer before now, and forgets every token
// when the epoch moved (a token was created or revoked by someone,
// possibly another process). Calls that arrive while one caller reads it
// go on with the cache: they are within the bound too. A failed read is
// returned, and the next call tries again.
func (c *Cache) Recheck(ctx context.Context, now time.Time, readEpoch func(context.Context) (int64, error)) error {
	c.mu.Lock()
	due := c.checked.IsZero() || now.Sub(c.checked) >= TokenRecheckEvery || now.Before(c.checked)
	first := c.checked.IsZero()
	prevChecked := c.checked
	if due {
		c.checked = now // claimed: the others go on meanwhile
	}
	c.mu.Unlock()
	if !due {
		return nil
	}
	epoch, err := readEpoch(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		if c.checked.Equal(now) {
			c.checked = prevChecked // let the next call try again
		}
		return err
	}
	// Forget everything when the epoch moved (a token read before the
	// move may be revoked now) or on the first reading (entries added
	// before there was an epoch to compare with).
	if first || epoch != c.epoch {
		c.invalidateLocked()
	}
	c.epoch = epoch
	return nil
}

// Touched replaces the cached token of hash with a copy last used at now.
func (c *Cache) Touched(hash string, t *Token, now time.Time, gen uint64) {
	u := *t
	u.LastUseTime = now
	c.Put(hash, &u, gen)
}
