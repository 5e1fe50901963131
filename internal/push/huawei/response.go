package huawei

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/herald-im/herald/internal/push"
)

// Result codes of the send API, a string in the body's "code" (vendors.md §3.3).
const (
	CodeSuccess        = "80000000" // every token accepted
	CodePartialSuccess = "80100000" // msg holds {"success","failure","illegal_tokens"}
	CodeBadParameters  = "80100001"
	CodeBadStructure   = "80100003"
	CodeTTLInPast      = "80100004"
	CodeBadCollapseKey = "80100013"
	CodeOAuthError     = "80200001" // missing or bad Authorization, or a token of another app
	CodeTokenExpired   = "80200003" // fetch a new access token and retry
	CodeJWTExpired     = "80200005"
	CodeNoPermission   = "80300002"
	CodeAllTokensBad   = "80300007" // every token is invalid
	CodeBodyTooLarge   = "80300008"
	CodeTooManyTokens  = "80300010"
	CodeNoHighPriority = "80300011"
	CodeBadClient      = "80600003" // bad client ID or secret
	CodeInternal       = "81000001"
)

// response is the body of every send answer (vendors.md §3.3).
type response struct {
	Code      string `json:"code"`
	Msg       string `json:"msg"`
	RequestID string `json:"requestId"`
}

// partial is the JSON text in msg of a CodePartialSuccess answer.
type partial struct {
	Success       int      `json:"success"`
	Failure       int      `json:"failure"`
	IllegalTokens []string `json:"illegal_tokens"`
}

// classify sorts one send answer into a Result per token. authFailed reports an answer
// that a fresh access token may cure (HTTP 401, 80200001, 80200003); its results then
// say AuthExpired.
func classify(status int, header http.Header, body []byte, tokens []string, now time.Time) (rs []push.Result, authFailed bool) {
	var resp response
	parsed := json.Unmarshal(body, &resp) == nil
	reason := func() string {
		if parsed && resp.Code != "" {
			return fmt.Sprintf("huawei HTTP %d code %s: %s", status, resp.Code, resp.Msg)
		}
		return fmt.Sprintf("huawei HTTP %d: %.200s", status, body)
	}
	switch {
	case status == http.StatusUnauthorized || resp.Code == CodeOAuthError || resp.Code == CodeTokenExpired:
		return push.Results(tokens, push.AuthExpired, 0, reason()), true
	case resp.Code == CodeBadClient || resp.Code == CodeJWTExpired:
		return push.Results(tokens, push.AuthExpired, 0, reason()), false
	case status == http.StatusServiceUnavailable, status == http.StatusTooManyRequests,
		status >= 500, resp.Code == CodeInternal:
		// 503 is flow control; 500/502 are internal and connection errors (vendors.md §3.3).
		return push.Results(tokens, push.RetryLater, push.ParseRetryAfter(header.Get("Retry-After"), now), reason()), false
	case resp.Code == CodeSuccess && status == http.StatusOK:
		rs = push.Results(tokens, push.Accepted, 0, "")
		for i := range rs {
			rs[i].MessageID = resp.RequestID
		}
		return rs, false
	case resp.Code == CodePartialSuccess:
		var p partial
		if err := json.Unmarshal([]byte(resp.Msg), &p); err != nil {
			// Without the list we cannot tell which tokens failed; none were refused
			// for good, so let the dispatcher try again.
			return push.Results(tokens, push.RetryLater, 0, "huawei partial success with unreadable msg: "+reason()), false
		}
		illegal := make(map[string]bool, len(p.IllegalTokens))
		for _, t := range p.IllegalTokens {
			illegal[t] = true
		}
		rs = make([]push.Result, len(tokens))
		for i, t := range tokens {
			if illegal[t] {
				rs[i] = push.Result{Token: t, Outcome: push.InvalidToken, Reason: "huawei code 80100000: illegal token"}
			} else {
				rs[i] = push.Result{Token: t, Outcome: push.Accepted, MessageID: resp.RequestID}
			}
		}
		return rs, false
	case resp.Code == CodeAllTokensBad:
		return push.Results(tokens, push.InvalidToken, 0, reason()), false
	default:
		return push.Results(tokens, push.Failed, 0, reason()), false
	}
}
