// Package meizu simulates Meizu Flyme Push (vendors.md §8): the form-encoded
// pushByPushId endpoint with its per-request MD5 signature, the messageJson checks and
// Meizu's answers with string codes and illegal pushIds grouped by code in "value".
//
// Choices where vendors.md is silent: a malformed or out-of-range messageJson, more than
// 100 pushIds and a messageJson over 4096 bytes are answered with 1005 (parameter
// error); a missing parameter with 110004; an injected server error with 1001. A phone
// whose user switched notifications off (SwitchOff) is reported under 110010 in "value".
package meizu

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/vendorsim"
)

// Codes the simulator answers with (vendors.md §8.4).
const (
	CodeOK           = "200"
	CodeSystemError  = "1001"
	CodeParam        = "1005"
	CodeBadSignature = "1006"
	CodeBadAppID     = "110000"
	CodeEmptyParam   = "110004"
	CodeRateLimit    = "110010"
	CodeDailyLimit   = "110019"
	// Per-target codes inside value.
	TargetUnsubscribed = "110002"
	TargetIllegal      = "110003"
	TargetSwitchedOff  = "110010"
)

// maxBody bounds a request body the simulator reads.
const maxBody = 1 << 20

// App is one Meizu app's credentials, as the Flyme push console shows them.
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
		Vendor:      push.Meizu,
		Name:        "meizu simulator",
		PackageName: a.PackageName,
		AppID:       a.AppID,
		AppKey:      a.AppKey,
		AppSecret:   a.AppSecret,
		Endpoint:    push.Endpoint{SendURL: baseURL},
	}
}

// Server is a Meizu Flyme Push simulator. Its methods are safe for concurrent use.
type Server struct {
	*vendorsim.Sim

	admin http.Handler

	mu     sync.Mutex // protects the fields below
	nextID int64
	apps   map[string]App // by appId
	off    map[string]bool
}

// New returns an empty simulator.
func New() *Server {
	s := &Server{Sim: vendorsim.NewSim(string(push.Meizu)), apps: map[string]App{}, off: map[string]bool{}, nextID: 100000}
	s.NewToken = func(string) string { return "RA5" + vendorsim.RandomHex(21) } // 45 characters like Meizu's
	s.admin = s.AdminHandler()
	return s
}

// CreateApp registers an app with fresh credentials; phones register with its AppID as
// the app identity.
func (s *Server) CreateApp(packageName string) App {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	a := App{AppID: strconv.FormatInt(s.nextID, 10), AppKey: vendorsim.RandomHex(16), AppSecret: vendorsim.RandomHex(16), PackageName: packageName}
	s.apps[a.AppID] = a
	return a
}

// SwitchOff switches notifications off for the app on pushID's phone: Meizu then lists
// the pushId under 110010 in value, and the phone shows nothing.
func (s *Server) SwitchOff(pushID string) {
	s.mu.Lock()
	s.off[pushID] = true
	s.mu.Unlock()
}

// ServeHTTP serves pushByPushId and the admin API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, vendorsim.AdminPrefix) {
		s.admin.ServeHTTP(w, r)
		return
	}
	if r.URL.Path != PathPushByPushID {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	s.CountRequest()
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		s.reply(w, CodeParam, "Content-Type must be application/x-www-form-urlencoded")
		return
	}
	if err := r.ParseForm(); err != nil {
		s.reply(w, CodeParam, "参数错误: "+err.Error())
		return
	}
	if f, ok := s.NextFault(vendorsim.TargetSend); ok {
		s.fault(w, r, f)
		return
	}
	s.push(w, r)
}

func (s *Server) fault(w http.ResponseWriter, r *http.Request, f vendorsim.Fault) {
	if f.Kind == vendorsim.Timeout || f.Kind == vendorsim.Reset {
		s.CountRejected()
	}
	vendorsim.TransportFault(w, r, f)
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(f.RetryAfter/time.Second)))
	}
	switch f.Kind {
	case vendorsim.ServerError:
		s.reply(w, CodeSystemError, "系统错误")
	case vendorsim.Throttle:
		s.reply(w, CodeRateLimit, "应用请求频率超过限制")
	case vendorsim.Quota:
		s.reply(w, CodeDailyLimit, "超过该应用的每日推送次数限制")
	case vendorsim.AuthExpired:
		// Meizu has no auth token; a refused signature is its credential error.
		s.reply(w, CodeBadSignature, "签名认证失败")
	default:
		s.reply(w, CodeSystemError, fmt.Sprintf("unknown fault %q", f.Kind))
	}
}

// answer is Meizu's answer shape (vendors.md §8.4): value is an object of illegal
// pushIds grouped by code on success, an empty string otherwise.
type answer struct {
	Code     string `json:"code"`
	Message  string `json:"message"`
	Value    any    `json:"value"`
	MsgID    string `json:"msgId,omitempty"`
	Redirect string `json:"redirect"`
}

// reply writes an error answer and counts the rejection.
func (s *Server) reply(w http.ResponseWriter, code, message string) {
	s.CountRejected()
	writeJSON(w, answer{Code: code, Message: message, Value: ""})
}

func writeJSON(w http.ResponseWriter, a answer) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	json.NewEncoder(w).Encode(a)
}

func (s *Server) push(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	for _, k := range []string{"appId", "pushIds", "messageJson", "sign"} {
		if f.Get(k) == "" {
			s.reply(w, CodeEmptyParam, "参数"+k+"为空")
			return
		}
	}
	s.mu.Lock()
	app, ok := s.apps[f.Get("appId")]
	s.mu.Unlock()
	if !ok {
		s.reply(w, CodeBadAppID, "appId不合法")
		return
	}
	if f.Get("sign") != Sign(f, app.AppSecret) {
		s.reply(w, CodeBadSignature, "签名认证失败")
		return
	}
	ids := strings.Split(f.Get("pushIds"), ",")
	if len(ids) > MaxPushIDs {
		s.reply(w, CodeParam, fmt.Sprintf("pushIds最多%d个", MaxPushIDs))
		return
	}
	raw := f.Get("messageJson")
	if len(raw) > MaxMessageJSON {
		s.reply(w, CodeParam, "messageJson过长")
		return
	}
	m, problem := parseMessage(raw)
	if problem != "" {
		s.reply(w, CodeParam, "参数错误: "+problem)
		return
	}
	msgID := vendorsim.RandomHex(16)
	illegal := map[string][]string{}
	for _, id := range ids {
		if code := s.target(app.AppID, id); code != "" {
			illegal[code] = append(illegal[code], id)
			continue
		}
		s.Deliver(delivered(id, msgID, m, raw))
	}
	writeJSON(w, answer{Code: CodeOK, Value: illegal, MsgID: msgID})
}

// target returns the per-target code for pushID of app, or "" when it can be delivered.
func (s *Server) target(app, pushID string) string {
	state, owner := s.Lookup(pushID)
	s.mu.Lock()
	off := s.off[pushID]
	s.mu.Unlock()
	switch {
	case state == vendorsim.Unknown || owner != app:
		return TargetIllegal
	case state == vendorsim.Unregistered:
		return TargetUnsubscribed
	case off:
		return TargetSwitchedOff
	}
	return ""
}

// message is messageJson as the simulator reads it (vendors.md §8.3).
type message struct {
	NoticeBarInfo struct {
		NoticeMsgType int    `json:"noticeMsgType"`
		NoticeBarType int    `json:"noticeBarType"`
		Title         string `json:"title"`
		Content       string `json:"content"`
	} `json:"noticeBarInfo"`
	ClickTypeInfo struct {
		ClickType  int               `json:"clickType"`
		Activity   string            `json:"activity"`
		URL        string            `json:"url"`
		Parameters map[string]string `json:"parameters"`
	} `json:"clickTypeInfo"`
	PushTimeInfo *struct {
		OffLine   int `json:"offLine"`
		ValidTime int `json:"validTime"`
	} `json:"pushTimeInfo"`
	AdvanceInfo struct {
		NotificationType *struct {
			Vibrate int `json:"vibrate"`
			Lights  int `json:"lights"`
			Sound   int `json:"sound"`
		} `json:"notificationType"`
		NotifyKey string `json:"notifyKey"`
	} `json:"advanceInfo"`
}

// parseMessage decodes and checks messageJson, returning what is wrong.
func parseMessage(raw string) (*message, string) {
	m := &message{}
	if err := json.Unmarshal([]byte(raw), m); err != nil {
		return nil, "messageJson: " + err.Error()
	}
	nb, ct := &m.NoticeBarInfo, &m.ClickTypeInfo
	switch n := utf8.RuneCountInString; {
	case nb.Title == "" || n(nb.Title) > MaxTitle:
		return nil, "title must have 1-32 characters"
	case nb.Content == "" || n(nb.Content) > MaxContent:
		return nil, "content must have 1-100 characters"
	case nb.NoticeMsgType != 0 && nb.NoticeMsgType != 1:
		return nil, "noticeMsgType must be 0 or 1"
	case ct.ClickType < 0 || ct.ClickType > 2:
		return nil, "clickType must be 0, 1 or 2"
	case ct.ClickType == 1 && ct.Activity == "":
		return nil, "clickType 1 needs activity"
	case ct.ClickType == 2 && !strings.HasPrefix(ct.URL, "http"):
		return nil, "clickType 2 needs url"
	case m.PushTimeInfo != nil && (m.PushTimeInfo.ValidTime < MinValidTime || m.PushTimeInfo.ValidTime > MaxValidTime):
		return nil, "validTime must be 1-72"
	case m.AdvanceInfo.NotifyKey != "" && !ValidNotifyKey(m.AdvanceInfo.NotifyKey):
		return nil, "notifyKey must be at most 8 of [0-9a-zA-Z_-]"
	}
	return m, ""
}

// delivered is what a phone shows for m.
func delivered(pushID, msgID string, m *message, raw string) vendorsim.Delivered {
	d := vendorsim.Delivered{
		Token:      pushID,
		Title:      m.NoticeBarInfo.Title,
		Body:       m.NoticeBarInfo.Content,
		Ext:        m.ClickTypeInfo.Parameters["ext"],
		CollapseID: m.AdvanceInfo.NotifyKey,
		Category:   "public",
		TTL:        DefaultValidTime * time.Hour,
		MessageID:  msgID,
		Raw:        json.RawMessage(raw),
	}
	if k := m.AdvanceInfo.NotifyKey; k != "" {
		// §8.3: "notifyKey" is the collapse key: the same key shows one notification.
		d.ReplaceKeys = []string{"notifyKey:" + k}
	}
	if m.NoticeBarInfo.NoticeMsgType == 1 {
		d.Category = "private"
	}
	if len(m.ClickTypeInfo.Parameters) > 0 {
		d.Extras = make(map[string]string, len(m.ClickTypeInfo.Parameters))
		for k, v := range m.ClickTypeInfo.Parameters {
			d.Extras[k] = v
		}
	}
	switch m.ClickTypeInfo.ClickType {
	case 0:
		d.Click = vendorsim.Click{Type: string(push.ClickOpenApp)}
	case 1:
		d.Click = vendorsim.Click{Type: string(push.ClickOpenPage), Target: m.ClickTypeInfo.Activity}
	case 2:
		d.Click = vendorsim.Click{Type: string(push.ClickOpenURL), Target: m.ClickTypeInfo.URL}
	}
	if nt := m.AdvanceInfo.NotificationType; nt == nil || nt.Sound == 1 {
		d.Sound = "default"
	}
	if m.PushTimeInfo != nil {
		d.TTL = time.Duration(m.PushTimeInfo.ValidTime) * time.Hour
	}
	return d
}
