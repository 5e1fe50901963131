// Package oppo sends notifications through OPPO Push (OPUSH / Heytap), the server API
// described in vendors.md §6: an auth_token from POST /server/v1/auth (signed with
// sha256(app_key + timestamp + master_secret), valid 24 h), then form-encoded sends to
// /server/v1/message/notification/unicast (one regId) and .../unicast_batch (up to 1000).
//
// A push.Certificate for OPPO needs AppKey and MasterSecret (not the AppSecret). With no
// Endpoint override each regId goes to the host of its region (§6.1): mainland China
// regIds to https://api.push.oppomobile.com, others to https://api-intl.push.oppomobile.com,
// each with its own auth_token. Endpoint.SendURL replaces both hosts; Endpoint.AuthURL, if
// set, replaces the auth host (else the send host serves auth too).
//
// Auth tokens are cached per certificate (Certificate.CacheKey) and host until
// TokenRefreshMargin before their 24 h expire, fetched once however many sends wait for
// them, and fetched again once when a send is answered with code 11 (Invalid AuthToken);
// if the retry is refused too, the result is AuthExpired.
//
// Mapping of push.Notification into the snake_case notification object (§6.3): Title →
// title (≤ 50 characters), Body → content (≤ 200), Click → click_action_type 0 (launch),
// 4 + click_action_activity (in-app page by class name) or 2 + click_action_url, Ext →
// action_parameters {"ext": Ext} so that the app reads intent.getStringExtra("ext"),
// ChannelID → channel_id, Category → category, NotifyLevel → notify_level, NotifyID (or a
// hash of CollapseID) → notify_id, TTL → off_line + off_line_ttl (seconds, ≤ 10 days),
// TemplateID → private_msg_template_id, MessageID → app_message_id. OPPO has no request
// fields for sound, badge, priority, importance or subtitle, and an image needs an ID from
// OPPO's picture-upload API, so those are not sent.
//
// Choices made where vendors.md leaves a detail unconfirmed or open:
//   - Title and content limits are 50 and 200 characters (OPPO's notification-style
//     limits; vendors.md §6.3 gives none). Longer text is cut on rune boundaries.
//   - The sign is lower-case hex, as the clients cited in §6.2 send it.
//   - app_message_id is MessageID plus "-" and 8 hex digits of the regId's SHA-256 (the
//     MessageID is hashed first when longer than 40 bytes): OPPO drops a second push with
//     the same app_message_id, so a retried push stays deduplicated per phone while the
//     phones of one batch do not shadow each other.
//   - Per-target errorCode 10000 is InvalidToken; the other per-target codes (10000–20000,
//     unconfirmed) are Failed with the code kept.
//   - Code 13 (app call limited) and 55 (call frequency) are RetryLater like -2 and -1;
//     33 (daily message limit) is QuotaExceeded until the next midnight in Beijing time.
//   - Auth refusals (14–19, 26–28) are AuthExpired: the certificate needs attention.
package oppo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/push/tokencache"
)

// Hosts and paths of OPPO Push (vendors.md §6.1–§6.4).
const (
	DefaultSendURL = "https://api.push.oppomobile.com"
	IntlSendURL    = "https://api-intl.push.oppomobile.com"
	AuthPath       = "/server/v1/auth"
	UnicastPath    = "/server/v1/message/notification/unicast"
	BatchPath      = "/server/v1/message/notification/unicast_batch"
)

// Defaults of a Sender.
const (
	DefaultTimeout = 10 * time.Second
	// TokenLifetime is how long an auth_token is valid (vendors.md §6.2).
	TokenLifetime = 24 * time.Hour
	// TokenRefreshMargin is how long before TokenLifetime ends a cached token is
	// replaced.
	TokenRefreshMargin  = 10 * time.Minute
	maxResponseBodySize = 1 << 20
)

// Limits of OPPO Push.
const (
	// MaxBatch is the most messages one unicast_batch carries (vendors.md §6.4).
	MaxBatch = 1000
	// MaxTitle and MaxContent are the longest title and content in characters
	// (unconfirmed; see the package comment).
	MaxTitle   = 50
	MaxContent = 200
	// MaxActionParameters and MaxClickURL are the longest action_parameters and
	// click_action_url in characters (vendors.md §6.3).
	MaxActionParameters = 4000
	MaxClickURL         = 2000
	// MaxOffLineTTL is the longest off_line_ttl (vendors.md §6.3: ≤ 10 days).
	MaxOffLineTTL = 10 * 24 * time.Hour
	// MaxNotifyID bounds notify_id to a positive Java int.
	MaxNotifyID = 2147483647
)

// Values of click_action_type (vendors.md §6.3).
const (
	ClickLaunchApp = 0
	ClickActivity  = 4
	ClickURL       = 2
)

// Categories OPPO accepts (vendors.md §6.3).
var Categories = []string{"IM", "ACCOUNT", "TODO", "DEVICE_REMINDER", "ORDER", "SUBSCRIPTION", "NEWS", "CONTENT", "MARKETING", "SOCIAL"}

// Sender sends notifications through OPPO Push. Its exported fields may be changed
// before the first Send; it is safe for concurrent use after that.
type Sender struct {
	// HTTPClient makes the requests. Default: a client with DefaultTimeout.
	HTTPClient *http.Client
	// Now is the clock for the auth timestamp, token expiry and quota reset. Default:
	// time.Now.
	Now func() time.Time
	// Logger receives debug logs; tokens are redacted. Default: slog.Default().
	Logger *slog.Logger
	// CallbackURL, when set, is sent as call_back_url so that OPPO posts delivery
	// receipts there, with the notification's MessageID as call_back_parameter.
	// Default: empty, no receipts.
	CallbackURL string

	tokens tokencache.Cache // auth_tokens by certificate CacheKey and auth host
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
		Logger:     slog.Default().With("vendor", push.OPPO.String()),
	}
}

// Vendor returns push.OPPO.
func (s *Sender) Vendor() push.Vendor { return push.OPPO }

// MaxBatch returns MaxBatch.
func (s *Sender) MaxBatch() int { return MaxBatch }

// ValidateCertificate checks the fields OPPO Push needs: AppKey, MasterSecret, the
// click action, and a default category and notify level OPPO accepts.
func (s *Sender) ValidateCertificate(c *push.Certificate) error {
	switch {
	case c.AppKey == "":
		return fmt.Errorf("oppo: AppKey is required (OPPO push console, app info)")
	case c.MasterSecret == "":
		return fmt.Errorf("oppo: MasterSecret is required (OPPO push console, app info; not the AppSecret)")
	}
	if err := c.Click.Validate(push.OPPO); err != nil {
		return fmt.Errorf("oppo: Click: %w", err)
	}
	if err := checkCategory(c.Category, c.NotifyLevel); err != nil {
		return err
	}
	return nil
}

func checkCategory(category string, level int) error {
	if category != "" && !validCategory(category) {
		return fmt.Errorf("oppo: category %q is not one of %s (vendors.md §6.3)", category, strings.Join(Categories, ", "))
	}
	switch level {
	case 0:
	case 1, 2, 16:
		if category == "" {
			return fmt.Errorf("oppo: notify level %d needs a category (vendors.md §6.3)", level)
		}
	default:
		return fmt.Errorf("oppo: notify level %d is not 1, 2 or 16 (vendors.md §6.3)", level)
	}
	return nil
}

func validCategory(c string) bool {
	for _, v := range Categories {
		if v == c {
			return true
		}
	}
	return false
}

// Send sends n to tokens (regIds) and returns one Result per token, in order. Tokens are
// grouped by host (see the package comment) and sent MaxBatch at a time: one token with
// unicast, more with unicast_batch.
func (s *Sender) Send(ctx context.Context, c *push.Certificate, n *push.Notification, tokens []string) []push.Result {
	if len(tokens) == 0 {
		return nil
	}
	base, err := BuildNotification(c, n)
	if err != nil {
		return push.Results(tokens, push.Failed, 0, err.Error())
	}
	if s.CallbackURL != "" {
		base.CallBackURL = s.CallbackURL
		base.CallBackParameter = n.MessageID
	}

	results := make([]push.Result, len(tokens))
	for host, idx := range groupByHost(c, tokens) {
		for start := 0; start < len(idx); start += MaxBatch {
			part := idx[start:min(start+MaxBatch, len(idx))]
			batch := make([]string, len(part))
			for i, j := range part {
				batch[i] = tokens[j]
			}
			for i, r := range s.sendBatch(ctx, c, host, base, n.MessageID, batch) {
				results[part[i]] = r
			}
		}
	}
	return results
}

// host is where a group of regIds is sent.
type host struct{ send, auth string }

// groupByHost returns the indexes of tokens per host.
func groupByHost(c *push.Certificate, tokens []string) map[host][]int {
	if c.Endpoint.SendURL != "" {
		h := host{send: c.Endpoint.SendURL, auth: c.Endpoint.SendURL}
		if c.Endpoint.AuthURL != "" {
			h.auth = c.Endpoint.AuthURL
		}
		idx := make([]int, len(tokens))
		for i := range idx {
			idx[i] = i
		}
		return map[host][]int{h: idx}
	}
	groups := map[host][]int{}
	for i, t := range tokens {
		h := host{send: IntlSendURL, auth: IntlSendURL}
		if IsChinaRegID(t) {
			h = host{send: DefaultSendURL, auth: DefaultSendURL}
		}
		if c.Endpoint.AuthURL != "" {
			h.auth = c.Endpoint.AuthURL
		}
		groups[h] = append(groups[h], i)
	}
	return groups
}

// IsChinaRegID reports whether regID belongs to a mainland-China device (vendors.md
// §6.1): split on "_", one part; or two parts with the first "CN"; or three parts with
// the second "CN".
func IsChinaRegID(regID string) bool {
	parts := strings.Split(regID, "_")
	switch len(parts) {
	case 1:
		return true
	case 2:
		return parts[0] == "CN"
	case 3:
		return parts[1] == "CN"
	}
	return false
}

// sendBatch sends one request for batch, refreshing the auth token once if OPPO answers
// code 11.
func (s *Sender) sendBatch(ctx context.Context, c *push.Certificate, h host, base *Notification, messageID string, batch []string) []push.Result {
	body, err := encodeBody(base, messageID, batch)
	if err != nil {
		return push.Results(batch, push.Failed, 0, fmt.Sprintf("oppo: encode message: %v", err))
	}
	key := c.CacheKey() + "|" + h.auth
	rs, expired, err := tokencache.Do(ctx, &s.tokens, key, s.now(), s.fetchFunc(c, h.auth), func(tok string) ([]push.Result, bool) {
		return s.post(ctx, h.send, tok, body, batch)
	})
	var ae *AuthError
	switch {
	case errors.As(err, &ae):
		return push.Results(batch, ae.Outcome, ae.RetryAfter, ae.Reason)
	case err != nil:
		return push.Results(batch, push.RetryLater, 0, fmt.Sprintf("oppo: auth: %v", err))
	case expired:
		return push.Results(batch, push.AuthExpired, 0, "oppo 11: Invalid AuthToken after a token refresh")
	}
	return rs
}

// encodeBody returns the form fields other than auth_token: message (unicast) or
// messages (unicast_batch), as JSON text.
func encodeBody(base *Notification, messageID string, batch []string) (url.Values, error) {
	msgs := make([]Message, len(batch))
	for i, t := range batch {
		msgs[i] = Message{TargetType: TargetRegID, TargetValue: t, Notification: *base}
		msgs[i].Notification.AppMessageID = AppMessageID(messageID, t)
	}
	if len(batch) == 1 {
		b, err := json.Marshal(msgs[0])
		if err != nil {
			return nil, err
		}
		return url.Values{"message": {string(b)}}, nil
	}
	b, err := json.Marshal(msgs)
	if err != nil {
		return nil, err
	}
	return url.Values{"messages": {string(b)}}, nil
}

// post makes one send request and reports whether OPPO refused the auth token (code 11).
func (s *Sender) post(ctx context.Context, base, tok string, fields url.Values, batch []string) ([]push.Result, bool) {
	path := BatchPath
	if fields.Has("message") {
		path = UnicastPath
	}
	form := url.Values{"auth_token": {tok}}
	for k, v := range fields {
		form[k] = v
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(base, "/")+path, strings.NewReader(form.Encode()))
	if err != nil {
		return push.Results(batch, push.Failed, 0, fmt.Sprintf("oppo: build request: %v", err)), false
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
	resp, err := s.client().Do(req)
	if err != nil {
		return push.Results(batch, push.RetryLater, 0, fmt.Sprintf("oppo: %v", err)), false
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBodySize))
	if err != nil {
		return push.Results(batch, push.RetryLater, 0, fmt.Sprintf("oppo: read response: %v", err)), false
	}
	s.logger().Debug("oppo send", "status", resp.StatusCode, "tokens", len(batch))
	return classify(batch, path == BatchPath, resp.StatusCode, resp.Header.Get("Retry-After"), raw, s.now())
}

func (s *Sender) client() *http.Client {
	if s.HTTPClient != nil {
		return s.HTTPClient
	}
	return defaultClient
}

// defaultClient serves a Sender whose HTTPClient was left nil.
var defaultClient = &http.Client{Timeout: DefaultTimeout}

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Sender) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}
