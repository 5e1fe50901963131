// Package xiaomi simulates the Mi Push server HTTP API (vendors.md §5): POST
// /v3/message/regid and /v2/message/regid, form-encoded, authenticated by
// "Authorization: key=<AppSecret>", answering with Mi Push's JSON shapes and codes.
//
// Phones get regIds in Mi Push's format (base64 text). A regId that is unknown,
// unregistered or issued for another package comes back in data.bad_regids; when no
// regId of a request is valid the answer is code 20301 "No valid targets!".
package xiaomi

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/vendorsim"
)

// Limits the simulator enforces (vendors.md §5.3; the batch and payload limits are the
// choices documented in package internal/push/xiaomi).
const (
	MaxRegIDs       = 1000
	MaxTitle        = 49
	MaxDescription  = 127
	MaxPayloadBytes = 4096
	MaxExtraPairs   = 10
	MaxExtraValue   = 1024
	MaxJobKey       = 20
	MaxNotifyID     = 2147483647
	MaxBodyBytes    = 1 << 20
)

// Codes the simulator answers with (vendors.md §5.4).
const (
	CodeOK             = 0
	CodeSystemError    = 10001
	CodeParamError     = 10008
	CodeMissingParam   = 10016
	CodeIllegalParam   = 10017
	CodeTooFrequent    = 10027
	CodeDailyQuota     = 10034
	CodeSendFailed     = 20301
	CodeAuthFailed     = 21301
	CodeIllegalPackage = 22022
	CodeContentTooLong = 65009
)

// An App is one Mi Push application's credentials.
type App struct {
	AppID       string
	AppKey      string
	AppSecret   string
	PackageName string
}

// Certificate returns a push.Certificate for a, with its send endpoint at baseURL (the
// simulator's URL).
func (a App) Certificate(baseURL string) *push.Certificate {
	return &push.Certificate{
		Vendor:      push.Xiaomi,
		Name:        "simulated " + a.PackageName,
		PackageName: a.PackageName,
		AppID:       a.AppID,
		AppKey:      a.AppKey,
		AppSecret:   a.AppSecret,
		Endpoint:    push.Endpoint{SendURL: baseURL},
	}
}

// Server is the Mi Push simulator. It is an http.Handler and safe for concurrent use.
type Server struct {
	*vendorsim.Sim

	// DailyQuota is how many regIds each app may be sent per Beijing day before code
	// 10034. Default 0: unlimited. Set it before serving.
	DailyQuota int

	mux    *http.ServeMux
	msgID  atomic.Int64
	appSeq atomic.Int64

	mu       sync.Mutex     // protects the fields below
	apps     map[string]App // by AppSecret
	quotaDay string
	dayAcked map[string]int // by package name
}

// New returns a simulator with no apps.
func New() *Server {
	s := &Server{Sim: vendorsim.NewSim(push.Xiaomi.String()), apps: map[string]App{}, dayAcked: map[string]int{}}
	s.Sim.NewToken = func(string) string { return NewRegID() }
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("/v3/message/regid", s.handleRegID)
	s.mux.HandleFunc("/v2/message/regid", s.handleRegID)
	s.mux.Handle(vendorsim.AdminPrefix, s.AdminHandler())
	return s
}

// NewRegID returns a regId in Mi Push's format: 44 characters of base64.
func NewRegID() string {
	b := make([]byte, 33)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// CreateApp registers an app for package pkg and returns its credentials.
func (s *Server) CreateApp(pkg string) App {
	a := App{
		AppID:       strconv.FormatInt(2882303761500000000+s.appSeq.Add(1), 10),
		AppKey:      "5" + vendorsim.RandomHex(6),
		AppSecret:   base64.StdEncoding.EncodeToString([]byte(vendorsim.RandomHex(8)))[:22] + "==",
		PackageName: pkg,
	}
	s.mu.Lock()
	s.apps[a.AppSecret] = a
	s.mu.Unlock()
	return a
}

// ServeHTTP serves the Mi Push paths and the admin API under vendorsim.AdminPrefix.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// reply is Mi Push's answer (vendors.md §5.4).
type reply struct {
	Result      string     `json:"result"`
	TraceID     string     `json:"trace_id"`
	Code        int        `json:"code"`
	Description string     `json:"description"`
	Info        string     `json:"info,omitempty"`
	Reason      string     `json:"reason,omitempty"`
	Data        *replyData `json:"data,omitempty"`
}

type replyData struct {
	ID        string `json:"id"`
	DayAcked  string `json:"day_acked"`
	DayQuota  string `json:"day_quota"`
	BadRegIDs string `json:"bad_regids,omitempty"`
}

// fail answers with a Mi Push error and counts the rejection.
func (s *Server) fail(w http.ResponseWriter, status, code int, description, reason string) {
	s.CountRejected()
	writeReply(w, status, reply{Result: "error", TraceID: traceID(), Code: code, Description: description, Reason: reason})
}

func writeReply(w http.ResponseWriter, status int, r reply) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(r)
}

func traceID() string { return "Xcm5" + vendorsim.RandomHex(10) }

func (s *Server) handleRegID(w http.ResponseWriter, r *http.Request) {
	s.CountRequest()
	if r.Method != http.MethodPost {
		s.CountRejected()
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	// Reading the whole body first also lets net/http notice a client that gives up
	// during a Timeout fault.
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	formErr := r.ParseForm()
	if f, ok := s.NextFault(vendorsim.TargetSend); ok {
		s.answerFault(w, r, f)
		return
	}

	// vendors.md §5.1: "Authorization: key=<AppSecret>", key in lower case.
	secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "key=")
	s.mu.Lock()
	app, known := s.apps[secret]
	s.mu.Unlock()
	if !ok || !known {
		s.fail(w, http.StatusOK, CodeAuthFailed, "认证失败", "Authentication failed: invalid AppSecret")
		return
	}

	if ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || ct != "application/x-www-form-urlencoded" {
		s.fail(w, http.StatusOK, CodeParamError, "参数错误", "Content-Type must be application/x-www-form-urlencoded")
		return
	}
	if formErr != nil {
		s.fail(w, http.StatusOK, CodeParamError, "参数错误", "unreadable form: "+formErr.Error())
		return
	}
	form := r.PostForm
	regIDs, code, reason := validate(form, app, r.URL.Path)
	if code != CodeOK {
		s.fail(w, http.StatusOK, code, describe(code), reason)
		return
	}
	if code, reason := s.takeQuota(app.PackageName, len(regIDs)); code != CodeOK {
		s.fail(w, http.StatusOK, code, describe(code), reason)
		return
	}

	var good, bad []string
	for _, id := range regIDs {
		state, pkg := s.Lookup(id)
		if state == vendorsim.Active && pkg == app.PackageName {
			good = append(good, id)
		} else {
			bad = append(bad, id)
		}
	}
	if len(good) == 0 {
		s.fail(w, http.StatusOK, CodeSendFailed, "发送消息失败", "No valid targets!")
		return
	}

	id := fmt.Sprintf("scm01b%018d", s.msgID.Add(1))
	for _, tok := range good {
		s.Deliver(delivered(form, tok, id))
	}
	acked := s.acked(app.PackageName)
	writeReply(w, http.StatusOK, reply{
		Result: "ok", TraceID: traceID(), Code: CodeOK, Description: "成功",
		Info: fmt.Sprintf("Received push messages for %d REGID", len(regIDs)),
		Data: &replyData{ID: id, DayAcked: strconv.Itoa(acked), DayQuota: strconv.Itoa(s.DailyQuota), BadRegIDs: strings.Join(bad, ",")},
	})
}

// answerFault answers with Mi Push's shape for an injected fault.
func (s *Server) answerFault(w http.ResponseWriter, r *http.Request, f vendorsim.Fault) {
	s.CountRejected()
	if vendorsim.TransportFault(w, r, f) {
		return
	}
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(f.RetryAfter/time.Second)))
	}
	e := reply{Result: "error", TraceID: traceID()}
	status := http.StatusOK
	switch f.Kind {
	case vendorsim.Throttle:
		e.Code, e.Description, e.Reason = CodeTooFrequent, describe(CodeTooFrequent), "app's API calls too frequent"
	case vendorsim.Quota:
		e.Code, e.Description, e.Reason = CodeDailyQuota, describe(CodeDailyQuota), "app sent too many messages today"
	case vendorsim.AuthExpired:
		e.Code, e.Description, e.Reason = CodeAuthFailed, describe(CodeAuthFailed), "Authentication failed"
	default: // ServerError
		status = http.StatusInternalServerError
		e.Code, e.Description, e.Reason = CodeSystemError, describe(CodeSystemError), "system error"
	}
	writeReply(w, status, e)
}

func describe(code int) string {
	switch code {
	case CodeSystemError:
		return "系统错误"
	case CodeParamError:
		return "参数错误"
	case CodeMissingParam:
		return "缺少必填参数"
	case CodeIllegalParam:
		return "非法的参数值"
	case CodeTooFrequent:
		return "app的接口调用过于频繁"
	case CodeDailyQuota:
		return "app今天发送的消息过多"
	case CodeAuthFailed:
		return "认证失败"
	case CodeIllegalPackage:
		return "非法的包名"
	case CodeContentTooLong:
		return "消息内容过长"
	}
	return "错误"
}

// Extra keys with a documented meaning (vendors.md §5.3); every other extra.<key> is a
// custom pair and counts towards the limit of MaxExtraPairs.
var knownExtras = map[string]bool{
	"notify_effect": true, "intent_uri": true, "web_uri": true, "channel_id": true,
	"channel_name": true, "channel_description": true, "sound_uri": true,
	"notify_foreground": true, "only_send_once": true, "jobkey": true,
	"callback": true, "callback.param": true, "callback.type": true,
}

// validate checks a send request's fields and returns its regIds, or the Mi Push code
// and reason for refusing it.
func validate(f url.Values, app App, path string) (regIDs []string, code int, reason string) {
	rid := f.Get("registration_id")
	if rid == "" {
		return nil, CodeMissingParam, "registration_id is required"
	}
	regIDs = strings.Split(rid, ",")
	if len(regIDs) > MaxRegIDs {
		return nil, CodeIllegalParam, fmt.Sprintf("too many registration_id: %d > %d", len(regIDs), MaxRegIDs)
	}
	for _, id := range regIDs {
		if id == "" {
			return nil, CodeIllegalParam, "empty registration_id in the list"
		}
	}

	pkgs := f.Get("restricted_package_name")
	if pkgs == "" {
		return nil, CodeMissingParam, "restricted_package_name is required"
	}
	list := strings.Split(pkgs, ",")
	if strings.HasPrefix(path, "/v2/") && len(list) > 1 {
		return nil, CodeIllegalParam, "v2 allows one restricted_package_name"
	}
	match := false
	for _, p := range list {
		match = match || p == app.PackageName
	}
	if !match {
		return nil, CodeIllegalPackage, "restricted_package_name does not belong to this app"
	}

	pass := f.Get("pass_through")
	if pass != "" && pass != "0" && pass != "1" {
		return nil, CodeIllegalParam, "pass_through must be 0 or 1"
	}
	if pass != "1" {
		title, desc := f.Get("title"), f.Get("description")
		switch {
		case title == "" || desc == "":
			return nil, CodeMissingParam, "title and description are required for notifications"
		case blank(title):
			return nil, CodeIllegalParam, "title is all white space"
		case blank(desc):
			return nil, CodeIllegalParam, "description is all white space"
		case utf8.RuneCountInString(title) > MaxTitle:
			return nil, CodeIllegalParam, "title must be shorter than 50 characters"
		case utf8.RuneCountInString(desc) > MaxDescription:
			return nil, CodeIllegalParam, "description must be shorter than 128 characters"
		}
	}
	if len(f.Get("payload")) > MaxPayloadBytes {
		return nil, CodeContentTooLong, fmt.Sprintf("payload is longer than %d bytes", MaxPayloadBytes)
	}
	if v := f.Get("notify_type"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < -1 || n > 7 || n == 0 {
			return nil, CodeIllegalParam, "notify_type must be -1 or a bitmask of 1, 2 and 4"
		}
	}
	if v := f.Get("notify_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > MaxNotifyID {
			return nil, CodeIllegalParam, "notify_id must be 0–2147483647"
		}
	}
	for _, k := range []string{"time_to_live", "time_to_send"} {
		if v := f.Get(k); v != "" {
			if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < 0 {
				return nil, CodeIllegalParam, k + " must be a number of milliseconds"
			}
		}
	}

	switch f.Get("extra.notify_effect") {
	case "", "1":
	case "2":
		if _, err := push.ParseIntentURI(f.Get("extra.intent_uri")); err != nil {
			return nil, CodeIllegalParam, "notify_effect 2 needs a valid extra.intent_uri"
		}
	case "3":
		u, err := url.Parse(f.Get("extra.web_uri"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, CodeIllegalParam, "notify_effect 3 needs an http(s) extra.web_uri"
		}
	default:
		return nil, CodeIllegalParam, "extra.notify_effect must be 1, 2 or 3"
	}
	if v := f.Get("extra.notify_foreground"); v != "" && v != "0" && v != "1" {
		return nil, CodeIllegalParam, "extra.notify_foreground must be 0 or 1"
	}
	if utf8.RuneCountInString(f.Get("extra.jobkey")) > MaxJobKey {
		return nil, CodeIllegalParam, "extra.jobkey is longer than 20 characters"
	}
	if v := f.Get("extra.callback.type"); v != "" {
		if _, err := strconv.Atoi(v); err != nil {
			return nil, CodeIllegalParam, "extra.callback.type must be a number"
		}
	}
	custom := 0
	for k, vs := range f {
		key, ok := strings.CutPrefix(k, "extra.")
		if !ok || knownExtras[key] {
			continue
		}
		custom++
		if utf8.RuneCountInString(key) > MaxExtraValue || utf8.RuneCountInString(vs[0]) > MaxExtraValue {
			return nil, CodeIllegalParam, "extra." + key + ": keys and values are at most 1024 characters"
		}
	}
	if custom > MaxExtraPairs {
		return nil, CodeIllegalParam, fmt.Sprintf("%d custom extras; at most %d", custom, MaxExtraPairs)
	}
	return regIDs, CodeOK, ""
}

func blank(s string) bool { return strings.TrimFunc(s, unicode.IsSpace) == "" }

// takeQuota counts n regIds against the app's daily quota.
func (s *Server) takeQuota(pkg string, n int) (int, string) {
	day := s.Now().In(push.ChinaTime).Format(time.DateOnly)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.quotaDay != day {
		s.quotaDay, s.dayAcked = day, map[string]int{}
	}
	if s.DailyQuota > 0 && s.dayAcked[pkg]+n > s.DailyQuota {
		return CodeDailyQuota, "daily quota exceeded"
	}
	s.dayAcked[pkg] += n
	return CodeOK, ""
}

func (s *Server) acked(pkg string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dayAcked[pkg]
}

// delivered is what the phone with token shows for the request's fields.
func delivered(f url.Values, token, id string) vendorsim.Delivered {
	raw := make(map[string]string, len(f))
	extras := map[string]string{}
	for k, vs := range f {
		if k == "registration_id" {
			continue
		}
		raw[k] = vs[0]
		if key, ok := strings.CutPrefix(k, "extra."); ok {
			extras[key] = vs[0]
		}
	}
	rawJSON, _ := json.Marshal(raw)
	d := vendorsim.Delivered{
		Token:     token,
		Title:     f.Get("title"),
		Body:      f.Get("description"),
		Ext:       extras["ext"],
		Extras:    extras,
		ChannelID: f.Get("extra.channel_id"),
		Sound:     f.Get("extra.sound_uri"),
		NotifyID:  f.Get("notify_id"),
		MessageID: id,
		Raw:       rawJSON,
	}
	if d.NotifyID != "" {
		// §5.3: "notify_id": same id replaces the earlier notification.
		d.ReplaceKeys = []string{"notify_id:" + d.NotifyID}
	}
	switch f.Get("extra.notify_effect") {
	case "2":
		d.Click = vendorsim.Click{Type: string(push.ClickOpenPage), Target: f.Get("extra.intent_uri")}
	case "3":
		d.Click = vendorsim.Click{Type: string(push.ClickOpenURL), Target: f.Get("extra.web_uri")}
	default:
		d.Click = vendorsim.Click{Type: string(push.ClickOpenApp)}
	}
	if ms, err := strconv.ParseInt(f.Get("time_to_live"), 10, 64); err == nil {
		d.TTL = time.Duration(ms) * time.Millisecond
	}
	return d
}
