package meizu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/herald-im/herald/internal/push"
)

// Top-level codes, all strings (vendors.md §8.4).
const (
	codeOK             = "200"
	codeOther          = "500"
	codeSystemError    = "1001"
	codeServerBusy     = "1003"
	codeBadSignature   = "1006"
	codeBadAppID       = "110000"
	codeBadAppKey      = "110001"
	codeRateLimit      = "110010" // top level: pushing too fast
	codeDailyLimit     = "110019"
	codeBadAppSecret   = "110033"
	codeAppCountLimit  = "110051"
	targetNoPermission = "201"
	targetDBError      = "501"
	targetFailed       = "513"
	targetOverloaded   = "519"
	targetCollapsed    = "520"
	targetUnsubscribed = "110002"
	targetIllegal      = "110003"
	targetSwitchedOff  = "110010" // inside value: the user switched notifications off
	targetPublicLimit  = "110011"
)

// response is Meizu's answer (vendors.md §8.4). Value is an object of per-target codes
// on success and a string (usually empty) otherwise.
type response struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Value   json.RawMessage `json:"value"`
	MsgID   string          `json:"msgId"`

	retryAfter time.Duration // the Retry-After header, if any
}

// statusError is an HTTP answer other than 200.
type statusError struct {
	Status     int
	RetryAfter time.Duration
	Body       string
}

func (e *statusError) Error() string { return fmt.Sprintf("meizu: HTTP %d: %.200s", e.Status, e.Body) }

// post sends the form and decodes the answer.
func (s *Sender) post(ctx context.Context, url string, form url.Values) (*response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("new request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
	res, data, err := push.ReadAnswer(s.HTTPClient, req, 1<<20)
	if err != nil {
		return nil, err
	}
	after := push.ParseRetryAfter(res.Header.Get("Retry-After"), s.Now())
	if res.StatusCode != http.StatusOK {
		return nil, &statusError{Status: res.StatusCode, RetryAfter: after, Body: string(bytes.TrimSpace(data))}
	}
	resp := &response{retryAfter: after}
	if err := json.Unmarshal(data, resp); err != nil {
		return nil, fmt.Errorf("decode answer %.200q: %w", data, err)
	}
	return resp, nil
}

// classifyError sorts a request that got no Meizu answer.
func classifyError(err error) (push.Outcome, time.Duration, string) {
	var se *statusError
	if errors.As(err, &se) {
		if se.Status == http.StatusTooManyRequests || se.Status >= 500 {
			return push.RetryLater, se.RetryAfter, se.Error()
		}
		return push.Failed, 0, se.Error()
	}
	// Timeouts, resets, refused connections: the request may not have arrived.
	return push.RetryLater, 0, fmt.Sprintf("meizu: %v", err)
}

// results sorts Meizu's answer into one Result per token.
func (r *response) results(tokens []string, now time.Time) []push.Result {
	if r.Code != codeOK {
		o, after := topLevel(r.Code, r.retryAfter, now)
		return push.Results(tokens, o, after, fmt.Sprintf("meizu %s: %s", r.Code, r.Message))
	}
	var illegal map[string][]string
	if len(r.Value) > 0 && r.Value[0] == '{' {
		if err := json.Unmarshal(r.Value, &illegal); err != nil {
			return push.Results(tokens, push.Failed, 0, fmt.Sprintf("meizu: unreadable value %.200s", r.Value))
		}
	}
	byToken := make(map[string]string, len(illegal))
	for code, ids := range illegal {
		for _, id := range ids {
			byToken[id] = code
		}
	}
	rs := make([]push.Result, len(tokens))
	for i, t := range tokens {
		code, bad := byToken[t]
		if !bad {
			rs[i] = push.Result{Token: t, Outcome: push.Accepted, MessageID: r.MsgID}
			continue
		}
		o, after := perTarget(code, now)
		rs[i] = push.Result{Token: t, Outcome: o, RetryAfter: after, Reason: fmt.Sprintf("meizu %s: %s", code, targetReasons[code])}
	}
	return rs
}

// topLevel sorts a top-level code other than 200 (vendors.md §8.4).
func topLevel(code string, retryAfter time.Duration, now time.Time) (push.Outcome, time.Duration) {
	switch code {
	case codeBadSignature, codeBadAppID, codeBadAppKey, codeBadAppSecret:
		return push.AuthExpired, 0
	case codeRateLimit, codeOther, codeSystemError, codeServerBusy:
		return push.RetryLater, retryAfter
	case codeDailyLimit, codeAppCountLimit:
		return push.QuotaExceeded, push.UntilChinaMidnight(now)
	default:
		return push.Failed, 0
	}
}

// perTarget sorts a per-target code of value (vendors.md §8.4).
func perTarget(code string, now time.Time) (push.Outcome, time.Duration) {
	switch code {
	case targetUnsubscribed, targetIllegal:
		return push.InvalidToken, 0
	case targetDBError, targetFailed, targetOverloaded:
		return push.RetryLater, 0
	case targetPublicLimit:
		return push.QuotaExceeded, push.UntilChinaMidnight(now)
	default: // 201, 520, 110010 (notifications off; the pushId stays valid) and unknown codes
		return push.Failed, 0
	}
}

var targetReasons = map[string]string{
	targetNoPermission: "no permission",
	targetDBError:      "push failed (database error)",
	targetFailed:       "push failed",
	targetOverloaded:   "push failed (overloaded)",
	targetCollapsed:    "collapsed: more than 5 per minute to this device",
	targetUnsubscribed: "pushId unsubscribed",
	targetIllegal:      "pushId illegal",
	"110005":           "alias invalid",
	targetSwitchedOff:  "notifications switched off on the device",
	targetPublicLimit:  "daily public-message limit exceeded",
}
