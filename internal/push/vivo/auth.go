package vivo

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/push/tokencache"
)

// Sign returns vivo's auth signature: the lowercase hex MD5 of the trimmed
// appId + appKey + timestamp (ms) + appSecret (vendors.md §7.1).
func Sign(appID, appKey string, timestampMS int64, appSecret string) string {
	sum := md5.Sum([]byte(strings.TrimSpace(appID) + strings.TrimSpace(appKey) + strconv.FormatInt(timestampMS, 10) + strings.TrimSpace(appSecret)))
	return hex.EncodeToString(sum[:])
}

// authRequest is the body of /message/auth (vendors.md §7.1).
type authRequest struct {
	AppID     json.Number `json:"appId"`
	AppKey    string      `json:"appKey"`
	Timestamp int64       `json:"timestamp"`
	Sign      string      `json:"sign"`
}

// response is every vivo answer (vendors.md §7.1, §7.3, §7.4).
type response struct {
	Result       int           `json:"result"`
	Desc         string        `json:"desc"`
	AuthToken    string        `json:"authToken"`
	TaskID       string        `json:"taskId"`
	InvalidUser  *invalidUser  `json:"invalidUser"`
	InvalidUsers []invalidUser `json:"invalidUsers"`

	retryAfter time.Duration // the Retry-After header, if any
}

// authError is a refusal of /message/auth: the credentials are wrong.
type authError struct{ resp *response }

func (e *authError) Error() string {
	return fmt.Sprintf("vivo auth refused: result %d %s", e.resp.Result, e.resp.Desc)
}

// statusError is an HTTP answer other than 200.
type statusError struct {
	Status     int
	RetryAfter time.Duration
	Body       string
}

func (e *statusError) Error() string { return fmt.Sprintf("vivo: HTTP %d: %s", e.Status, e.Body) }

// call is one Send's conversation with vivo. It remembers whether the authToken was
// refreshed already, so that a Send refreshes at most once however many requests it makes.
type call struct {
	s         *Sender
	c         *push.Certificate
	refreshed bool
}

// post sends body to path with the authToken, refreshing the token once if vivo answers
// codeAuthFailed. It returns an error for transport failures, non-200 answers and a
// refused auth; vivo's result codes are left to the caller.
func (cl *call) post(ctx context.Context, path string, body any) (*response, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", path, err)
	}
	var doErr error
	resp, _, err := tokencache.Do(ctx, &cl.s.tokens, cl.c.CacheKey(), cl.s.Now(), cl.s.fetchFunc(cl.c), func(tok string) (*response, bool) {
		var resp *response
		resp, doErr = cl.s.do(ctx, sendBase(cl.c)+path, tok, b)
		// Once the Send has refreshed the token, a refusal is the answer: it goes to the
		// caller (AuthExpired) instead of causing a second refresh.
		refused := doErr == nil && resp.Result == codeAuthFailed && !cl.refreshed
		cl.refreshed = cl.refreshed || refused
		return resp, refused
	})
	if err != nil {
		return nil, err
	}
	return resp, doErr
}

// do posts a JSON body and decodes vivo's answer.
func (s *Sender) do(ctx context.Context, url, authToken string, body []byte) (*response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("new request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if authToken != "" {
		req.Header.Set("authToken", authToken)
	}
	res, data, err := push.ReadAnswer(s.HTTPClient, req, 1<<20)
	if err != nil {
		return nil, err
	}
	after := push.ParseRetryAfter(res.Header.Get("Retry-After"), s.Now())
	if res.StatusCode != http.StatusOK {
		return nil, &statusError{Status: res.StatusCode, RetryAfter: after, Body: string(bytes.TrimSpace(data))}
	}
	resp := &response{retryAfter: after}
	if err := json.Unmarshal(data, resp); err != nil {
		return nil, fmt.Errorf("decode answer %.200q: %w", data, err)
	}
	return resp, nil
}

// fetchFunc returns the fetch function of the token cache for c: one /message/auth
// request, shared by all concurrent callers, whose authToken is used until
// TokenRefreshBefore before it expires.
func (s *Sender) fetchFunc(c *push.Certificate) func(context.Context) (string, time.Time, error) {
	return func(ctx context.Context) (string, time.Time, error) {
		now := s.Now()
		req := authRequest{AppID: json.Number(c.AppID), AppKey: c.AppKey, Timestamp: now.UnixMilli()}
		req.Sign = Sign(c.AppID, c.AppKey, req.Timestamp, c.AppSecret)
		b, err := json.Marshal(req)
		if err != nil {
			return "", time.Time{}, fmt.Errorf("encode auth: %w", err)
		}
		resp, err := s.do(ctx, authBase(c)+PathAuth, "", b)
		if err != nil {
			return "", time.Time{}, err
		}
		if resp.Result != 0 || resp.AuthToken == "" {
			return "", time.Time{}, &authError{resp: resp}
		}
		s.Logger.Debug("vivo auth token fetched", "certificate", c.ID)
		return resp.AuthToken, now.Add(TokenLifetime - s.TokenRefreshBefore), nil
	}
}

func sendBase(c *push.Certificate) string { return push.BaseURL(c.Endpoint.SendURL, DefaultBaseURL) }

// authBase is AuthURL, else SendURL (vivo serves auth and send on one host), else the
// real host.
func authBase(c *push.Certificate) string { return push.BaseURL(c.Endpoint.AuthURL, sendBase(c)) }
