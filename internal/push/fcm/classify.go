package fcm

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/herald-im/herald/internal/push"
)

// FCM error codes (vendors.md §1.4, details[].errorCode of type FcmError).
const (
	codeUnregistered     = "UNREGISTERED"
	codeInvalidArgument  = "INVALID_ARGUMENT"
	codeSenderIDMismatch = "SENDER_ID_MISMATCH"
	codeQuotaExceeded    = "QUOTA_EXCEEDED"
	codeThirdPartyAuth   = "THIRD_PARTY_AUTH_ERROR"
	codeUnavailable      = "UNAVAILABLE"
	codeInternal         = "INTERNAL"
)

// google.rpc statuses of auth failures (vendors.md §1.4).
const (
	statusUnauthenticated  = "UNAUTHENTICATED"
	statusPermissionDenied = "PERMISSION_DENIED"
)

// invalidTokenMessage is the documented message of a 400 for a malformed token
// (vendors.md §1.4).
const invalidTokenMessage = "The registration token is not a valid FCM registration token"

// Detail @types (vendors.md §1.4).
const (
	typeFcmError   = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
	typeBadRequest = "type.googleapis.com/google.rpc.BadRequest"
)

// errorBody is a google.rpc status answer (vendors.md §1.4).
type errorBody struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Details []struct {
			Type            string `json:"@type"`
			ErrorCode       string `json:"errorCode"`
			FieldViolations []struct {
				Field       string `json:"field"`
				Description string `json:"description"`
			} `json:"fieldViolations"`
		} `json:"details"`
	} `json:"error"`
}

// verdict is the classification of one answer. auth says the access token was refused,
// so the caller refreshes it and tries once more.
type verdict struct {
	result push.Result
	auth   bool
}

// classify sorts one messages:send answer (vendors.md §1.4).
func classify(status int, h http.Header, body []byte, now time.Time) verdict {
	if status == http.StatusOK {
		var ok struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(body, &ok); err != nil || ok.Name == "" {
			// The vendor took it; an unreadable ID is not worth a retry that duplicates.
			return verdict{result: push.Result{Outcome: push.Accepted, Reason: "answer without a message name"}}
		}
		return verdict{result: push.Result{Outcome: push.Accepted, MessageID: ok.Name}}
	}
	var eb errorBody
	json.Unmarshal(body, &eb) // best effort: an unreadable body falls back on the HTTP status
	code, tokenField := "", false
	for _, d := range eb.Error.Details {
		switch d.Type {
		case typeFcmError:
			code = d.ErrorCode
		case typeBadRequest:
			for _, v := range d.FieldViolations {
				tokenField = tokenField || v.Field == "message.token"
			}
		}
	}
	if code == "" {
		code = eb.Error.Status
	}
	reason := fmt.Sprintf("%d %s: %s", status, code, eb.Error.Message)
	if code == "" {
		reason = fmt.Sprintf("%d %s", status, http.StatusText(status))
	}
	retryAfter := push.ParseRetryAfter(h.Get("Retry-After"), now)
	r := push.Result{Reason: reason}
	switch {
	case code == codeUnregistered, code == codeSenderIDMismatch:
		r.Outcome = push.InvalidToken
	case code == codeInvalidArgument && (tokenField || eb.Error.Message == invalidTokenMessage):
		r.Outcome = push.InvalidToken
	case code == codeQuotaExceeded, code == "" && status == http.StatusTooManyRequests:
		r.Outcome, r.RetryAfter = push.QuotaExceeded, retryAfter
		if r.RetryAfter == 0 {
			r.RetryAfter = DefaultQuotaRetry
		}
	case code == codeUnavailable, code == codeInternal, code == "" && status >= 500:
		r.Outcome, r.RetryAfter = push.RetryLater, retryAfter
	case code == codeThirdPartyAuth:
		// The APNs or web-push credentials stored in Firebase, not our access token.
		r.Outcome = push.Failed
	case code == statusUnauthenticated, code == statusPermissionDenied, code == "" && status == http.StatusUnauthorized:
		r.Outcome = push.AuthExpired
		return verdict{result: r, auth: true}
	default:
		r.Outcome = push.Failed
	}
	return verdict{result: r}
}
