package fcm

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"golang.org/x/oauth2/jwt"

	"github.com/herald-im/herald/internal/push"
)

// Scope is the OAuth scope of messages.send (vendors.md §1.1).
const Scope = "https://www.googleapis.com/auth/firebase.messaging"

// serviceAccount is what Herald reads of a service-account JSON (vendors.md §1.1).
type serviceAccount struct {
	Type        string `json:"type"`
	ProjectID   string `json:"project_id"`
	ClientEmail string `json:"client_email"`
	PrivateKey  string `json:"private_key"`
	TokenURI    string `json:"token_uri"`
}

// parseServiceAccount checks the fields a send needs, including that private_key is an RSA
// key in PEM.
func parseServiceAccount(b []byte) (*serviceAccount, error) {
	if len(b) == 0 {
		return nil, errors.New("missing service-account JSON")
	}
	var sa serviceAccount
	if err := json.Unmarshal(b, &sa); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	switch {
	case sa.Type != "service_account":
		return nil, fmt.Errorf("type is %q, want \"service_account\"", sa.Type)
	case sa.ProjectID == "":
		return nil, errors.New("missing project_id")
	case sa.ClientEmail == "":
		return nil, errors.New("missing client_email")
	}
	block, _ := pem.Decode([]byte(sa.PrivateKey))
	if block == nil {
		return nil, errors.New("private_key is not PEM")
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		if key, err = x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
			return nil, fmt.Errorf("private_key: %w", err)
		}
	}
	if _, ok := key.(*rsa.PrivateKey); !ok {
		return nil, errors.New("private_key is not an RSA key")
	}
	return &sa, nil
}

// tokenEntry is the cached access token of one certificate.
type tokenEntry struct {
	cacheKey  string
	projectID string
	conf      *jwt.Config

	// sem is a one-slot lock that a waiter can abandon when its ctx ends; it protects the
	// fields below and makes one caller fetch while the others wait for its token.
	sem     chan struct{}
	access  string
	renewAt time.Time // when the token stops being used
}

// entry returns the token cache entry of c, replacing one made from an older version of
// c's credentials.
func (s *Sender) entry(c *push.Certificate) (*tokenEntry, error) {
	key := c.CacheKey()
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.tokens[c.ID]; ok && e.cacheKey == key {
		return e, nil
	}
	sa, err := parseServiceAccount(c.ServiceAccount)
	if err != nil {
		return nil, fmt.Errorf("service account: %w", err)
	}
	conf, err := google.JWTConfigFromJSON(c.ServiceAccount, Scope)
	if err != nil {
		return nil, fmt.Errorf("service account: %w", err)
	}
	if c.Endpoint.AuthURL != "" {
		conf.TokenURL = tokenURL(c.Endpoint.AuthURL)
	}
	e := &tokenEntry{cacheKey: key, projectID: sa.ProjectID, conf: conf, sem: make(chan struct{}, 1)}
	if s.tokens == nil {
		s.tokens = map[int64]*tokenEntry{}
	}
	s.tokens[c.ID] = e
	return e, nil
}

// tokenURL returns the token endpoint for an AuthURL override: the URL itself when it has
// a path, else the host's /token (Google's path).
func tokenURL(authURL string) string {
	if u, err := url.Parse(authURL); err == nil && strings.Trim(u.Path, "/") != "" {
		return authURL
	}
	return strings.TrimSuffix(authURL, "/") + "/token"
}

// accessToken returns e's cached access token, fetching a new one when it is missing or
// about to expire. Concurrent callers wait for one fetch. When it fails, the Result says
// what to report for every token.
func (s *Sender) accessToken(ctx context.Context, c *push.Certificate, e *tokenEntry) (string, push.Result, bool) {
	select {
	case e.sem <- struct{}{}:
	case <-ctx.Done():
		return "", push.Result{Outcome: push.RetryLater, Reason: fmt.Sprintf("wait for access token: %v", ctx.Err())}, false
	}
	defer func() { <-e.sem }()
	if e.access != "" && s.now().Before(e.renewAt) {
		return e.access, push.Result{}, true
	}
	start := s.now()
	if s.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.Timeout)
		defer cancel()
	}
	t, err := e.conf.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, s.HTTPClient)).Token()
	if err != nil {
		return "", classifyAuthError(err, s.now()), false
	}
	life := lifetime(t)
	early := min(s.RefreshEarly, life/2)
	e.access, e.renewAt = t.AccessToken, start.Add(life-early)
	s.logger().Debug("fcm access token fetched", "certificate", c.ID, "expires_in", life)
	return e.access, push.Result{}, true
}

// invalidate drops e's token if it is still bad, so that of many requests refused with
// the same token only the first makes the next accessToken call fetch.
func (s *Sender) invalidate(e *tokenEntry, bad string) {
	e.sem <- struct{}{}
	if e.access == bad {
		e.access = ""
	}
	<-e.sem
}

// lifetime returns how long t is valid from when it was issued: the answer's expires_in,
// else what is left until t.Expiry, else one hour (vendors.md §1.1).
func lifetime(t *oauth2.Token) time.Duration {
	if v, ok := t.Extra("expires_in").(float64); ok && v > 0 {
		return time.Duration(v) * time.Second
	}
	if !t.Expiry.IsZero() {
		if d := time.Until(t.Expiry); d > 0 {
			return d
		}
	}
	return time.Hour
}

// classifyAuthError sorts a failed token fetch: the token endpoint refusing the
// credentials (400/401/403, e.g. invalid_grant) needs the certificate fixed; 429, 5xx and
// network errors are transient.
func classifyAuthError(err error, now time.Time) push.Result {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response == nil {
		return push.Result{Outcome: push.RetryLater, Reason: fmt.Sprintf("fetch access token: %v", err)}
	}
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	json.Unmarshal(re.Body, &body) // best effort: the status decides
	reason := fmt.Sprintf("fetch access token: %d %s: %s", re.Response.StatusCode, body.Error, body.Description)
	switch code := re.Response.StatusCode; {
	case code == http.StatusTooManyRequests || code >= 500:
		return push.Result{Outcome: push.RetryLater, RetryAfter: push.ParseRetryAfter(re.Response.Header.Get("Retry-After"), now), Reason: reason}
	case code == http.StatusBadRequest || code == http.StatusUnauthorized || code == http.StatusForbidden:
		return push.Result{Outcome: push.AuthExpired, Reason: reason}
	default:
		return push.Result{Outcome: push.Failed, Reason: reason}
	}
}
