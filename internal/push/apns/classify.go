package apns

import (
	"fmt"
	"net/http"
	"time"

	"github.com/sideshow/apns2"

	"github.com/herald-im/herald/internal/push"
)

// verdict is the classification of one answer. auth says the credentials were refused, so
// the caller re-signs the provider token and tries once more.
type verdict struct {
	result push.Result
	auth   bool
}

// classify sorts one APNs answer (vendors.md §2.4).
func classify(r *apns2.Response, retryAfter string, now time.Time) verdict {
	if r.StatusCode == http.StatusOK {
		return verdict{result: push.Result{Outcome: push.Accepted, MessageID: r.ApnsID}}
	}
	reason := fmt.Sprintf("%d %s", r.StatusCode, r.Reason)
	if r.Reason == "" {
		reason = fmt.Sprintf("%d %s", r.StatusCode, http.StatusText(r.StatusCode))
	}
	if !r.Timestamp.IsZero() {
		reason += " since " + r.Timestamp.UTC().Format(time.RFC3339)
	}
	res := push.Result{Reason: reason}
	switch {
	case r.Reason == apns2.ReasonBadDeviceToken, r.Reason == apns2.ReasonDeviceTokenNotForTopic,
		r.Reason == apns2.ReasonUnregistered, r.Reason == apns2.ReasonExpiredToken,
		r.StatusCode == http.StatusGone:
		res.Outcome = push.InvalidToken
	case r.StatusCode == http.StatusForbidden:
		res.Outcome = push.AuthExpired
		return verdict{result: res, auth: true}
	case r.StatusCode == http.StatusTooManyRequests, r.StatusCode >= 500:
		// TooManyRequests (one device too often), TooManyProviderTokenUpdates, 500, 503.
		res.Outcome, res.RetryAfter = push.RetryLater, push.ParseRetryAfter(retryAfter, now)
	default:
		// 400 (bad topic, collapse ID, expiration, priority…), 404, 405, 413.
		res.Outcome = push.Failed
	}
	return verdict{result: res}
}
