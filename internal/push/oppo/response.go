package oppo

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/herald-im/herald/internal/push"
)

// Codes of OPPO Push (vendors.md §6.5).
const (
	CodeFlowControl        = -2
	CodeServiceUnavailable = -1
	CodeOK                 = 0
	CodeInvalidAuthToken   = 11
	CodeHTTPActionDenied   = 12
	CodeCallLimited        = 13
	CodeInvalidAppKey      = 14
	CodeMissingAppKey      = 15
	CodeInvalidSign        = 16
	CodeMissingSign        = 17
	CodeMissingTimestamp   = 18
	CodeInvalidTimestamp   = 19
	CodeInvalidEncoding    = 25
	CodeIPBlacklisted      = 26
	CodeAccessDenied       = 27
	CodeAppDisabled        = 28
	CodeMissingAuthToken   = 29
	CodeNoPushPermission   = 30
	CodeDailyLimit         = 33
	CodePictureLimit       = 34
	CodeMissingArgument    = 40
	CodeInvalidArgument    = 41
	CodeFrequencyLimit     = 55
	CodeInvalidLevel       = 67
	CodeInvalidRegID       = 10000
)

// Response is OPPO's answer to a send. Data is an object for unicast and an array for
// unicast_batch (vendors.md §6.5).
type Response struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// UnicastData is the data of a unicast answer.
type UnicastData struct {
	MessageID string `json:"messageId"`
}

// BatchItem is one target's entry in the data of a unicast_batch answer.
type BatchItem struct {
	MessageID      string `json:"messageId"`
	RegistrationID string `json:"registrationId"`
	ErrorCode      int    `json:"errorCode,omitempty"`
	ErrorMessage   string `json:"errorMessage,omitempty"`
}

// classify turns one send answer into a Result per token of batch, and reports whether
// OPPO refused the auth token (code 11), in which case the results are not final.
func classify(batch []string, isBatch bool, status int, retryAfter string, raw []byte, now time.Time) ([]push.Result, bool) {
	var r Response
	if err := json.Unmarshal(raw, &r); err != nil {
		o, wait := statusOutcome(status, retryAfter, now)
		return push.Results(batch, o, wait, fmt.Sprintf("oppo: HTTP %d without an OPPO answer", status)), false
	}
	reason := fmt.Sprintf("oppo %d: %s", r.Code, r.Message)
	switch r.Code {
	case CodeOK:
		if isBatch {
			return batchResults(batch, r.Data), false
		}
		var d UnicastData
		if err := json.Unmarshal(r.Data, &d); err != nil || d.MessageID == "" {
			return push.Results(batch, push.Failed, 0, "oppo: success without data.messageId"), false
		}
		rs := push.Results(batch, push.Accepted, 0, "")
		for i := range rs {
			rs[i].MessageID = d.MessageID
		}
		return rs, false
	case CodeInvalidAuthToken:
		return push.Results(batch, push.AuthExpired, 0, reason), true
	case CodeFlowControl, CodeServiceUnavailable, CodeCallLimited, CodeFrequencyLimit:
		return push.Results(batch, push.RetryLater, push.ParseRetryAfter(retryAfter, now), reason), false
	case CodeDailyLimit:
		return push.Results(batch, push.QuotaExceeded, push.UntilChinaMidnight(now), reason), false
	case CodeInvalidRegID:
		if len(batch) == 1 {
			return push.Results(batch, push.InvalidToken, 0, reason), false
		}
	}
	return push.Results(batch, push.Failed, 0, reason), false
}

// batchResults matches the per-target entries of a unicast_batch answer to batch.
func batchResults(batch []string, data json.RawMessage) []push.Result {
	var items []BatchItem
	if err := json.Unmarshal(data, &items); err != nil {
		return push.Results(batch, push.Failed, 0, fmt.Sprintf("oppo: unreadable batch data: %v", err))
	}
	byID := make(map[string]BatchItem, len(items))
	for _, it := range items {
		byID[it.RegistrationID] = it
	}
	rs := make([]push.Result, len(batch))
	for i, t := range batch {
		it, ok := byID[t]
		switch {
		case !ok:
			rs[i] = push.Result{Token: t, Outcome: push.Failed, Reason: "oppo: regId missing from the batch answer"}
		case it.ErrorCode == CodeInvalidRegID:
			rs[i] = push.Result{Token: t, Outcome: push.InvalidToken, Reason: fmt.Sprintf("oppo %d: %s", it.ErrorCode, it.ErrorMessage)}
		case it.ErrorCode != 0:
			rs[i] = push.Result{Token: t, Outcome: push.Failed, Reason: fmt.Sprintf("oppo %d: %s", it.ErrorCode, it.ErrorMessage)}
		default:
			rs[i] = push.Result{Token: t, Outcome: push.Accepted, MessageID: it.MessageID}
		}
	}
	return rs
}

// statusOutcome sorts an answer that is not OPPO JSON, such as a proxy's error page.
func statusOutcome(status int, retryAfter string, now time.Time) (push.Outcome, time.Duration) {
	switch {
	case status == http.StatusTooManyRequests || status >= 500:
		return push.RetryLater, push.ParseRetryAfter(retryAfter, now)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return push.AuthExpired, 0
	}
	return push.Failed, 0
}
