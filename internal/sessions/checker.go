// Package sessions decides whether an access token's login may still act:
// its user is active and its session was not logged out. An access token
// is valid for 15 minutes by its signature alone; without this check a
// disabled user or a logged-out session would keep working that long.
// Answers are cached for a short TTL, so the check costs one query per
// session per TTL, not one per call.
package sessions

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/convene/convene/db"
)

// maxCached bounds the cache; past it, expired answers are dropped, and if
// that is not enough the cache starts over (every answer is cheap to redo).
const maxCached = 100_000

// Lookup answers, in one round trip, which keys are live (db.LiveSessions
// over a database handle).
type Lookup func(ctx context.Context, keys []db.SessionKey) (map[db.SessionKey]bool, error)

// Checker caches Lookup's answers for ttl. Safe for concurrent use.
type Checker struct {
	lookup Lookup
	ttl    time.Duration
	now    func() time.Time

	mu    sync.Mutex
	cache map[db.SessionKey]answer
}

type answer struct {
	live    bool
	expires time.Time
}

// NewChecker returns a checker caching lookup's answers for ttl on the
// clock now (time.Now when nil).
func NewChecker(lookup Lookup, ttl time.Duration, now func() time.Time) *Checker {
	if now == nil {
		now = time.Now
	}
	return &Checker{lookup: lookup, ttl: ttl, now: now, cache: map[db.SessionKey]answer{}}
}

// Live reports whether key's login may still act.
func (c *Checker) Live(ctx context.Context, key db.SessionKey) (bool, error) {
	live, err := c.LiveMany(ctx, []db.SessionKey{key})
	if err != nil {
		return false, err
	}
	return live[key], nil
}

// LiveMany reports, for each key, whether its login may still act, looking
// up the keys without a fresh answer in one round trip.
func (c *Checker) LiveMany(ctx context.Context, keys []db.SessionKey) (map[db.SessionKey]bool, error) {
	out := make(map[db.SessionKey]bool, len(keys))
	var missing []db.SessionKey
	now := c.now()
	c.mu.Lock()
	for _, k := range keys {
		if a, ok := c.cache[k]; ok && now.Before(a.expires) {
			out[k] = a.live
		} else {
			missing = append(missing, k)
		}
	}
	c.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	found, err := c.lookup(ctx, missing)
	if err != nil {
		return nil, fmt.Errorf("check sessions: %w", err)
	}
	c.remember(missing, found, now.Add(c.ttl))
	for _, k := range missing {
		out[k] = found[k]
	}
	return out, nil
}

// remember caches the answers for keys until expires.
func (c *Checker) remember(keys []db.SessionKey, live map[db.SessionKey]bool, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.cache)+len(keys) > maxCached {
		c.dropExpired()
	}
	if len(c.cache)+len(keys) > maxCached {
		clear(c.cache)
	}
	for _, k := range keys {
		c.cache[k] = answer{live: live[k], expires: expires}
	}
}

// dropExpired removes answers past their TTL. The caller holds mu.
func (c *Checker) dropExpired() {
	now := c.now()
	for k, a := range c.cache {
		if !now.Before(a.expires) {
			delete(c.cache, k)
		}
	}
}
