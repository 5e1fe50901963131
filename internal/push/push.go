// Package push turns stored chat messages into vendor notifications and delivers them.
//
// This file holds the vendor-neutral vocabulary shared by the planner, the dispatcher and
// the vendor packages under internal/push/<vendor>: Vendor, Certificate, Notification,
// Result and the Sender interface every vendor implements.
package push

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Vendor names one push channel. The values are stable: they are stored in the database
// and used in the API.
type Vendor string

// The vendors Herald can push through.
const (
	FCM    Vendor = "fcm"
	APNs   Vendor = "apns"
	Huawei Vendor = "huawei"
	Honor  Vendor = "honor"
	Xiaomi Vendor = "xiaomi"
	OPPO   Vendor = "oppo"
	Vivo   Vendor = "vivo"
	Meizu  Vendor = "meizu"
)

// Vendors lists every vendor in a fixed order.
var Vendors = []Vendor{FCM, APNs, Huawei, Honor, Xiaomi, OPPO, Vivo, Meizu}

// ErrUnknownVendor is returned by ParseVendor for a name that is not one of Vendors.
var ErrUnknownVendor = errors.New("push: unknown vendor")

// ParseVendor returns the Vendor named s, or ErrUnknownVendor.
func ParseVendor(s string) (Vendor, error) {
	for _, v := range Vendors {
		if string(v) == s {
			return v, nil
		}
	}
	return "", fmt.Errorf("%w %q", ErrUnknownVendor, s)
}

// String returns the vendor's stable name.
func (v Vendor) String() string { return string(v) }

// A Sender delivers one notification to a batch of device tokens of one certificate.
//
// Send makes one attempt (plus at most one auth-token refresh after an auth-expired
// answer); retries belong to the dispatcher. It returns exactly one Result per token, in
// the order of tokens, and never more than MaxBatch tokens are passed. Send is safe for
// concurrent use.
type Sender interface {
	Vendor() Vendor
	MaxBatch() int // the vendor's documented tokens-per-request limit
	Send(ctx context.Context, c *Certificate, n *Notification, tokens []string) []Result
}

// A PerTokenSender makes one vendor request per token (FCM, APNs) and keeps at most
// InFlight of them at the vendor at once. The pipeline then claims and records a job's
// tokens InFlight at a time, so that a crash repeats only the requests in flight.
type PerTokenSender interface {
	Sender
	InFlight() int
}

// A CertificateValidator checks a certificate's vendor-specific fields when it is saved.
// Senders implement it; the error names the field and says what is wrong.
type CertificateValidator interface {
	ValidateCertificate(c *Certificate) error
}

// Outcome sorts a vendor's answer for one token.
type Outcome int

// The outcomes a Sender reports.
const (
	// Accepted: the vendor took the notification; Result.MessageID holds its ID.
	Accepted Outcome = iota
	// InvalidToken: the token is unknown, unregistered or belongs to another app; unbind it.
	InvalidToken
	// RetryLater: a transient failure (5xx, throttling, timeout, reset); Result.RetryAfter
	// holds the vendor's hint, or 0 for "use your own backoff".
	RetryLater
	// AuthExpired: the credentials were refused even after one token refresh; the
	// certificate needs attention.
	AuthExpired
	// QuotaExceeded: the certificate's quota is used up; stop using it until
	// Result.RetryAfter has passed (the quota reset).
	QuotaExceeded
	// Failed: the vendor refused this notification for good; Result.Reason says why.
	Failed
)

var outcomeNames = [...]string{"accepted", "invalid_token", "retry_later", "auth_expired", "quota_exceeded", "failed"}

// String returns the outcome's stable name, used in records and metrics.
func (o Outcome) String() string {
	if o < 0 || int(o) >= len(outcomeNames) {
		return fmt.Sprintf("outcome(%d)", int(o))
	}
	return outcomeNames[o]
}

// Result is a vendor's answer for one token.
type Result struct {
	Token      string
	Outcome    Outcome
	MessageID  string        // the vendor's message ID, when Accepted
	RetryAfter time.Duration // with RetryLater or QuotaExceeded; 0 means not given
	Reason     string        // the vendor's code and message, for records and traces
}

// Results returns one Result with the same outcome and reason for every token. Senders
// use it when a whole request failed.
func Results(tokens []string, o Outcome, retryAfter time.Duration, reason string) []Result {
	rs := make([]Result, len(tokens))
	for i, t := range tokens {
		rs[i] = Result{Token: t, Outcome: o, RetryAfter: retryAfter, Reason: reason}
	}
	return rs
}
