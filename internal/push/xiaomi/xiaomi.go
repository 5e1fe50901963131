// Package xiaomi sends notifications through Xiaomi Mi Push, the server HTTP API
// described in vendors.md §5 (POST /v3/message/regid, form-encoded, authenticated by
// "Authorization: key=<AppSecret>").
//
// A push.Certificate for Xiaomi needs PackageName and AppSecret (AppID and AppKey are kept
// for the console only; the send API does not use them). Endpoint.SendURL replaces the
// mainland host https://api.xmpush.xiaomi.com, for example with one of the Global* hosts
// for apps published outside China, or with a simulator.
//
// Mapping of push.Notification (vendors.md §5.3): Title → title (at most 49 characters),
// Body → description (at most 127), Ext → payload and extra.ext, Click → extra.notify_effect
// 1/2/3 with extra.intent_uri or extra.web_uri, ChannelID → extra.channel_id, Sound →
// extra.sound_uri (android.resource://<package>/raw/<name> unless already a URI),
// NotifyID (or a hash of CollapseID) → notify_id, TTL → time_to_live in ms, MessageID →
// extra.jobkey and extra.callback.param. Xiaomi has no request fields for the image,
// badge (MIUI counts unread notifications itself), priority, importance or subtitle, so
// those are not sent.
//
// Choices made where vendors.md says the detail is unconfirmed:
//   - MaxBatch is 1000 regIds per request (§5.3 leaves the count open; 1000 is the limit
//     the Mi server SDKs document for a regId list).
//   - The payload (which carries Ext) may be at most 4096 bytes; a larger Ext is refused
//     with a Failed result before any request. Ext also goes in extra.ext, whose value
//     §5.3 limits to 1024 characters, so a longer Ext is refused too: an app reading
//     MiPushMessage.getExtra()["ext"] would otherwise miss it.
//   - extra.notify_foreground is "0": Herald pushes only to phones whose app is in the
//     background, and an app that came back to the foreground already has the message.
//   - Code 20301 (send failed) marks every regId of the request invalid, as the clients
//     cited in §5.4 do; the simulator answers it when no regId of a request is valid.
//   - Code 10034 (daily quota) and the client-only 200001 are QuotaExceeded until the next
//     midnight in Beijing time (UTC+8).
//   - Xiaomi has no auth token: 21301/21302 (wrong AppSecret) are AuthExpired at once,
//     since there is nothing to refresh.
package xiaomi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/herald-im/herald/internal/push"
)

// Hosts of Mi Push (vendors.md §5.2). The Global hosts serve devices outside mainland
// China by region; put one in Certificate.Endpoint.SendURL to use it.
const (
	DefaultSendURL      = "https://api.xmpush.xiaomi.com"
	GlobalSingaporeURL  = "https://sgp-api.xmpush.global.xiaomi.com"
	GlobalEuropeURL     = "https://fr-api.xmpush.global.xiaomi.com"
	GlobalRussiaURL     = "https://ru-api.xmpush.global.xiaomi.com"
	GlobalIndiaURL      = "https://idmb-api.xmpush.global.xiaomi.com"
	SendPath            = "/v3/message/regid" // vendors.md §5.2
	DefaultTimeout      = 10 * time.Second
	maxResponseBodySize = 1 << 20
)

// Limits of Mi Push.
const (
	// MaxBatch is how many regIds one request carries. vendors.md §5.3 leaves the count
	// unconfirmed; see the package comment.
	MaxBatch = 1000
	// MaxTitle and MaxDescription are the longest title and description in characters:
	// vendors.md §5.3 says "< 50" and "< 128".
	MaxTitle       = 49
	MaxDescription = 127
	// MaxPayloadBytes bounds the payload (unconfirmed; see the package comment).
	MaxPayloadBytes = 4096
	// MaxExtraValue is the longest key or value of an extra.<custom> field, in characters
	// (vendors.md §5.3).
	MaxExtraValue = 1024
	// MaxJobKey is the longest extra.jobkey (vendors.md §5.3).
	MaxJobKey = 20
	// MaxNotifyID is the largest notify_id (vendors.md §5.3).
	MaxNotifyID = 2147483647
	// MaxTTL is the longest time_to_live: private messages are kept at most 10 days
	// (vendors.md §5.3); Xiaomi cuts public messages to 1 day itself.
	MaxTTL = 10 * 24 * time.Hour
)

// Callback types for extra.callback.type (vendors.md §5.3): a bitmask.
const (
	CallbackDelivered = 1
	CallbackClicked   = 2
	CallbackInvalid   = 16
)

// Sender sends notifications through Mi Push. Its exported fields may be changed before
// the first Send; it is safe for concurrent use after that.
type Sender struct {
	// HTTPClient makes the requests. Default: a client with DefaultTimeout.
	HTTPClient *http.Client
	// Now is the clock, used for the quota reset time. Default: time.Now.
	Now func() time.Time
	// Logger receives debug logs; tokens are redacted. Default: slog.Default().
	Logger *slog.Logger
	// CallbackURL, when set, is sent as extra.callback so that Xiaomi posts delivery
	// receipts there, with the notification's MessageID as extra.callback.param.
	// Default: empty, no receipts.
	CallbackURL string
	// CallbackType is the extra.callback.type bitmask. Default (0): delivered, clicked
	// and invalid target (1|2|16).
	CallbackType int
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
		Logger:     slog.Default().With("vendor", push.Xiaomi.String()),
	}
}

// Vendor returns push.Xiaomi.
func (s *Sender) Vendor() push.Vendor { return push.Xiaomi }

// MaxBatch returns MaxBatch.
func (s *Sender) MaxBatch() int { return MaxBatch }

// ValidateCertificate checks the fields Mi Push needs: PackageName, AppSecret and the
// click action.
func (s *Sender) ValidateCertificate(c *push.Certificate) error {
	switch {
	case c.PackageName == "":
		return fmt.Errorf("xiaomi: PackageName is required (the app's Android package)")
	case c.AppSecret == "":
		return fmt.Errorf("xiaomi: AppSecret is required (Mi Push console, app details)")
	case strings.ContainsAny(c.AppSecret, " \t\r\n"):
		return fmt.Errorf("xiaomi: AppSecret contains white space")
	}
	if err := c.Click.Validate(push.Xiaomi); err != nil {
		return fmt.Errorf("xiaomi: Click: %w", err)
	}
	return nil
}

// Send sends n to tokens (regIds) and returns one Result per token, in order. More than
// MaxBatch tokens are sent in several requests.
func (s *Sender) Send(ctx context.Context, c *push.Certificate, n *push.Notification, tokens []string) []push.Result {
	if len(tokens) == 0 {
		return nil
	}
	form, err := s.buildForm(c, n)
	if err != nil {
		return push.Results(tokens, push.Failed, 0, err.Error())
	}
	results := make([]push.Result, 0, len(tokens))
	for start := 0; start < len(tokens); start += MaxBatch {
		batch := tokens[start:min(start+MaxBatch, len(tokens))]
		results = append(results, s.send(ctx, c, form, batch)...)
	}
	return results
}

// send makes one request for batch.
func (s *Sender) send(ctx context.Context, c *push.Certificate, form *formBody, batch []string) []push.Result {
	body := form.encode(batch)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sendURL(c), bytes.NewReader(body))
	if err != nil {
		return push.Results(batch, push.Failed, 0, fmt.Sprintf("xiaomi: build request: %v", err))
	}
	req.Header.Set("Authorization", "key="+c.AppSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")

	resp, err := s.client().Do(req)
	if err != nil {
		// Timeouts, resets and refused connections: the dispatcher backs off.
		return push.Results(batch, push.RetryLater, 0, fmt.Sprintf("xiaomi: %v", err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBodySize))
	if err != nil {
		return push.Results(batch, push.RetryLater, 0, fmt.Sprintf("xiaomi: read response: %v", err))
	}
	s.logger().Debug("xiaomi send", "status", resp.StatusCode, "tokens", len(batch))
	return classify(batch, resp.StatusCode, resp.Header.Get("Retry-After"), raw, s.now())
}

func sendURL(c *push.Certificate) string {
	return push.BaseURL(c.Endpoint.SendURL, DefaultSendURL) + SendPath
}

// Response is Mi Push's answer (vendors.md §5.4).
type Response struct {
	Result      string       `json:"result"`
	TraceID     string       `json:"trace_id,omitempty"`
	Code        int          `json:"code"`
	Description string       `json:"description,omitempty"`
	Info        string       `json:"info,omitempty"`
	Reason      string       `json:"reason,omitempty"`
	Data        ResponseData `json:"data,omitzero"`
}

// ResponseData is the data object of a successful answer. Mi Push sends the counters as
// strings.
type ResponseData struct {
	ID        string `json:"id,omitempty"`
	DayAcked  string `json:"day_acked,omitempty"`
	DayQuota  string `json:"day_quota,omitempty"`
	BadRegIDs string `json:"bad_regids,omitempty"`
}

// Error codes of Mi Push (vendors.md §5.4, official error-code page).
const (
	CodeOK               = 0
	CodeUnknown          = -1
	CodeInternal         = 1
	CodeSystemError      = 10001
	CodeSystemBusy       = 10002
	CodeRemoteError      = 10003
	CodeParamError       = 10008
	CodeMissingParam     = 10016
	CodeIllegalParam     = 10017
	CodeTooFrequent      = 10027
	CodeIllegalDevice    = 10029
	CodeBlacklisted      = 10031
	CodeDailyQuota       = 10034
	CodeRequestExpired   = 10037
	CodeSendFailed       = 20301
	CodeAuthFailed       = 21301
	CodeTokenAuthFailed  = 21302
	CodeRestricted       = 21303
	CodeIllegalApp       = 22000
	CodeIllegalPackage   = 22022
	CodeBroadcastTooFast = 26004
	CodeChannelMismatch  = 27001
	CodeContentTooLong   = 65009
	// CodeDailyOverrun appears only in client code (vendors.md §5.4, unconfirmed).
	CodeDailyOverrun = 200001
)

// classify turns one answer into a Result per token of batch.
func classify(batch []string, status int, retryAfter string, raw []byte, now time.Time) []push.Result {
	var r Response
	if err := json.Unmarshal(raw, &r); err != nil || (r.Result == "" && r.Code == 0) {
		return classifyStatus(batch, status, retryAfter, now)
	}
	reason := fmt.Sprintf("xiaomi %d: %s", r.Code, strings.TrimSpace(r.Description+" "+r.Reason))
	wait := push.ParseRetryAfter(retryAfter, now)
	switch r.Code {
	case CodeOK:
		if r.Result != "ok" {
			return push.Results(batch, push.Failed, 0, fmt.Sprintf("xiaomi: code 0 with result %q", r.Result))
		}
		return accepted(batch, r.Data)
	case CodeUnknown, CodeInternal, CodeSystemError, CodeSystemBusy, CodeRemoteError,
		CodeTooFrequent, CodeRequestExpired, CodeBroadcastTooFast:
		return push.Results(batch, push.RetryLater, wait, reason)
	case CodeDailyQuota, CodeDailyOverrun:
		return push.Results(batch, push.QuotaExceeded, push.UntilChinaMidnight(now), reason)
	case CodeAuthFailed, CodeTokenAuthFailed:
		return push.Results(batch, push.AuthExpired, 0, reason)
	case CodeSendFailed:
		return push.Results(batch, push.InvalidToken, 0, reason)
	case CodeIllegalDevice:
		if len(batch) == 1 {
			return push.Results(batch, push.InvalidToken, 0, reason)
		}
		return push.Results(batch, push.Failed, 0, reason)
	default:
		return push.Results(batch, push.Failed, 0, reason)
	}
}

// classifyStatus handles an answer that is not Mi Push JSON, such as a proxy's error page.
func classifyStatus(batch []string, status int, retryAfter string, now time.Time) []push.Result {
	reason := fmt.Sprintf("xiaomi: HTTP %d without a Mi Push answer", status)
	switch {
	case status == http.StatusTooManyRequests || status >= 500:
		return push.Results(batch, push.RetryLater, push.ParseRetryAfter(retryAfter, now), reason)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return push.Results(batch, push.AuthExpired, 0, reason)
	default:
		return push.Results(batch, push.Failed, 0, reason)
	}
}

// accepted marks the regIds listed in data.bad_regids invalid and the rest accepted.
func accepted(batch []string, d ResponseData) []push.Result {
	var bad map[string]bool
	if d.BadRegIDs != "" {
		bad = make(map[string]bool)
		for _, t := range strings.Split(d.BadRegIDs, ",") {
			bad[strings.TrimSpace(t)] = true
		}
	}
	rs := make([]push.Result, len(batch))
	for i, t := range batch {
		if bad[t] {
			rs[i] = push.Result{Token: t, Outcome: push.InvalidToken, Reason: "xiaomi: listed in bad_regids"}
			continue
		}
		rs[i] = push.Result{Token: t, Outcome: push.Accepted, MessageID: d.ID}
	}
	return rs
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
