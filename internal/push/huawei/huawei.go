// Package huawei sends notifications through Huawei Push Kit (HMS Core), the v1 HTTP
// API `POST /v1/<clientid>/messages:send`, as described in vendors.md §3.
//
// Authentication is OAuth 2.0 client credentials: Certificate.AppID is the client ID and
// Certificate.AppSecret the client secret. Access tokens are cached per certificate until
// DefaultTokenMargin before they expire, fetched once per lifetime even under concurrent
// sends, and refreshed once after Huawei answers 401, 80200001 or 80200003.
//
// Mapping of push.Notification (vendors.md §3.2): Title, Body and Image go to
// message.notification; Ext goes into message.data as the JSON text {"ext":"…"}, whose
// key/value pairs Huawei hands to the opened activity as intent extras; Click becomes
// android.notification.click_action (type 1 intent, 2 url, 3 app); ChannelID, Importance
// (LOW or NORMAL), Sound (as "/raw/<name>"), CollapseID (as tag), NotifyID and Badge
// (set_num with Certificate.BadgeClass) go to android.notification; Category and TTL (at
// most 15 days) go to android; MessageID is sent as android.bi_tag.
//
// Choices where vendors.md says unconfirmed or is silent:
//   - Huawei documents no per-field length limits, only the 4096-byte body limit without
//     tokens; a notification that is too large has its body shortened on a rune boundary,
//     and if it still does not fit (a huge Ext) every token gets Failed, with no request.
//   - HTTP 503 (flow control) is RetryLater with the Retry-After header if Huawei sends one.
//     Huawei documents no distinct daily-quota error for notification messages (the
//     per-device daily limits show up as flow control), so this package never reports
//     QuotaExceeded.
//   - android.urgency is not sent: it applies to data messages, and HIGH needs a
//     permission; chat notifications rely on category IM and importance NORMAL.
//   - A Badge is dropped when the certificate has no BadgeClass, rather than failing.
//   - A failed token fetch with a 4xx answer (bad client ID or secret) is AuthExpired.
package huawei

import (
	"bytes"
	"context"
	"crypto/tls"
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

// Hosts and paths (vendors.md §3.1, §3.2).
const (
	DefaultAuthURL = "https://oauth-login.cloud.huawei.com"
	DefaultSendURL = "https://push-api.cloud.huawei.com"
	TokenPath      = "/oauth2/v3/token"
)

// Defaults of New.
const (
	// DefaultTimeout bounds one HTTP exchange with Huawei.
	DefaultTimeout = 10 * time.Second
	// DefaultTokenMargin is how long before its expiry an access token is replaced.
	DefaultTokenMargin = 5 * time.Minute
	// maxResponseBytes bounds how much of an answer is read.
	maxResponseBytes = 1 << 20
)

// ErrInvalidCertificate is returned (wrapped, naming the field) by ValidateCertificate.
var ErrInvalidCertificate = errors.New("huawei: invalid certificate")

// Sender sends notifications through Huawei Push Kit. Create it with New and change the
// exported fields before the first Send. It is safe for concurrent use.
type Sender struct {
	// HTTPClient makes every request. Default: a client with DefaultTimeout and TLS 1.2
	// or later (vendors.md §3.2 requires it).
	HTTPClient *http.Client
	// Now is the clock used for token expiry and Retry-After dates. Default: time.Now.
	Now func() time.Time
	// Logger receives debug lines; tokens and secrets are never logged whole.
	// Default: slog.Default().
	Logger *slog.Logger
	// TokenMargin is how long before the vendor's expiry a cached access token is
	// replaced. Default: DefaultTokenMargin; capped at half the token's lifetime.
	TokenMargin time.Duration

	tokens tokencache.Cache
}

var (
	_ push.Sender               = (*Sender)(nil)
	_ push.CertificateValidator = (*Sender)(nil)
)

// New returns a Sender with the defaults.
func New() *Sender {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	return &Sender{
		HTTPClient:  &http.Client{Timeout: DefaultTimeout, Transport: tr},
		Now:         time.Now,
		Logger:      slog.Default().With("vendor", string(push.Huawei)),
		TokenMargin: DefaultTokenMargin,
	}
}

// Vendor returns push.Huawei.
func (s *Sender) Vendor() push.Vendor { return push.Huawei }

// MaxBatch returns MaxTokens, Huawei's tokens-per-request limit (vendors.md §3.2).
func (s *Sender) MaxBatch() int { return MaxTokens }

// ValidateCertificate checks the fields Huawei needs: AppID and AppSecret, a click action
// Huawei can perform (an intent URI, or an HTTPS URL), a known Category, LOW or NORMAL
// Importance, a class name in BadgeClass and absolute endpoint URLs.
func (s *Sender) ValidateCertificate(c *push.Certificate) error {
	if c.AppID == "" {
		return fmt.Errorf("%w: AppID (the OAuth client ID) is required", ErrInvalidCertificate)
	}
	if strings.ContainsAny(c.AppID, "/?#% ") {
		return fmt.Errorf("%w: AppID %q must not contain URL characters", ErrInvalidCertificate, c.AppID)
	}
	if c.AppSecret == "" {
		return fmt.Errorf("%w: AppSecret (the OAuth client secret) is required", ErrInvalidCertificate)
	}
	if err := c.Click.Validate(push.Huawei); err != nil {
		return fmt.Errorf("%w: Click: %w", ErrInvalidCertificate, err)
	}
	if c.Click.Type == push.ClickOpenURL && !strings.HasPrefix(c.Click.Target, "https://") {
		return fmt.Errorf("%w: Click: Huawei opens only https URLs (vendors.md §3.2)", ErrInvalidCertificate)
	}
	if c.Category != "" && !validCategory(c.Category) {
		return fmt.Errorf("%w: Category %q is not one of %s", ErrInvalidCertificate, c.Category, strings.Join(Categories, ", "))
	}
	if imp := strings.ToUpper(c.Importance); imp != "" && imp != "LOW" && imp != "NORMAL" {
		return fmt.Errorf("%w: Importance %q must be LOW or NORMAL", ErrInvalidCertificate, c.Importance)
	}
	if c.BadgeClass != "" && !push.IsActivityClass(c.BadgeClass) {
		return fmt.Errorf("%w: BadgeClass %q is not an activity class name", ErrInvalidCertificate, c.BadgeClass)
	}
	if err := c.Endpoint.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidCertificate, err)
	}
	return nil
}

// Send delivers n to tokens with one request per MaxTokens tokens and returns one Result
// per token, in order. See the package comment for the mapping and the outcomes.
func (s *Sender) Send(ctx context.Context, c *push.Certificate, n *push.Notification, tokens []string) []push.Result {
	if len(tokens) == 0 {
		return nil
	}
	req, err := buildRequest(c, n)
	if err != nil {
		return push.Results(tokens, push.Failed, 0, "huawei: "+err.Error())
	}
	results := make([]push.Result, 0, len(tokens))
	for len(tokens) > 0 {
		batch := tokens[:min(len(tokens), MaxTokens)]
		tokens = tokens[len(batch):]
		results = append(results, s.sendBatch(ctx, c, req, batch)...)
	}
	return results
}

func (s *Sender) sendBatch(ctx context.Context, c *push.Certificate, req *request, tokens []string) []push.Result {
	body, err := encode(req, tokens)
	if err != nil {
		return push.Results(tokens, push.Failed, 0, "huawei: "+err.Error())
	}
	sendURL := push.BaseURL(c.Endpoint.SendURL, DefaultSendURL) + "/v1/" + url.PathEscape(c.AppID) + "/messages:send"
	fetch := func(ctx context.Context) (string, time.Time, error) { return s.fetchToken(ctx, c) }
	// After a second refusal rs is what classify made of it (AuthExpired).
	rs, _, err := tokencache.Do(ctx, &s.tokens, c.CacheKey(), s.Now(), fetch, func(tok string) ([]push.Result, bool) {
		rs, refused := s.post(ctx, sendURL, tok, body, tokens)
		if refused {
			s.Logger.Debug("access token refused", "certificate", c.ID)
		}
		return rs, refused
	})
	if err != nil {
		return tokenErrorResults(tokens, err)
	}
	return rs
}

// post makes one send request.
func (s *Sender) post(ctx context.Context, sendURL, accessToken string, body []byte, tokens []string) ([]push.Result, bool) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, sendURL, bytes.NewReader(body))
	if err != nil {
		return push.Results(tokens, push.Failed, 0, "huawei: "+err.Error()), false
	}
	hreq.Header.Set("Content-Type", "application/json;charset=UTF-8")
	hreq.Header.Set("Authorization", "Bearer "+accessToken)
	resp, b, err := push.ReadAnswer(s.HTTPClient, hreq, maxResponseBytes)
	if err != nil {
		return push.Results(tokens, push.RetryLater, 0, "huawei: "+err.Error()), false
	}
	return classify(resp.StatusCode, resp.Header, b, tokens, s.Now())
}

// TokenError is a refused access-token request (vendors.md §3.1): the HTTP status, and
// Huawei's error and sub_error codes when the body has them.
type TokenError struct {
	Status      int
	Code        int // "error", e.g. 1101
	SubError    int // "sub_error", e.g. 12304
	Description string
	RetryAfter  time.Duration
}

// Error returns the status, codes and description.
func (e *TokenError) Error() string {
	return fmt.Sprintf("huawei oauth HTTP %d error %d/%d: %s", e.Status, e.Code, e.SubError, e.Description)
}

// Temporary reports whether the token request may succeed later (5xx, 429).
func (e *TokenError) Temporary() bool {
	return e.Status >= 500 || e.Status == http.StatusTooManyRequests
}

// tokenErrorResults turns a failed token fetch into results: temporary failures and
// network errors are RetryLater, refused credentials AuthExpired.
func tokenErrorResults(tokens []string, err error) []push.Result {
	var te *TokenError
	if errors.As(err, &te) && !te.Temporary() {
		return push.Results(tokens, push.AuthExpired, 0, err.Error())
	}
	var ra time.Duration
	if te != nil {
		ra = te.RetryAfter
	}
	return push.Results(tokens, push.RetryLater, ra, "huawei: access token: "+err.Error())
}

// fetchToken asks the OAuth server for an access token for c (vendors.md §3.1) and
// returns it with the time from which the cache must stop using it.
func (s *Sender) fetchToken(ctx context.Context, c *push.Certificate) (string, time.Time, error) {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {c.AppID},
		"client_secret": {c.AppSecret},
	}
	authURL := push.BaseURL(c.Endpoint.AuthURL, DefaultAuthURL) + TokenPath
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, authURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.HTTPClient.Do(req)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("token request: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("read token answer: %w", err)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
		Error       int    `json:"error"`
		SubError    int    `json:"sub_error"`
		Description string `json:"error_description"`
	}
	jerr := json.Unmarshal(b, &tr)
	if resp.StatusCode != http.StatusOK || jerr != nil || tr.AccessToken == "" {
		te := &TokenError{Status: resp.StatusCode, Code: tr.Error, SubError: tr.SubError, Description: tr.Description,
			RetryAfter: push.ParseRetryAfter(resp.Header.Get("Retry-After"), s.Now())}
		if te.Description == "" {
			te.Description = fmt.Sprintf("%.200s", b)
		}
		return "", time.Time{}, te
	}
	// Huawei escapes "/" as "\/" in some answers; encoding/json has already restored it.
	life := time.Duration(tr.ExpiresIn) * time.Second
	if life <= 0 {
		life = time.Hour // vendors.md §3.1: a token lasts one hour
	}
	margin := min(s.TokenMargin, life/2)
	return tr.AccessToken, s.Now().Add(life - margin), nil
}
