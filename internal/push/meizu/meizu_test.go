package meizu_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/push/meizu"
	"github.com/herald-im/herald/internal/vendorsim"
	meizusim "github.com/herald-im/herald/internal/vendorsim/meizu"
)

var cst = time.FixedZone("CST", 8*60*60)

type env struct {
	sim    *meizusim.Server
	app    meizusim.App
	cert   *push.Certificate
	sender *meizu.Sender
	forms  chan url.Values // every form the simulator received, when capture is on
}

// newEnv starts a Meizu simulator with one app and returns a Sender pointed at it. The
// clock is fixed at 2025-03-01 12:00 China time.
func newEnv(tb testing.TB, capture bool) *env {
	tb.Helper()
	now := func() time.Time { return time.Date(2025, 3, 1, 12, 0, 0, 0, cst) }
	e := &env{sim: meizusim.New(), forms: make(chan url.Values, 16)}
	e.sim.Now = now
	var h http.Handler = e.sim
	if capture {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.ParseForm()
			e.forms <- r.PostForm
			e.sim.ServeHTTP(w, r)
		})
	}
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	e.app = e.sim.CreateApp("com.example.chat")
	e.cert = e.app.Certificate(srv.URL)
	e.sender = meizu.New()
	e.sender.Now = now
	e.sender.HTTPClient = srv.Client()
	e.sender.HTTPClient.Timeout = 2 * time.Second
	return e
}

func (e *env) phones(n int) []string {
	toks := make([]string, n)
	for i := range toks {
		toks[i] = e.sim.Register(e.app.AppID)
	}
	return toks
}

func (e *env) send(tb testing.TB, n *push.Notification, tokens ...string) []push.Result {
	tb.Helper()
	rs := e.sender.Send(context.Background(), e.cert, n, tokens)
	if len(rs) != len(tokens) {
		tb.Fatalf("Send returned %d results for %d tokens", len(rs), len(tokens))
	}
	for i, r := range rs {
		if r.Token != tokens[i] {
			tb.Fatalf("result %d is for token %q, want %q", i, r.Token, tokens[i])
		}
	}
	return rs
}

func chat() *push.Notification {
	return &push.Notification{Title: "Alice", Body: "hello", MessageID: "m1"}
}

func wantOutcomes(tb testing.TB, rs []push.Result, want ...push.Outcome) {
	tb.Helper()
	for i, r := range rs {
		if r.Outcome != want[i] {
			tb.Errorf("result %d (%s): outcome %v (reason %q), want %v", i, r.Token, r.Outcome, r.Reason, want[i])
		}
	}
}

func TestSign(t *testing.T) {
	// vendors.md §8.1 / MEIZUPUSH/PushAPI README: the Java example's map values (the
	// README prints the base string with spaces, but the digest is of the compact JSON).
	params := url.Values{
		"appId":       {"10000"},
		"pushIds":     {"RA50c6348036344485d01776773577c64740465480a6b"},
		"messageJson": {`{"title":"title","content":"content","pushTimeInfo":{"offLine":1,"validTime":24}}`},
	}
	if got, want := meizu.Sign(params, "<APP_SECRET>"), "ac076ff25d9900015a681cb5172aa53b"; got != want {
		t.Errorf("Sign(doc example) = %s, want %s", got, want)
	}
	params.Set("sign", "ignored")
	if got := meizu.Sign(params, "<APP_SECRET>"); got != "ac076ff25d9900015a681cb5172aa53b" {
		t.Errorf("Sign must leave out the sign parameter, got %s", got)
	}
}

func TestSender_Send_AllFields(t *testing.T) {
	e := newEnv(t, true)
	tok := e.phones(1)[0]
	one := 1
	ext := `{"conv":"c2c_bob","seq":42,"note":"ünïcode & <tags> \"quoted\" a=b&c"}`
	n := &push.Notification{
		Title:          strings.Repeat("标", 40),
		Body:           strings.Repeat("体", 120),
		Subtitle:       "ignored",
		Image:          "https://example.com/i.png",
		Ext:            ext,
		Click:          push.ClickAction{Type: push.ClickOpenPage, Target: "com.example.chat.ChatActivity"},
		ChannelID:      "messages",
		Category:       "IM",
		Classification: &one,
		NoticeMsgType:  1,
		Sound:          "ring.mp3",
		Badge:          &one,
		CollapseID:     "c2c_bob",
		NotifyID:       77,
		TTL:            90 * time.Minute,
		MessageID:      "m-all",
	}
	rs := e.send(t, n, tok)
	wantOutcomes(t, rs, push.Accepted)
	if rs[0].MessageID == "" {
		t.Errorf("accepted result has no Meizu msgId")
	}

	form := <-e.forms
	if form.Get("appId") != e.app.AppID || form.Get("pushIds") != tok || form.Get("sign") != meizu.Sign(form, e.app.AppSecret) {
		t.Errorf("form = %v: want appId, pushIds and a valid sign", form)
	}
	in := e.sim.Inbox(tok)
	if len(in) != 1 {
		t.Fatalf("inbox has %d notifications, want 1", len(in))
	}
	d := in[0]
	for _, c := range []struct{ name, got, want string }{
		{"title", d.Title, strings.Repeat("标", meizu.MaxTitle)},
		{"body", d.Body, strings.Repeat("体", meizu.MaxContent)},
		{"ext", d.Ext, ext},
		{"click type", d.Click.Type, "open_page"},
		{"click target", d.Click.Target, "com.example.chat.ChatActivity"},
		{"notice type", d.Category, "private"},
		{"sound", d.Sound, "default"},
		{"collapse", d.CollapseID, "c2c_bob"},
		{"message id", d.MessageID, rs[0].MessageID},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if d.TTL != 2*time.Hour {
		t.Errorf("ttl = %v, want 2h (90 min rounded up to whole hours)", d.TTL)
	}
	var raw map[string]map[string]any
	if err := json.Unmarshal(d.Raw, &raw); err != nil {
		t.Fatal(err)
	}
	if raw["pushTimeInfo"]["offLine"] != 1.0 || raw["advanceInfo"]["notifyKey"] != "c2c_bob" || raw["clickTypeInfo"]["clickType"] != 1.0 {
		t.Errorf("messageJson = %s", d.Raw)
	}
	tap, ok := e.sim.Tap(tok, 0)
	if !ok || tap.Ext != ext || tap.Extras["ext"] != ext {
		t.Errorf("tap = %+v, want ext %q", tap, ext)
	}
}

func TestSender_Send_Click(t *testing.T) {
	for _, tc := range []struct {
		click      push.ClickAction
		wantType   string
		wantTarget string
	}{
		{push.ClickAction{}, "open_app", ""},
		{push.ClickAction{Type: push.ClickOpenURL, Target: "https://example.com/x?a=1&b=2"}, "open_url", "https://example.com/x?a=1&b=2"},
	} {
		t.Run(tc.wantType, func(t *testing.T) {
			e := newEnv(t, false)
			tok := e.phones(1)[0]
			n := chat()
			n.Click, n.Ext = tc.click, "e"
			wantOutcomes(t, e.send(t, n, tok), push.Accepted)
			tap, _ := e.sim.Tap(tok, 0)
			if tap.Click.Type != tc.wantType || tap.Click.Target != tc.wantTarget || tap.Ext != "e" {
				t.Errorf("tap = %+v, want %s %q with ext e", tap, tc.wantType, tc.wantTarget)
			}
		})
	}
}

func TestSender_Send_Batch(t *testing.T) {
	t.Run("MaxBatch", func(t *testing.T) {
		e := newEnv(t, true)
		toks := e.phones(e.sender.MaxBatch())
		rs := e.send(t, chat(), toks...)
		for i, r := range rs {
			if r.Outcome != push.Accepted || r.MessageID != rs[0].MessageID {
				t.Fatalf("result %d = %+v, want accepted with the request's msgId", i, r)
			}
		}
		if ids := strings.Split((<-e.forms).Get("pushIds"), ","); len(ids) != meizu.MaxPushIDs {
			t.Errorf("one request carried %d pushIds, want %d", len(ids), meizu.MaxPushIDs)
		}
		if got := e.sim.Stats(); got.Requests != 1 || got.Notifications != meizu.MaxPushIDs || got.AuthCalls != 0 {
			t.Errorf("stats = %+v, want 1 request, 100 notifications, no auth calls", got)
		}
	})
	t.Run("MultipleRequests", func(t *testing.T) {
		e := newEnv(t, false)
		toks := e.phones(250)
		for i := 0; i < len(toks); i += meizu.MaxPushIDs {
			for _, r := range e.send(t, chat(), toks[i:min(i+meizu.MaxPushIDs, len(toks))]...) {
				if r.Outcome != push.Accepted {
					t.Fatalf("result %+v", r)
				}
			}
		}
		if got := e.sim.Stats(); got.Requests != 3 || got.Notifications != 250 {
			t.Errorf("stats = %+v, want 3 requests and 250 notifications", got)
		}
	})
	t.Run("ErrOverMaxBatch", func(t *testing.T) {
		e := newEnv(t, false)
		rs := e.send(t, chat(), e.phones(meizu.MaxPushIDs+1)...)
		if rs[0].Outcome != push.Failed || !strings.Contains(rs[0].Reason, "batch limit") {
			t.Errorf("result = %+v, want failed over the batch limit", rs[0])
		}
		if got := e.sim.Stats().Requests; got != 0 {
			t.Errorf("requests = %d, want none", got)
		}
	})
}

func TestSender_Send_InvalidTokens(t *testing.T) {
	e := newEnv(t, false)
	other := e.sim.CreateApp("com.example.other")
	toks := e.phones(4)
	e.sim.Unregister(toks[1])
	e.sim.SwitchOff(toks[3])
	foreign := e.sim.Register(other.AppID)
	batch := []string{toks[0], toks[1], "RA5nonexistent", foreign, toks[2], toks[3]}
	rs := e.send(t, chat(), batch...)
	wantOutcomes(t, rs, push.Accepted, push.InvalidToken, push.InvalidToken, push.InvalidToken, push.Accepted, push.Failed)
	for i, code := range map[int]string{1: "110002", 2: "110003", 3: "110003", 5: "110010"} {
		if !strings.Contains(rs[i].Reason, code) {
			t.Errorf("result %d reason %q, want code %s", i, rs[i].Reason, code)
		}
	}
	if len(e.sim.Inbox(toks[0])) != 1 || len(e.sim.Inbox(toks[2])) != 1 || len(e.sim.Inbox(toks[3])) != 0 || len(e.sim.Inbox(foreign)) != 0 {
		t.Errorf("only the valid phones with notifications on may get the push")
	}
}

func TestSender_Send_Faults(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fault     vendorsim.Fault
		want      push.Outcome
		wantAfter time.Duration
	}{
		{"ServerError", vendorsim.Fault{Kind: vendorsim.ServerError}, push.RetryLater, 0},
		{"Throttle", vendorsim.Fault{Kind: vendorsim.Throttle}, push.RetryLater, 0},
		{"ThrottleRetryAfter", vendorsim.Fault{Kind: vendorsim.Throttle, RetryAfter: 9 * time.Second}, push.RetryLater, 9 * time.Second},
		{"Quota", vendorsim.Fault{Kind: vendorsim.Quota}, push.QuotaExceeded, 12 * time.Hour},
		{"AuthExpired", vendorsim.Fault{Kind: vendorsim.AuthExpired}, push.AuthExpired, 0},
		{"Timeout", vendorsim.Fault{Kind: vendorsim.Timeout}, push.RetryLater, 0},
		{"Reset", vendorsim.Fault{Kind: vendorsim.Reset}, push.RetryLater, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, false)
			e.sender.HTTPClient.Timeout = 300 * time.Millisecond
			toks := e.phones(3)
			e.sim.Inject(tc.fault)
			for _, r := range e.send(t, chat(), toks...) {
				if r.Outcome != tc.want || r.RetryAfter != tc.wantAfter || r.Reason == "" {
					t.Errorf("result = %v after %v (%q), want %v after %v with a reason", r.Outcome, r.RetryAfter, r.Reason, tc.want, tc.wantAfter)
				}
			}
			if got := e.sim.Stats(); got.Requests != 1 || got.AuthCalls != 0 || got.Notifications != 0 {
				t.Errorf("stats = %+v, want exactly one request and nothing delivered", got)
			}
		})
	}
}

func TestSender_Send_Auth(t *testing.T) {
	t.Run("ErrWrongSecret", func(t *testing.T) {
		e := newEnv(t, false)
		e.cert.AppSecret = "wrong"
		rs := e.send(t, chat(), e.phones(2)...)
		wantOutcomes(t, rs, push.AuthExpired, push.AuthExpired)
		if !strings.Contains(rs[0].Reason, "1006") {
			t.Errorf("reason %q, want Meizu's 1006", rs[0].Reason)
		}
	})
	t.Run("ErrWrongAppID", func(t *testing.T) {
		e := newEnv(t, false)
		tok := e.phones(1)[0]
		e.cert.AppID = "1"
		wantOutcomes(t, e.send(t, chat(), tok), push.AuthExpired)
	})
	t.Run("Concurrent", func(t *testing.T) {
		// Every request is signed on its own: concurrent sends need no shared state.
		e := newEnv(t, false)
		toks := e.phones(20)
		var wg sync.WaitGroup
		results := make([][]push.Result, len(toks))
		for i, tok := range toks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = e.sender.Send(context.Background(), e.cert, chat(), []string{tok})
			}()
		}
		wg.Wait()
		for _, rs := range results {
			wantOutcomes(t, rs, push.Accepted)
		}
		if got := e.sim.Stats(); got.Requests != 20 || got.Notifications != 20 || got.AuthCalls != 0 {
			t.Errorf("stats = %+v", got)
		}
	})
}

func TestSender_Send_Oversized(t *testing.T) {
	e := newEnv(t, false)
	n := chat()
	n.Ext = strings.Repeat("x", meizu.MaxMessageJSON)
	rs := e.send(t, n, e.phones(1)...)
	if rs[0].Outcome != push.Failed || !strings.Contains(rs[0].Reason, "messageJson") {
		t.Errorf("result = %+v, want failed before sending", rs[0])
	}
	if got := e.sim.Stats().Requests; got != 0 {
		t.Errorf("requests = %d, want none", got)
	}
}

func TestMessageJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    push.Notification
		want map[string]string // "section.field" → JSON of the value; "" = absent
	}{
		{"Defaults", push.Notification{Title: "t", Body: "b"}, map[string]string{
			"noticeBarInfo.noticeMsgType": "0", "clickTypeInfo.clickType": "0", "clickTypeInfo.parameters": "",
			"pushTimeInfo.validTime": "24", "pushTimeInfo.offLine": "1", "advanceInfo.notifyKey": "",
			"advanceInfo.notificationType": `{"vibrate":1,"lights":1,"sound":1}`}},
		{"SoundNone", push.Notification{Title: "t", Body: "b", Sound: "none"}, map[string]string{"advanceInfo.notificationType": `{"vibrate":0,"lights":1,"sound":0}`}},
		{"SoundVibrate", push.Notification{Title: "t", Body: "b", Sound: "vibrate"}, map[string]string{"advanceInfo.notificationType": `{"vibrate":1,"lights":1,"sound":0}`}},
		{"TTLShort", push.Notification{Title: "t", Body: "b", TTL: time.Minute}, map[string]string{"pushTimeInfo.validTime": "1"}},
		{"TTLLong", push.Notification{Title: "t", Body: "b", TTL: 30 * 24 * time.Hour}, map[string]string{"pushTimeInfo.validTime": "72"}},
		{"Private", push.Notification{Title: "t", Body: "b", NoticeMsgType: 1}, map[string]string{"noticeBarInfo.noticeMsgType": "1"}},
		{"URL", push.Notification{Title: "t", Body: "b", Click: push.ClickAction{Type: push.ClickOpenURL, Target: "https://x.y"}}, map[string]string{"clickTypeInfo.clickType": "2", "clickTypeInfo.url": `"https://x.y"`, "clickTypeInfo.activity": ""}},
		{"Ext", push.Notification{Title: "t", Body: "b", Ext: "{}"}, map[string]string{"clickTypeInfo.parameters": `{"ext":"{}"}`}},
		{"CollapseFits", push.Notification{Title: "t", Body: "b", CollapseID: "a_B-9"}, map[string]string{"advanceInfo.notifyKey": `"a_B-9"`}},
		{"CollapseHashed", push.Notification{Title: "t", Body: "b", CollapseID: "c2c_alice_bob"}, map[string]string{"advanceInfo.notifyKey": `"` + hashKey("c2c_alice_bob") + `"`}},
		{"NotifyID", push.Notification{Title: "t", Body: "b", NotifyID: 1234}, map[string]string{"advanceInfo.notifyKey": `"1234"`}},
		{"NotifyIDHashed", push.Notification{Title: "t", Body: "b", NotifyID: 123456789}, map[string]string{"advanceInfo.notifyKey": `"` + hashKey("123456789") + `"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := meizu.MessageJSON(&tc.n)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]map[string]json.RawMessage
			if err := json.Unmarshal([]byte(s), &got); err != nil {
				t.Fatal(err)
			}
			for path, want := range tc.want {
				sec, field, _ := strings.Cut(path, ".")
				if g := string(got[sec][field]); g != want {
					t.Errorf("%s = %s, want %s (messageJson %s)", path, g, want, s)
				}
			}
		})
	}
	for name, n := range map[string]push.Notification{
		"ErrNoTitle": {Body: "b"},
		"ErrNoBody":  {Title: "t"},
		"ErrBigExt":  {Title: "t", Body: "b", Ext: strings.Repeat("\"", 2100)},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := meizu.MessageJSON(&n); err == nil {
				t.Errorf("MessageJSON succeeded, want an error")
			}
		})
	}
}

func hashKey(s string) string {
	var h uint32 = 2166136261
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return fmt.Sprintf("%08x", h)
}

func TestResults(t *testing.T) {
	now := time.Date(2025, 3, 1, 23, 0, 0, 0, cst)
	toks := []string{"a", "b", "c", "d", "e", "f", "g"}
	rs := meizu.ResultsOf(`{"code":"200","message":"","value":{"110002":["b"],"110003":["c"],"110010":["d"],"110011":["e"],"519":["f"],"520":["g"]},"msgId":"M1"}`, toks, now)
	want := []struct {
		o     push.Outcome
		after time.Duration
	}{{push.Accepted, 0}, {push.InvalidToken, 0}, {push.InvalidToken, 0}, {push.Failed, 0}, {push.QuotaExceeded, time.Hour}, {push.RetryLater, 0}, {push.Failed, 0}}
	for i, r := range rs {
		if r.Outcome != want[i].o || r.RetryAfter != want[i].after {
			t.Errorf("token %s: %v after %v (%q), want %v after %v", r.Token, r.Outcome, r.RetryAfter, r.Reason, want[i].o, want[i].after)
		}
	}
	if rs[0].MessageID != "M1" || rs[1].MessageID != "" {
		t.Errorf("message IDs = %q, %q; want M1 for the accepted token only", rs[0].MessageID, rs[1].MessageID)
	}
	for _, tc := range []struct {
		body      string
		want      push.Outcome
		wantAfter time.Duration
	}{
		{`{"code":"200","message":"","value":{},"msgId":"x"}`, push.Accepted, 0},
		{`{"code":"200","message":"","value":""}`, push.Accepted, 0},
		{`{"code":"1006","message":"签名认证失败","value":"","redirect":""}`, push.AuthExpired, 0},
		{`{"code":"110000","message":"appId不合法","value":""}`, push.AuthExpired, 0},
		{`{"code":"110033","message":"appSecret不合法","value":""}`, push.AuthExpired, 0},
		{`{"code":"110010","message":"应用请求频率超过限制","value":"","redirect":""}`, push.RetryLater, 0},
		{`{"code":"1003","message":"服务器忙","value":""}`, push.RetryLater, 0},
		{`{"code":"500","message":"其他错误","value":""}`, push.RetryLater, 0},
		{`{"code":"110019","message":"超过每日推送次数","value":""}`, push.QuotaExceeded, time.Hour},
		{`{"code":"110051","message":"","value":""}`, push.QuotaExceeded, time.Hour},
		{`{"code":"1005","message":"参数错误","value":""}`, push.Failed, 0},
		{`{"code":"110009","message":"应用被加入黑名单","value":""}`, push.Failed, 0},
	} {
		r := meizu.ResultsOf(tc.body, []string{"a"}, now)[0]
		if r.Outcome != tc.want || r.RetryAfter != tc.wantAfter {
			t.Errorf("%s: %v after %v (%q), want %v after %v", tc.body, r.Outcome, r.RetryAfter, r.Reason, tc.want, tc.wantAfter)
		}
	}
}

func TestSender_ValidateCertificate(t *testing.T) {
	ok := func() *push.Certificate {
		return &push.Certificate{Vendor: push.Meizu, AppID: "110001", AppSecret: "s", NoticeMsgType: 1,
			Click: push.ClickAction{Type: push.ClickOpenPage, Target: "com.example.chat.MainActivity"}}
	}
	s := meizu.New()
	if err := s.ValidateCertificate(ok()); err != nil {
		t.Errorf("OK: %v", err)
	}
	for name, mod := range map[string]func(c *push.Certificate){
		"ErrAppID":         func(c *push.Certificate) { c.AppID = "x1" },
		"ErrAppSecret":     func(c *push.Certificate) { c.AppSecret = " " },
		"ErrNoticeMsgType": func(c *push.Certificate) { c.NoticeMsgType = 2 },
		"ErrClickIntent":   func(c *push.Certificate) { c.Click.Target = "intent://x#Intent;end" },
		"ErrEndpoint":      func(c *push.Certificate) { c.Endpoint.SendURL = "server-api-push.meizu.com" },
	} {
		c := ok()
		mod(c)
		if err := s.ValidateCertificate(c); err == nil {
			t.Errorf("%s: ValidateCertificate succeeded, want an error", name)
		}
	}
}

func BenchmarkSender_Send(b *testing.B) {
	for _, size := range []int{1, meizu.MaxPushIDs} {
		b.Run(fmt.Sprintf("tokens=%d", size), func(b *testing.B) {
			e := newEnv(b, false)
			toks := e.phones(size)
			n := chat()
			n.Ext = `{"conv":"c2c_bob"}`
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if rs := e.sender.Send(context.Background(), e.cert, n, toks); rs[0].Outcome != push.Accepted {
					b.Fatalf("result %+v", rs[0])
				}
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "notifications/s")
		})
	}
}
