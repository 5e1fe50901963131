package pipeline

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/store"
)

// certTTL is how long a decoded certificate is used before it is read again, so that
// an update in the console reaches every node soon.
const certTTL = 30 * time.Second

// certCache keeps decoded certificates, their rate limiters and quota pauses.
type certCache struct {
	store store.Store
	rate  float64
	now   func() time.Time

	mu       sync.Mutex // protects the maps
	certs    map[int64]cachedCert
	limiters map[int64]*rate.Limiter
	paused   map[int64]time.Time
}

type cachedCert struct {
	cert    *push.Certificate
	fetched time.Time
}

func newCertCache(st store.Store, perSecond float64, now func() time.Time) *certCache {
	return &certCache{store: st, rate: perSecond, now: now, certs: map[int64]cachedCert{}, limiters: map[int64]*rate.Limiter{}, paused: map[int64]time.Time{}}
}

// get returns certificate id of app, from the cache while fresh. It returns
// store.ErrNotFound for a deleted certificate or one of another app.
func (c *certCache) get(ctx context.Context, sdkAppID, id int64) (*push.Certificate, error) {
	c.mu.Lock()
	e, ok := c.certs[id]
	c.mu.Unlock()
	if ok && e.cert.SDKAppID == sdkAppID && c.now().Sub(e.fetched) < certTTL {
		return e.cert, nil
	}
	sc, err := c.store.FindCertificateByID(ctx, sdkAppID, id)
	if err != nil {
		return nil, err
	}
	cert, err := push.FromStored(sc)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.certs[id] = cachedCert{cert: cert, fetched: c.now()}
	c.mu.Unlock()
	return cert, nil
}

// cached returns a certificate if it is in the cache, for labels.
func (c *certCache) cached(id int64) *push.Certificate {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.certs[id].cert
}

func (c *certCache) limiter(id int64) *rate.Limiter {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.limiters[id]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(c.rate), max(1, int(c.rate)))
		c.limiters[id] = l
	}
	return l
}

func (c *certCache) pause(id int64, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if until.After(c.paused[id]) {
		c.paused[id] = until
	}
}

func (c *certCache) pausedUntil(id int64) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.paused[id]
}
