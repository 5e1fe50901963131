// Package ttlcache keeps values found for a short while, by key: the mechanism of the
// store's read caches (appcache, accountcache). A value loaded while the cache is
// told of a change (Forget) is not kept, so a lookup racing a write never brings the
// old value back. It is safe for concurrent use.
package ttlcache

import (
	"sync"
	"time"
)

// Cache maps keys to values kept until they expire. The zero value is not usable;
// call New.
type Cache[K comparable, V any] struct {
	max int // bound on entries; 0 = none

	mu      sync.Mutex // protects the fields below
	entries map[K]entry[V]
	gen     uint64 // moves on every Forget
}

type entry[V any] struct {
	v       V
	expires time.Time
}

// New returns an empty cache of at most max entries (0: no bound). Past the bound,
// expired entries are dropped, and if none were, all of them.
func New[K comparable, V any](max int) *Cache[K, V] {
	return &Cache[K, V]{max: max, entries: map[K]entry[V]{}}
}

// Get returns key's value while it is fresh at now, else the value of load, kept for
// ttl. An error of load is returned and nothing is kept.
func (c *Cache[K, V]) Get(key K, now time.Time, ttl time.Duration, load func() (V, error)) (V, error) {
	c.mu.Lock()
	e, ok := c.entries[key]
	gen := c.gen
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.v, nil
	}
	v, err := load()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.put(key, entry[V]{v: v, expires: now.Add(ttl)}, now)
	}
	return v, nil
}

// put stores an entry, making room first when the cache is full. c.mu is held.
func (c *Cache[K, V]) put(key K, e entry[V], now time.Time) {
	if c.max > 0 && len(c.entries) >= c.max {
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= c.max {
			clear(c.entries)
		}
	}
	c.entries[key] = e
}

// Forget drops the entries of keys after a change (also a failed one: it may have
// landed), and keeps out the values of loads under way.
func (c *Cache[K, V]) Forget(keys ...K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		delete(c.entries, k)
	}
	c.gen++
}

// Clear drops every entry, for a change whose keys cannot be listed, and keeps out
// the values of loads under way.
func (c *Cache[K, V]) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
	c.gen++
}
