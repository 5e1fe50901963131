package honor

import (
	"context"
	"sync"
	"time"
)

// tokenCache holds one OAuth access token per certificate (push.Certificate.CacheKey). A
// token is fetched once per lifetime: concurrent callers that find no usable token wait
// for the one fetch in flight instead of starting their own.
type tokenCache struct {
	mu      sync.Mutex // protects entries
	entries map[string]*tokenEntry
}

// tokenEntry is one fetch, in flight until done is closed; the other fields are written
// before done is closed and only read after.
type tokenEntry struct {
	done    chan struct{}
	token   string
	expires time.Time // when the cache stops handing the token out (before the vendor's expiry)
	err     error
}

// get returns a usable token for key, calling fetch when there is none. fetch returns the
// token and the time from which it must no longer be used.
func (c *tokenCache) get(ctx context.Context, key string, now time.Time, fetch func(context.Context) (string, time.Time, error)) (string, error) {
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]*tokenEntry{}
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
	e := &tokenEntry{done: make(chan struct{})}
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

// invalidate forgets token for key after the vendor refused it, unless another caller
// has already replaced it, so that many concurrent refusals cause a single refresh.
func (c *tokenCache) invalidate(key, token string) {
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
