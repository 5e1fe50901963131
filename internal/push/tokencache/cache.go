// Package tokencache caches vendor auth tokens (OAuth access tokens, OPPO auth_token,
// vivo authToken) by key, normally push.Certificate.CacheKey. Each key has at most one
// fetch in flight: callers that find no usable token wait for it instead of starting their
// own. A token is handed out until the time its fetch returned (the vendor's expiry less a
// refresh margin), and Invalidate drops a token the vendor refused, so that many
// concurrent refusals cause a single refresh. Do runs one vendor request in that loop:
// get a token, and if the vendor refuses it, invalidate it and try exactly once more.
package tokencache

import (
	"context"
	"sync"
	"time"
)

// A Cache holds one token per key. Its zero value is an empty cache ready to use; it is
// safe for concurrent use.
type Cache struct {
	mu      sync.Mutex // protects entries
	entries map[string]*entry
}

// entry is one fetch, in flight until done is closed; the other fields are written before
// done is closed and only read after.
type entry struct {
	done    chan struct{}
	token   string
	expires time.Time // when the cache stops handing the token out (before the vendor's expiry)
	err     error
}

// Get returns a usable token for key: one fetched earlier if now is before the time its
// fetch returned, else one from a new call of fetch with ctx. fetch returns the token and
// the time from which it must no longer be used. A caller that arrives while another's
// fetch is in flight waits for that fetch's result, or returns ctx.Err() when ctx ends
// first. A failed fetch is not cached: its error goes to the callers that waited for it,
// and the next Get fetches again.
func (c *Cache) Get(ctx context.Context, key string, now time.Time, fetch func(context.Context) (string, time.Time, error)) (string, error) {
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]*entry{}
	}
	if e := c.entries[key]; e != nil {
		select {
		case <-e.done:
			if e.err == nil && now.Before(e.expires) {
				c.mu.Unlock()
				return e.token, nil
			}
		default:
			c.mu.Unlock()
			select {
			case <-e.done:
			case <-ctx.Done():
				return "", ctx.Err()
			}
			return e.token, e.err
		}
	}
	// Drop entries that can no longer be used, such as those of a certificate's old
	// CacheKey, so the map does not grow with every certificate update.
	for k, old := range c.entries {
		select {
		case <-old.done:
			if old.err != nil || !now.Before(old.expires) {
				delete(c.entries, k)
			}
		default:
		}
	}
	e := &entry{done: make(chan struct{})}
	c.entries[key] = e
	c.mu.Unlock()

	e.token, e.expires, e.err = fetch(ctx)
	close(e.done)
	if e.err != nil {
		c.mu.Lock()
		if c.entries[key] == e {
			delete(c.entries, key)
		}
		c.mu.Unlock()
	}
	return e.token, e.err
}

// Invalidate forgets token for key after the vendor refused it, unless another caller has
// already replaced it, so that many concurrent refusals cause a single refresh.
func (c *Cache) Invalidate(key, token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[key]
	if e == nil {
		return
	}
	select {
	case <-e.done:
		if e.token == token {
			delete(c.entries, key)
		}
	default:
	}
}
