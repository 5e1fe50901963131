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
	health   map[int64]*health
}

type cachedCert struct {
	cert    *push.Certificate
	fetched time.Time
}

func newCertCache(st store.Store, perSecond float64, now func() time.Time) *certCache {
	return &certCache{store: st, rate: perSecond, now: now, certs: map[int64]cachedCert{}, limiters: map[int64]*rate.Limiter{}, paused: map[int64]time.Time{}, health: map[int64]*health{}}
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

// limiter returns the rate limiter of cert: its own rate, else the pipeline's Rate when
// set, else the vendor's default; a rate of 0 is no limit. A changed rate takes
// effect with the next read of the certificate.
func (c *certCache) limiter(cert *push.Certificate) *rate.Limiter {
	r := cert.RatePerSecond
	if r <= 0 {
		r = c.rate
	}
	if r <= 0 {
		r = push.DefaultRate(cert.Vendor)
	}
	limit := rate.Inf
	if r > 0 {
		limit = rate.Limit(r)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.limiters[cert.ID]
	if l == nil || l.Limit() != limit {
		l = rate.NewLimiter(limit, max(1, int(r)))
		c.limiters[cert.ID] = l
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

// parkAfter is how many vendor requests in a row must fail whole (the vendor down, or
// the credentials refused) before a certificate is parked.
const parkAfter = 3

// firstProbe is the wait before the first probe of a parked certificate; it doubles
// after each failed probe, up to the pipeline's MaxBackoff.
const firstProbe = time.Second

// health is what a node knows of a certificate's vendor from its recent requests. A
// parked certificate sends one probe at a time, at growing intervals, instead of every
// queued push hammering a vendor that is down; its other jobs wait in JetStream.
type health struct {
	failures int // requests in a row that failed whole
	parked   bool
	reason   string    // why it is parked: "vendor_down" or "auth_refused"
	probeAt  time.Time // when the next probe may go
	probing  bool      // a probe is in flight
	interval time.Duration
}

// admit says whether a job of certificate id may send now, and whether it goes as the
// parked certificate's probe. When it may not, wait is how long until the next probe.
func (c *certCache) admit(id int64, now time.Time) (ok, probe bool, wait time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.health[id]
	if h == nil || !h.parked {
		return true, false, 0
	}
	if h.probing || now.Before(h.probeAt) {
		return false, false, max(h.probeAt.Sub(now), firstProbe)
	}
	h.probing = true
	return true, true, 0
}

// release ends a probe that did not reach the vendor.
func (c *certCache) release(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h := c.health[id]; h != nil {
		h.probing = false
	}
}

// parkChange is what a request's answer did to its certificate.
type parkChange int

const (
	stayed parkChange = iota
	parked
	unparked
)

// answered records whether a request of certificate id failed whole (reason says how)
// and returns whether that parked or unparked the certificate.
func (c *certCache) answered(id int64, failedWhole bool, reason string, now time.Time, maxWait time.Duration) parkChange {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.health[id]
	if h == nil {
		h = &health{}
		c.health[id] = h
	}
	h.probing = false
	if !failedWhole {
		was := h.parked
		*h = health{}
		if was {
			return unparked
		}
		return stayed
	}
	h.failures++
	if h.failures < parkAfter && !h.parked {
		return stayed
	}
	change := stayed
	if !h.parked {
		h.parked, h.interval, change = true, firstProbe, parked
	} else {
		h.interval = min(2*h.interval, maxWait)
	}
	h.reason = reason
	h.probeAt = now.Add(jitter(h.interval))
	return change
}

// parkedFor returns why certificate id is parked, or "".
func (c *certCache) parkedFor(id int64) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h := c.health[id]; h != nil && h.parked {
		return h.reason
	}
	return ""
}
