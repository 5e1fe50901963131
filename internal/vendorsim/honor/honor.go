// Package honor simulates Honor Push (vendors.md §4): the IAM token endpoint
// (/auth/token, and the older /auth/realms/developer/protocol/openid-connect/token) and
// the send endpoint (/api/v1/<APPID>/sendMessage), on one server.
//
// It checks client credentials (which differ from the App ID), issues access tokens
// that expire (TokenLifetime, by the simulator's clock), refuses unknown, foreign and
// expired bearer tokens, requires the timestamp header, validates the camelCase body
// strictly and answers {"code":200,"message":"Success","data":{…}} with expireTokens for
// unregistered, unknown and foreign tokens and failTokens for tokens marked with
// FailToken.
//
// vendors.md §4 leaves Honor's error shapes unconfirmed; the simulator's choices:
// errors are {"code":<number>,"message":…} with Huawei's codes (401 80200001 bad or
// foreign token, 401 80200003 expired token, 400 80100001 bad parameter or missing
// timestamp, 400 80100003 bad structure, 400 80300008 too large, 400 80300010 token
// count), 500 81000001 for server errors, 503 with Retry-After for flow control and
// quota (until the next Beijing midnight); token errors are 401
// {"error":"unauthorized_client",…}; limits are 1000 tokens and 4096 bytes without
// tokens; tokens last one hour.
package honor

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/vendorsim"
)

// Limits the simulator enforces (unconfirmed for Honor; see the package comment).
const (
	MaxTokens            = 1000
	MaxBodyBytes         = 4096
	MaxTTL               = 1296000 * time.Second
	DefaultTokenLifetime = time.Hour
)

// Server is a simulated Honor Push. Create it with New. It is safe for concurrent use.
type Server struct {
	*vendorsim.Sim
	// TokenLifetime is the expires_in of issued access tokens. Default: DefaultTokenLifetime.
	TokenLifetime time.Duration

	mu      sync.Mutex        // protects clients, tokens and failing
	clients map[string]client // by client ID
	tokens  map[string]accessToken
	failing map[string]bool // push tokens answered in failTokens

	nextApp atomic.Int64
}

type client struct {
	secret string
	appID  string
}

type accessToken struct {
	appID   string
	expires time.Time
}

// New returns a Server with no apps.
func New() *Server {
	s := &Server{
		Sim:           vendorsim.NewSim(string(push.Honor)),
		TokenLifetime: DefaultTokenLifetime,
		clients:       map[string]client{},
		tokens:        map[string]accessToken{},
		failing:       map[string]bool{},
	}
	s.nextApp.Store(104400000)
	s.NewToken = newPushToken
	return s
}

// newPushToken makes a push token of base64url text.
func newPushToken(string) string {
	b := make([]byte, 72)
	rand.Read(b)
	return "BAEAAAAA" + base64.RawURLEncoding.EncodeToString(b)
}

// Credentials are what the Honor developer console shows for an app.
type Credentials struct {
	AppID        string // in the send URL
	ClientID     string // OAuth client ID
	ClientSecret string // OAuth client secret
}

// CreateApp registers an app and returns its credentials. Phones of the app are
// registered with Register(creds.AppID).
func (s *Server) CreateApp() Credentials {
	n := s.nextApp.Add(1)
	c := Credentials{AppID: strconv.FormatInt(n, 10), ClientID: "cli" + vendorsim.RandomHex(8), ClientSecret: vendorsim.RandomHex(32)}
	s.mu.Lock()
	s.clients[c.ClientID] = client{secret: c.ClientSecret, appID: c.AppID}
	s.mu.Unlock()
	return c
}

// Certificate returns a push.Certificate for c whose endpoints point at baseURL.
func (c Credentials) Certificate(baseURL string) *push.Certificate {
	id, _ := strconv.ParseInt(c.AppID, 10, 64)
	return &push.Certificate{
		ID: id, Vendor: push.Honor, Name: "sim " + c.AppID,
		AppID: c.AppID, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		Endpoint: push.Endpoint{SendURL: baseURL, AuthURL: baseURL},
	}
}

// FailToken makes later sends report token in data.failTokens.
func (s *Server) FailToken(token string) {
	s.mu.Lock()
	s.failing[token] = true
	s.mu.Unlock()
}

// ServeHTTP serves the token and send paths and the admin API under vendorsim.AdminPrefix.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, vendorsim.AdminPrefix):
		s.AdminHandler().ServeHTTP(w, r)
	case r.URL.Path == "/auth/token" || r.URL.Path == "/auth/realms/developer/protocol/openid-connect/token":
		s.serveToken(w, r)
	case strings.HasPrefix(r.URL.Path, "/api/v1/") && strings.HasSuffix(r.URL.Path, "/sendMessage"):
		s.serveSend(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) authError(w http.ResponseWriter, status int, code, desc string) {
	s.CountRejected()
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	s.CountAuth()
	if err := r.ParseForm(); err != nil {
		s.authError(w, http.StatusBadRequest, "invalid_request", "bad form")
		return
	}
	if f, ok := s.NextFault(vendorsim.TargetAuth); ok {
		if vendorsim.TransportFault(w, r, f) {
			return
		}
		switch f.Kind {
		case vendorsim.AuthExpired:
			s.authError(w, http.StatusUnauthorized, "unauthorized_client", "Invalid client or Invalid client credentials")
		case vendorsim.Throttle, vendorsim.Quota:
			setRetryAfter(w, f.RetryAfter)
			s.authError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "flow control")
		default:
			s.authError(w, http.StatusInternalServerError, "server_error", "internal error")
		}
		return
	}
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		s.authError(w, http.StatusBadRequest, "invalid_request", "POST application/x-www-form-urlencoded required")
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		s.authError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be client_credentials")
		return
	}
	s.mu.Lock()
	c, ok := s.clients[r.PostForm.Get("client_id")]
	s.mu.Unlock()
	if !ok || c.secret != r.PostForm.Get("client_secret") {
		s.authError(w, http.StatusUnauthorized, "unauthorized_client", "Invalid client or Invalid client credentials")
		return
	}
	b := make([]byte, 48)
	rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	s.mu.Lock()
	s.tokens[tok] = accessToken{appID: c.appID, expires: s.Now().Add(s.TokenLifetime)}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "expires_in": int64(s.TokenLifetime / time.Second), "token_type": "Bearer"})
}

func (s *Server) sendError(w http.ResponseWriter, status, code int, msg string) {
	s.CountRejected()
	writeJSON(w, status, map[string]any{"code": code, "message": msg})
}

func setRetryAfter(w http.ResponseWriter, d time.Duration) {
	if d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((d+time.Second-1)/time.Second)))
	}
}

func (s *Server) serveSend(w http.ResponseWriter, r *http.Request) {
	s.CountRequest()
	// Read the body first: net/http notices a client that gives up (a Timeout fault)
	// only once the body has been consumed.
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		s.sendError(w, http.StatusBadRequest, 80100003, "Illegal payload")
		return
	}
	if f, ok := s.NextFault(vendorsim.TargetSend); ok {
		if vendorsim.TransportFault(w, r, f) {
			return
		}
		switch f.Kind {
		case vendorsim.AuthExpired:
			s.sendError(w, http.StatusUnauthorized, 80200003, "Oauth Token expired")
		case vendorsim.Throttle:
			setRetryAfter(w, f.RetryAfter)
			s.sendError(w, http.StatusServiceUnavailable, 503, "flow control")
		case vendorsim.Quota:
			ra := f.RetryAfter
			if ra == 0 {
				ra = push.UntilChinaMidnight(s.Now())
			}
			setRetryAfter(w, ra)
			s.sendError(w, http.StatusServiceUnavailable, 503, "flow control")
		default:
			s.sendError(w, http.StatusInternalServerError, 81000001, "system internal error")
		}
		return
	}
	if r.Method != http.MethodPost {
		s.sendError(w, http.StatusNotFound, 404, "not found")
		return
	}
	appID := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/api/v1/"), "/sendMessage")

	bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || bearer == "" {
		s.sendError(w, http.StatusUnauthorized, 80200001, "Oauth authentication error")
		return
	}
	s.mu.Lock()
	at, known := s.tokens[bearer]
	s.mu.Unlock()
	switch {
	case !known || at.appID != appID:
		s.sendError(w, http.StatusUnauthorized, 80200001, "Oauth authentication error")
		return
	case !s.Now().Before(at.expires):
		s.sendError(w, http.StatusUnauthorized, 80200003, "Oauth Token expired")
		return
	}
	if ts := r.Header.Get("timestamp"); ts == "" {
		s.sendError(w, http.StatusBadRequest, 80100001, "timestamp header is required")
		return
	} else if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
		s.sendError(w, http.StatusBadRequest, 80100001, "timestamp header must be epoch milliseconds")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		s.sendError(w, http.StatusBadRequest, 80100003, "content type must be application/json")
		return
	}
	var req Request
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		s.sendError(w, http.StatusBadRequest, 80100003, "Illegal payload: "+err.Error())
		return
	}
	if len(req.Token) == 0 || len(req.Token) > MaxTokens {
		s.sendError(w, http.StatusBadRequest, 80300010, "The number of tokens in the message body exceeds the default value")
		return
	}
	if size := sizeWithoutTokens(raw, req.Token); size > MaxBodyBytes {
		s.sendError(w, http.StatusBadRequest, 80300008, fmt.Sprintf("The message body size %d exceeds the default value", size))
		return
	}
	if code, msg := validate(&req); code != 0 {
		s.sendError(w, http.StatusBadRequest, code, msg)
		return
	}

	requestID := strconv.FormatInt(s.Now().UnixMilli()%1e9, 10) + "-" + vendorsim.RandomHex(16)
	expire, fail := []string{}, []string{}
	// Every phone of the batch keeps the request as received: one copy shared by all,
	// not one each (a 1,000-token request is ~50 KB).
	shared := append(json.RawMessage(nil), raw...)
	for _, tok := range req.Token {
		state, app := s.Lookup(tok)
		s.mu.Lock()
		failing := s.failing[tok]
		s.mu.Unlock()
		switch {
		case state != vendorsim.Active || app != appID:
			expire = append(expire, tok)
		case failing:
			fail = append(fail, tok)
		default:
			s.Deliver(delivered(&req, tok, requestID, shared))
		}
	}
	ok = len(expire)+len(fail) < len(req.Token)
	writeJSON(w, http.StatusOK, map[string]any{"code": 200, "message": "Success", "data": map[string]any{
		"sendResult": ok, "requestId": requestID, "failTokens": fail, "expireTokens": expire, "msgCode": 200,
	}})
}

func sizeWithoutTokens(raw []byte, tokens []string) int {
	n := len(bytes.TrimSpace(raw))
	for _, t := range tokens {
		n -= len(t) + 2
	}
	return n - (len(tokens) - 1)
}

var ttlText = regexp.MustCompile(`^[0-9]+(\.[0-9]{1,9})?s$`)

func parseTTL(s string) (time.Duration, bool) {
	if !ttlText.MatchString(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.TrimSuffix(s, "s"), 64)
	if err != nil {
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}

// validate checks a message and returns the code and message of the first problem, or 0.
func validate(m *Request) (int, string) {
	a := m.Android
	isNotification := m.Notification != nil || (a != nil && a.Notification != nil)
	if !isNotification {
		if m.Data == nil {
			return 80100003, "Illegal payload, message has no data and no notification"
		}
		return 0, ""
	}
	if a == nil || a.Notification == nil || a.Notification.ClickAction == nil {
		return 80100003, "Illegal payload, android.notification.clickAction is required"
	}
	an := a.Notification
	title, body := an.Title, an.Body
	if m.Notification != nil {
		title, body = or(title, m.Notification.Title), or(body, m.Notification.Body)
	}
	if title == "" || body == "" {
		return 80100003, "Illegal payload, notification title and body are required"
	}
	switch ca := an.ClickAction; ca.Type {
	case 1:
		if ca.Intent == "" && ca.Action == "" {
			return 80100003, "Illegal payload, clickAction type 1 needs intent or action"
		}
		if ca.Intent != "" {
			if _, err := push.ParseIntentURI(ca.Intent); err != nil {
				return 80100003, "Illegal payload, clickAction.intent: " + err.Error()
			}
		}
	case 2:
		if !strings.HasPrefix(ca.URL, "https://") && !strings.HasPrefix(ca.URL, "http://") {
			return 80100003, "Illegal payload, clickAction type 2 needs a url"
		}
	case 3:
	default:
		return 80100003, fmt.Sprintf("Illegal payload, clickAction.type %d", ca.Type)
	}
	if an.Importance != "" && an.Importance != "LOW" && an.Importance != "NORMAL" {
		return 80100001, "Illegal importance " + an.Importance
	}
	if a.TTL != "" {
		if d, ok := parseTTL(a.TTL); !ok || d > MaxTTL {
			return 80100001, "ttl is illegal"
		}
	}
	if b := an.Badge; b != nil && (b.AddNum != nil || b.SetNum != nil) && b.BadgeClass == "" {
		return 80100001, "badgeClass is required with addNum or setNum"
	}
	if an.When != "" {
		if _, err := time.Parse(time.RFC3339Nano, an.When); err != nil {
			return 80100001, "when is illegal"
		}
	}
	return 0, ""
}

func delivered(m *Request, tok, requestID string, raw []byte) vendorsim.Delivered {
	a, an := m.Android, m.Android.Notification
	d := vendorsim.Delivered{
		Token: tok, MessageID: requestID, Raw: raw,
		Title: an.Title, Body: an.Body, Image: an.Image, Importance: or(an.Importance, "NORMAL"),
		CollapseID: an.Tag, TTL: 86400 * time.Second,
	}
	if m.Notification != nil {
		d.Title, d.Body, d.Image = or(d.Title, m.Notification.Title), or(d.Body, m.Notification.Body), or(d.Image, m.Notification.Image)
	}
	if a.TTL != "" {
		d.TTL, _ = parseTTL(a.TTL)
	}
	if an.NotifyID != nil {
		d.NotifyID = strconv.Itoa(*an.NotifyID)
		d.ReplaceKeys = append(d.ReplaceKeys, "notifyId:"+d.NotifyID)
	}
	// §4.2 lists Huawei's notifyId and tag; the same notifyId or tag replaces, as on
	// Huawei (§3.2), which Honor's service was split from.
	if an.Tag != "" {
		d.ReplaceKeys = append(d.ReplaceKeys, "tag:"+an.Tag)
	}
	if b := an.Badge; b != nil && b.SetNum != nil {
		n := *b.SetNum
		d.Badge = &n
	}
	d.Extras = map[string]string{}
	switch an.ClickAction.Type {
	case 1:
		d.Click = vendorsim.Click{Type: string(push.ClickOpenPage), Target: or(an.ClickAction.Intent, an.ClickAction.Action)}
		if u, err := push.ParseIntentURI(an.ClickAction.Intent); err == nil {
			for k, v := range u.Extras {
				if name, ok := strings.CutPrefix(k, "S."); ok {
					d.Extras[name] = v
				}
			}
		}
	case 2:
		d.Click = vendorsim.Click{Type: string(push.ClickOpenURL), Target: an.ClickAction.URL}
	default:
		d.Click = vendorsim.Click{Type: string(push.ClickOpenApp)}
	}
	data := m.Data
	if data == nil {
		data = a.Data
	}
	if data != nil {
		var kv map[string]any
		if json.Unmarshal([]byte(*data), &kv) == nil {
			for k, v := range kv {
				if s, ok := v.(string); ok {
					d.Extras[k] = s
				} else {
					b, _ := json.Marshal(v)
					d.Extras[k] = string(b)
				}
			}
		}
	}
	d.Ext = d.Extras["ext"]
	return d
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
