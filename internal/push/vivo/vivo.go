// Package vivo delivers notifications through vivo Push (vendors.md §7).
//
// A Sender authenticates with md5(appId + appKey + timestamp + appSecret) at
// /message/auth, caches the authToken per certificate for its one-day lifetime and sends
// it in the authToken header. One token goes through /message/send; two or more go
// through /message/saveListPayload (the content, once) and /message/pushToList (the
// regIds).
//
// Choices where vendors.md marks a detail unconfirmed:
//   - Batch size: at most 1000 regIds per pushToList call (MaxBatch), as the clients we
//     read chunk at 1000; fewer than two regIds go through /message/send.
//   - The invalid regIds of a pushToList answer are read from "invalidUsers", a list of
//     {"status":N,"userid":"<regId>"} objects shaped like the single send's invalidUser;
//     a single "invalidUser" object is read too. Every regId not listed is accepted.
//   - An expired or unknown authToken is answered with result 10000 (one client maps
//     10000 to re-auth): the Sender refreshes the token once and retries, and reports
//     AuthExpired if the retry is refused again. Any non-zero result of /message/auth
//     means the credentials were refused (AuthExpired).
//   - Throttling is result 10072 ("sending too fast", seen in one client) or HTTP 429/5xx:
//     RetryLater, with the Retry-After header if one is sent.
//   - requestId (≤ 64 chars, vivo's dedupe key) is Notification.MessageID followed by a
//     hash of the request kind and its targets, so that each request of a push has its own
//     ID and a retry of the same request repeats it; a MessageID too long for that is
//     hashed whole. With no MessageID the ID is random.
//   - The authToken is kept for 24 h minus DefaultTokenRefreshBefore.
//   - Sound: vivo has no sound name, only notifyType. Sound "none" sends notifyType 1
//     (neither sound nor vibration), "vibrate" sends 3 (vibrate only), anything else 4
//     (sound and vibration). Badge, image, subtitle and channel ID have no vivo field and
//     are left out. A CollapseID without a NotifyID becomes a notifyId (a hash of it), since
//     vivo replaces notifications by notifyId only.
//   - When Classification is not set and Category is one of vivo's system categories (IM,
//     ACCOUNT, TODO, DEVICE_REMINDER, ORDER, SUBSCRIPTION), classification 1 is sent, so
//     that vivo does not refuse the pair with 10097.
package vivo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/push/tokencache"
)

// DefaultBaseURL is vivo's push host (vendors.md §7.1, §7.2).
const DefaultBaseURL = "https://api-push.vivo.com.cn"

// Defaults of New.
const (
	// DefaultTimeout bounds one HTTP request to vivo.
	DefaultTimeout = 10 * time.Second
	// DefaultTokenRefreshBefore is how long before its expiry a cached authToken is
	// replaced.
	DefaultTokenRefreshBefore = 10 * time.Minute
)

// The vivo paths (vendors.md §7.1–7.3).
const (
	PathAuth            = "/message/auth"
	PathSend            = "/message/send"
	PathSaveListPayload = "/message/saveListPayload"
	PathPushToList      = "/message/pushToList"
)

// Limits (vendors.md §7).
const (
	// MaxRegIDs is the most regIds one pushToList call carries (§7.3: unconfirmed;
	// clients chunk at 1000).
	MaxRegIDs = 1000
	// TokenLifetime is how long an authToken is valid (§7.1).
	TokenLifetime = 24 * time.Hour
	// MaxTitle and MaxContent are the title and content limits in characters (§7.2).
	MaxTitle   = 40
	MaxContent = 100
	// MaxSkipContent is the limit of skipContent in characters (§7.2).
	MaxSkipContent = 1024
	// MaxClientCustomMap is the limit of clientCustomMap, counted here as the characters of
	// its JSON text (§7.2: "total ≤ 1024 chars").
	MaxClientCustomMap = 1024
	// MaxRequestID is the limit of requestId in characters (§7.2).
	MaxRequestID = 64
	// MinTTL and MaxTTL bound timeToLive (§7.2, SDK doc: ≥ 60 s, ≤ 1 day).
	MinTTL = 60 * time.Second
	MaxTTL = 24 * time.Hour
	// MaxNotifyID is the largest notifyId (§7.2).
	MaxNotifyID = 2147483647
)

// A Sender delivers notifications through vivo Push. Its exported fields may be changed
// before the first Send; Send is safe for concurrent use.
type Sender struct {
	// HTTPClient makes every request. Default: a client with DefaultTimeout.
	HTTPClient *http.Client
	// Now is the clock, for signatures, token expiry and quota resets. Default: time.Now.
	Now func() time.Time
	// Logger receives debug lines about token fetches. Default: slog.Default().
	Logger *slog.Logger
	// TokenRefreshBefore is how long before expiry a cached authToken is fetched anew.
	// Default: DefaultTokenRefreshBefore.
	TokenRefreshBefore time.Duration

	tokens tokencache.Cache
}

var (
	_ push.Sender               = (*Sender)(nil)
	_ push.CertificateValidator = (*Sender)(nil)
)

// New returns a Sender with the defaults.
func New() *Sender {
	return &Sender{
		HTTPClient:         &http.Client{Timeout: DefaultTimeout},
		Now:                time.Now,
		Logger:             slog.Default().With("vendor", string(push.Vivo)),
		TokenRefreshBefore: DefaultTokenRefreshBefore,
	}
}

// Vendor returns push.Vivo.
func (s *Sender) Vendor() push.Vendor { return push.Vivo }

// MaxBatch returns MaxRegIDs.
func (s *Sender) MaxBatch() int { return MaxRegIDs }

// ErrInvalidCertificate is returned (wrapped) by ValidateCertificate.
var ErrInvalidCertificate = errors.New("vivo: invalid certificate")

// ValidateCertificate checks the fields a vivo certificate needs: AppID (digits), AppKey,
// AppSecret, the classification and category defaults, the click action and the endpoint
// overrides.
func (s *Sender) ValidateCertificate(c *push.Certificate) error {
	switch {
	case c.AppID == "" || strings.Trim(c.AppID, "0123456789") != "":
		return fmt.Errorf("%w: AppID must be vivo's numeric appId, got %q", ErrInvalidCertificate, c.AppID)
	case strings.TrimSpace(c.AppKey) == "":
		return fmt.Errorf("%w: AppKey is required", ErrInvalidCertificate)
	case strings.TrimSpace(c.AppSecret) == "":
		return fmt.Errorf("%w: AppSecret is required", ErrInvalidCertificate)
	case c.Classification != 0 && c.Classification != 1:
		return fmt.Errorf("%w: Classification must be 0 (operational) or 1 (system), got %d", ErrInvalidCertificate, c.Classification)
	}
	if c.Category != "" {
		class, ok := categoryClass[strings.ToUpper(c.Category)]
		if !ok {
			return fmt.Errorf("%w: Category %q is not a vivo category (IM, ACCOUNT, TODO, …)", ErrInvalidCertificate, c.Category)
		}
		if class != c.Classification {
			return fmt.Errorf("%w: Category %s needs Classification %d", ErrInvalidCertificate, strings.ToUpper(c.Category), class)
		}
	}
	if err := c.Click.Validate(push.Vivo); err != nil {
		return fmt.Errorf("%w: Click: %w", ErrInvalidCertificate, err)
	}
	if err := c.Endpoint.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidCertificate, err)
	}
	return nil
}

// categoryClass maps vivo's message categories to the classification each belongs to
// (vivo message classification guide; vendors.md §7.2 names IM only).
var categoryClass = map[string]int{
	"IM": 1, "ACCOUNT": 1, "TODO": 1, "DEVICE_REMINDER": 1, "ORDER": 1, "SUBSCRIPTION": 1,
	"NEWS": 0, "CONTENT": 0, "MARKETING": 0, "SOCIAL": 0,
}

// Send delivers n to tokens (vivo regIds) of certificate c: through /message/send for
// one token, through saveListPayload and pushToList for more. It returns one Result per
// token, in order.
func (s *Sender) Send(ctx context.Context, c *push.Certificate, n *push.Notification, tokens []string) []push.Result {
	switch {
	case len(tokens) == 0:
		return nil
	case len(tokens) > MaxRegIDs:
		return push.Results(tokens, push.Failed, 0, fmt.Sprintf("vivo: %d tokens exceed the batch limit of %d", len(tokens), MaxRegIDs))
	}
	m, err := newMessage(c, n)
	if err != nil {
		return push.Results(tokens, push.Failed, 0, err.Error())
	}
	cl := &call{s: s, c: c}
	if len(tokens) == 1 {
		return s.sendOne(ctx, cl, m, tokens[0])
	}
	return s.sendList(ctx, cl, m, tokens)
}

func (s *Sender) sendOne(ctx context.Context, cl *call, m *message, token string) []push.Result {
	m.RegID = token
	m.RequestID = requestID(m.RequestID, "send", token)
	resp, err := cl.post(ctx, PathSend, m)
	if r, done := s.failure(resp, err, token); done {
		return []push.Result{r}
	}
	return []push.Result{{Token: token, Outcome: push.Accepted, MessageID: resp.TaskID}}
}

func (s *Sender) sendList(ctx context.Context, cl *call, m *message, tokens []string) []push.Result {
	msgID := m.RequestID
	m.RequestID = requestID(msgID, "save", tokens...)
	resp, err := cl.post(ctx, PathSaveListPayload, m)
	if r, done := s.failure(resp, err, ""); done {
		return push.Results(tokens, r.Outcome, r.RetryAfter, r.Reason)
	}
	list := &listRequest{AppID: m.AppID, RegIDs: tokens, TaskID: resp.TaskID, RequestID: requestID(msgID, "list", tokens...)}
	resp, err = cl.post(ctx, PathPushToList, list)
	if r, done := s.failure(resp, err, ""); done {
		return push.Results(tokens, r.Outcome, r.RetryAfter, r.Reason)
	}
	invalid := resp.invalid()
	rs := make([]push.Result, len(tokens))
	for i, t := range tokens {
		rs[i] = push.Result{Token: t, Outcome: push.Accepted, MessageID: list.TaskID}
		if u, ok := invalid[t]; ok {
			rs[i].Outcome, rs[i].MessageID, rs[i].Reason = u.outcome(), "", u.reason()
		}
	}
	return rs
}

// failure turns a failed call into the Result for token and reports whether the call
// failed.
func (s *Sender) failure(resp *response, err error, token string) (push.Result, bool) {
	if err == nil && resp.Result == 0 {
		return push.Result{}, false
	}
	o, after, reason := classify(resp, err, s.Now())
	if err == nil && resp.Result == codeInvalidRegID && resp.InvalidUser != nil {
		o, reason = resp.InvalidUser.outcome(), resp.InvalidUser.reason()
	}
	return push.Result{Token: token, Outcome: o, RetryAfter: after, Reason: reason}, true
}
