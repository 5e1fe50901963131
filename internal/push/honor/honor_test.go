package honor_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/push/honor"
	"github.com/herald-im/herald/internal/vendorsim"
	simhonor "github.com/herald-im/herald/internal/vendorsim/honor"
)

// clock is a fake clock shared by the sender and the simulator.
type clock struct {
	mu sync.Mutex // protects t
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type env struct {
	sim    *simhonor.Server
	url    string
	sender *honor.Sender
	cert   *push.Certificate
	clock  *clock
}

// mustEnv starts a simulator with one app and returns a sender and certificate for it.
func mustEnv(tb testing.TB) *env {
	tb.Helper()
	clk := &clock{t: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)}
	sim := simhonor.New()
	sim.Now = clk.Now
	srv := httptest.NewServer(sim)
	tb.Cleanup(srv.Close)
	s := honor.New()
	s.HTTPClient = srv.Client()
	s.HTTPClient.Timeout = 5 * time.Second
	s.Now = clk.Now
	cert := sim.CreateApp().Certificate(srv.URL)
	cert.BadgeClass = "com.example.chat.MainActivity"
	return &env{sim: sim, url: srv.URL, sender: s, cert: cert, clock: clk}
}

func (e *env) register(tb testing.TB, n int) []string {
	tb.Helper()
	toks := make([]string, n)
	for i := range toks {
		toks[i] = e.sim.Register(e.cert.AppID)
	}
	return toks
}

func outcomes(rs []push.Result) map[push.Outcome]int {
	m := map[push.Outcome]int{}
	for _, r := range rs {
		m[r.Outcome]++
	}
	return m
}

func mustAllOutcome(tb testing.TB, rs []push.Result, tokens []string, want push.Outcome) {
	tb.Helper()
	if len(rs) != len(tokens) {
		tb.Fatalf("got %d results for %d tokens", len(rs), len(tokens))
	}
	for i, r := range rs {
		if r.Token != tokens[i] {
			tb.Fatalf("result %d is for token %q, want %q", i, r.Token, tokens[i])
		}
		if r.Outcome != want {
			tb.Fatalf("result %d: outcome %v (%s), want %v", i, r.Outcome, r.Reason, want)
		}
	}
}

func fullNotification() *push.Notification {
	badge := 7
	return &push.Notification{
		Title: "Alice", Body: "see you at 8 <tonight> & bring 🍰", Image: "https://img.example.com/a.png",
		Ext:       `{"conv":"c2c_alice","seq":42,"quote":"\"hi\""}`,
		Click:     push.ClickAction{Type: push.ClickOpenPage, Target: "intent://com.example.chat/detail#Intent;scheme=herald;launchFlags=0x4000000;component=com.example.chat/com.example.chat.MainActivity;end"},
		ChannelID: "messages", Category: "IM", Importance: "NORMAL", Sound: "ding", Badge: &badge,
		CollapseID: "conv-alice", NotifyID: 4242, TTL: 2 * time.Hour, Priority: push.High, MessageID: "m-1",
		Subtitle: "ignored on Android",
	}
}

func TestSender_Send(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := mustEnv(t)
		toks := e.register(t, 2)
		n := fullNotification()
		rs := e.sender.Send(context.Background(), e.cert, n, toks)
		mustAllOutcome(t, rs, toks, push.Accepted)
		if rs[0].MessageID == "" || rs[0].MessageID != rs[1].MessageID {
			t.Fatalf("message IDs %q %q, want one request ID", rs[0].MessageID, rs[1].MessageID)
		}
		inbox := e.sim.Inbox(toks[1])
		if len(inbox) != 1 {
			t.Fatalf("inbox has %d notifications, want 1", len(inbox))
		}
		d := inbox[0]
		checks := []struct{ name, got, want string }{
			{"title", d.Title, n.Title},
			{"body", d.Body, n.Body},
			{"image", d.Image, n.Image},
			{"ext", d.Ext, n.Ext},
			{"click type", d.Click.Type, "open_page"},
			{"click target", d.Click.Target, n.Click.Target},
			{"channel (not sent)", d.ChannelID, ""},
			{"sound (not sent)", d.Sound, ""},
			{"importance", d.Importance, "NORMAL"},
			{"notify id", d.NotifyID, "4242"},
			{"tag", d.CollapseID, "conv-alice"},
			{"message id", d.MessageID, rs[1].MessageID},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
			}
		}
		if d.Badge == nil || *d.Badge != 7 {
			t.Errorf("badge: got %v, want 7", d.Badge)
		}
		if d.TTL != 2*time.Hour {
			t.Errorf("ttl: got %v, want 2h", d.TTL)
		}
		// The raw request: camelCase, data is a JSON string, badge carries the class.
		var raw struct {
			Data    string `json:"data"`
			Android struct {
				TTL          string `json:"ttl"`
				BiTag        string `json:"biTag"`
				Notification struct {
					ClickAction struct {
						Type int `json:"type"`
					} `json:"clickAction"`
					Badge struct {
						BadgeClass string `json:"badgeClass"`
						SetNum     int    `json:"setNum"`
					} `json:"badge"`
				} `json:"notification"`
			} `json:"android"`
		}
		if err := json.Unmarshal(d.Raw, &raw); err != nil {
			t.Fatalf("raw request: %v", err)
		}
		if raw.Data != `{"ext":`+mustJSON(t, n.Ext)+`}` {
			t.Errorf("data: got %s", raw.Data)
		}
		an := raw.Android.Notification
		if an.ClickAction.Type != 1 || an.Badge.BadgeClass != e.cert.BadgeClass || an.Badge.SetNum != 7 ||
			raw.Android.TTL != "7200s" || raw.Android.BiTag != "m-1" {
			t.Errorf("raw android: %+v", raw.Android)
		}
		tap, ok := e.sim.Tap(toks[0], 0)
		if !ok || tap.Ext != n.Ext || tap.Extras["ext"] != n.Ext {
			t.Fatalf("tap: got %+v, %v, want ext %q", tap, ok, n.Ext)
		}
		if st := e.sim.Stats(); st.Requests != 1 || st.AuthCalls != 1 || st.Notifications != 2 || st.Rejected != 0 {
			t.Fatalf("stats %+v, want 1 request, 1 auth call, 2 notifications", st)
		}
	})

	t.Run("OK_ClickKinds", func(t *testing.T) {
		e := mustEnv(t)
		tok := e.register(t, 1)
		for _, c := range []push.ClickAction{{}, {Type: push.ClickOpenApp}, {Type: push.ClickOpenURL, Target: "https://example.com/x"}} {
			rs := e.sender.Send(context.Background(), e.cert, &push.Notification{Title: "t", Body: "b", Click: c}, tok)
			mustAllOutcome(t, rs, tok, push.Accepted)
		}
		inbox := e.sim.Inbox(tok[0])
		got := []string{inbox[0].Click.Type, inbox[1].Click.Type, inbox[2].Click.Type + " " + inbox[2].Click.Target}
		want := []string{"open_app", "open_app", "open_url https://example.com/x"}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("click %d: got %q, want %q", i, got[i], want[i])
			}
		}
	})

	t.Run("OK_NoBadgeClass", func(t *testing.T) {
		e := mustEnv(t)
		e.cert.BadgeClass = ""
		tok := e.register(t, 1)
		rs := e.sender.Send(context.Background(), e.cert, fullNotification(), tok)
		mustAllOutcome(t, rs, tok, push.Accepted)
		if d := e.sim.Inbox(tok[0])[0]; d.Badge != nil {
			t.Fatalf("badge %d sent without a badge class", *d.Badge)
		}
	})

	t.Run("OK_LongBodyShortened", func(t *testing.T) {
		e := mustEnv(t)
		tok := e.register(t, 1)
		n := &push.Notification{Title: "t", Body: strings.Repeat("長い", 2000)} // 12000 bytes
		rs := e.sender.Send(context.Background(), e.cert, n, tok)
		mustAllOutcome(t, rs, tok, push.Accepted)
		d := e.sim.Inbox(tok[0])[0]
		if !strings.HasPrefix(n.Body, d.Body) || len(d.Body) < 3000 || !strings.HasSuffix(d.Body, "い") && !strings.HasSuffix(d.Body, "長") {
			t.Fatalf("body of %d bytes is not a rune-boundary prefix near the limit", len(d.Body))
		}
	})

	t.Run("ErrPayloadTooLarge", func(t *testing.T) {
		e := mustEnv(t)
		tok := e.register(t, 1)
		n := &push.Notification{Title: "t", Body: "b", Ext: strings.Repeat("x", 5000)}
		rs := e.sender.Send(context.Background(), e.cert, n, tok)
		mustAllOutcome(t, rs, tok, push.Failed)
		if !strings.Contains(rs[0].Reason, "4096") {
			t.Fatalf("reason %q does not name the limit", rs[0].Reason)
		}
		if st := e.sim.Stats(); st.Requests != 0 {
			t.Fatalf("sent %d requests for an oversized message", st.Requests)
		}
	})

	t.Run("OK_MaxBatch", func(t *testing.T) {
		e := mustEnv(t)
		toks := e.register(t, e.sender.MaxBatch())
		rs := e.sender.Send(context.Background(), e.cert, &push.Notification{Title: "t", Body: "b"}, toks)
		mustAllOutcome(t, rs, toks, push.Accepted)
		if st := e.sim.Stats(); st.Requests != 1 || st.Notifications != 1000 {
			t.Fatalf("stats %+v, want 1 request and 1000 notifications", st)
		}
	})

	t.Run("OK_SplitsAboveMaxBatch", func(t *testing.T) {
		e := mustEnv(t)
		toks := e.register(t, 1500)
		rs := e.sender.Send(context.Background(), e.cert, &push.Notification{Title: "t", Body: "b"}, toks)
		mustAllOutcome(t, rs, toks, push.Accepted)
		if st := e.sim.Stats(); st.Requests != 2 || st.Notifications != 1500 || st.AuthCalls != 1 {
			t.Fatalf("stats %+v, want 2 requests, 1 auth call", st)
		}
	})

	t.Run("OK_MixedTokens", func(t *testing.T) {
		e := mustEnv(t)
		good := e.register(t, 2)
		gone := e.sim.Register(e.cert.AppID)
		e.sim.Unregister(gone)
		other := e.sim.Register("999")
		failing := e.sim.Register(e.cert.AppID)
		e.sim.FailToken(failing)
		toks := []string{good[0], gone, "not-a-token", other, failing, good[1]}
		rs := e.sender.Send(context.Background(), e.cert, &push.Notification{Title: "t", Body: "b"}, toks)
		want := []push.Outcome{push.Accepted, push.InvalidToken, push.InvalidToken, push.InvalidToken, push.Failed, push.Accepted}
		for i, r := range rs {
			if r.Token != toks[i] || r.Outcome != want[i] {
				t.Errorf("token %d: got %v (%s), want %v", i, r.Outcome, r.Reason, want[i])
			}
		}
		if len(e.sim.Inbox(good[1])) != 1 || len(e.sim.Inbox(gone)) != 0 {
			t.Fatal("delivery does not match the results")
		}
	})

	t.Run("OK_AllTokensInvalid", func(t *testing.T) {
		e := mustEnv(t)
		toks := []string{"bad-1", "bad-2"}
		rs := e.sender.Send(context.Background(), e.cert, &push.Notification{Title: "t", Body: "b"}, toks)
		mustAllOutcome(t, rs, toks, push.InvalidToken)
		if !strings.Contains(rs[0].Reason, "expireTokens") {
			t.Fatalf("reason %q lacks the code", rs[0].Reason)
		}
	})
}

func TestSender_Send_Faults(t *testing.T) {
	for _, tt := range []struct {
		name      string
		fault     vendorsim.Fault
		want      push.Outcome
		wantRetry time.Duration // -1: just > 0
		wantAuth  int64
	}{
		{"ServerError", vendorsim.Fault{Kind: vendorsim.ServerError}, push.RetryLater, 0, 1},
		{"Throttle", vendorsim.Fault{Kind: vendorsim.Throttle}, push.RetryLater, 0, 1},
		{"ThrottleRetryAfter", vendorsim.Fault{Kind: vendorsim.Throttle, RetryAfter: 7 * time.Second}, push.RetryLater, 7 * time.Second, 1},
		// 10:00 UTC is 18:00 in Beijing: six hours to the quota reset.
		{"Quota", vendorsim.Fault{Kind: vendorsim.Quota}, push.RetryLater, 6 * time.Hour, 1},
		{"Reset", vendorsim.Fault{Kind: vendorsim.Reset}, push.RetryLater, 0, 1},
		{"Timeout", vendorsim.Fault{Kind: vendorsim.Timeout}, push.RetryLater, 0, 1},
		{"AuthExpiredOnce", vendorsim.Fault{Kind: vendorsim.AuthExpired}, push.Accepted, 0, 2},
		{"AuthExpiredTwice", vendorsim.Fault{Kind: vendorsim.AuthExpired, Count: 2}, push.AuthExpired, 0, 2},
		{"AuthServerError", vendorsim.Fault{Kind: vendorsim.ServerError, Target: vendorsim.TargetAuth}, push.RetryLater, 0, 1},
		{"AuthThrottle", vendorsim.Fault{Kind: vendorsim.Throttle, Target: vendorsim.TargetAuth, RetryAfter: 3 * time.Second}, push.RetryLater, 3 * time.Second, 1},
		{"AuthRefused", vendorsim.Fault{Kind: vendorsim.AuthExpired, Target: vendorsim.TargetAuth}, push.AuthExpired, 0, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := mustEnv(t)
			if tt.fault.Kind == vendorsim.Timeout {
				e.sender.HTTPClient.Timeout = 100 * time.Millisecond
			}
			toks := e.register(t, 2)
			e.sim.Inject(tt.fault)
			rs := e.sender.Send(context.Background(), e.cert, &push.Notification{Title: "t", Body: "b"}, toks)
			mustAllOutcome(t, rs, toks, tt.want)
			if rs[0].RetryAfter != tt.wantRetry {
				t.Errorf("retry after %v, want %v", rs[0].RetryAfter, tt.wantRetry)
			}
			if st := e.sim.Stats(); st.AuthCalls != tt.wantAuth {
				t.Errorf("auth calls %d, want %d", st.AuthCalls, tt.wantAuth)
			}
			if tt.want != push.Accepted && rs[0].Reason == "" {
				t.Error("no reason")
			}
		})
	}
}

func TestSender_Send_TokenCache(t *testing.T) {
	t.Run("OK_OncePerLifetime", func(t *testing.T) {
		e := mustEnv(t)
		tok := e.register(t, 1)
		n := &push.Notification{Title: "t", Body: "b"}
		for range 5 {
			mustAllOutcome(t, e.sender.Send(context.Background(), e.cert, n, tok), tok, push.Accepted)
		}
		if got := e.sim.Stats().AuthCalls; got != 1 {
			t.Fatalf("auth calls %d, want 1", got)
		}
		// 56 minutes on, the token is within the 5-minute margin of its 1-hour life.
		e.clock.Advance(56 * time.Minute)
		mustAllOutcome(t, e.sender.Send(context.Background(), e.cert, n, tok), tok, push.Accepted)
		if got := e.sim.Stats().AuthCalls; got != 2 {
			t.Fatalf("auth calls %d after expiry, want 2", got)
		}
	})

	t.Run("OK_Concurrent", func(t *testing.T) {
		e := mustEnv(t)
		tok := e.register(t, 1)
		n := &push.Notification{Title: "t", Body: "b"}
		var wg sync.WaitGroup
		errs := make(chan string, 20)
		for range 20 {
			wg.Go(func() {
				if rs := e.sender.Send(context.Background(), e.cert, n, tok); rs[0].Outcome != push.Accepted {
					errs <- rs[0].Reason
				}
			})
		}
		wg.Wait()
		close(errs)
		for r := range errs {
			t.Error(r)
		}
		if st := e.sim.Stats(); st.AuthCalls != 1 || st.Requests != 20 {
			t.Fatalf("stats %+v, want 1 auth call, 20 requests", st)
		}
	})

	t.Run("OK_ConcurrentRefresh", func(t *testing.T) {
		e := mustEnv(t)
		tok := e.register(t, 1)
		n := &push.Notification{Title: "t", Body: "b"}
		mustAllOutcome(t, e.sender.Send(context.Background(), e.cert, n, tok), tok, push.Accepted)
		// The simulator's clock passes the token's expiry; the sender's does not, so the
		// sender learns of it from 80200003 and must refresh once for all senders.
		e.sim.Now = func() time.Time { return e.clock.Now().Add(2 * time.Hour) }
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				if rs := e.sender.Send(context.Background(), e.cert, n, tok); rs[0].Outcome != push.Accepted {
					t.Error(rs[0].Reason)
				}
			})
		}
		wg.Wait()
		if st := e.sim.Stats(); st.AuthCalls != 2 {
			t.Fatalf("auth calls %d, want 2 (one refresh)", st.AuthCalls)
		}
	})

	t.Run("OK_NewCacheKeyAfterUpdate", func(t *testing.T) {
		e := mustEnv(t)
		tok := e.register(t, 1)
		n := &push.Notification{Title: "t", Body: "b"}
		mustAllOutcome(t, e.sender.Send(context.Background(), e.cert, n, tok), tok, push.Accepted)
		e.cert.UpdatedAt = e.clock.Now()
		mustAllOutcome(t, e.sender.Send(context.Background(), e.cert, n, tok), tok, push.Accepted)
		if got := e.sim.Stats().AuthCalls; got != 2 {
			t.Fatalf("auth calls %d, want 2", got)
		}
	})

	t.Run("ErrWrongSecret", func(t *testing.T) {
		e := mustEnv(t)
		tok := e.register(t, 1)
		e.cert.ClientSecret = "wrong"
		rs := e.sender.Send(context.Background(), e.cert, &push.Notification{Title: "t", Body: "b"}, tok)
		mustAllOutcome(t, rs, tok, push.AuthExpired)
		if !strings.Contains(rs[0].Reason, "unauthorized_client") || strings.Contains(rs[0].Reason, "wrong") {
			t.Fatalf("reason %q", rs[0].Reason)
		}
		if st := e.sim.Stats(); st.Requests != 0 {
			t.Fatalf("sent %d requests without a token", st.Requests)
		}
	})
}

func TestSender_ValidateCertificate(t *testing.T) {
	ok := func() *push.Certificate {
		return &push.Certificate{AppID: "104412345", ClientID: "cli1", ClientSecret: "s3cret", Importance: "NORMAL",
			BadgeClass: "com.example.MainActivity"}
	}
	for _, tt := range []struct {
		name   string
		modify func(c *push.Certificate)
		field  string // "" means valid
	}{
		{"OK", func(*push.Certificate) {}, ""},
		{"OK_IntentPage", func(c *push.Certificate) {
			c.Click = push.ClickAction{Type: push.ClickOpenPage, Target: "intent://x/y#Intent;scheme=s;end"}
		}, ""},
		{"OK_URL", func(c *push.Certificate) {
			c.Click = push.ClickAction{Type: push.ClickOpenURL, Target: "https://x.com"}
		}, ""},
		{"ErrNoAppID", func(c *push.Certificate) { c.AppID = "" }, "AppID"},
		{"ErrAppIDPath", func(c *push.Certificate) { c.AppID = "1/2" }, "AppID"},
		{"ErrNoClientID", func(c *push.Certificate) { c.ClientID = "" }, "ClientID"},
		{"ErrNoClientSecret", func(c *push.Certificate) { c.ClientSecret = "" }, "ClientSecret"},
		{"ErrActivityPage", func(c *push.Certificate) {
			c.Click = push.ClickAction{Type: push.ClickOpenPage, Target: "com.example.MainActivity"}
		}, "Click"},
		{"ErrImportance", func(c *push.Certificate) { c.Importance = "HIGH" }, "Importance"},
		{"ErrBadgeClass", func(c *push.Certificate) { c.BadgeClass = "Main Activity" }, "BadgeClass"},
		{"ErrEndpoint", func(c *push.Certificate) { c.Endpoint.AuthURL = "iam" }, "Endpoint.AuthURL"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := ok()
			tt.modify(c)
			err := honor.New().ValidateCertificate(c)
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("got %v, want nil", err)
			case tt.field != "" && (err == nil || !errors.Is(err, honor.ErrInvalidCertificate) || !strings.Contains(err.Error(), tt.field)):
				t.Fatalf("got %v, want ErrInvalidCertificate naming %s", err, tt.field)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	toks := []string{"a", "b", "c"}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name     string
		status   int
		header   http.Header
		body     string
		want     []push.Outcome
		retry    time.Duration
		authFail bool
	}{
		{"Success", 200, nil, `{"code":200,"message":"Success","data":{"sendResult":true,"requestId":"r1","failTokens":[],"expireTokens":[],"msgCode":200}}`, []push.Outcome{0, 0, 0}, 0, false},
		{"SuccessStringCode", 200, nil, `{"code":"80000000","message":"Success","data":{"sendResult":true,"requestId":"r1"}}`, []push.Outcome{0, 0, 0}, 0, false},
		{"ExpireAndFail", 200, nil, `{"code":200,"message":"Success","data":{"sendResult":true,"requestId":"r","failTokens":["b"],"expireTokens":["a"]}}`,
			[]push.Outcome{push.InvalidToken, push.Failed, push.Accepted}, 0, false},
		{"SendResultFalse", 200, nil, `{"code":200,"message":"Success","data":{"sendResult":false,"requestId":"r","expireTokens":["a"]}}`,
			[]push.Outcome{push.InvalidToken, push.Failed, push.Failed}, 0, false},
		{"AllInvalidCode", 400, nil, `{"code":80300007,"message":"All the tokens are invalid"}`, []push.Outcome{push.InvalidToken, push.InvalidToken, push.InvalidToken}, 0, false},
		{"TokenExpired", 401, nil, `{"code":80200003,"message":"expired"}`, []push.Outcome{push.AuthExpired, push.AuthExpired, push.AuthExpired}, 0, true},
		{"OAuthError200", 200, nil, `{"code":80200001,"message":"auth"}`, []push.Outcome{push.AuthExpired, push.AuthExpired, push.AuthExpired}, 0, true},
		{"Bare401", 401, nil, ``, []push.Outcome{push.AuthExpired, push.AuthExpired, push.AuthExpired}, 0, true},
		{"FlowControl", 503, http.Header{"Retry-After": {"30"}}, `{"code":503,"message":"flow control"}`, []push.Outcome{push.RetryLater, push.RetryLater, push.RetryLater}, 30 * time.Second, false},
		{"TooMany", 429, nil, ``, []push.Outcome{push.RetryLater, push.RetryLater, push.RetryLater}, 0, false},
		{"BadGateway", 502, nil, `<html>`, []push.Outcome{push.RetryLater, push.RetryLater, push.RetryLater}, 0, false},
		{"Internal", 200, nil, `{"code":81000001,"message":"internal"}`, []push.Outcome{push.RetryLater, push.RetryLater, push.RetryLater}, 0, false},
		{"TooLarge", 400, nil, `{"code":80300008,"message":"too large"}`, []push.Outcome{push.Failed, push.Failed, push.Failed}, 0, false},
		{"SuccessWithoutData", 200, nil, `{"code":200,"message":"Success"}`, []push.Outcome{0, 0, 0}, 0, false},
		{"NotFound", 404, nil, `not found`, []push.Outcome{push.Failed, push.Failed, push.Failed}, 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header
			if h == nil {
				h = http.Header{}
			}
			rs, authFail := honor.Classify(tt.status, h, []byte(tt.body), toks, now)
			if authFail != tt.authFail {
				t.Errorf("Classify(%d, %s) authFailed %v, want %v", tt.status, tt.body, authFail, tt.authFail)
			}
			for i, r := range rs {
				if r.Token != toks[i] || r.Outcome != tt.want[i] || r.RetryAfter != tt.retry {
					t.Errorf("Classify(%d, %s)[%d] = %v %v, want %v %v", tt.status, tt.body, i, r.Outcome, r.RetryAfter, tt.want[i], tt.retry)
				}
				if r.Outcome == push.Accepted && r.MessageID == "" && tt.name != "SuccessWithoutData" {
					t.Errorf("Classify(%d, %s)[%d] accepted without a message ID", tt.status, tt.body, i)
				}
				if r.Outcome != push.Accepted && r.Reason == "" {
					t.Errorf("Classify(%d, %s)[%d] has no reason", tt.status, tt.body, i)
				}
			}
		})
	}
}

func BenchmarkSender_Send(b *testing.B) {
	for _, size := range []int{1, 100} {
		b.Run(fmt.Sprintf("%dTokens", size), func(b *testing.B) {
			e := mustEnv(b)
			toks := e.register(b, size)
			n := fullNotification()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if rs := e.sender.Send(context.Background(), e.cert, n, toks); rs[0].Outcome != push.Accepted {
					b.Fatal(rs[0].Reason)
				}
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "notifications/s")
		})
	}
}

func mustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}
