// Package honor sends notifications through Honor Push (荣耀推送),
// `POST /api/v1/<APPID>/sendMessage`, as described in vendors.md §4.
//
// Authentication is OAuth 2.0 client credentials with Certificate.ClientID and
// Certificate.ClientSecret, which differ from the App ID; Certificate.AppID goes in the
// send URL. Every send carries the required `timestamp` header (epoch milliseconds).
// Access tokens are cached per certificate until DefaultTokenMargin before they expire,
// fetched once per lifetime even under concurrent sends, and refreshed once after an
// answer of HTTP 401, 80200001 or 80200003.
//
// Mapping of push.Notification (vendors.md §4.2, camelCase): Title, Body and Image go to
// notification; Ext goes into data as the JSON text {"ext":"…"}; Click becomes
// android.notification.clickAction (type 1 intent, 2 url, 3 app); Importance (LOW or
// NORMAL), CollapseID (as tag), NotifyID (notifyId) and Badge (setNum with
// Certificate.BadgeClass as badgeClass) go to android.notification; TTL (at most 15
// days) goes to android.ttl and MessageID to android.biTag.
//
// Choices where vendors.md §4 says unconfirmed:
//   - ChannelID and Sound are not sent: no confirmed field exists.
//   - Up to 1000 tokens per request and 4096 bytes per message without tokens, Huawei's
//     limits. A message that is too large has its body shortened on a rune boundary; if
//     it still does not fit every token gets Failed, with no request.
//   - data.expireTokens are InvalidToken (unbound); data.failTokens are Failed (kept
//     bound, not retried), since their meaning is not documented.
//   - Success is code 200 (80000000 is tolerated). Error codes follow Huawei's table
//     (80200001/80200003 auth, 80300007 all tokens invalid, 81000001 internal); HTTP
//     401 is auth, HTTP 429, 5xx and 503 are RetryLater with Retry-After if sent.
//     Honor documents no quota error, so this package never reports QuotaExceeded.
//   - expires_in of the token answer is used as given, 3600 s when absent.
//   - Ext reaching the app through data on a tap is unconfirmed for Honor; the
//     simulator hands the data's key/value pairs to the app as extras, as Huawei does.
package honor

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
	"strconv"
	"strings"
	"time"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/push/tokencache"
)

// Hosts and paths (vendors.md §4.1, §4.2).
const (
	DefaultAuthURL = "https://iam.developer.honor.com"
	DefaultSendURL = "https://push-api.cloud.honor.com"
	TokenPath      = "/auth/token"
)

// Defaults of New.
const (
	// DefaultTimeout bounds one HTTP exchange with Honor.
	DefaultTimeout = 10 * time.Second
	// DefaultTokenMargin is how long before its expiry an access token is replaced.
	DefaultTokenMargin = 5 * time.Minute
	// defaultTokenLife is assumed when the token answer has no expires_in (vendors.md §4.1).
	defaultTokenLife = time.Hour
	maxResponseBytes = 1 << 20
)

// ErrInvalidCertificate is returned (wrapped, naming the field) by ValidateCertificate.
var ErrInvalidCertificate = errors.New("honor: invalid certificate")

// Sender sends notifications through Honor Push. Create it with New and change the
// exported fields before the first Send. It is safe for concurrent use.
type Sender struct {
	// HTTPClient makes every request. Default: a client with DefaultTimeout and TLS 1.2
	// or later.
	HTTPClient *http.Client
	// Now is the clock for token expiry, the timestamp header and Retry-After dates.
	// Default: time.Now.
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
		Logger:      slog.Default().With("vendor", string(push.Honor)),
		TokenMargin: DefaultTokenMargin,
	}
}

// Vendor returns push.Honor.
func (s *Sender) Vendor() push.Vendor { return push.Honor }

// MaxBatch returns MaxTokens (unconfirmed for Honor; see the package comment).
func (s *Sender) MaxBatch() int { return MaxTokens }

// ValidateCertificate checks the fields Honor needs: AppID, ClientID and ClientSecret, a
// click action Honor can perform, LOW or NORMAL Importance, a class name in BadgeClass
// and absolute endpoint URLs.
func (s *Sender) ValidateCertificate(c *push.Certificate) error {
	if c.AppID == "" {
		return fmt.Errorf("%w: AppID is required", ErrInvalidCertificate)
	}
	if strings.ContainsAny(c.AppID, "/?#% ") {
		return fmt.Errorf("%w: AppID %q must not contain URL characters", ErrInvalidCertificate, c.AppID)
	}
	if c.ClientID == "" {
		return fmt.Errorf("%w: ClientID is required (it is not the App ID)", ErrInvalidCertificate)
	}
	if c.ClientSecret == "" {
		return fmt.Errorf("%w: ClientSecret is required (it is not the App Secret)", ErrInvalidCertificate)
	}
	if err := c.Click.Validate(push.Honor); err != nil {
		return fmt.Errorf("%w: Click: %w", ErrInvalidCertificate, err)
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
		return push.Results(tokens, push.Failed, 0, "honor: "+err.Error())
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
		return push.Results(tokens, push.Failed, 0, "honor: "+err.Error())
	}
	sendURL := push.BaseURL(c.Endpoint.SendURL, DefaultSendURL) + "/api/v1/" + url.PathEscape(c.AppID) + "/sendMessage"
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

func (s *Sender) post(ctx context.Context, sendURL, accessToken string, body []byte, tokens []string) ([]push.Result, bool) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, sendURL, bytes.NewReader(body))
	if err != nil {
		return push.Results(tokens, push.Failed, 0, "honor: "+err.Error()), false
	}
	hreq.Header.Set("Content-Type", "application/json; charset=UTF-8")
	hreq.Header.Set("Authorization", "Bearer "+accessToken)
	hreq.Header.Set("timestamp", strconv.FormatInt(s.Now().UnixMilli(), 10))
	resp, b, err := push.ReadAnswer(s.HTTPClient, hreq, maxResponseBytes)
	if err != nil {
		return push.Results(tokens, push.RetryLater, 0, "honor: "+err.Error()), false
	}
	return classify(resp.StatusCode, resp.Header, b, tokens, s.Now())
}

// TokenError is a refused access-token request (vendors.md §4.1).
type TokenError struct {
	Status      int
	Code        string // "error", e.g. unauthorized_client
	Description string
	RetryAfter  time.Duration
}

// Error returns the status, code and description.
func (e *TokenError) Error() string {
	return fmt.Sprintf("honor auth HTTP %d %s: %s", e.Status, e.Code, e.Description)
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
	return push.Results(tokens, push.RetryLater, ra, "honor: access token: "+err.Error())
}

// fetchToken asks Honor's IAM for an access token for c (vendors.md §4.1) and returns it
// with the time from which the cache must stop using it.
func (s *Sender) fetchToken(ctx context.Context, c *push.Certificate) (string, time.Time, error) {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {c.ClientID},
		"client_secret": {c.ClientSecret},
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
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	jerr := json.Unmarshal(b, &tr)
	if resp.StatusCode != http.StatusOK || jerr != nil || tr.AccessToken == "" {
		te := &TokenError{Status: resp.StatusCode, Code: tr.Error, Description: tr.Description,
			RetryAfter: push.ParseRetryAfter(resp.Header.Get("Retry-After"), s.Now())}
		if te.Description == "" {
			te.Description = fmt.Sprintf("%.200s", b)
		}
		return "", time.Time{}, te
	}
	life := time.Duration(tr.ExpiresIn) * time.Second
	if life <= 0 {
		life = defaultTokenLife
	}
	margin := min(s.TokenMargin, life/2)
	return tr.AccessToken, s.Now().Add(life - margin), nil
}
