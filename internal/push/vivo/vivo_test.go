package vivo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/push/vivo"
	"github.com/herald-im/herald/internal/vendorsim"
	vivosim "github.com/herald-im/herald/internal/vendorsim/vivo"
)

var cst = time.FixedZone("CST", 8*60*60)

// clock is a settable clock shared by the sender and the simulator.
type clock struct {
	mu sync.Mutex // protects t
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	sim    *vivosim.Server
	url    string
	app    vivosim.App
	cert   *push.Certificate
	sender *vivo.Sender
	clock  *clock
}

// newEnv starts a vivo simulator with one app and returns a Sender pointed at it. The
// clock starts at 2025-03-01 12:00 China time.
func newEnv(tb testing.TB) *env {
	tb.Helper()
	e := &env{sim: vivosim.New(), clock: &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, cst)}}
	e.sim.Now = e.clock.Now
	srv := httptest.NewServer(e.sim)
	tb.Cleanup(srv.Close)
	e.url = srv.URL
	e.app = e.sim.CreateApp("com.example.chat")
	e.cert = e.app.Certificate(srv.URL)
	e.cert.ID = 7
	e.sender = vivo.New()
	e.sender.Now = e.clock.Now
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
	return &push.Notification{Title: "Alice", Body: "hello", MessageID: "msg-1"}
}

func wantOutcomes(tb testing.TB, rs []push.Result, want ...push.Outcome) {
	tb.Helper()
	for i, r := range rs {
		if r.Outcome != want[i] {
			tb.Errorf("result %d (%s): outcome %v (reason %q), want %v", i, r.Token, r.Outcome, r.Reason, want[i])
		}
	}
}

func TestSender_Send_AllFields(t *testing.T) {
	e := newEnv(t)
	tok := e.phones(1)[0]
	one := 1
	ext := `{"conv":"c2c_bob","seq":42,"note":"ünïcode & <tags> \"quoted\""}`
	n := &push.Notification{
		Title:          strings.Repeat("标", 45),
		Body:           strings.Repeat("体", 120),
		Subtitle:       "ignored",
		Image:          "https://example.com/i.png",
		Ext:            ext,
		Click:          push.ClickAction{Type: push.ClickOpenPage, Target: "intent://chat/open#Intent;scheme=herald;launchFlags=0x10000000;component=com.example.chat/.ChatActivity;end"},
		ChannelID:      "messages",
		Category:       "im",
		Classification: &one,
		Sound:          "ring.mp3",
		Badge:          &one,
		CollapseID:     "c2c_bob",
		NotifyID:       77,
		TTL:            2 * time.Hour,
		MessageID:      "msg-all-fields",
	}
	rs := e.send(t, n, tok)
	wantOutcomes(t, rs, push.Accepted)
	if rs[0].MessageID == "" {
		t.Errorf("accepted result has no vivo taskId")
	}

	inbox := e.sim.Inbox(tok)
	if len(inbox) != 1 {
		t.Fatalf("inbox has %d notifications, want 1", len(inbox))
	}
	d := inbox[0]
	checks := []struct{ name, got, want string }{
		{"title", d.Title, strings.Repeat("标", vivo.MaxTitle)},
		{"body", d.Body, strings.Repeat("体", vivo.MaxContent)},
		{"ext", d.Ext, ext},
		{"click type", d.Click.Type, "open_page"},
		{"click target", d.Click.Target, n.Click.Target},
		{"category", d.Category, "IM"},
		{"classification", d.Importance, "system"},
		{"sound", d.Sound, "default"},
		{"notify id", d.NotifyID, "77"},
		{"message id", d.MessageID, rs[0].MessageID},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if d.TTL != 2*time.Hour {
		t.Errorf("ttl = %v, want 2h", d.TTL)
	}
	var raw map[string]any
	if err := json.Unmarshal(d.Raw, &raw); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"notifyType": 4.0, "skipType": 4.0, "classification": 1.0, "networkType": -1.0, "pushMode": 0.0, "regId": tok} {
		if raw[k] != want {
			t.Errorf("raw %s = %v, want %v", k, raw[k], want)
		}
	}
	if appID, _ := json.Marshal(raw["appId"]); string(appID) != e.app.AppID {
		t.Errorf("raw appId = %s, want the number %s", appID, e.app.AppID)
	}
	if id, _ := raw["requestId"].(string); !strings.HasPrefix(id, "msg-all-fields-") || len(id) > vivo.MaxRequestID {
		t.Errorf("raw requestId = %q, want msg-all-fields-<hash> of at most 64 chars", id)
	}
	for _, k := range []string{"badge", "image", "channelId", "subtitle"} {
		if _, ok := raw[k]; ok {
			t.Errorf("raw has %s, which vivo does not know", k)
		}
	}

	tap, ok := e.sim.Tap(tok, 0)
	if !ok {
		t.Fatal("tap found no notification")
	}
	if tap.Ext != ext || tap.Extras["ext"] != ext {
		t.Errorf("tap ext = %q (extras %v), want %q", tap.Ext, tap.Extras, ext)
	}
}

func TestSender_Send_Click(t *testing.T) {
	for _, tc := range []struct {
		click     push.ClickAction
		wantType  string
		wantSkip  float64
		wantTaget string
	}{
		{push.ClickAction{}, "open_app", 1, ""},
		{push.ClickAction{Type: push.ClickOpenApp}, "open_app", 1, ""},
		{push.ClickAction{Type: push.ClickOpenURL, Target: "https://example.com/x?a=1"}, "open_url", 2, "https://example.com/x?a=1"},
	} {
		t.Run(tc.wantType+tc.wantTaget, func(t *testing.T) {
			e := newEnv(t)
			tok := e.phones(1)[0]
			n := chat()
			n.Click = tc.click
			n.Ext = "e"
			wantOutcomes(t, e.send(t, n, tok), push.Accepted)
			tap, _ := e.sim.Tap(tok, 0)
			if tap.Click.Type != tc.wantType || tap.Click.Target != tc.wantTaget || tap.Ext != "e" {
				t.Errorf("tap = %+v, want %s %q with ext e", tap, tc.wantType, tc.wantTaget)
			}
		})
	}
}

func TestSender_Send_Batch(t *testing.T) {
	t.Run("MaxBatch", func(t *testing.T) {
		e := newEnv(t)
		toks := e.phones(e.sender.MaxBatch())
		n := chat()
		n.Ext = "x"
		rs := e.send(t, n, toks...)
		for i, r := range rs {
			if r.Outcome != push.Accepted || r.MessageID == "" {
				t.Fatalf("result %d = %+v, want accepted with a taskId", i, r)
			}
		}
		if got := e.sim.Stats(); got.Requests != 2 || got.Notifications != int64(len(toks)) || got.AuthCalls != 1 {
			t.Errorf("stats = %+v, want 2 requests (saveListPayload + pushToList), %d notifications, 1 auth", got, len(toks))
		}
		if in := e.sim.Inbox(toks[999]); len(in) != 1 || in[0].Ext != "x" || in[0].Title != "Alice" {
			t.Errorf("last phone's inbox = %+v", in)
		}
	})
	t.Run("TwoBatchesOfOnePush", func(t *testing.T) {
		// The dispatcher splits a big fan-out into several Sends of the same push: each
		// request needs its own requestId, or vivo would drop the second as a duplicate.
		e := newEnv(t)
		toks := e.phones(6)
		n := chat()
		wantOutcomes(t, e.send(t, n, toks[:3]...), push.Accepted, push.Accepted, push.Accepted)
		wantOutcomes(t, e.send(t, n, toks[3:]...), push.Accepted, push.Accepted, push.Accepted)
		wantOutcomes(t, e.send(t, n, toks[0]), push.Accepted)
		for i, tok := range toks {
			want := 1
			if i == 0 {
				want = 2
			}
			if got := len(e.sim.Inbox(tok)); got != want {
				t.Errorf("phone %d got %d notifications, want %d", i, got, want)
			}
		}
		if got := e.sim.Stats().Requests; got != 5 {
			t.Errorf("requests = %d, want 5", got)
		}
	})
	t.Run("ErrOverMaxBatch", func(t *testing.T) {
		e := newEnv(t)
		toks := make([]string, vivo.MaxRegIDs+1)
		for i := range toks {
			toks[i] = fmt.Sprint(i)
		}
		rs := e.send(t, chat(), toks...)
		if rs[0].Outcome != push.Failed || !strings.Contains(rs[0].Reason, "batch limit") {
			t.Errorf("result = %+v, want failed over the batch limit", rs[0])
		}
		if got := e.sim.Stats().Requests; got != 0 {
			t.Errorf("requests = %d, want none", got)
		}
	})
}

func TestSender_Send_InvalidTokens(t *testing.T) {
	e := newEnv(t)
	other := e.sim.CreateApp("com.example.other")
	toks := e.phones(3)
	e.sim.Unregister(toks[1])
	foreign := e.sim.Register(other.AppID)
	batch := []string{toks[0], toks[1], "12345678901234567890123", foreign, toks[2]}

	rs := e.send(t, chat(), batch...)
	wantOutcomes(t, rs, push.Accepted, push.InvalidToken, push.InvalidToken, push.InvalidToken, push.Accepted)
	if len(e.sim.Inbox(toks[0])) != 1 || len(e.sim.Inbox(toks[2])) != 1 || len(e.sim.Inbox(foreign)) != 0 {
		t.Errorf("valid phones must get the push, the foreign one must not")
	}

	for _, tok := range []string{toks[1], "12345678901234567890123", foreign} {
		rs := e.send(t, chat(), tok)
		wantOutcomes(t, rs, push.InvalidToken)
		if !strings.Contains(rs[0].Reason, "10302") {
			t.Errorf("reason %q lacks vivo's code", rs[0].Reason)
		}
	}
}

func TestSender_Send_Faults(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fault     vendorsim.Fault
		batch     bool
		want      push.Outcome
		wantAfter time.Duration
		wantAuth  int64
	}{
		{"ServerError", vendorsim.Fault{Kind: vendorsim.ServerError}, false, push.RetryLater, 0, 1},
		{"Throttle", vendorsim.Fault{Kind: vendorsim.Throttle}, false, push.RetryLater, 0, 1},
		{"ThrottleRetryAfter", vendorsim.Fault{Kind: vendorsim.Throttle, RetryAfter: 7 * time.Second}, true, push.RetryLater, 7 * time.Second, 1},
		{"Quota", vendorsim.Fault{Kind: vendorsim.Quota}, false, push.QuotaExceeded, 12 * time.Hour, 1},
		{"QuotaBatch", vendorsim.Fault{Kind: vendorsim.Quota}, true, push.QuotaExceeded, 12 * time.Hour, 1},
		{"Timeout", vendorsim.Fault{Kind: vendorsim.Timeout}, false, push.RetryLater, 0, 1},
		{"Reset", vendorsim.Fault{Kind: vendorsim.Reset}, true, push.RetryLater, 0, 1},
		{"AuthExpiredOnce", vendorsim.Fault{Kind: vendorsim.AuthExpired}, false, push.Accepted, 0, 2},
		{"AuthExpiredOnceBatch", vendorsim.Fault{Kind: vendorsim.AuthExpired}, true, push.Accepted, 0, 2},
		{"AuthExpiredTwice", vendorsim.Fault{Kind: vendorsim.AuthExpired, Count: 2}, false, push.AuthExpired, 0, 2},
		{"AuthServerError", vendorsim.Fault{Kind: vendorsim.ServerError, Target: vendorsim.TargetAuth}, false, push.RetryLater, 0, 1},
		{"AuthRefused", vendorsim.Fault{Kind: vendorsim.AuthExpired, Target: vendorsim.TargetAuth}, true, push.AuthExpired, 0, 1},
		{"AuthReset", vendorsim.Fault{Kind: vendorsim.Reset, Target: vendorsim.TargetAuth}, false, push.RetryLater, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.sender.HTTPClient.Timeout = 300 * time.Millisecond
			toks := e.phones(1)
			if tc.batch {
				toks = e.phones(3)
			}
			e.sim.Inject(tc.fault)
			rs := e.send(t, chat(), toks...)
			for _, r := range rs {
				if r.Outcome != tc.want || r.RetryAfter != tc.wantAfter {
					t.Errorf("result = %v after %v (%q), want %v after %v", r.Outcome, r.RetryAfter, r.Reason, tc.want, tc.wantAfter)
				}
				if tc.want != push.Accepted && r.Reason == "" {
					t.Errorf("result %v has no reason", r.Outcome)
				}
			}
			if got := e.sim.Stats().AuthCalls; got != tc.wantAuth {
				t.Errorf("auth calls = %d, want %d", got, tc.wantAuth)
			}
		})
	}
}

func TestSender_Send_AuthToken(t *testing.T) {
	t.Run("OncePerLifetime", func(t *testing.T) {
		e := newEnv(t)
		toks := e.phones(3)
		for i := 0; i < 5; i++ {
			wantOutcomes(t, e.send(t, chat(), toks[i%3]), push.Accepted)
		}
		wantOutcomes(t, e.send(t, chat(), toks...), push.Accepted, push.Accepted, push.Accepted)
		if got := e.sim.Stats().AuthCalls; got != 1 {
			t.Errorf("auth calls = %d, want 1", got)
		}
		e.clock.Add(vivo.TokenLifetime - vivo.DefaultTokenRefreshBefore - time.Minute)
		wantOutcomes(t, e.send(t, chat(), toks[0]), push.Accepted)
		if got := e.sim.Stats().AuthCalls; got != 1 {
			t.Errorf("auth calls before the refresh margin = %d, want 1", got)
		}
		e.clock.Add(2 * time.Minute)
		wantOutcomes(t, e.send(t, chat(), toks[0]), push.Accepted)
		if got := e.sim.Stats().AuthCalls; got != 2 {
			t.Errorf("auth calls after the refresh margin = %d, want 2", got)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		e := newEnv(t)
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
		for i, rs := range results {
			wantOutcomes(t, rs, push.Accepted)
			if len(e.sim.Inbox(toks[i])) != 1 {
				t.Errorf("phone %d got no notification", i)
			}
		}
		if got := e.sim.Stats().AuthCalls; got != 1 {
			t.Errorf("auth calls = %d, want 1", got)
		}
	})
	t.Run("RefreshedOnceAfterExpiry", func(t *testing.T) {
		e := newEnv(t)
		tok := e.phones(1)[0]
		wantOutcomes(t, e.send(t, chat(), tok), push.Accepted)
		e.sim.ExpireTokens() // vivo forgot the token early
		wantOutcomes(t, e.send(t, chat(), tok), push.Accepted)
		wantOutcomes(t, e.send(t, chat(), tok), push.Accepted)
		if got := e.sim.Stats(); got.AuthCalls != 2 || got.Requests != 4 {
			t.Errorf("stats = %+v, want 2 auth calls and 4 requests", got)
		}
	})
	t.Run("ErrWrongSecret", func(t *testing.T) {
		e := newEnv(t)
		e.cert.AppSecret = "wrong"
		rs := e.send(t, chat(), e.phones(1)...)
		wantOutcomes(t, rs, push.AuthExpired)
		if !strings.Contains(rs[0].Reason, "10206") {
			t.Errorf("reason %q lacks the sign error", rs[0].Reason)
		}
	})
	t.Run("ErrClockSkew", func(t *testing.T) {
		e := newEnv(t)
		e.sender.Now = func() time.Time { return e.clock.Now().Add(11 * time.Minute) }
		wantOutcomes(t, e.send(t, chat(), e.phones(1)...), push.AuthExpired)
	})
}

func TestSender_Send_Refused(t *testing.T) {
	e := newEnv(t)
	tok := e.phones(1)[0]
	zero := 0
	for name, n := range map[string]*push.Notification{
		"CategoryMismatch": {Title: "t", Body: "b", Category: "IM", Classification: &zero},
		"UnknownCategory":  {Title: "t", Body: "b", Category: "CHAT"},
	} {
		rs := e.send(t, n, tok)
		if rs[0].Outcome != push.Failed || !strings.Contains(rs[0].Reason, "1009") {
			t.Errorf("%s: result %+v, want failed with vivo's 10096/10097", name, rs[0])
		}
	}
	long := chat()
	long.Ext = strings.Repeat("x", vivo.MaxClientCustomMap)
	if rs := e.send(t, long, tok); rs[0].Outcome != push.Failed || !strings.Contains(rs[0].Reason, "clientCustomMap") {
		t.Errorf("oversized ext: %+v, want failed before sending", rs[0])
	}
	if got := e.sim.Stats().Requests; got != 2 {
		t.Errorf("requests = %d, want 2 (the oversized ext is never sent)", got)
	}
}

func TestMessage(t *testing.T) {
	c := &push.Certificate{AppID: "1234"}
	one, zero := 1, 0
	for _, tc := range []struct {
		name string
		n    push.Notification
		want map[string]any // fields to check; nil value = absent
	}{
		{"Defaults", push.Notification{Title: "t", Body: "b"}, map[string]any{"notifyType": 4.0, "skipType": 1.0, "timeToLive": nil, "classification": nil, "category": nil, "notifyId": nil, "clientCustomMap": nil, "appId": 1234.0}},
		{"SoundNone", push.Notification{Title: "t", Body: "b", Sound: "none"}, map[string]any{"notifyType": 1.0}},
		{"SoundVibrate", push.Notification{Title: "t", Body: "b", Sound: "vibrate"}, map[string]any{"notifyType": 3.0}},
		{"TTLShort", push.Notification{Title: "t", Body: "b", TTL: time.Second}, map[string]any{"timeToLive": 60.0}},
		{"TTLLong", push.Notification{Title: "t", Body: "b", TTL: 72 * time.Hour}, map[string]any{"timeToLive": 86400.0}},
		{"SystemCategoryInfersClassification", push.Notification{Title: "t", Body: "b", Category: "im"}, map[string]any{"category": "IM", "classification": 1.0}},
		{"OperationalCategory", push.Notification{Title: "t", Body: "b", Category: "NEWS"}, map[string]any{"category": "NEWS", "classification": nil}},
		{"ExplicitClassification", push.Notification{Title: "t", Body: "b", Classification: &zero}, map[string]any{"classification": 0.0}},
		{"ExplicitSystem", push.Notification{Title: "t", Body: "b", Classification: &one}, map[string]any{"classification": 1.0}},
		{"NotifyIDTooBig", push.Notification{Title: "t", Body: "b", NotifyID: 1 << 40}, map[string]any{"notifyId": nil}},
		{"CollapseID", push.Notification{Title: "t", Body: "b", CollapseID: "c2c_bob"}, map[string]any{"notifyId": 1.0 + float64(fnv32("c2c_bob")%vivo.MaxNotifyID)}},
		{"NotifyIDWins", push.Notification{Title: "t", Body: "b", CollapseID: "c2c_bob", NotifyID: 5}, map[string]any{"notifyId": 5.0}},
		{"Ext", push.Notification{Title: "t", Body: "b", Ext: "{}"}, map[string]any{"clientCustomMap": map[string]any{"ext": "{}"}}},
		{"URL", push.Notification{Title: "t", Body: "b", Click: push.ClickAction{Type: push.ClickOpenURL, Target: "https://x.y"}}, map[string]any{"skipType": 2.0, "skipContent": "https://x.y"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := vivo.MessageJSON(c, &tc.n)
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range tc.want {
				v, ok := got[k]
				if want == nil {
					if ok {
						t.Errorf("%s = %v, want absent", k, v)
					}
					continue
				}
				if fmt.Sprint(v) != fmt.Sprint(want) {
					t.Errorf("%s = %v, want %v", k, v, want)
				}
			}
		})
	}
	for name, n := range map[string]push.Notification{
		"ErrNoTitle":  {Body: "b"},
		"ErrNoBody":   {Title: "t", Body: "  "},
		"ErrLongExt":  {Title: "t", Body: "b", Ext: strings.Repeat("é", 1015)},
		"ErrLongSkip": {Title: "t", Body: "b", Click: push.ClickAction{Type: push.ClickOpenURL, Target: "https://x.y/" + strings.Repeat("a", 1020)}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := vivo.MessageJSON(c, &n); err == nil {
				t.Errorf("MessageJSON(%+v) succeeded, want an error", n)
			}
		})
	}
}

func fnv32(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

func TestRequestID(t *testing.T) {
	a := vivo.RequestID("m1", "send", "r1")
	for _, other := range []string{vivo.RequestID("m1", "send", "r2"), vivo.RequestID("m1", "save", "r1"), vivo.RequestID("m2", "send", "r1")} {
		if other == a {
			t.Errorf("requestId %q repeats for a different request", a)
		}
	}
	if again := vivo.RequestID("m1", "send", "r1"); again != a {
		t.Errorf("requestId of a repeated request = %q, want %q", again, a)
	}
	long := vivo.RequestID(strings.Repeat("m", 60), "send", "r1")
	if len(long) != vivo.MaxRequestID || long == vivo.RequestID(strings.Repeat("m", 61), "send", "r1") {
		t.Errorf("long message ID: requestId %q (%d chars), want a distinct 64-char hash", long, len(long))
	}
	if r1, r2 := vivo.RequestID("", "send", "r1"), vivo.RequestID("", "send", "r1"); r1 == r2 || r1 == "" {
		t.Errorf("without a message ID requestIds must be random, got %q and %q", r1, r2)
	}
}

func TestClassify(t *testing.T) {
	now := time.Date(2025, 3, 1, 22, 30, 0, 0, cst)
	for _, tc := range []struct {
		status    int
		body      string
		want      push.Outcome
		wantAfter time.Duration
	}{
		{200, `{"result":0,"desc":"请求成功","taskId":"1"}`, push.Accepted, 0},
		{200, `{"result":10302,"desc":"regId不合法","invalidUser":{"status":1,"userid":"x"}}`, push.InvalidToken, 0},
		{200, `{"result":10000,"desc":"权限认证失败"}`, push.AuthExpired, 0},
		{200, `{"result":10070,"desc":"发送总量超出限制"}`, push.QuotaExceeded, 90 * time.Minute},
		{200, `{"result":10252,"desc":"批量推送消息体超出限制"}`, push.QuotaExceeded, 90 * time.Minute},
		{200, `{"result":10254,"desc":"全量推送次数超出限制"}`, push.QuotaExceeded, 90 * time.Minute},
		{200, `{"result":10072,"desc":"发送速度过快"}`, push.RetryLater, 0},
		{200, `{"result":10094,"desc":"appId不合法"}`, push.Failed, 0},
		{200, `{"result":10096,"desc":"category不合法"}`, push.Failed, 0},
		{500, `Internet server error!`, push.RetryLater, 0},
		{503, ``, push.RetryLater, 0},
		{429, ``, push.RetryLater, 0},
		{400, `bad`, push.Failed, 0},
	} {
		got, after, reason := vivo.ClassifyAnswer(tc.status, tc.body, now)
		if got != tc.want || after != tc.wantAfter {
			t.Errorf("classify(%d %s) = %v after %v (%q), want %v after %v", tc.status, tc.body, got, after, reason, tc.want, tc.wantAfter)
		}
	}
}

func TestSender_ValidateCertificate(t *testing.T) {
	ok := func() *push.Certificate {
		return &push.Certificate{Vendor: push.Vivo, AppID: "105562603", AppKey: "k", AppSecret: "s", Category: "IM", Classification: 1,
			Click: push.ClickAction{Type: push.ClickOpenPage, Target: "intent://x#Intent;scheme=a;end"}}
	}
	s := vivo.New()
	if err := s.ValidateCertificate(ok()); err != nil {
		t.Errorf("OK: %v", err)
	}
	for name, mod := range map[string]func(c *push.Certificate){
		"ErrAppIDLetters":     func(c *push.Certificate) { c.AppID = "abc" },
		"ErrAppIDEmpty":       func(c *push.Certificate) { c.AppID = "" },
		"ErrAppKey":           func(c *push.Certificate) { c.AppKey = " " },
		"ErrAppSecret":        func(c *push.Certificate) { c.AppSecret = "" },
		"ErrClassification":   func(c *push.Certificate) { c.Classification = 2 },
		"ErrCategory":         func(c *push.Certificate) { c.Category = "CHAT" },
		"ErrCategoryMismatch": func(c *push.Certificate) { c.Classification = 0 },
		"ErrClickActivity":    func(c *push.Certificate) { c.Click.Target = "com.example.Main" },
		"ErrEndpoint":         func(c *push.Certificate) { c.Endpoint.SendURL = "ftp://x" },
	} {
		c := ok()
		mod(c)
		if err := s.ValidateCertificate(c); err == nil {
			t.Errorf("%s: ValidateCertificate succeeded, want an error", name)
		}
	}
}

func BenchmarkSender_Send(b *testing.B) {
	for _, size := range []int{1, 100, vivo.MaxRegIDs} {
		b.Run(fmt.Sprintf("tokens=%d", size), func(b *testing.B) {
			e := newEnv(b)
			toks := e.phones(size)
			n := chat()
			n.Ext = `{"conv":"c2c_bob"}`
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				n.MessageID = fmt.Sprint("bench-", i)
				rs := e.sender.Send(context.Background(), e.cert, n, toks)
				if rs[0].Outcome != push.Accepted {
					b.Fatalf("result %+v", rs[0])
				}
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "notifications/s")
		})
	}
}
