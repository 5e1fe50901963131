// Package vivo simulates vivo Push (vendors.md §7): /message/auth with its MD5
// signature and ±10 minute timestamp window, authTokens that expire after a day, and
// /message/send, /message/saveListPayload and /message/pushToList with vivo's payload
// checks and answers.
//
// Result codes that vendors.md §7.4 confirms (0, 10070, 10094, 10096, 10097, 10200,
// 10201, 10252, 10302 with invalidUser) are answered as vivo answers them. The others are
// this simulator's choice, since vivo's full list is unconfirmed: 10000 for a missing,
// unknown or expired authToken (the code the sender treats as auth-expired), 10072 for
// throttling, 10202–10207 for the other auth refusals and 10040–10111 for payload
// errors (see the code* constants). pushToList reports invalid regIds in "invalidUsers",
// a list of {"status":N,"userid":"<regId>"}, and takes 2 to 1000 regIds.
package vivo

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/vendorsim"
)

// Result codes. The confirmed ones come from vendors.md §7.1 and §7.4; the others are
// the simulator's choice (see the package comment).
const (
	CodeOK               = 0
	CodeAuthFailed       = 10000 // authToken missing, unknown or expired (chosen)
	CodeRequestID        = 10040 // requestId empty or over 64 characters (chosen)
	CodeNoTarget         = 10050 // neither regId nor alias (chosen)
	CodeNotifyType       = 10055 // notifyType not 1–4 (chosen)
	CodeTitle            = 10056 // title empty or over 40 characters (chosen)
	CodeContent          = 10058 // content empty or over 100 characters (chosen)
	CodeSkip             = 10060 // skipType or skipContent invalid (chosen)
	CodeCustomMap        = 10065 // clientCustomMap over 1024 characters (chosen)
	CodeTimeToLive       = 10066 // timeToLive outside 60 s–1 day (chosen)
	CodeNotifyID         = 10068 // notifyId outside 1–2147483647 (chosen)
	CodeTotalExceeded    = 10070 // daily send volume used up (§7.4)
	CodeTooFast          = 10072 // throttled (chosen)
	CodeAppMismatch      = 10094 // appId does not match the authToken's app (§7.4)
	CodeCategory         = 10096 // invalid category (§7.4)
	CodeCategoryMismatch = 10097 // category does not fit classification (§7.4)
	CodeBadRequest       = 10101 // malformed JSON or a field of the wrong type (chosen)
	CodeRegIDCount       = 10110 // regIds not 2–1000 (chosen)
	CodeTaskID           = 10111 // unknown taskId (chosen)
	CodeAppIDEmpty       = 10200 // (auth) appId empty (§7.4)
	CodeAppKeyEmpty      = 10201 // (auth) appKey empty (§7.4)
	CodeAppKeyWrong      = 10202 // (auth) appKey does not belong to appId (chosen)
	CodeTimestampEmpty   = 10203 // (auth) timestamp missing (chosen)
	CodeSignEmpty        = 10204 // (auth) sign missing (chosen)
	CodeAppUnknown       = 10205 // (auth) no such appId (chosen)
	CodeSignWrong        = 10206 // (auth) sign does not match (chosen)
	CodeTimestampSkew    = 10207 // (auth) timestamp more than 10 minutes off (chosen)
	CodeListExceeded     = 10252 // daily saveListPayload bodies used up (§7.4)
	CodeInvalidRegID     = 10302 // regId invalid, with invalidUser (§7.4)
)

// Limits the simulator enforces.
const (
	// TimestampWindow is how far an auth timestamp may be from the server clock (§7.1).
	TimestampWindow = 10 * time.Minute
	// MinRegIDs is the fewest regIds pushToList takes (one SDK sends fewer by single send).
	MinRegIDs = 2
	// maxBody bounds a request body the simulator reads.
	maxBody = 1 << 20
)

var categoryClass = map[string]int{
	"IM": 1, "ACCOUNT": 1, "TODO": 1, "DEVICE_REMINDER": 1, "ORDER": 1, "SUBSCRIPTION": 1,
	"NEWS": 0, "CONTENT": 0, "MARKETING": 0, "SOCIAL": 0,
}

// App is one vivo app's credentials, as the vivo developer console shows them.
type App struct {
	AppID       string
	AppKey      string
	AppSecret   string
	PackageName string
}

// Certificate returns a push.Certificate for app whose endpoint is the simulator at
// baseURL (e.g. an httptest server's URL).
func (a App) Certificate(baseURL string) *push.Certificate {
	return &push.Certificate{
		Vendor:      push.Vivo,
		Name:        "vivo simulator",
		PackageName: a.PackageName,
		AppID:       a.AppID,
		AppKey:      a.AppKey,
		AppSecret:   a.AppSecret,
		Endpoint:    push.Endpoint{SendURL: baseURL},
	}
}

// Server is a vivo Push simulator. Its methods are safe for concurrent use.
type Server struct {
	*vendorsim.Sim

	admin http.Handler

	mu       sync.Mutex // protects the fields below
	nextID   int64
	apps     map[string]App       // by appId
	tokens   map[string]authToken // by authToken
	payloads map[string]saved     // by taskId
	requests map[string]string    // appId + "/" + requestId → taskId of an accepted request
}

type authToken struct {
	appID   string
	expires time.Time
}

type saved struct {
	appID string
	p     *payload
	raw   json.RawMessage
}

// New returns an empty simulator.
func New() *Server {
	s := &Server{
		Sim:      vendorsim.NewSim(string(push.Vivo)),
		apps:     map[string]App{},
		tokens:   map[string]authToken{},
		payloads: map[string]saved{},
		requests: map[string]string{},
		nextID:   121397329,
	}
	s.NewToken = newRegID
	s.admin = s.AdminHandler()
	return s
}

// newRegID returns a regId in vivo's 23-digit form.
func newRegID(string) string {
	h := vendorsim.RandomHex(12)
	var b strings.Builder
	for i := 0; i < 23; i++ {
		b.WriteByte('0' + h[i]%10)
	}
	return b.String()
}

// CreateApp registers an app with fresh credentials; phones register with its AppID as
// the app identity.
func (s *Server) CreateApp(packageName string) App {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	a := App{
		AppID:       strconv.FormatInt(100000000+s.nextID%100000000, 10),
		AppKey:      vendorsim.RandomHex(16),
		AppSecret:   vendorsim.RandomHex(16),
		PackageName: packageName,
	}
	s.apps[a.AppID] = a
	return a
}

// ExpireTokens makes every authToken issued so far expired, as if a day had passed.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, t := range s.tokens {
		t.expires = time.Time{}
		s.tokens[k] = t
	}
}

// ServeHTTP serves vivo's paths and the admin API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, vendorsim.AdminPrefix) {
		s.admin.ServeHTTP(w, r)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	switch r.URL.Path {
	case PathAuth:
		s.CountAuth()
		if s.fault(w, r, vendorsim.TargetAuth) {
			return
		}
		s.auth(w, body)
	case PathSend, PathSaveListPayload, PathPushToList:
		s.CountRequest()
		if s.fault(w, r, vendorsim.TargetSend) {
			return
		}
		appID, ok := s.checkToken(r.Header.Get("authToken"))
		if !ok {
			s.reply(w, CodeAuthFailed, "权限认证失败", nil)
			return
		}
		switch r.URL.Path {
		case PathSend:
			s.send(w, body, appID)
		case PathSaveListPayload:
			s.saveListPayload(w, body, appID)
		default:
			s.pushToList(w, body, appID)
		}
	default:
		http.NotFound(w, r)
	}
}

// fault answers the next injected fault for target, if any, in vivo's shapes.
func (s *Server) fault(w http.ResponseWriter, r *http.Request, target vendorsim.FaultTarget) bool {
	f, ok := s.NextFault(target)
	if !ok {
		return false
	}
	s.CountRejected()
	vendorsim.TransportFault(w, r, f)
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(f.RetryAfter/time.Second)))
	}
	switch {
	case f.Kind == vendorsim.ServerError:
		http.Error(w, "Internet server error!", http.StatusInternalServerError) // vendors.md §7.1
	case f.Kind == vendorsim.Throttle:
		writeJSON(w, map[string]any{"result": CodeTooFast, "desc": "发送速度过快"})
	case f.Kind == vendorsim.AuthExpired && target == vendorsim.TargetAuth:
		writeJSON(w, map[string]any{"result": CodeSignWrong, "desc": "sign不正确"})
	case f.Kind == vendorsim.AuthExpired:
		writeJSON(w, map[string]any{"result": CodeAuthFailed, "desc": "权限认证失败"})
	case f.Kind == vendorsim.Quota && r.URL.Path == PathSaveListPayload:
		writeJSON(w, map[string]any{"result": CodeListExceeded, "desc": "批量推送消息体超出限制"})
	case f.Kind == vendorsim.Quota:
		writeJSON(w, map[string]any{"result": CodeTotalExceeded, "desc": "发送总量超出限制"})
	default:
		http.Error(w, fmt.Sprintf("unknown fault %q", f.Kind), http.StatusInternalServerError)
	}
	return true
}

// reply writes a vivo answer; a non-zero code counts as a rejection.
func (s *Server) reply(w http.ResponseWriter, code int, desc string, extra map[string]any) {
	if code != CodeOK {
		s.CountRejected()
	}
	body := map[string]any{"result": code, "desc": desc}
	for k, v := range extra {
		body[k] = v
	}
	writeJSON(w, body)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	json.NewEncoder(w).Encode(v)
}

// appID reads vivo's appId, which arrives as a number or a string.
type appID string

func (a *appID) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		*a = appID(n.String())
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("appId must be a number or a string")
	}
	*a = appID(s)
	return nil
}

func (s *Server) auth(w http.ResponseWriter, body []byte) {
	var req struct {
		AppID     appID  `json:"appId"`
		AppKey    string `json:"appKey"`
		Timestamp *int64 `json:"timestamp"`
		Sign      string `json:"sign"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		s.reply(w, CodeBadRequest, "参数不合法: "+err.Error(), nil)
		return
	}
	s.mu.Lock()
	app, known := s.apps[string(req.AppID)]
	s.mu.Unlock()
	now := s.Now()
	switch {
	case req.AppID == "":
		s.reply(w, CodeAppIDEmpty, "appId不能为空", nil)
	case req.AppKey == "":
		s.reply(w, CodeAppKeyEmpty, "appKey不能为空", nil)
	case req.Timestamp == nil:
		s.reply(w, CodeTimestampEmpty, "timestamp不能为空", nil)
	case req.Sign == "":
		s.reply(w, CodeSignEmpty, "sign不能为空", nil)
	case !known:
		s.reply(w, CodeAppUnknown, "appId不存在", nil)
	case req.AppKey != app.AppKey:
		s.reply(w, CodeAppKeyWrong, "appKey不合法", nil)
	case now.Sub(time.UnixMilli(*req.Timestamp)).Abs() > TimestampWindow:
		s.reply(w, CodeTimestampSkew, "timestamp不合法", nil)
	case req.Sign != Sign(app.AppID, app.AppKey, *req.Timestamp, app.AppSecret):
		s.reply(w, CodeSignWrong, "sign不正确", nil)
	default:
		tok := vendorsim.RandomHex(20)
		s.mu.Lock()
		s.tokens[tok] = authToken{appID: app.AppID, expires: now.Add(TokenLifetime)}
		s.mu.Unlock()
		s.reply(w, CodeOK, "请求成功", map[string]any{"authToken": tok})
	}
}

// checkToken returns the app of a live authToken.
func (s *Server) checkToken(tok string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tok]
	if !ok || !s.Now().Before(t.expires) {
		return "", false
	}
	return t.appID, true
}

// payload is the body of /message/send and /message/saveListPayload (vendors.md §7.2).
type payload struct {
	AppID           appID             `json:"appId"`
	RegID           string            `json:"regId"`
	Alias           string            `json:"alias"`
	NotifyType      int               `json:"notifyType"`
	Title           string            `json:"title"`
	Content         string            `json:"content"`
	TimeToLive      *int              `json:"timeToLive"`
	SkipType        int               `json:"skipType"`
	SkipContent     string            `json:"skipContent"`
	NetworkType     *int              `json:"networkType"`
	Classification  *int              `json:"classification"`
	Category        string            `json:"category"`
	NotifyID        *int64            `json:"notifyId"`
	ClientCustomMap map[string]string `json:"clientCustomMap"`
	RequestID       string            `json:"requestId"`
	PushMode        int               `json:"pushMode"`
}

// readPayload decodes and checks a payload, answering the error itself.
func (s *Server) readPayload(w http.ResponseWriter, raw []byte, app string) (*payload, json.RawMessage, bool) {
	p := &payload{}
	if err := json.Unmarshal(raw, p); err != nil {
		s.reply(w, CodeBadRequest, "参数不合法: "+err.Error(), nil)
		return nil, nil, false
	}
	if string(p.AppID) != app {
		s.reply(w, CodeAppMismatch, "appId不合法", nil)
		return nil, nil, false
	}
	if code, desc := p.check(); code != CodeOK {
		s.reply(w, code, desc, nil)
		return nil, nil, false
	}
	return p, raw, true
}

// check applies vivo's field rules (vendors.md §7.2).
func (p *payload) check() (int, string) {
	runes := utf8.RuneCountInString
	switch {
	case p.RequestID == "" || runes(p.RequestID) > MaxRequestID:
		return CodeRequestID, "requestId不合法"
	case p.NotifyType < 1 || p.NotifyType > 4:
		return CodeNotifyType, "notifyType不合法"
	case p.Title == "" || runes(p.Title) > MaxTitle:
		return CodeTitle, "title不合法"
	case p.Content == "" || runes(p.Content) > MaxContent:
		return CodeContent, "content不合法"
	case p.TimeToLive != nil && (*p.TimeToLive < int(MinTTL/time.Second) || *p.TimeToLive > int(MaxTTL/time.Second)):
		return CodeTimeToLive, "timeToLive不合法"
	case p.NotifyID != nil && (*p.NotifyID < 1 || *p.NotifyID > MaxNotifyID):
		return CodeNotifyID, "notifyId不合法"
	case p.NetworkType != nil && *p.NetworkType != -1 && *p.NetworkType != 1:
		return CodeBadRequest, "networkType不合法"
	case p.PushMode != 0 && p.PushMode != 1:
		return CodeBadRequest, "pushMode不合法"
	}
	if !validSkip(p.SkipType, p.SkipContent) {
		return CodeSkip, "skipType或skipContent不合法"
	}
	if p.ClientCustomMap != nil {
		b, _ := json.Marshal(p.ClientCustomMap)
		if utf8.RuneCount(b) > MaxClientCustomMap {
			return CodeCustomMap, "clientCustomMap长度超出限制"
		}
	}
	class := 0
	if p.Classification != nil {
		class = *p.Classification
		if class != 0 && class != 1 {
			return CodeBadRequest, "classification不合法"
		}
	}
	if p.Category != "" {
		want, ok := categoryClass[p.Category]
		if !ok {
			return CodeCategory, "category不合法"
		}
		if want != class {
			return CodeCategoryMismatch, "category与classification不匹配"
		}
	}
	return CodeOK, ""
}

func validSkip(t int, content string) bool {
	if utf8.RuneCountInString(content) > MaxSkipContent {
		return false
	}
	switch t {
	case 1:
		return true
	case 2:
		u, err := url.Parse(content)
		return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
	case 3:
		return content != ""
	case 4:
		_, err := push.ParseIntentURI(content)
		return err == nil
	default:
		return false
	}
}

// target checks a regId of app, returning the invalidUser status (0 = deliverable).
func (s *Server) target(app, regID string, pushMode int) int {
	state, owner := s.Lookup(regID)
	switch {
	case state == vendorsim.Unknown || owner != app:
		return 1
	case state == vendorsim.Unregistered:
		return 2
	case pushMode == 1:
		return 4 // no simulated phone is a test device
	}
	return 0
}

// dedupe returns the taskId of an earlier accepted request with the same requestId, or
// records taskID for it.
func (s *Server) dedupe(app, requestID, taskID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := app + "/" + requestID
	if id, ok := s.requests[key]; ok {
		return id, true
	}
	s.requests[key] = taskID
	return taskID, false
}

func (s *Server) newTaskID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	return strconv.FormatInt(s.nextID, 10)
}

func (s *Server) send(w http.ResponseWriter, body []byte, app string) {
	p, raw, ok := s.readPayload(w, body, app)
	if !ok {
		return
	}
	if p.RegID == "" {
		if p.Alias == "" {
			s.reply(w, CodeNoTarget, "regId和alias不能同时为空", nil)
			return
		}
		// Aliases are not simulated: no phone has one.
		s.reply(w, CodeInvalidRegID, "alias不合法", map[string]any{"invalidUser": map[string]any{"status": 1, "userid": p.Alias}})
		return
	}
	if st := s.target(app, p.RegID, p.PushMode); st != 0 {
		s.reply(w, CodeInvalidRegID, "regId不合法", map[string]any{"invalidUser": map[string]any{"status": st, "userid": p.RegID}})
		return
	}
	taskID, dup := s.dedupe(app, p.RequestID, s.newTaskID())
	if !dup {
		s.Deliver(delivered(p.RegID, taskID, p, raw))
	}
	s.reply(w, CodeOK, "请求成功", map[string]any{"taskId": taskID})
}

func (s *Server) saveListPayload(w http.ResponseWriter, body []byte, app string) {
	p, raw, ok := s.readPayload(w, body, app)
	if !ok {
		return
	}
	taskID, dup := s.dedupe(app, p.RequestID, s.newTaskID())
	if !dup {
		s.mu.Lock()
		s.payloads[taskID] = saved{appID: app, p: p, raw: raw}
		s.mu.Unlock()
	}
	s.reply(w, CodeOK, "请求成功", map[string]any{"taskId": taskID})
}

func (s *Server) pushToList(w http.ResponseWriter, body []byte, app string) {
	var req struct {
		AppID     appID    `json:"appId"`
		RegIDs    []string `json:"regIds"`
		TaskID    string   `json:"taskId"`
		RequestID string   `json:"requestId"`
		PushMode  int      `json:"pushMode"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		s.reply(w, CodeBadRequest, "参数不合法: "+err.Error(), nil)
		return
	}
	s.mu.Lock()
	sv, known := s.payloads[req.TaskID]
	s.mu.Unlock()
	switch {
	case string(req.AppID) != app:
		s.reply(w, CodeAppMismatch, "appId不合法", nil)
		return
	case req.RequestID == "" || utf8.RuneCountInString(req.RequestID) > MaxRequestID:
		s.reply(w, CodeRequestID, "requestId不合法", nil)
		return
	case len(req.RegIDs) < MinRegIDs || len(req.RegIDs) > MaxRegIDs:
		s.reply(w, CodeRegIDCount, fmt.Sprintf("regIds个数必须在%d到%d之间", MinRegIDs, MaxRegIDs), nil)
		return
	case !known || sv.appID != app:
		s.reply(w, CodeTaskID, "taskId不合法", nil)
		return
	}
	_, dup := s.dedupe(app, req.RequestID, req.TaskID)
	invalid := []map[string]any{}
	for _, id := range req.RegIDs {
		if st := s.target(app, id, req.PushMode); st != 0 {
			invalid = append(invalid, map[string]any{"status": st, "userid": id})
			continue
		}
		if !dup {
			s.Deliver(delivered(id, req.TaskID, sv.p, sv.raw))
		}
	}
	s.reply(w, CodeOK, "请求成功", map[string]any{"taskId": req.TaskID, "invalidUsers": invalid})
}

// delivered is what a phone shows for payload p.
func delivered(regID, taskID string, p *payload, raw json.RawMessage) vendorsim.Delivered {
	d := vendorsim.Delivered{
		Token:     regID,
		Title:     p.Title,
		Body:      p.Content,
		Ext:       p.ClientCustomMap["ext"],
		Category:  p.Category,
		MessageID: taskID,
		Raw:       raw,
	}
	if len(p.ClientCustomMap) > 0 {
		d.Extras = make(map[string]string, len(p.ClientCustomMap))
		for k, v := range p.ClientCustomMap {
			d.Extras[k] = v
		}
	}
	switch p.SkipType {
	case 1:
		d.Click = vendorsim.Click{Type: string(push.ClickOpenApp)}
	case 2:
		d.Click = vendorsim.Click{Type: string(push.ClickOpenURL), Target: p.SkipContent}
	case 3:
		d.Click = vendorsim.Click{Type: "custom", Target: p.SkipContent}
	case 4:
		d.Click = vendorsim.Click{Type: string(push.ClickOpenPage), Target: p.SkipContent}
	}
	switch p.NotifyType {
	case 2, 4:
		d.Sound = "default"
	}
	if p.NotifyID != nil {
		d.NotifyID = strconv.FormatInt(*p.NotifyID, 10)
		// §7.2: "notifyId": same id replaces.
		d.ReplaceKeys = []string{"notifyId:" + d.NotifyID}
	}
	if p.TimeToLive != nil {
		d.TTL = time.Duration(*p.TimeToLive) * time.Second
	}
	if p.Classification != nil && *p.Classification == 1 {
		d.Importance = "system"
	} else {
		d.Importance = "operational"
	}
	return d
}
