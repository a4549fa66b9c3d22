package bank

import (
	"context"
	"sync"
	"time"
)

// TokenRecheckEvery bounds how long a token revoked by another process on
// the same database (`cordbank token revoke --db`) keeps authenticating
// calls in this one: Authenticate trusts the tokens it has seen for at
// most this long before it reads the store's TokenEpoch again, and drops
// them all when the epoch moved. A token revoked through this Service
// (the AdminService) stops working at once: RevokeToken empties the
// cache before it returns.
const TokenRecheckEvery = time.Second

// tokenCache keeps the active tokens Authenticate has read, by hash, so a
// call costs a map lookup rather than a store read (a read transaction
// per call was a sixth of a unary create's CPU). Only tokens found active
// are kept, so its size is bounded by the tokens an administrator made;
// an unknown secret is looked up in the store every time, as before.
//
// Revocation: gen counts invalidations. A caller that misses notes gen
// before its store read and may add what it read only while gen is
// unchanged, so a read that raced a revocation (here, or one that the
// epoch check noticed) never puts the revoked token back.
type tokenCache struct {
	mu      sync.Mutex
	tokens  map[string]*Token // never modified once added: entries are replaced
	gen     uint64
	epoch   int64
	checked time.Time // when epoch was last read; zero: never
}

func newTokenCache() *tokenCache { return &tokenCache{tokens: map[string]*Token{}} }

// get returns the cached token of hash (nil when none) and the generation
// a store read made now must present to put.
func (c *tokenCache) get(hash string) (*Token, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tokens[hash], c.gen
}

// put keeps t, read from the store at generation gen, unless the cache
// was invalidated since.
func (c *tokenCache) put(hash string, t *Token, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.tokens[hash] = t
	}
}

// invalidate forgets every token: the next call of each reads the store.
func (c *tokenCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.invalidateLocked()
}

func (c *tokenCache) invalidateLocked() {
	c.gen++
	clear(c.tokens)
}

// recheck reads the store's token epoch when it was last read
// TokenRecheckEvery or longer before now, and forgets every token when
// the epoch moved (a token was created or revoked by someone, possibly
// another process). Calls that arrive while one caller reads it go on
// with the cache: they are within the bound too.
func (c *tokenCache) recheck(ctx context.Context, store Store, now time.Time) error {
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
	var epoch int64
	err := store.Read(ctx, func(tx ReadTx) error {
		var err error
		epoch, err = tx.TokenEpoch(ctx)
		return err
	})
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

// touched replaces the cached token of hash with a copy last used at now.
func (c *tokenCache) touched(hash string, t *Token, now time.Time, gen uint64) {
	u := *t
	u.LastUseTime = now
	c.put(hash, &u, gen)
}
