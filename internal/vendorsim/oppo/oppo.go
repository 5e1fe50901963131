// Package oppo simulates the OPPO Push server API (vendors.md §6): POST /server/v1/auth
// (the sign recomputed as sha256(app_key + timestamp + master_secret), a 24-hour
// auth_token) and the form-encoded sends /server/v1/message/notification/unicast and
// .../unicast_batch (at most 1000 messages), answering with OPPO's JSON codes.
//
// The notification object is read with either snake_case keys (OPPO's Java SDK) or
// camelCase keys (the current doc's example). A regId that is unknown, unregistered or
// issued for another app is answered with code 10000: at the top level for unicast, per
// target for unicast_batch. A second message with an app_message_id the app has already
// used is accepted but not shown again, as OPPO deduplicates silently.
//
// The sign is compared without regard to hex case, since the case OPPO expects is
// unconfirmed.
package oppo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/vendorsim"
)

// Paths (vendors.md §6.2–§6.4).
const (
	AuthPath    = "/server/v1/auth"
	UnicastPath = "/server/v1/message/notification/unicast"
	BatchPath   = "/server/v1/message/notification/unicast_batch"
)

// Limits the simulator enforces (vendors.md §6; title and content limits are the choices
// documented in package internal/push/oppo).
const (
	MaxBatch            = 1000
	MaxTitle            = 50
	MaxSubTitle         = 10
	MaxContent          = 200
	MaxLongContent      = 1000
	MaxActionParameters = 4000
	MaxClickURL         = 2000
	MaxOffLineTTL       = 10 * 24 * 60 * 60 // seconds
	MaxShowTTL          = 24 * 60 * 60      // seconds
	MaxTimestampAge     = 10 * time.Minute
	MaxBodyBytes        = 4 << 20
	// DefaultTokenTTL is how long an auth_token is valid (vendors.md §6.2).
	DefaultTokenTTL = 24 * time.Hour
)

// Codes the simulator answers with (vendors.md §6.5).
const (
	CodeFlowControl        = -2
	CodeServiceUnavailable = -1
	CodeOK                 = 0
	CodeInvalidAuthToken   = 11
	CodeInvalidAppKey      = 14
	CodeMissingAppKey      = 15
	CodeInvalidSign        = 16
	CodeMissingSign        = 17
	CodeMissingTimestamp   = 18
	CodeInvalidTimestamp   = 19
	CodeMissingAuthToken   = 29
	CodeDailyLimit         = 33
	CodeMissingArgument    = 40
	CodeInvalidArgument    = 41
	CodeInvalidLevel       = 67
	CodeInvalidRegID       = 10000
)

var categories = map[string]bool{
	"IM": true, "ACCOUNT": true, "TODO": true, "DEVICE_REMINDER": true, "ORDER": true,
	"SUBSCRIPTION": true, "NEWS": true, "CONTENT": true, "MARKETING": true, "SOCIAL": true,
}

var activityClass = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)+$`)

// An App is one OPPO Push application's credentials. Phones register for its
// PackageName.
type App struct {
	AppID        string
	AppKey       string
	AppSecret    string
	MasterSecret string
	PackageName  string
}

// Certificate returns a push.Certificate for a whose send and auth endpoints are at
// baseURL (the simulator's URL).
func (a App) Certificate(baseURL string) *push.Certificate {
	return &push.Certificate{
		Vendor:       push.OPPO,
		Name:         "simulated " + a.PackageName,
		PackageName:  a.PackageName,
		AppID:        a.AppID,
		AppKey:       a.AppKey,
		AppSecret:    a.AppSecret,
		MasterSecret: a.MasterSecret,
		Endpoint:     push.Endpoint{SendURL: baseURL},
		UpdatedAt:    time.Now(),
	}
}

type issuedToken struct {
	appKey  string
	expires time.Time
}

// Server is the OPPO Push simulator. It is an http.Handler and safe for concurrent use.
type Server struct {
	*vendorsim.Sim

	// TokenTTL is how long an auth_token is valid. Default: DefaultTokenTTL. Set it
	// before serving.
	TokenTTL time.Duration

	mux    *http.ServeMux
	seq    atomic.Int64
	msgSeq atomic.Int64

	mu     sync.Mutex // protects the fields below
	apps   map[string]App
	tokens map[string]issuedToken
	seen   map[string]map[string]bool // app_message_id already used, by app key
}

// New returns a simulator with no apps.
func New() *Server {
	s := &Server{
		Sim:      vendorsim.NewSim(push.OPPO.String()),
		TokenTTL: DefaultTokenTTL,
		apps:     map[string]App{},
		tokens:   map[string]issuedToken{},
		seen:     map[string]map[string]bool{},
	}
	s.Sim.NewToken = func(string) string { return NewRegID() }
	s.mux = http.NewServeMux()
	s.mux.HandleFunc(AuthPath, s.handleAuth)
	s.mux.HandleFunc(UnicastPath, s.handleSend)
	s.mux.HandleFunc(BatchPath, s.handleSend)
	s.mux.Handle(vendorsim.AdminPrefix, s.AdminHandler())
	return s
}

// NewRegID returns a mainland-China regId in OPPO's format: "CN_" and 32 hex digits.
func NewRegID() string { return "CN_" + vendorsim.RandomHex(16) }

// CreateApp registers an app for package pkg and returns its credentials.
func (s *Server) CreateApp(pkg string) App {
	n := s.seq.Add(1)
	a := App{
		AppID:        strconv.FormatInt(30000000+n, 10),
		AppKey:       vendorsim.RandomHex(16),
		AppSecret:    vendorsim.RandomHex(16),
		MasterSecret: vendorsim.RandomHex(16),
		PackageName:  pkg,
	}
	s.mu.Lock()
	s.apps[a.AppKey] = a
	s.mu.Unlock()
	return a
}

// ServeHTTP serves the OPPO Push paths and the admin API under vendorsim.AdminPrefix.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

type reply struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

func writeReply(w http.ResponseWriter, r reply) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	json.NewEncoder(w).Encode(r)
}

func (s *Server) fail(w http.ResponseWriter, code int, message string) {
	s.CountRejected()
	writeReply(w, reply{Code: code, Message: message})
}

// readForm reads a form-encoded body. Reading the whole body first also lets net/http
// notice a client that gives up during a Timeout fault.
func readForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		return err
	}
	if ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || ct != "application/x-www-form-urlencoded" {
		return fmt.Errorf("content type must be application/x-www-form-urlencoded")
	}
	return nil
}

// answerFault answers with OPPO's shape for an injected fault.
func (s *Server) answerFault(w http.ResponseWriter, r *http.Request, f vendorsim.Fault) {
	s.CountRejected()
	if vendorsim.TransportFault(w, r, f) {
		return
	}
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(f.RetryAfter/time.Second)))
	}
	switch f.Kind {
	case vendorsim.Throttle:
		writeReply(w, reply{Code: CodeFlowControl, Message: "Service in Flow Control"})
	case vendorsim.Quota:
		writeReply(w, reply{Code: CodeDailyLimit, Message: "The number of messages exceeds the daily limit"})
	case vendorsim.AuthExpired:
		writeReply(w, reply{Code: CodeInvalidAuthToken, Message: "Invalid AuthToken"})
	default: // ServerError
		writeReply(w, reply{Code: CodeServiceUnavailable, Message: "Service Currently Unavailable"})
	}
}

func (s *Server) handleAuth(w http.ResponseWriter, r *http.Request) {
	s.CountAuth()
	if r.Method != http.MethodPost {
		s.fail(w, 12, "HTTP Action Not Allowed")
		return
	}
	formErr := readForm(w, r)
	if f, ok := s.NextFault(vendorsim.TargetAuth); ok {
		s.answerFault(w, r, f)
		return
	}
	if formErr != nil {
		s.fail(w, 25, "Invalid Encoding: "+formErr.Error())
		return
	}
	appKey, ts, sign := r.PostForm.Get("app_key"), r.PostForm.Get("timestamp"), r.PostForm.Get("sign")
	switch {
	case appKey == "":
		s.fail(w, CodeMissingAppKey, "Missing AppKey")
		return
	case ts == "":
		s.fail(w, CodeMissingTimestamp, "Missing Timestamp")
		return
	case sign == "":
		s.fail(w, CodeMissingSign, "Missing Sign")
		return
	}
	s.mu.Lock()
	app, ok := s.apps[appKey]
	s.mu.Unlock()
	if !ok {
		s.fail(w, CodeInvalidAppKey, "Invalid AppKey")
		return
	}
	// vendors.md §6.2: a 13-digit millisecond timestamp within the last 10 minutes.
	ms, err := strconv.ParseInt(ts, 10, 64)
	now := s.Now()
	if err != nil || len(ts) != 13 || now.Sub(time.UnixMilli(ms)) > MaxTimestampAge || time.UnixMilli(ms).Sub(now) > MaxTimestampAge {
		s.fail(w, CodeInvalidTimestamp, "Invalid Timestamp")
		return
	}
	sum := sha256.Sum256([]byte(appKey + ts + app.MasterSecret))
	if !strings.EqualFold(sign, hex.EncodeToString(sum[:])) {
		s.fail(w, CodeInvalidSign, "Invalid Sign")
		return
	}
	tok := vendorsim.RandomHex(12)
	s.mu.Lock()
	s.tokens[tok] = issuedToken{appKey: appKey, expires: now.Add(s.TokenTTL)}
	s.mu.Unlock()
	writeReply(w, reply{Code: CodeOK, Message: "success", Data: map[string]any{"auth_token": tok, "create_time": now.UnixMilli()}})
}

// ExpireTokens makes every auth_token issued so far invalid, as if a day had passed.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	clear(s.tokens)
	s.mu.Unlock()
}

type batchItem struct {
	MessageID      string `json:"messageId"`
	RegistrationID string `json:"registrationId"`
	ErrorCode      int    `json:"errorCode,omitempty"`
	ErrorMessage   string `json:"errorMessage,omitempty"`
}

func (s *Server) handleSend(w http.ResponseWriter, r *http.Request) {
	s.CountRequest()
	if r.Method != http.MethodPost {
		s.fail(w, 12, "HTTP Action Not Allowed")
		return
	}
	formErr := readForm(w, r)
	if f, ok := s.NextFault(vendorsim.TargetSend); ok {
		s.answerFault(w, r, f)
		return
	}
	if formErr != nil {
		s.fail(w, 25, "Invalid Encoding: "+formErr.Error())
		return
	}
	tok := r.PostForm.Get("auth_token")
	if tok == "" {
		s.fail(w, CodeMissingAuthToken, "Missing auth_token")
		return
	}
	s.mu.Lock()
	issued, ok := s.tokens[tok]
	app := s.apps[issued.appKey]
	s.mu.Unlock()
	if !ok || !s.Now().Before(issued.expires) {
		s.fail(w, CodeInvalidAuthToken, "Invalid AuthToken")
		return
	}

	batch := r.URL.Path == BatchPath
	var raws []json.RawMessage
	if batch {
		field := r.PostForm.Get("messages")
		if field == "" {
			s.fail(w, CodeMissingArgument, "Missing messages")
			return
		}
		if err := json.Unmarshal([]byte(field), &raws); err != nil {
			s.fail(w, CodeInvalidArgument, "messages must be a JSON array: "+err.Error())
			return
		}
		if len(raws) == 0 || len(raws) > MaxBatch {
			s.fail(w, CodeInvalidArgument, fmt.Sprintf("messages must hold 1–%d messages, not %d", MaxBatch, len(raws)))
			return
		}
	} else {
		field := r.PostForm.Get("message")
		if field == "" {
			s.fail(w, CodeMissingArgument, "Missing message")
			return
		}
		raws = []json.RawMessage{json.RawMessage(field)}
	}
	msgs := make([]message, len(raws))
	for i, raw := range raws {
		m, code, why := parseMessage(raw)
		if code != CodeOK {
			s.fail(w, code, why)
			return
		}
		msgs[i] = m
	}

	items := make([]batchItem, len(msgs))
	for i, m := range msgs {
		state, pkg := s.Lookup(m.target)
		if state != vendorsim.Active || pkg != app.PackageName {
			items[i] = batchItem{RegistrationID: m.target, ErrorCode: CodeInvalidRegID, ErrorMessage: "Invalid Registration_id"}
			continue
		}
		id := fmt.Sprintf("%s-1-1-%024x", app.AppID, s.msgSeq.Add(1))
		items[i] = batchItem{MessageID: id, RegistrationID: m.target}
		if s.firstUse(app.AppKey, m.appMessageID) {
			s.Deliver(m.delivered(id))
		}
	}
	if !batch {
		if items[0].ErrorCode != 0 {
			s.fail(w, items[0].ErrorCode, items[0].ErrorMessage)
			return
		}
		writeReply(w, reply{Code: CodeOK, Data: map[string]string{"messageId": items[0].MessageID}})
		return
	}
	writeReply(w, reply{Code: CodeOK, Data: items})
}

// firstUse reports whether id (an app_message_id) is new for the app, and remembers it.
// An empty id is always new.
func (s *Server) firstUse(appKey, id string) bool {
	if id == "" {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[appKey] == nil {
		s.seen[appKey] = map[string]bool{}
	}
	if s.seen[appKey][id] {
		return false
	}
	s.seen[appKey][id] = true
	return true
}

// message is a parsed, validated unicast message.
type message struct {
	target       string
	appMessageID string
	n            map[string]any
	raw          json.RawMessage
}

// fields reads a notification object whose keys may be snake_case or camelCase.
type fields map[string]any

// get returns the value under the snake_case key or its camelCase form.
func (f fields) get(snake string) (any, bool) {
	if v, ok := f[snake]; ok {
		return v, true
	}
	v, ok := f[camel(snake)]
	return v, ok
}

func (f fields) str(snake string) (string, bool) {
	v, ok := f.get(snake)
	if !ok || v == nil {
		return "", true
	}
	s, isStr := v.(string)
	return s, isStr
}

// num returns an integer field; ok is false when the field is present but not an integer.
func (f fields) num(snake string) (n int64, present, ok bool) {
	v, has := f.get(snake)
	if !has || v == nil {
		return 0, false, true
	}
	j, isNum := v.(json.Number)
	if !isNum {
		return 0, true, false
	}
	n, err := j.Int64()
	return n, true, err == nil
}

func camel(snake string) string {
	parts := strings.Split(snake, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// parseMessage validates one message (vendors.md §6.3) and returns it, or OPPO's code and
// message for refusing it.
func parseMessage(raw json.RawMessage) (message, int, string) {
	var top map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&top); err != nil {
		return message{}, CodeInvalidArgument, "message must be a JSON object: " + err.Error()
	}
	m := fields(top)
	tt, present, ok := m.num("target_type")
	if !present {
		return message{}, CodeMissingArgument, "Missing target_type"
	}
	if !ok || tt != 2 {
		return message{}, CodeInvalidArgument, "target_type must be 2 (registration_id)"
	}
	target, ok := m.str("target_value")
	if !ok || target == "" {
		return message{}, CodeMissingArgument, "Missing target_value"
	}
	nv, _ := m.get("notification")
	nmap, ok := nv.(map[string]any)
	if !ok {
		return message{}, CodeMissingArgument, "Missing notification"
	}
	n := fields(nmap)

	title, tok := n.str("title")
	content, cok := n.str("content")
	if !tok || !cok || strings.TrimSpace(title) == "" || strings.TrimSpace(content) == "" {
		return message{}, CodeMissingArgument, "title and content are required"
	}
	style, _, ok := n.num("style")
	if !ok || style < 0 || style > 3 {
		return message{}, CodeInvalidArgument, "style must be 1, 2 or 3"
	}
	maxContent := MaxContent
	if style == 2 {
		maxContent = MaxLongContent
	}
	sub, sok := n.str("sub_title")
	switch {
	case utf8.RuneCountInString(title) > MaxTitle:
		return message{}, CodeInvalidArgument, fmt.Sprintf("title is longer than %d characters", MaxTitle)
	case utf8.RuneCountInString(content) > maxContent:
		return message{}, CodeInvalidArgument, fmt.Sprintf("content is longer than %d characters", maxContent)
	case !sok || utf8.RuneCountInString(sub) > MaxSubTitle:
		return message{}, CodeInvalidArgument, fmt.Sprintf("sub_title must be a string of at most %d characters", MaxSubTitle)
	}

	clickType, _, ok := n.num("click_action_type")
	activity, aok := n.str("click_action_activity")
	clickURL, uok := n.str("click_action_url")
	if !ok || !aok || !uok {
		return message{}, CodeInvalidArgument, "click_action_* have the wrong type"
	}
	switch clickType {
	case 0:
	case 1:
		if activity == "" {
			return message{}, CodeMissingArgument, "click_action_type 1 needs click_action_activity"
		}
	case 4:
		if !activityClass.MatchString(activity) {
			return message{}, CodeInvalidArgument, "click_action_type 4 needs an activity class name in click_action_activity"
		}
	case 2, 5:
		if clickURL == "" {
			return message{}, CodeMissingArgument, "click_action_type 2 and 5 need click_action_url"
		}
		if utf8.RuneCountInString(clickURL) > MaxClickURL {
			return message{}, CodeInvalidArgument, fmt.Sprintf("click_action_url is longer than %d characters", MaxClickURL)
		}
		if u, err := url.Parse(clickURL); clickType == 2 && (err != nil || (u.Scheme != "http" && u.Scheme != "https")) {
			return message{}, CodeInvalidArgument, "click_action_url must be an http(s) URL"
		}
	default:
		return message{}, CodeInvalidArgument, "click_action_type must be 0, 1, 2, 4 or 5"
	}

	params, pok := n.str("action_parameters")
	if !pok || utf8.RuneCountInString(params) > MaxActionParameters {
		return message{}, CodeInvalidArgument, fmt.Sprintf("action_parameters must be a JSON string of at most %d characters", MaxActionParameters)
	}
	if params != "" {
		var obj map[string]any
		if err := json.Unmarshal([]byte(params), &obj); err != nil {
			return message{}, CodeInvalidArgument, "action_parameters must hold a JSON object"
		}
	}

	category, cok := n.str("category")
	level, _, lok := n.num("notify_level")
	if !cok || !lok {
		return message{}, CodeInvalidArgument, "category or notify_level has the wrong type"
	}
	if category != "" && !categories[category] {
		return message{}, CodeInvalidLevel, "Invalid category"
	}
	switch level {
	case 0:
	case 1, 2, 16:
		if category == "" {
			return message{}, CodeInvalidLevel, "notify_level needs a category"
		}
	default:
		return message{}, CodeInvalidLevel, "notify_level must be 1, 2 or 16"
	}

	for _, k := range []struct {
		key string
		max int64
	}{{"off_line_ttl", MaxOffLineTTL}, {"show_ttl", MaxShowTTL}, {"notify_id", 2147483647}, {"network_type", 2}} {
		v, _, ok := n.num(k.key)
		if !ok || v < 0 || v > k.max {
			return message{}, CodeInvalidArgument, fmt.Sprintf("%s must be a number in 0–%d", k.key, k.max)
		}
	}
	if v, ok := n.get("off_line"); ok {
		if _, isBool := v.(bool); !isBool {
			return message{}, CodeInvalidArgument, "off_line must be true or false"
		}
	}
	for _, k := range []string{"channel_id", "app_message_id", "call_back_url", "call_back_parameter", "private_msg_template_id"} {
		if _, ok := n.str(k); !ok {
			return message{}, CodeInvalidArgument, k + " must be a string"
		}
	}
	amid, _ := n.str("app_message_id")
	return message{target: target, appMessageID: amid, n: nmap, raw: raw}, CodeOK, ""
}

// delivered is what the target phone shows for m.
func (m message) delivered(id string) vendorsim.Delivered {
	n := fields(m.n)
	d := vendorsim.Delivered{Token: m.target, MessageID: id, Raw: m.raw}
	d.Title, _ = n.str("title")
	d.Body, _ = n.str("content")
	d.ChannelID, _ = n.str("channel_id")
	d.Category, _ = n.str("category")
	if v, present, _ := n.num("notify_id"); present {
		d.NotifyID = strconv.FormatInt(v, 10)
		// §6.3: "notify_id": same id replaces.
		d.ReplaceKeys = []string{"notify_id:" + d.NotifyID}
	}
	if v, present, _ := n.num("off_line_ttl"); present {
		d.TTL = time.Duration(v) * time.Second
	}
	// action_parameters become the intent extras the app reads on click.
	if params, _ := n.str("action_parameters"); params != "" {
		var obj map[string]any
		json.Unmarshal([]byte(params), &obj)
		d.Extras = map[string]string{}
		for k, v := range obj {
			if s, ok := v.(string); ok {
				d.Extras[k] = s
			} else {
				b, _ := json.Marshal(v)
				d.Extras[k] = string(b)
			}
		}
		d.Ext = d.Extras["ext"]
	}
	clickType, _, _ := n.num("click_action_type")
	switch clickType {
	case 1, 4:
		target, _ := n.str("click_action_activity")
		d.Click = vendorsim.Click{Type: string(push.ClickOpenPage), Target: target}
	case 2, 5:
		target, _ := n.str("click_action_url")
		d.Click = vendorsim.Click{Type: string(push.ClickOpenURL), Target: target}
	default:
		d.Click = vendorsim.Click{Type: string(push.ClickOpenApp)}
	}
	return d
}
