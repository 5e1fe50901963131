// Package huawei simulates Huawei Push Kit (vendors.md §3): the OAuth token endpoint
// (/oauth2/v3/token and /oauth2/v2/token) and the v1 send endpoint
// (/v1/<clientid>/messages:send), on one server.
//
// It checks client credentials, issues access tokens that expire (TokenLifetime, by the
// simulator's clock), refuses unknown, foreign and expired bearer tokens with Huawei's
// codes, validates the message (structure and types, click action, category,
// importance, badge class, TTL, body size without tokens, token count) and answers with
// Huawei's success, partial-success and error bodies.
//
// Where vendors.md has no shape, the simulator chooses one: the 503 flow-control body
// is {"msg":"flow control","requestId":…} without a code; a quota fault is answered as
// flow control with Retry-After until the next Beijing midnight (Huawei documents no
// separate quota error); OAuth errors all use error 1101 / sub_error 12304.
package huawei

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
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

// Limits the simulator enforces (vendors.md §3.2).
const (
	MaxTokens    = 1000
	MaxBodyBytes = 4096
	MaxTTL       = 1296000 * time.Second
	// DefaultTokenLifetime is how long an access token lasts (vendors.md §3.1).
	DefaultTokenLifetime = time.Hour
)

// Server is a simulated Huawei Push Kit. Create it with New. It is safe for concurrent use.
type Server struct {
	*vendorsim.Sim
	// TokenLifetime is the expires_in of issued access tokens. Default: DefaultTokenLifetime.
	TokenLifetime time.Duration

	mu     sync.Mutex        // protects apps and tokens
	apps   map[string]string // client ID (AppID) → client secret
	tokens map[string]accessToken

	nextApp atomic.Int64
}

type accessToken struct {
	appID   string
	expires time.Time
}

// New returns a Server with no apps.
func New() *Server {
	s := &Server{
		Sim:           vendorsim.NewSim(string(push.Huawei)),
		TokenLifetime: DefaultTokenLifetime,
		apps:          map[string]string{},
		tokens:        map[string]accessToken{},
	}
	s.nextApp.Store(101000000)
	s.NewToken = newPushToken
	return s
}

// newPushToken makes a token shaped like an HMS push token: base64 text of about 130
// characters ending in a region suffix.
func newPushToken(string) string {
	b := make([]byte, 96)
	rand.Read(b)
	return "IQAAAACy0" + base64.RawStdEncoding.EncodeToString(b) + "CN01"
}

// Credentials are what the AppGallery Connect console shows for an app.
type Credentials struct {
	AppID     string // the OAuth client ID, in the send URL
	AppSecret string // the OAuth client secret
}

// CreateApp registers an app and returns its credentials. Phones of the app are
// registered with Register(creds.AppID).
func (s *Server) CreateApp() Credentials {
	c := Credentials{AppID: strconv.FormatInt(s.nextApp.Add(1), 10), AppSecret: vendorsim.RandomHex(32)}
	s.mu.Lock()
	s.apps[c.AppID] = c.AppSecret
	s.mu.Unlock()
	return c
}

// Certificate returns a push.Certificate for c whose endpoints point at baseURL, the
// simulator's URL.
func (c Credentials) Certificate(baseURL string) *push.Certificate {
	id, _ := strconv.ParseInt(c.AppID, 10, 64)
	return &push.Certificate{
		ID: id, Vendor: push.Huawei, Name: "sim " + c.AppID,
		AppID: c.AppID, AppSecret: c.AppSecret,
		Endpoint: push.Endpoint{SendURL: baseURL, AuthURL: baseURL},
	}
}

// ServeHTTP serves the OAuth and send paths and the admin API under vendorsim.AdminPrefix.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, vendorsim.AdminPrefix):
		s.AdminHandler().ServeHTTP(w, r)
	case r.URL.Path == "/oauth2/v3/token" || r.URL.Path == "/oauth2/v2/token":
		s.serveToken(w, r)
	case strings.HasPrefix(r.URL.Path, "/v1/") && strings.HasSuffix(r.URL.Path, "/messages:send"):
		s.serveSend(w, r)
	default:
		http.NotFound(w, r)
	}
}

// oauthError writes the OAuth server's error body (vendors.md §3.1).
func (s *Server) oauthError(w http.ResponseWriter, status int, desc string) {
	s.CountRejected()
	writeJSON(w, status, map[string]any{"error": 1101, "sub_error": 12304, "error_description": desc})
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	s.CountAuth()
	if err := r.ParseForm(); err != nil {
		s.oauthError(w, http.StatusBadRequest, "bad form")
		return
	}
	if f, ok := s.NextFault(vendorsim.TargetAuth); ok {
		if vendorsim.TransportFault(w, r, f) {
			return
		}
		switch f.Kind {
		case vendorsim.AuthExpired:
			s.oauthError(w, http.StatusBadRequest, "invalid client_secret")
		case vendorsim.Throttle, vendorsim.Quota:
			s.CountRejected()
			setRetryAfter(w, f.RetryAfter)
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": 1101, "error_description": "flow control"})
		default:
			s.CountRejected()
			writeJSON(w, http.StatusInternalServerError, map[string]any{"error": 1101, "error_description": "internal error"})
		}
		return
	}
	if r.Method != http.MethodPost {
		s.oauthError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		s.oauthError(w, http.StatusBadRequest, "content type must be application/x-www-form-urlencoded")
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		s.oauthError(w, http.StatusBadRequest, "unsupported grant_type")
		return
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	s.mu.Lock()
	want, ok := s.apps[id]
	s.mu.Unlock()
	if !ok {
		s.oauthError(w, http.StatusBadRequest, "invalid client_id")
		return
	}
	if secret != want {
		s.oauthError(w, http.StatusBadRequest, "invalid client_secret")
		return
	}
	b := make([]byte, 48)
	rand.Read(b)
	// Real tokens contain "/" (escaped "\/" in the JSON text); keep one so that clients
	// which copy the raw text are caught.
	tok := "CgB6e3x9" + base64.StdEncoding.EncodeToString(b) + "/x"
	s.mu.Lock()
	s.tokens[tok] = accessToken{appID: id, expires: s.Now().Add(s.TokenLifetime)}
	s.mu.Unlock()
	body, _ := json.Marshal(map[string]any{"access_token": tok, "expires_in": int64(s.TokenLifetime / time.Second), "token_type": "Bearer"})
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Write(bytes.ReplaceAll(body, []byte("/"), []byte(`\/`)))
}

// sendError writes Huawei's send answer with code and counts a rejection.
func (s *Server) sendError(w http.ResponseWriter, status int, code, msg string) {
	s.CountRejected()
	writeJSON(w, status, map[string]string{"code": code, "msg": msg, "requestId": newRequestID()})
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
		s.sendError(w, http.StatusBadRequest, "80100003", "Illegal payload")
		return
	}
	if f, ok := s.NextFault(vendorsim.TargetSend); ok {
		if vendorsim.TransportFault(w, r, f) {
			return
		}
		switch f.Kind {
		case vendorsim.AuthExpired:
			s.sendError(w, http.StatusUnauthorized, "80200003", "Oauth Token expired")
		case vendorsim.Throttle:
			s.CountRejected()
			setRetryAfter(w, f.RetryAfter)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"msg": "flow control", "requestId": newRequestID()})
		case vendorsim.Quota:
			s.CountRejected()
			ra := f.RetryAfter
			if ra == 0 {
				ra = push.UntilChinaMidnight(s.Now())
			}
			setRetryAfter(w, ra)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"msg": "flow control", "requestId": newRequestID()})
		default:
			s.sendError(w, http.StatusInternalServerError, "81000001", "system internal error")
		}
		return
	}
	if r.Method != http.MethodPost {
		s.sendError(w, http.StatusNotFound, "80100001", "method not allowed")
		return
	}
	appID := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/v1/"), "/messages:send")

	// Authorization (vendors.md §3.1, §3.3).
	bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || bearer == "" {
		s.sendError(w, http.StatusUnauthorized, "80200001", "Oauth authentication error")
		return
	}
	s.mu.Lock()
	at, known := s.tokens[bearer]
	s.mu.Unlock()
	switch {
	case !known || at.appID != appID:
		s.sendError(w, http.StatusUnauthorized, "80200001", "Oauth authentication error")
		return
	case !s.Now().Before(at.expires):
		s.sendError(w, http.StatusUnauthorized, "80200003", "Oauth Token expired")
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		s.sendError(w, http.StatusBadRequest, "80100003", "Illegal payload, content type must be application/json")
		return
	}
	var req Request
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		s.sendError(w, http.StatusBadRequest, "80100003", "Illegal payload: "+err.Error())
		return
	}
	m := req.Message
	if m == nil {
		s.sendError(w, http.StatusBadRequest, "80100003", "Illegal payload, message is required")
		return
	}
	if len(m.Token) == 0 && (m.Topic != "" || m.Condition != "") {
		s.sendError(w, http.StatusBadRequest, "80100001", "UnSupported svc: the simulator sends to tokens only")
		return
	}
	if len(m.Token) == 0 || len(m.Token) > MaxTokens {
		s.sendError(w, http.StatusBadRequest, "80300010", "The number of tokens in the message body exceeds the default value")
		return
	}
	if size := sizeWithoutTokens(raw, m.Token); size > MaxBodyBytes {
		s.sendError(w, http.StatusBadRequest, "80300008", fmt.Sprintf("The message body size %d exceeds the default value", size))
		return
	}
	if code, msg := validate(m, s.Now()); code != "" {
		s.sendError(w, http.StatusBadRequest, code, msg)
		return
	}
	if req.ValidateOnly {
		writeJSON(w, http.StatusOK, map[string]string{"code": "80000000", "msg": "Success", "requestId": newRequestID()})
		return
	}

	requestID := newRequestID()
	var illegal []string
	// Every phone of the batch keeps the request as received: one copy shared by all,
	// not one each (a 1,000-token request is ~50 KB).
	shared := append(json.RawMessage(nil), raw...)
	for _, tok := range m.Token {
		if state, app := s.Lookup(tok); state != vendorsim.Active || app != appID {
			illegal = append(illegal, tok)
			continue
		}
		s.Deliver(delivered(m, tok, requestID, shared))
	}
	switch {
	case len(illegal) == len(m.Token):
		s.sendError(w, http.StatusBadRequest, "80300007", "All the tokens are invalid")
	case len(illegal) > 0:
		msg, _ := json.Marshal(map[string]any{"success": len(m.Token) - len(illegal), "failure": len(illegal), "illegal_tokens": illegal})
		writeJSON(w, http.StatusOK, map[string]string{"code": "80100000", "msg": string(msg), "requestId": requestID})
	default:
		writeJSON(w, http.StatusOK, map[string]string{"code": "80000000", "msg": "Success", "requestId": requestID})
	}
}

// sizeWithoutTokens is the request's size less the token strings, their quotes and the
// commas between them: what Huawei's 4096-byte limit counts.
func sizeWithoutTokens(raw []byte, tokens []string) int {
	n := len(bytes.TrimSpace(raw))
	for _, t := range tokens {
		n -= len(t) + 2
	}
	return n - (len(tokens) - 1)
}

var ttlText = regexp.MustCompile(`^[0-9]+(\.[0-9]{1,9})?s$`)

var categories = map[string]bool{"IM": true, "VOIP": true, "SUBSCRIPTION": true, "TRAVEL": true, "HEALTH": true,
	"WORK": true, "ACCOUNT": true, "EXPRESS": true, "FINANCE": true, "DEVICE_REMINDER": true, "MAIL": true,
	"PLAY_VOICE": true, "MARKETING": true}

// validate checks a notification message the way Huawei does and returns the code and
// message of the first problem, or "".
func validate(m *Message, now time.Time) (code, msg string) {
	a := m.Android
	isNotification := m.Notification != nil || (a != nil && a.Notification != nil)
	if m.Data != nil && isNotification && !json.Valid([]byte(*m.Data)) {
		return "80100001", "data must be JSON text in a notification message"
	}
	if !isNotification {
		if m.Data == nil && (a == nil || a.Data == nil) {
			return "80100003", "Illegal payload, message has no data and no notification"
		}
		return "", ""
	}
	if a == nil || a.Notification == nil {
		return "80100003", "Illegal payload, android.notification.click_action is required"
	}
	an := a.Notification
	title, body := an.Title, an.Body
	if m.Notification != nil {
		title, body = or(title, m.Notification.Title), or(body, m.Notification.Body)
	}
	if title == "" || body == "" {
		return "80100003", "Illegal payload, notification title and body are required"
	}
	ca := an.ClickAction
	if ca == nil {
		return "80100003", "Illegal payload, android.notification.click_action is required"
	}
	switch ca.Type {
	case 1:
		if ca.Intent == "" && ca.Action == "" {
			return "80100003", "Illegal payload, click_action type 1 needs intent or action"
		}
		if ca.Intent != "" {
			if _, err := push.ParseIntentURI(ca.Intent); err != nil {
				return "80100003", "Illegal payload, click_action.intent: " + err.Error()
			}
		}
	case 2:
		if !strings.HasPrefix(ca.URL, "https://") {
			return "80100003", "Illegal payload, click_action type 2 needs an https url"
		}
	case 3:
	default:
		return "80100003", fmt.Sprintf("Illegal payload, click_action.type %d", ca.Type)
	}
	if a.Category != "" && (!categories[a.Category] || a.Category == "PLAY_VOICE") {
		return "80100001", "Illegal category " + a.Category
	}
	if an.Importance != "" && an.Importance != "LOW" && an.Importance != "NORMAL" {
		return "80100001", "Illegal importance " + an.Importance
	}
	if a.Urgency != "" && a.Urgency != "HIGH" && a.Urgency != "NORMAL" {
		return "80100001", "Illegal urgency " + a.Urgency
	}
	if a.CollapseKey != nil && (*a.CollapseKey < -1 || *a.CollapseKey > 100) {
		return "80100013", "collapse_key is illegal"
	}
	if a.TTL != "" {
		d, ok := parseTTL(a.TTL)
		if !ok || d > MaxTTL {
			return "80100001", "ttl is illegal"
		}
	}
	if b := an.Badge; b != nil && (b.AddNum != nil || b.SetNum != nil) && b.Class == "" {
		return "80100001", "badge class is required with add_num or set_num"
	}
	if an.NotifyID != nil && *an.NotifyID < -1 {
		return "80100001", "notify_id is illegal"
	}
	return "", ""
}

// withClick is a copy of an with the open-app click action, so delivered never
// writes into the request it was given.
func withClick(an *AndroidNotification) *AndroidNotification {
	c := *an
	c.ClickAction = &ClickAction{Type: 3}
	return &c
}

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

// delivered turns an accepted message into what the phone shows.
// replaceKeys are the keys by which a notification replaces another (§3.2).
func replaceKeys(notifyID, tag string) []string {
	var keys []string
	if notifyID != "" {
		keys = append(keys, "notify_id:"+notifyID)
	}
	if tag != "" {
		keys = append(keys, "tag:"+tag)
	}
	return keys
}

func delivered(m *Message, tok, requestID string, raw []byte) vendorsim.Delivered {
	// A data-only message has no android block or no android.notification: it reaches the
	// app, not the notification bar, so model it as an empty notification carrying the data.
	a, an := m.Android, (*AndroidNotification)(nil)
	if a == nil {
		a = &Android{}
	}
	if an = a.Notification; an == nil {
		an = &AndroidNotification{}
	}
	if an.ClickAction == nil {
		an = withClick(an)
	}
	d := vendorsim.Delivered{
		Token: tok, MessageID: requestID, Raw: raw,
		Title: an.Title, Body: an.Body, Image: an.Image,
		ChannelID: an.ChannelID, Category: a.Category, Importance: or(an.Importance, "NORMAL"),
		Sound: an.Sound, CollapseID: an.Tag, Priority: or(a.Urgency, "NORMAL"), TTL: 86400 * time.Second,
	}
	if m.Notification != nil {
		d.Title, d.Body, d.Image = or(d.Title, m.Notification.Title), or(d.Body, m.Notification.Body), or(d.Image, m.Notification.Image)
	}
	if a.TTL != "" {
		d.TTL, _ = parseTTL(a.TTL)
	}
	if an.NotifyID != nil && *an.NotifyID != -1 {
		d.NotifyID = strconv.Itoa(*an.NotifyID)
	}
	// §3.2: "Replacing a notification: notify_id (same id replaces; -1 or absent
	// generates a new one), or tag."
	d.ReplaceKeys = replaceKeys(d.NotifyID, an.Tag)
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
	// The data's key/value pairs reach the opened activity as intent extras.
	data := m.Data
	if a.Data != nil { // android.data overrides message.data on Android
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

// newRequestID returns a 24-digit request ID like Huawei's.
func newRequestID() string {
	n, _ := rand.Int(rand.Reader, new(big.Int).Exp(big.NewInt(10), big.NewInt(24), nil))
	return fmt.Sprintf("%024d", n)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
