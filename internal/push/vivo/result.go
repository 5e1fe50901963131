package vivo

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/herald-im/herald/internal/push"
)

// vivo result codes (vendors.md §7.4).
const (
	codeOK             = 0
	codeAuthFailed     = 10000 // authToken expired or invalid (§7.4: unconfirmed, one client maps it to re-auth)
	codeTotalExceeded  = 10070 // daily send volume used up (§7.4)
	codeTooFast        = 10072 // sending too fast (§7.4: rate-limit codes unconfirmed; seen in one client)
	codeInvalidRegID   = 10302 // regId or alias invalid, with invalidUser (§7.4)
	codeListExceeded   = 10252 // daily saveListPayload bodies used up (§7.4)
	codeBroadcastLimit = 10254 // daily broadcasts used up (§7.4)
)

// invalidUser statuses (vendors.md §7.4).
const (
	statusUnknownUser = 1 // the regId does not exist for this app
	statusUninstalled = 2 // the app was uninstalled, unsubscribed or its data cleared
	statusNotTestUser = 4 // not a test device (pushMode 1)
)

// invalidUser is vivo's report of one bad regId (vendors.md §7.4).
type invalidUser struct {
	Status int    `json:"status"`
	UserID string `json:"userid"`
}

// outcome is InvalidToken for statuses 1 and 2 (delete the token, vendors.md §7.4),
// Failed otherwise.
func (u *invalidUser) outcome() push.Outcome {
	if u.Status == statusUnknownUser || u.Status == statusUninstalled {
		return push.InvalidToken
	}
	return push.Failed
}

func (u *invalidUser) reason() string {
	return fmt.Sprintf("vivo %d: invalid regId, status %d", codeInvalidRegID, u.Status)
}

// invalid returns the regIds a pushToList answer lists as invalid.
func (r *response) invalid() map[string]*invalidUser {
	m := make(map[string]*invalidUser, len(r.InvalidUsers)+1)
	for i := range r.InvalidUsers {
		m[r.InvalidUsers[i].UserID] = &r.InvalidUsers[i]
	}
	if r.InvalidUser != nil && r.InvalidUser.UserID != "" {
		m[r.InvalidUser.UserID] = r.InvalidUser
	}
	return m
}

// classify sorts a failed request: a transport error or HTTP status (err), or vivo's
// result code (resp). now is used for quota resets.
func classify(resp *response, err error, now time.Time) (push.Outcome, time.Duration, string) {
	var ae *authError
	var se *statusError
	switch {
	case errors.As(err, &ae):
		return push.AuthExpired, 0, ae.Error()
	case errors.As(err, &se):
		if se.Status == http.StatusTooManyRequests || se.Status >= 500 {
			return push.RetryLater, se.RetryAfter, se.Error()
		}
		return push.Failed, 0, se.Error()
	case err != nil:
		// Timeouts, resets, refused connections: the request may not have arrived.
		return push.RetryLater, 0, fmt.Sprintf("vivo: %v", err)
	}
	reason := fmt.Sprintf("vivo %d: %s", resp.Result, resp.Desc)
	switch resp.Result {
	case codeOK:
		return push.Accepted, 0, ""
	case codeAuthFailed:
		return push.AuthExpired, 0, reason
	case codeTooFast:
		return push.RetryLater, resp.retryAfter, reason
	case codeTotalExceeded, codeListExceeded, codeBroadcastLimit:
		return push.QuotaExceeded, push.UntilChinaMidnight(now), reason
	case codeInvalidRegID:
		return push.InvalidToken, 0, reason
	default:
		return push.Failed, 0, reason
	}
}
