// Package fcm sends notifications through Firebase Cloud Messaging's HTTP v1 API
// (vendors.md §1).
//
// Authentication is a service-account JSON turned into an OAuth 2.0 access token by the
// JWT-bearer grant of golang.org/x/oauth2/google (vendors.md §1.1). The token is cached per
// certificate (push.Certificate.CacheKey) until shortly before it expires, fetched once per
// lifetime even when many sends need it at the same time, and refreshed once after an
// UNAUTHENTICATED answer.
//
// The v1 API takes one token per request (vendors.md §1.3), so Send fans a batch of up to
// MaxBatch (500, the Admin SDKs' sendEach cap) tokens out into single requests, at most
// Concurrency of them in flight over one HTTP/2 connection pool.
//
// Choices made where vendors.md says "unconfirmed" or is silent:
//   - expires_in of the access token is read from the answer (3599 or 3600 both work); the
//     token is used until RefreshEarly (5 min) before that.
//   - The body of an expired-token answer is taken to be a google.rpc status with code 401
//     and status UNAUTHENTICATED (403 PERMISSION_DENIED is treated the same way): the token
//     is refreshed once and the request retried once; a second refusal is AuthExpired.
//   - Retry-After on 429/503 is honoured when present. QUOTA_EXCEEDED without it waits
//     DefaultQuotaRetry (one minute: the per-minute quota refills "in the following
//     minute", vendors.md §1.4).
//   - A 400 INVALID_ARGUMENT is an invalid token only when it says so: a
//     google.rpc.BadRequest field violation on "message.token", or the documented message
//     "The registration token is not a valid FCM registration token". Any other 400 is
//     Failed, so a payload mistake never unbinds tokens.
//   - SENDER_ID_MISMATCH (a token of another project) is InvalidToken.
//   - The 4096-byte limit (vendors.md §1.2) is applied to the JSON of the message without
//     its token. A body that does not fit is shortened on a rune boundary; when even an
//     empty body does not fit (a huge ext), the result is Failed.
//   - Ext travels as message.data["ext"], which Android hands to the launcher activity as
//     the intent extra "ext" when the notification is tapped.
package fcm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-im/herald/internal/push"
)

// Defaults for a Sender made by New.
const (
	// DefaultSendURL is FCM's real send host (vendors.md §1.2).
	DefaultSendURL = "https://fcm.googleapis.com"
	// DefaultConcurrency is how many requests one Send keeps in flight.
	DefaultConcurrency = 64
	// DefaultConnections is how many HTTP/2 connections the sends use; a server caps
	// each connection's concurrent streams (SETTINGS_MAX_CONCURRENT_STREAMS).
	DefaultConnections = 4
	// DefaultTimeout bounds one HTTP request, token fetch included.
	DefaultTimeout = 10 * time.Second
	// DefaultRefreshEarly is how long before its expiry an access token is replaced.
	DefaultRefreshEarly = 5 * time.Minute
	// DefaultQuotaRetry is the wait after QUOTA_EXCEEDED without Retry-After: the
	// per-minute project quota refills in the following minute (vendors.md §1.4).
	DefaultQuotaRetry = time.Minute
)

// Limits of the FCM v1 API.
const (
	// MaxPayloadBytes is the payload limit of a token message (vendors.md §1.2).
	MaxPayloadBytes = 4096
	// maxBatch is the Admin SDKs' sendEach cap (vendors.md §1.3).
	maxBatch = 500
)

// ErrInvalidCertificate is returned (wrapped, naming the field) by ValidateCertificate.
var ErrInvalidCertificate = errors.New("fcm: invalid certificate")

// Sender sends through FCM HTTP v1. Set its fields before the first Send; Send is safe for
// concurrent use.
type Sender struct {
	// HTTPClient carries both the token requests and the sends. Default: a client of its
	// own with HTTP/2 (never http.DefaultClient).
	HTTPClient *http.Client
	// Now is the clock used for token expiry. Default: time.Now.
	Now func() time.Time
	// Logger receives debug lines about token fetches. Default: slog.Default().
	Logger *slog.Logger
	// Concurrency is how many requests one Send keeps in flight. Default:
	// DefaultConcurrency; 0 or less means 1.
	Concurrency int
	// Connections is how many HTTP/2 connections the sends use, requests taking them
	// in turn, many streams on each: HTTPClient's transport, when it is an
	// *http.Transport, is cloned this many times (each clone dials its own). Default:
	// DefaultConnections; 0 or less means 1.
	Connections int
	// Timeout bounds each request. Default: DefaultTimeout; 0 means no bound but ctx's.
	Timeout time.Duration
	// RefreshEarly is how long before expiry a cached access token is replaced. Default:
	// DefaultRefreshEarly (at most half the token's lifetime is used).
	RefreshEarly time.Duration

	mu     sync.Mutex // protects tokens
	tokens map[int64]*tokenEntry

	poolOnce sync.Once
	pool     []*http.Client
	turn     atomic.Uint64
}

// client returns the client of the next send: the pool's connections in turn.
func (s *Sender) client() *http.Client {
	s.poolOnce.Do(s.makePool)
	return s.pool[(s.turn.Add(1)-1)%uint64(len(s.pool))]
}

func (s *Sender) makePool() {
	s.pool = []*http.Client{s.HTTPClient}
	t, ok := s.HTTPClient.Transport.(*http.Transport)
	if !ok {
		return // not ours to clone: its own connections
	}
	for range max(s.Connections, 1) - 1 {
		ct := t.Clone()
		if len(ct.TLSNextProto) == 0 {
			// Clone of a transport not used yet leaves an empty, non-nil map, which
			// turns HTTP/2 off; nil lets ForceAttemptHTTP2 set it up.
			ct.TLSNextProto = nil
		}
		c := *s.HTTPClient
		c.Transport = ct
		s.pool = append(s.pool, &c)
	}
}

var (
	_ push.Sender               = (*Sender)(nil)
	_ push.CertificateValidator = (*Sender)(nil)
)

// New returns a Sender with the defaults above.
func New() *Sender {
	return &Sender{
		HTTPClient:   &http.Client{Transport: &http.Transport{ForceAttemptHTTP2: true, MaxIdleConnsPerHost: DefaultConcurrency, IdleConnTimeout: 90 * time.Second}},
		Now:          time.Now,
		Logger:       slog.Default().With("vendor", string(push.FCM)),
		Concurrency:  DefaultConcurrency,
		Connections:  DefaultConnections,
		Timeout:      DefaultTimeout,
		RefreshEarly: DefaultRefreshEarly,
	}
}

// Vendor returns push.FCM.
func (s *Sender) Vendor() push.Vendor { return push.FCM }

// MaxBatch returns 500: v1 takes one token per request and the Admin SDKs fan out at most
// 500 (vendors.md §1.3).
func (s *Sender) MaxBatch() int { return maxBatch }

// InFlight is how many of a Send's requests are at the vendor at once.
func (s *Sender) InFlight() int { return max(s.Concurrency, 1) }

var _ push.PerTokenSender = (*Sender)(nil)

// ValidateCertificate checks the service-account JSON (type, project_id, client_email, an
// RSA private_key), the endpoint overrides and the click action.
func (s *Sender) ValidateCertificate(c *push.Certificate) error {
	if _, err := parseServiceAccount(c.ServiceAccount); err != nil {
		return fmt.Errorf("%w: ServiceAccount: %w", ErrInvalidCertificate, err)
	}
	if err := c.Endpoint.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidCertificate, err)
	}
	if err := c.Click.Validate(push.FCM); err != nil {
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
	s.poolOnce.Do(s.makePool) // before any request: clones of a used transport share its HTTP/2 pool
	e, err := s.entry(c)
	if err != nil {
		return push.Results(tokens, push.Failed, 0, err.Error())
	}
	body, err := encodeMessage(c, n)
	if err != nil {
		return push.Results(tokens, push.Failed, 0, err.Error())
	}
	access, r, ok := s.accessToken(ctx, c, e)
	if !ok {
		return push.Results(tokens, r.Outcome, r.RetryAfter, r.Reason)
	}
	base := c.Endpoint.SendURL
	if base == "" {
		base = DefaultSendURL
	}
	endpoint := base + "/v1/projects/" + url.PathEscape(e.projectID) + "/messages:send"

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
				results[i] = s.sendOne(ctx, c, e, endpoint, body, tokens[i], access)
			}
		})
	}
	wg.Wait()
	return results
}

// sendOne makes the request for one token, refreshing the access token and retrying once
// after an auth error.
func (s *Sender) sendOne(ctx context.Context, c *push.Certificate, e *tokenEntry, endpoint string, body []byte, token, access string) push.Result {
	req := withToken(body, token)
	v := s.post(ctx, endpoint, req, access)
	if v.auth {
		s.invalidate(e, access)
		fresh, r, ok := s.accessToken(ctx, c, e)
		if !ok {
			r.Token = token
			return r
		}
		v = s.post(ctx, endpoint, req, fresh)
		if v.auth {
			v.result.Outcome = push.AuthExpired
		}
	}
	v.result.Token = token
	return v.result
}

// post makes one HTTP attempt and classifies its answer.
func (s *Sender) post(ctx context.Context, endpoint string, body []byte, access string) verdict {
	if s.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.Timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return verdict{result: push.Result{Outcome: push.Failed, Reason: fmt.Sprintf("build request: %v", err)}}
	}
	req.Header.Set("Authorization", "Bearer "+access)
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	resp, err := s.client().Do(req)
	if err != nil {
		// Timeouts, resets and refused connections are worth another attempt.
		return verdict{result: push.Result{Outcome: push.RetryLater, Reason: fmt.Sprintf("send: %v", err)}}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return verdict{result: push.Result{Outcome: push.RetryLater, Reason: fmt.Sprintf("read answer: %v", err)}}
	}
	return classify(resp.StatusCode, resp.Header, b, s.now())
}

func (s *Sender) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Sender) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

// withToken returns the request body {"message":{"token":<token>,…message}} for the
// encoded message without a token.
func withToken(message []byte, token string) []byte {
	b := make([]byte, 0, len(message)+len(token)+32)
	b = append(b, `{"message":{"token":`...)
	q, _ := json.Marshal(token) // a string always marshals
	b = append(b, q...)
	if len(message) > 2 {
		b = append(b, ',')
	}
	b = append(b, message[1:]...)
	return append(b, '}')
}
