package honor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/herald-im/herald/internal/push"
)

// Answer codes. vendors.md §4.3 confirms only success, 200; the error codes are
// unconfirmed for Honor and taken from Huawei's table (vendors.md §3.3), whose API
// Honor's derives from. Classification leans on the HTTP status first, so an unknown
// code still ends in a sensible outcome.
const (
	CodeSuccess       = "200"
	CodeHuaweiSuccess = "80000000" // accepted by one client library as success
	CodeOAuthError    = "80200001"
	CodeTokenExpired  = "80200003"
	CodeAllTokensBad  = "80300007"
	CodeInternal      = "81000001"
)

// response is Honor's answer (vendors.md §4.3).
type response struct {
	Code    json.RawMessage `json:"code"` // a number; tolerated as a string
	Message string          `json:"message"`
	Data    *struct {
		SendResult   bool     `json:"sendResult"`
		RequestID    string   `json:"requestId"`
		FailTokens   []string `json:"failTokens"`
		ExpireTokens []string `json:"expireTokens"`
	} `json:"data"`
}

// code returns the code as text without quotes.
func (r *response) code() string {
	return string(bytes.Trim(r.Code, `"`))
}

// classify sorts one send answer into a Result per token. authFailed reports an answer a
// fresh access token may cure (HTTP 401, 80200001, 80200003).
func classify(status int, header http.Header, body []byte, tokens []string, now time.Time) (rs []push.Result, authFailed bool) {
	var resp response
	parsed := json.Unmarshal(body, &resp) == nil
	code := resp.code()
	reason := func() string {
		if parsed && code != "" {
			return fmt.Sprintf("honor HTTP %d code %s: %s", status, code, resp.Message)
		}
		return fmt.Sprintf("honor HTTP %d: %.200s", status, body)
	}
	switch {
	case status == http.StatusUnauthorized || code == CodeOAuthError || code == CodeTokenExpired:
		return push.Results(tokens, push.AuthExpired, 0, reason()), true
	case status == http.StatusServiceUnavailable, status == http.StatusTooManyRequests, status >= 500, code == CodeInternal:
		return push.Results(tokens, push.RetryLater, push.ParseRetryAfter(header.Get("Retry-After"), now), reason()), false
	case status == http.StatusOK && (code == CodeSuccess || code == CodeHuaweiSuccess) && resp.Data == nil:
		// A success without data names no failed tokens and no request ID.
		return push.Results(tokens, push.Accepted, 0, ""), false
	case status == http.StatusOK && (code == CodeSuccess || code == CodeHuaweiSuccess):
		d := resp.Data
		bad := make(map[string]push.Outcome, len(d.ExpireTokens)+len(d.FailTokens))
		for _, t := range d.FailTokens {
			bad[t] = push.Failed
		}
		for _, t := range d.ExpireTokens {
			bad[t] = push.InvalidToken
		}
		rs = make([]push.Result, len(tokens))
		for i, t := range tokens {
			switch o, ok := bad[t]; {
			case ok && o == push.InvalidToken:
				rs[i] = push.Result{Token: t, Outcome: o, Reason: "honor expireTokens"}
			case ok:
				rs[i] = push.Result{Token: t, Outcome: o, Reason: "honor failTokens"}
			case !d.SendResult:
				rs[i] = push.Result{Token: t, Outcome: push.Failed, Reason: "honor sendResult false: " + reason()}
			default:
				rs[i] = push.Result{Token: t, Outcome: push.Accepted, MessageID: d.RequestID}
			}
		}
		return rs, false
	case code == CodeAllTokensBad:
		return push.Results(tokens, push.InvalidToken, 0, reason()), false
	default:
		return push.Results(tokens, push.Failed, 0, reason()), false
	}
}
