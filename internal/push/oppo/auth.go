package oppo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/herald-im/herald/internal/push"
)

// An AuthError is why an auth_token could not be had, sorted into the Outcome the sends
// waiting for it report.
type AuthError struct {
	Outcome    push.Outcome
	RetryAfter time.Duration
	Reason     string
}

func (e *AuthError) Error() string { return e.Reason }

// authToken is an auth_token as fetched, and when the cache stops handing it out.
type authToken struct {
	value   string
	expires time.Time // when to stop using it: TokenLifetime minus TokenRefreshMargin
}

// Sign returns the auth sign: lower-case hex SHA-256 of appKey + timestamp +
// masterSecret (vendors.md §6.2).
func Sign(appKey, timestamp, masterSecret string) string {
	sum := sha256.Sum256([]byte(appKey + timestamp + masterSecret))
	return hex.EncodeToString(sum[:])
}

// fetchFunc returns the fetch function of the token cache for c at authBase: one auth
// request, shared by all concurrent callers.
func (s *Sender) fetchFunc(c *push.Certificate, authBase string) func(context.Context) (string, time.Time, error) {
	return func(ctx context.Context) (string, time.Time, error) {
		// The request must not fail for the other callers when this caller's context ends.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DefaultTimeout)
		defer cancel()
		t, err := s.fetchToken(actx, c, authBase)
		return t.value, t.expires, err
	}
}

// authResponse is the answer of /server/v1/auth (vendors.md §6.2).
type authResponse struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    struct {
		AuthToken  string `json:"auth_token"`
		CreateTime int64  `json:"create_time"`
	} `json:"data"`
}

// fetchToken asks OPPO for an auth_token.
func (s *Sender) fetchToken(ctx context.Context, c *push.Certificate, authBase string) (authToken, error) {
	start := s.now()
	ts := strconv.FormatInt(start.UnixMilli(), 10)
	form := url.Values{
		"app_key":   {c.AppKey},
		"timestamp": {ts},
		"sign":      {Sign(c.AppKey, ts, c.MasterSecret)},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(authBase, "/")+AuthPath, strings.NewReader(form.Encode()))
	if err != nil {
		return authToken{}, &AuthError{Outcome: push.Failed, Reason: fmt.Sprintf("oppo: build auth request: %v", err)}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
	resp, err := s.client().Do(req)
	if err != nil {
		return authToken{}, &AuthError{Outcome: push.RetryLater, Reason: fmt.Sprintf("oppo: auth: %v", err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBodySize))
	if err != nil {
		return authToken{}, &AuthError{Outcome: push.RetryLater, Reason: fmt.Sprintf("oppo: read auth response: %v", err)}
	}
	var r authResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		o, wait := statusOutcome(resp.StatusCode, resp.Header.Get("Retry-After"), s.now())
		return authToken{}, &AuthError{Outcome: o, RetryAfter: wait, Reason: fmt.Sprintf("oppo: auth: HTTP %d without an OPPO answer", resp.StatusCode)}
	}
	if r.Code == CodeOK && r.Data.AuthToken != "" {
		return authToken{value: r.Data.AuthToken, expires: start.Add(TokenLifetime - TokenRefreshMargin)}, nil
	}
	reason := fmt.Sprintf("oppo auth %d: %s", r.Code, r.Message)
	wait := push.ParseRetryAfter(resp.Header.Get("Retry-After"), s.now())
	switch r.Code {
	case CodeServiceUnavailable, CodeFlowControl, CodeCallLimited, CodeFrequencyLimit:
		return authToken{}, &AuthError{Outcome: push.RetryLater, RetryAfter: wait, Reason: reason}
	case CodeDailyLimit:
		return authToken{}, &AuthError{Outcome: push.QuotaExceeded, RetryAfter: push.UntilChinaMidnight(s.now()), Reason: reason}
	case CodeInvalidAuthToken, CodeInvalidAppKey, CodeMissingAppKey, CodeInvalidSign, CodeMissingSign,
		CodeMissingTimestamp, CodeInvalidTimestamp, CodeIPBlacklisted, CodeAccessDenied, CodeAppDisabled:
		return authToken{}, &AuthError{Outcome: push.AuthExpired, Reason: reason}
	}
	return authToken{}, &AuthError{Outcome: push.Failed, Reason: reason}
}
