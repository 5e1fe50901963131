// Package meizu delivers notifications through Meizu Flyme Push (vendors.md §8).
//
// Meizu has no auth token: every request is a form (appId, pushIds, messageJson) signed
// with the MD5 of its sorted parameters followed by the appSecret (Sign). A Sender posts
// up to 100 pushIds per request to /garcia/api/server/push/varnished/pushByPushId and
// sorts the answer: top-level codes (strings) decide for the whole request, and the
// "value" object lists the illegal pushIds grouped by per-target code.
//
// Choices where vendors.md leaves a detail open:
//   - 110010 inside "value" (the user switched notifications off) is Failed, not
//     InvalidToken: the pushId stays valid and works again once the user switches
//     notifications back on, so it must not be unbound. 110010 at the top level is the
//     rate limit (RetryLater).
//   - A signature refusal (1006) and the bad-credential codes (110000 appId, 110001
//     appKey, 110033 appSecret) are AuthExpired at once: there is no token to refresh.
//   - 110011 inside "value" (daily public-message limit) and 110019/110051 at the top
//     level are QuotaExceeded until the next midnight China time (UTC+8).
//   - Per-target 501/513/519 (push failed, overloaded) are RetryLater; 520 (collapsed:
//     more than 5 per minute to one device) and 201 (no permission) are Failed.
//   - messageJson is limited to MaxMessageJSON bytes (vendors.md gives no size limit);
//     a bigger notification fails before it is sent.
//   - Sound: "none" turns sound and vibration off, "vibrate" keeps only vibration,
//     anything else plays the default sound (Meizu has no sound name). Image, badge,
//     channel ID, category and priority have no Meizu field.
//   - notifyKey (≤ 8 characters of [0-9a-zA-Z_-]) is the CollapseID when it fits, else
//     8 hex digits of its hash; without a CollapseID a NotifyID is used the same way.
//   - The host is https://server-api-push.meizu.com (the doc's example uses http://;
//     client libraries use https).
package meizu

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/herald-im/herald/internal/push"
)

// DefaultBaseURL is Meizu's push host (vendors.md §8.2).
const DefaultBaseURL = "https://server-api-push.meizu.com"

// PathPushByPushID is the notification-by-pushId path (vendors.md §8.2).
const PathPushByPushID = "/garcia/api/server/push/varnished/pushByPushId"

// DefaultTimeout bounds one HTTP request to Meizu.
const DefaultTimeout = 10 * time.Second

// Limits (vendors.md §8.3).
const (
	// MaxPushIDs is the most pushIds one request carries.
	MaxPushIDs = 100
	// MaxTitle and MaxContent are the noticeBarInfo title and content limits in characters.
	MaxTitle   = 32
	MaxContent = 100
	// MaxNotifyKey is the notifyKey limit in characters ([0-9a-zA-Z_-]).
	MaxNotifyKey = 8
	// MinValidTime, MaxValidTime and DefaultValidTime bound pushTimeInfo.validTime, in hours.
	MinValidTime     = 1
	MaxValidTime     = 72
	DefaultValidTime = 24
	// MaxMessageJSON is the largest messageJson Herald sends, in bytes (unconfirmed: a
	// choice, see the package comment).
	MaxMessageJSON = 4096
)

// A Sender delivers notifications through Meizu Flyme Push. Its exported fields may be
// changed before the first Send; Send is safe for concurrent use.
type Sender struct {
	// HTTPClient makes every request. Default: a client with DefaultTimeout.
	HTTPClient *http.Client
	// Now is the clock, for quota resets and Retry-After dates. Default: time.Now.
	Now func() time.Time
	// Logger is for debugging. Default: slog.Default() with the vendor attribute.
	Logger *slog.Logger
}

var (
	_ push.Sender               = (*Sender)(nil)
	_ push.CertificateValidator = (*Sender)(nil)
)

// New returns a Sender with the defaults.
func New() *Sender {
	return &Sender{
		HTTPClient: &http.Client{Timeout: DefaultTimeout},
		Now:        time.Now,
		Logger:     slog.Default().With("vendor", string(push.Meizu)),
	}
}

// Vendor returns push.Meizu.
func (s *Sender) Vendor() push.Vendor { return push.Meizu }

// MaxBatch returns MaxPushIDs.
func (s *Sender) MaxBatch() int { return MaxPushIDs }

// ErrInvalidCertificate is returned (wrapped) by ValidateCertificate.
var ErrInvalidCertificate = errors.New("meizu: invalid certificate")

// ValidateCertificate checks the fields a Meizu certificate needs: AppID (digits),
// AppSecret, NoticeMsgType, the click action and the endpoint override.
func (s *Sender) ValidateCertificate(c *push.Certificate) error {
	switch {
	case c.AppID == "" || strings.Trim(c.AppID, "0123456789") != "":
		return fmt.Errorf("%w: AppID must be Meizu's numeric App ID, got %q", ErrInvalidCertificate, c.AppID)
	case strings.TrimSpace(c.AppSecret) == "":
		return fmt.Errorf("%w: AppSecret is required", ErrInvalidCertificate)
	case c.NoticeMsgType != 0 && c.NoticeMsgType != 1:
		return fmt.Errorf("%w: NoticeMsgType must be 0 (public) or 1 (private), got %d", ErrInvalidCertificate, c.NoticeMsgType)
	}
	if err := c.Click.Validate(push.Meizu); err != nil {
		return fmt.Errorf("%w: Click: %w", ErrInvalidCertificate, err)
	}
	// Meizu has no auth host, so only SendURL is checked.
	if err := (push.Endpoint{SendURL: c.Endpoint.SendURL}).Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidCertificate, err)
	}
	return nil
}

// Send delivers n to tokens (Meizu pushIds) of certificate c in one request and returns
// one Result per token, in order.
func (s *Sender) Send(ctx context.Context, c *push.Certificate, n *push.Notification, tokens []string) []push.Result {
	switch {
	case len(tokens) == 0:
		return nil
	case len(tokens) > MaxPushIDs:
		return push.Results(tokens, push.Failed, 0, fmt.Sprintf("meizu: %d tokens exceed the batch limit of %d", len(tokens), MaxPushIDs))
	}
	msg, err := messageJSON(n)
	if err != nil {
		return push.Results(tokens, push.Failed, 0, err.Error())
	}
	form := url.Values{"appId": {c.AppID}, "pushIds": {strings.Join(tokens, ",")}, "messageJson": {msg}}
	form.Set("sign", Sign(form, c.AppSecret))
	resp, err := s.post(ctx, sendBase(c)+PathPushByPushID, form)
	if err != nil {
		o, after, reason := classifyError(err)
		return push.Results(tokens, o, after, reason)
	}
	return resp.results(tokens, s.Now())
}

func sendBase(c *push.Certificate) string { return push.BaseURL(c.Endpoint.SendURL, DefaultBaseURL) }
