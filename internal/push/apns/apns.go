// Package apns sends notifications through Apple's HTTP/2 provider API (vendors.md §2)
// with github.com/sideshow/apns2.
//
// A certificate authenticates either with a provider token (token auth: the .p8 key, its
// key ID and the team ID; an ES256 JWT reused for TokenLifetime, 50 minutes by default,
// within Apple's 20–60 minute window) or with a push certificate (certificate auth: the
// .p12 and its password, decoded with software.sslmate.com/src/go-pkcs12, which reads both
// the legacy and the AES-encrypted .p12 files Keychain exports). Each certificate gets its
// own HTTP/2 connection pool, so that tokens of different teams never share a connection
// and a client certificate stays with its connection. APNs takes one device token per
// request (vendors.md §2.2); Send keeps up to Concurrency requests in flight.
//
// What apns2 cannot do, and how this package works around it:
//   - apns2's token.Token signs with the wall clock and cannot be tested without sleeping,
//     so the sender signs the provider token itself (same claims: kid, iss, iat) with the
//     injected Now and sets the authorization header in a RoundTripper that wraps the
//     HTTP/2 transport.
//   - apns2.Response does not expose the response headers, so the same RoundTripper
//     copies Retry-After into a holder carried by the request's context.
//   - apns2.NewClient trusts only the system roots; the sender builds the http2.Transport
//     itself, with RootCAs (nil = system roots) and the client certificate.
//
// Choices made where vendors.md says "unconfirmed" or is silent:
//   - The VoIP topic is the bundle ID + ".voip" with apns-push-type voip, for
//     Certificate.VoIP and for Notification.PushType VoIP.
//   - The 410 timestamp is read as Unix milliseconds (apns2 v0.25 parses it so) and kept
//     in the reason.
//   - Retry-After on 429/503 is honoured when present; APNs has no quota, so nothing
//     yields QuotaExceeded.
//   - Every 403 is an auth failure: with token auth the provider token is re-signed once
//     and the request retried once, then the result is AuthExpired; with certificate auth
//     (nothing to refresh) it is AuthExpired at once.
//   - 400 BadDeviceToken, 400 DeviceTokenNotForTopic and 410 Unregistered / ExpiredToken
//     are InvalidToken; other 400s and 413 are Failed.
//   - The payload limit is 4096 bytes for every push type (vendors.md §2.3); a body that
//     does not fit is shortened on a rune boundary, and a push that still does not fit
//     (a huge ext) is Failed without a request. apns-collapse-id is cut to 64 bytes
//     (Apple's documented limit; vendors.md only names BadCollapseId).
//   - Ext is the custom key "ext"; an image (only with MutableContent, for a notification
//     service extension) is the custom key "image".
package apns

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sideshow/apns2"
	"golang.org/x/net/http2"

	"github.com/herald-im/herald/internal/push"
)

// Defaults for a Sender made by New.
const (
	// DefaultConcurrency is how many requests one Send keeps in flight.
	DefaultConcurrency = 64
	// DefaultTimeout bounds one request.
	DefaultTimeout = 10 * time.Second
	// DefaultConnections is how many HTTP/2 connections one certificate keeps to APNs;
	// requests go round them, many streams on each. Apple recommends several
	// connections for volume, and a server caps each connection's
	// concurrent streams (SETTINGS_MAX_CONCURRENT_STREAMS).
	DefaultConnections = 4
	// DefaultTokenLifetime is how long a provider token is reused: Apple wants a new one
	// no more than every 20 and no less than every 60 minutes (vendors.md §2.2).
	DefaultTokenLifetime = 50 * time.Minute
)

// Limits of APNs.
const (
	// MaxPayloadBytes is the payload limit (vendors.md §2.3, 413 PayloadTooLarge).
	MaxPayloadBytes = 4096
	// maxCollapseIDBytes is Apple's limit on apns-collapse-id (400 BadCollapseId).
	maxCollapseIDBytes = 64
	// maxBatch: APNs has no batch; one token per request (vendors.md §2.3). Send fans out.
	maxBatch = 500
)

// ErrInvalidCertificate is returned (wrapped, naming the field) by ValidateCertificate.
var ErrInvalidCertificate = errors.New("apns: invalid certificate")

// Sender sends through APNs. Set its fields before the first Send; Send is safe for
// concurrent use. Close releases the connections.
type Sender struct {
	// RootCAs are the roots trusted for the APNs server. Default nil: the system roots.
	RootCAs *x509.CertPool
	// DialTLSContext, when set, dials the APNs host (push.Transport.DialTLSContext refuses
	// internal addresses at dial time). Default nil: the HTTP/2 transport's own dialer.
	DialTLSContext func(ctx context.Context, network, addr string, cfg *tls.Config) (net.Conn, error)
	// Now is the clock used to sign provider tokens and compute apns-expiration. Default:
	// time.Now.
	Now func() time.Time
	// Logger receives debug lines about connections and tokens. Default: slog.Default().
	Logger *slog.Logger
	// Concurrency is how many requests one Send keeps in flight. Default:
	// DefaultConcurrency; 0 or less means 1.
	Concurrency int
	// Connections is how many HTTP/2 connections each certificate uses, requests taking
	// them in turn. Default: DefaultConnections; 0 or less means 1.
	Connections int
	// Timeout bounds each request. Default: DefaultTimeout; 0 means no bound but ctx's.
	Timeout time.Duration
	// TokenLifetime is how long a provider token is reused. Default: DefaultTokenLifetime.
	TokenLifetime time.Duration

	mu    sync.Mutex // protects conns
	conns map[int64]*conn
}

var (
	_ push.Sender               = (*Sender)(nil)
	_ push.CertificateValidator = (*Sender)(nil)
)

// New returns a Sender with the defaults above.
func New() *Sender {
	return &Sender{
		Now:           time.Now,
		Logger:        slog.Default().With("vendor", string(push.APNs)),
		Concurrency:   DefaultConcurrency,
		Connections:   DefaultConnections,
		Timeout:       DefaultTimeout,
		TokenLifetime: DefaultTokenLifetime,
	}
}

// Vendor returns push.APNs.
func (s *Sender) Vendor() push.Vendor { return push.APNs }

// MaxBatch returns 500. APNs takes one token per request (vendors.md §2.3); a Send fans a
// batch out over concurrent HTTP/2 streams.
func (s *Sender) MaxBatch() int { return maxBatch }

// InFlight is how many of a Send's requests are at the vendor at once.
func (s *Sender) InFlight() int { return max(s.Concurrency, 1) }

var _ push.PerTokenSender = (*Sender)(nil)

// Close closes the idle connections of every certificate.
func (s *Sender) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, c := range s.conns {
		c.closeIdle()
		delete(s.conns, id)
	}
	return nil
}

// ValidateCertificate checks that exactly one way of authenticating is complete and
// readable (a .p8 EC key with a 10-character key ID and team ID, or a .p12 that opens with
// its password and has not expired), the bundle ID, the endpoint and the click action.
func (s *Sender) ValidateCertificate(c *push.Certificate) error {
	if c.BundleID == "" {
		return fmt.Errorf("%w: BundleID: required (the app's bundle ID, the apns-topic)", ErrInvalidCertificate)
	}
	if _, err := newAuth(c, s.now()); err != nil {
		return err
	}
	if u := c.Endpoint.SendURL; u != "" {
		if p, err := url.Parse(u); err != nil || p.Scheme != "https" || p.Host == "" {
			return fmt.Errorf("%w: Endpoint.SendURL: %q is not an https URL", ErrInvalidCertificate, u)
		}
	}
	if err := c.Click.Validate(push.APNs); err != nil {
		return fmt.Errorf("%w: Click: %w", ErrInvalidCertificate, err)
	}
	return nil
}

// Send sends n to each token, one request per token, and returns one Result per token in
// order.
func (s *Sender) Send(ctx context.Context, c *push.Certificate, n *push.Notification, tokens []string) []push.Result {
	if len(tokens) == 0 {
		return nil
	}
	cn, err := s.conn(c)
	if err != nil {
		return push.Results(tokens, push.Failed, 0, err.Error())
	}
	tmpl, err := newNotification(c, n, s.now())
	if err != nil {
		return push.Results(tokens, push.Failed, 0, err.Error())
	}
	results := make([]push.Result, len(tokens))
	workers := min(max(s.Concurrency, 1), len(tokens))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(tokens) {
					return
				}
				results[i] = s.sendOne(ctx, cn, tmpl, tokens[i])
			}
		})
	}
	wg.Wait()
	return results
}

// sendOne pushes to one token, re-signing the provider token and retrying once after a
// 403 when the certificate uses token auth.
func (s *Sender) sendOne(ctx context.Context, cn *conn, tmpl *apns2.Notification, token string) push.Result {
	nt := *tmpl
	nt.DeviceToken = token
	bearer := cn.auth.bearer(s.now(), s.tokenLifetime())
	cl := cn.next() // one connection for both tries
	v := s.push(ctx, cl, &nt, bearer)
	if v.auth && bearer != "" {
		cn.auth.invalidate(bearer)
		v = s.push(ctx, cl, &nt, cn.auth.bearer(s.now(), s.tokenLifetime()))
	}
	if v.auth {
		v.result.Outcome = push.AuthExpired
	}
	v.result.Token = token
	return v.result
}

// push makes one request.
func (s *Sender) push(ctx context.Context, cl *apns2.Client, n *apns2.Notification, bearer string) verdict {
	if s.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.Timeout)
		defer cancel()
	}
	meta := &responseMeta{}
	ctx = context.WithValue(ctx, requestKey{}, requestInfo{bearer: bearer, meta: meta})
	resp, err := cl.PushWithContext(ctx, n)
	if err != nil {
		// Timeouts, resets and refused connections are worth another attempt.
		return verdict{result: push.Result{Outcome: push.RetryLater, Reason: fmt.Sprintf("push: %v", err)}}
	}
	return classify(resp, meta.retryAfter, s.now())
}

func (s *Sender) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Sender) tokenLifetime() time.Duration {
	if s.TokenLifetime <= 0 {
		return DefaultTokenLifetime
	}
	return s.TokenLifetime
}

func (s *Sender) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

// conn is one certificate's apns2 clients, one per HTTP/2 connection, and credentials.
type conn struct {
	cacheKey string
	clients  []*apns2.Client
	turn     atomic.Uint64 // the next request's client, mod len(clients)
	auth     *auth
}

// next returns the client of the next request: the connections in turn.
func (c *conn) next() *apns2.Client {
	return c.clients[(c.turn.Add(1)-1)%uint64(len(c.clients))]
}

func (c *conn) closeIdle() {
	for _, cl := range c.clients {
		cl.CloseIdleConnections()
	}
}

// conn returns c's connection, replacing one made from an older version of c.
func (s *Sender) conn(c *push.Certificate) (*conn, error) {
	key := c.CacheKey()
	s.mu.Lock()
	defer s.mu.Unlock()
	if cn, ok := s.conns[c.ID]; ok && cn.cacheKey == key {
		return cn, nil
	}
	a, err := newAuth(c, s.now())
	if err != nil {
		return nil, err
	}
	tlsConf := &tls.Config{RootCAs: s.RootCAs, MinVersion: tls.VersionTLS12}
	if a.cert != nil {
		tlsConf.Certificates = []tls.Certificate{*a.cert}
	}
	host := apns2.HostDevelopment
	if c.Production {
		host = apns2.HostProduction
	}
	if c.Endpoint.SendURL != "" {
		host = c.Endpoint.SendURL
	}
	// Each client has a transport of its own, so each is its own HTTP/2 connection.
	clients := make([]*apns2.Client, max(s.Connections, 1))
	for i := range clients {
		clients[i] = &apns2.Client{
			Host: host,
			HTTPClient: &http.Client{Transport: &authTransport{base: &http2.Transport{
				TLSClientConfig: tlsConf,
				DialTLSContext:  s.DialTLSContext,
				ReadIdleTimeout: apns2.ReadIdleTimeout,
			}}},
		}
	}
	if old, ok := s.conns[c.ID]; ok {
		old.closeIdle()
	}
	if s.conns == nil {
		s.conns = map[int64]*conn{}
	}
	cn := &conn{cacheKey: key, clients: clients, auth: a}
	s.conns[c.ID] = cn
	s.logger().Debug("apns connection configured", "certificate", c.ID, "host", host, "token_auth", a.key != nil)
	return cn, nil
}

// requestKey carries requestInfo in a request's context to authTransport.
type requestKey struct{}

type requestInfo struct {
	bearer string
	meta   *responseMeta
}

// responseMeta is what authTransport copies out of a response for classify.
type responseMeta struct {
	retryAfter string
}

// authTransport sets the provider token of a request and keeps the Retry-After of its
// response, the two things apns2.Client does not let a caller do.
type authTransport struct {
	base interface {
		RoundTrip(*http.Request) (*http.Response, error)
		CloseIdleConnections()
	}
}

func (t *authTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	info, _ := r.Context().Value(requestKey{}).(requestInfo)
	if info.bearer != "" {
		r = r.Clone(r.Context())
		r.Header.Set("authorization", "bearer "+info.bearer)
	}
	resp, err := t.base.RoundTrip(r)
	if err == nil && info.meta != nil {
		info.meta.retryAfter = resp.Header.Get("Retry-After")
	}
	return resp, err
}

// CloseIdleConnections lets apns2.Client.CloseIdleConnections reach the HTTP/2 transport.
func (t *authTransport) CloseIdleConnections() { t.base.CloseIdleConnections() }
