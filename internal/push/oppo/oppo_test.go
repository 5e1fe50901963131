package oppo_test

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
	"github.com/herald-im/herald/internal/push/oppo"
	"github.com/herald-im/herald/internal/vendorsim"
	simoppo "github.com/herald-im/herald/internal/vendorsim/oppo"
)

const pkg = "com.example.chat"

// clock is a fake clock shared by a sender and a simulator.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a sender wired to a simulator over real HTTP, both on one fake clock.
type env struct {
	sim    *simoppo.Server
	clock  *clock
	app    simoppo.App
	cert   *push.Certificate
	sender *oppo.Sender

	mu   sync.Mutex
	seen []url.Values // the form of every send request
}

func mustEnv(tb testing.TB) *env {
	tb.Helper()
	e := &env{sim: simoppo.New(), clock: &clock{t: time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)}}
	e.sim.Now = e.clock.Now
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != simoppo.AuthPath {
			r.ParseForm()
			e.mu.Lock()
			e.seen = append(e.seen, r.PostForm)
			e.mu.Unlock()
		}
		e.sim.ServeHTTP(w, r)
	}))
	tb.Cleanup(ts.Close)
	e.app = e.sim.CreateApp(pkg)
	e.cert = e.app.Certificate(ts.URL)
	e.sender = oppo.New()
	e.sender.HTTPClient = ts.Client()
	e.sender.Now = e.clock.Now
	return e
}

func (e *env) requests() []url.Values {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]url.Values(nil), e.seen...)
}

func basic() *push.Notification {
	return &push.Notification{Title: "Alice", Body: "hello", Ext: `{"entity":{"sender":"alice"}}`, ChannelID: "im", Category: "IM"}
}

func intPtr(i int) *int { return &i }

// sentNotification decodes the notification object of request i (unicast).
func sentNotification(tb testing.TB, form url.Values) map[string]any {
	tb.Helper()
	var m struct {
		TargetType   int            `json:"target_type"`
		Notification map[string]any `json:"notification"`
	}
	if err := json.Unmarshal([]byte(form.Get("message")), &m); err != nil {
		tb.Fatalf("message %q: %v", form.Get("message"), err)
	}
	if m.TargetType != 2 {
		tb.Errorf("target_type = %d, want 2", m.TargetType)
	}
	return m.Notification
}

func TestSender_Send(t *testing.T) {
	t.Run("OK_EveryField", func(t *testing.T) {
		e := mustEnv(t)
		tok := e.sim.Register(pkg)
		ext := `{"entity":{"version":1,"chatType":1,"action":1,"sender":"alice","text":"a&b=c 中文 \"q\""}}`
		n := &push.Notification{
			Title:          "Alice",
			Body:           "hello there",
			Subtitle:       "ignored",
			Image:          "https://example.com/a.png",
			Ext:            ext,
			Click:          push.ClickAction{Type: push.ClickOpenPage, Target: "com.example.chat.MainActivity"},
			ChannelID:      "im_messages",
			Category:       "IM",
			Importance:     "NORMAL",
			Classification: intPtr(1),
			NotifyLevel:    16,
			TemplateID:     "tpl-1",
			Sound:          "ding",
			Badge:          intPtr(2),
			CollapseID:     "conv-1",
			NotifyID:       42,
			TTL:            3 * time.Hour,
			Priority:       push.High,
			MessageID:      "msg-123",
		}
		e.sender.CallbackURL = "https://herald.example.com/oppo/receipt"

		rs := e.sender.Send(context.Background(), e.cert, n, []string{tok})

		if len(rs) != 1 || rs[0].Outcome != push.Accepted || rs[0].MessageID == "" {
			t.Fatalf("results = %+v, want one Accepted with a message ID", rs)
		}
		inbox := e.sim.Inbox(tok)
		if len(inbox) != 1 {
			t.Fatalf("inbox has %d notifications, want 1", len(inbox))
		}
		d := inbox[0]
		checks := []struct{ name, got, want string }{
			{"title", d.Title, "Alice"},
			{"body", d.Body, "hello there"},
			{"ext", d.Ext, ext},
			{"click type", d.Click.Type, "open_page"},
			{"click target", d.Click.Target, "com.example.chat.MainActivity"},
			{"channel", d.ChannelID, "im_messages"},
			{"category", d.Category, "IM"},
			{"notify id", d.NotifyID, "42"},
			{"message id", d.MessageID, rs[0].MessageID},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
			}
		}
		if d.TTL != 3*time.Hour {
			t.Errorf("ttl = %v, want 3h", d.TTL)
		}

		reqs := e.requests()
		if len(reqs) != 1 || reqs[0].Get("auth_token") == "" {
			t.Fatalf("requests = %v, want one unicast with auth_token in the body", reqs)
		}
		got := sentNotification(t, reqs[0])
		want := map[string]any{
			"click_action_type":       4.0,
			"click_action_activity":   "com.example.chat.MainActivity",
			"action_parameters":       `{"ext":` + mustJSON(t, ext) + `}`,
			"channel_id":              "im_messages",
			"category":                "IM",
			"notify_level":            16.0,
			"notify_id":               42.0,
			"off_line":                true,
			"off_line_ttl":            10800.0,
			"style":                   1.0,
			"app_message_id":          oppo.AppMessageID("msg-123", tok),
			"private_msg_template_id": "tpl-1",
			"call_back_url":           "https://herald.example.com/oppo/receipt",
			"call_back_parameter":     "msg-123",
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("notification[%s] = %#v, want %#v", k, got[k], v)
			}
		}
		for _, k := range []string{"sub_title", "click_action_url", "clickActionType", "badge_message_count"} {
			if _, ok := got[k]; ok {
				t.Errorf("notification has %s, which the sender must not send", k)
			}
		}

		click, ok := e.sim.Tap(tok, 0)
		if !ok || click.Ext != ext || click.Extras["ext"] != ext {
			t.Errorf("tap = %+v, want ext %q unchanged", click, ext)
		}
	})

	t.Run("OK_ClickActions", func(t *testing.T) {
		e := mustEnv(t)
		tok := e.sim.Register(pkg)
		tests := []struct {
			click    push.ClickAction
			wantType float64
			want     vendorsim.Click
		}{
			{push.ClickAction{}, 0, vendorsim.Click{Type: "open_app"}},
			{push.ClickAction{Type: push.ClickOpenURL, Target: "https://example.com/x"}, 2, vendorsim.Click{Type: "open_url", Target: "https://example.com/x"}},
		}
		for i, tt := range tests {
			n := basic()
			n.Click = tt.click
			if rs := e.sender.Send(context.Background(), e.cert, n, []string{tok}); rs[0].Outcome != push.Accepted {
				t.Fatalf("click %+v: %+v", tt.click, rs[0])
			}
			if got := sentNotification(t, e.requests()[i])["click_action_type"]; got != tt.wantType {
				t.Errorf("click %+v sent as type %v, want %v", tt.click, got, tt.wantType)
			}
			if d := e.sim.Inbox(tok)[i]; d.Click != tt.want {
				t.Errorf("click %+v delivered as %+v, want %+v", tt.click, d.Click, tt.want)
			}
		}
	})

	t.Run("OK_Truncates", func(t *testing.T) {
		e := mustEnv(t)
		tok := e.sim.Register(pkg)
		n := basic()
		n.Title = strings.Repeat("标", 80)
		n.Body = strings.Repeat("内", 300)
		if rs := e.sender.Send(context.Background(), e.cert, n, []string{tok}); rs[0].Outcome != push.Accepted {
			t.Fatalf("result = %+v", rs[0])
		}
		d := e.sim.Inbox(tok)[0]
		if d.Title != strings.Repeat("标", oppo.MaxTitle) || d.Body != strings.Repeat("内", oppo.MaxContent) {
			t.Errorf("title %d bytes, body %d bytes, want %d and %d characters", len(d.Title), len(d.Body), oppo.MaxTitle, oppo.MaxContent)
		}
	})

	t.Run("OK_MixedTokens", func(t *testing.T) {
		e := mustEnv(t)
		good1, good2 := e.sim.Register(pkg), e.sim.Register(pkg)
		gone := e.sim.Register(pkg)
		e.sim.Unregister(gone)
		other := e.sim.Register("com.other.app")
		tokens := []string{good1, gone, simoppo.NewRegID(), other, good2}

		rs := e.sender.Send(context.Background(), e.cert, basic(), tokens)

		want := []push.Outcome{push.Accepted, push.InvalidToken, push.InvalidToken, push.InvalidToken, push.Accepted}
		for i, r := range rs {
			if r.Token != tokens[i] || r.Outcome != want[i] {
				t.Errorf("result %d = %+v, want %s", i, r, want[i])
			}
		}
		if rs[0].MessageID == "" || rs[0].MessageID == rs[4].MessageID {
			t.Errorf("message IDs %q, %q: want one per target", rs[0].MessageID, rs[4].MessageID)
		}
		if reqs := e.requests(); len(reqs) != 1 || !reqs[0].Has("messages") {
			t.Errorf("want one unicast_batch request, got %v", reqs)
		}
	})

	t.Run("OK_InvalidUnicast", func(t *testing.T) {
		e := mustEnv(t)
		gone := e.sim.Register(pkg)
		e.sim.Unregister(gone)
		rs := e.sender.Send(context.Background(), e.cert, basic(), []string{gone})
		if rs[0].Outcome != push.InvalidToken || !strings.Contains(rs[0].Reason, "10000") {
			t.Errorf("result = %+v, want InvalidToken from 10000", rs[0])
		}
	})

	t.Run("OK_Dedupe", func(t *testing.T) {
		e := mustEnv(t)
		a, b := e.sim.Register(pkg), e.sim.Register(pkg)
		n := basic()
		n.MessageID = "push-1"
		for range 2 { // a retry of the same push
			for _, r := range e.sender.Send(context.Background(), e.cert, n, []string{a, b}) {
				if r.Outcome != push.Accepted {
					t.Fatalf("result %+v", r)
				}
			}
		}
		if len(e.sim.Inbox(a)) != 1 || len(e.sim.Inbox(b)) != 1 {
			t.Errorf("inboxes hold %d and %d, want 1 each: same push deduplicated per phone only", len(e.sim.Inbox(a)), len(e.sim.Inbox(b)))
		}
	})

	t.Run("OK_Batches", func(t *testing.T) {
		e := mustEnv(t)
		tokens := make([]string, oppo.MaxBatch+1)
		for i := range tokens {
			tokens[i] = e.sim.Register(pkg)
		}
		rs := e.sender.Send(context.Background(), e.cert, basic(), tokens[:oppo.MaxBatch])
		reqs := e.requests()
		if len(reqs) != 1 || len(rs) != oppo.MaxBatch {
			t.Fatalf("MaxBatch tokens: %d requests, %d results; want 1 and %d", len(reqs), len(rs), oppo.MaxBatch)
		}
		var msgs []json.RawMessage
		if err := json.Unmarshal([]byte(reqs[0].Get("messages")), &msgs); err != nil || len(msgs) != oppo.MaxBatch {
			t.Errorf("unicast_batch carried %d messages (%v), want %d", len(msgs), err, oppo.MaxBatch)
		}

		rs = e.sender.Send(context.Background(), e.cert, basic(), tokens)
		if got := len(e.requests()); got != 3 {
			t.Errorf("MaxBatch+1 tokens took %d requests, want 2", got-1)
		}
		for i, r := range rs {
			if r.Token != tokens[i] || r.Outcome != push.Accepted {
				t.Fatalf("result %d = %+v, want Accepted", i, r)
			}
		}
		if st := e.sim.Stats(); st.AuthCalls != 1 {
			t.Errorf("auth calls = %d, want 1", st.AuthCalls)
		}
	})

	t.Run("ErrWrongMasterSecret", func(t *testing.T) {
		e := mustEnv(t)
		tok := e.sim.Register(pkg)
		e.cert.MasterSecret = "wrong"
		rs := e.sender.Send(context.Background(), e.cert, basic(), []string{tok})
		if rs[0].Outcome != push.AuthExpired || !strings.Contains(rs[0].Reason, "16") {
			t.Errorf("result = %+v, want AuthExpired from 16 (invalid sign)", rs[0])
		}
		if st := e.sim.Stats(); st.Requests != 0 || st.AuthCalls != 1 {
			t.Errorf("stats = %+v, want 1 auth call and no send", st)
		}
	})

	t.Run("ErrRefusedBeforeRequest", func(t *testing.T) {
		tests := []struct {
			name   string
			mutate func(n *push.Notification)
		}{
			{"blank title", func(n *push.Notification) { n.Title = "  " }},
			{"no body", func(n *push.Notification) { n.Body = "" }},
			{"bad category", func(n *push.Notification) { n.Category = "CHAT" }},
			{"level without category", func(n *push.Notification) { n.Category, n.NotifyLevel = "", 2 }},
			{"bad level", func(n *push.Notification) { n.NotifyLevel = 3 }},
			{"ext too long", func(n *push.Notification) { n.Ext = strings.Repeat("x", oppo.MaxActionParameters) }},
			{"intent uri as page", func(n *push.Notification) {
				n.Click = push.ClickAction{Type: push.ClickOpenPage, Target: "intent://x#Intent;end"}
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := mustEnv(t)
				tok := e.sim.Register(pkg)
				n := basic()
				tt.mutate(n)
				rs := e.sender.Send(context.Background(), e.cert, n, []string{tok})
				if rs[0].Outcome != push.Failed || rs[0].Reason == "" {
					t.Errorf("result = %+v, want Failed with a reason", rs[0])
				}
				if st := e.sim.Stats(); st.Requests+st.AuthCalls != 0 {
					t.Errorf("stats = %+v, want no request", st)
				}
			})
		}
	})
}

func mustJSON(tb testing.TB, s string) string {
	tb.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func TestSender_Send_Faults(t *testing.T) {
	tests := []struct {
		name      string
		faults    []vendorsim.Fault
		want      push.Outcome
		wantRetry time.Duration
		authCalls int64
		requests  int64
	}{
		{"server_error", []vendorsim.Fault{{Kind: vendorsim.ServerError}}, push.RetryLater, 0, 1, 1},
		{"throttle", []vendorsim.Fault{{Kind: vendorsim.Throttle}}, push.RetryLater, 0, 1, 1},
		{"throttle_retry_after", []vendorsim.Fault{{Kind: vendorsim.Throttle, RetryAfter: 9 * time.Second}}, push.RetryLater, 9 * time.Second, 1, 1},
		{"quota", []vendorsim.Fault{{Kind: vendorsim.Quota}}, push.QuotaExceeded, 14 * time.Hour, 1, 1},
		{"auth_expired_once", []vendorsim.Fault{{Kind: vendorsim.AuthExpired}}, push.Accepted, 0, 2, 2},
		{"auth_expired_twice", []vendorsim.Fault{{Kind: vendorsim.AuthExpired, Count: 2}}, push.AuthExpired, 0, 2, 2},
		{"timeout", []vendorsim.Fault{{Kind: vendorsim.Timeout}}, push.RetryLater, 0, 1, 1},
		{"reset", []vendorsim.Fault{{Kind: vendorsim.Reset}}, push.RetryLater, 0, 1, 1},
		{"auth_server_error", []vendorsim.Fault{{Kind: vendorsim.ServerError, Target: vendorsim.TargetAuth}}, push.RetryLater, 0, 1, 0},
		{"auth_throttle", []vendorsim.Fault{{Kind: vendorsim.Throttle, Target: vendorsim.TargetAuth, RetryAfter: 2 * time.Second}}, push.RetryLater, 2 * time.Second, 1, 0},
		{"auth_reset", []vendorsim.Fault{{Kind: vendorsim.Reset, Target: vendorsim.TargetAuth}}, push.RetryLater, 0, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustEnv(t) // the clock says 10:00 in Beijing
			tok := e.sim.Register(pkg)
			for _, f := range tt.faults {
				e.sim.Inject(f)
			}
			ctx := context.Background()
			if tt.faults[0].Kind == vendorsim.Timeout {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, 50*time.Millisecond)
				defer cancel()
			}

			rs := e.sender.Send(ctx, e.cert, basic(), []string{tok})

			if rs[0].Outcome != tt.want || rs[0].RetryAfter != tt.wantRetry {
				t.Errorf("result = %+v, want %s after %v", rs[0], tt.want, tt.wantRetry)
			}
			if st := e.sim.Stats(); st.AuthCalls != tt.authCalls || st.Requests != tt.requests {
				t.Errorf("stats = %+v, want %d auth calls and %d send requests", st, tt.authCalls, tt.requests)
			}
			wantInbox := 0
			if tt.want == push.Accepted {
				wantInbox = 1
			}
			if got := len(e.sim.Inbox(tok)); got != wantInbox {
				t.Errorf("inbox holds %d, want %d", got, wantInbox)
			}
		})
	}
}

func TestSender_Token(t *testing.T) {
	t.Run("OK_CachedForItsLifetime", func(t *testing.T) {
		e := mustEnv(t)
		tok := e.sim.Register(pkg)
		send := func() {
			t.Helper()
			if rs := e.sender.Send(context.Background(), e.cert, basic(), []string{tok}); rs[0].Outcome != push.Accepted {
				t.Fatalf("result = %+v", rs[0])
			}
		}
		for range 3 {
			send()
		}
		if got := e.sim.Stats().AuthCalls; got != 1 {
			t.Errorf("auth calls after 3 sends = %d, want 1", got)
		}
		e.clock.Advance(oppo.TokenLifetime - oppo.TokenRefreshMargin - time.Second)
		send()
		if got := e.sim.Stats().AuthCalls; got != 1 {
			t.Errorf("auth calls just before the refresh margin = %d, want 1", got)
		}
		e.clock.Advance(time.Second)
		send()
		send()
		if got := e.sim.Stats().AuthCalls; got != 2 {
			t.Errorf("auth calls after the refresh margin = %d, want 2", got)
		}
	})

	t.Run("OK_Concurrent", func(t *testing.T) {
		e := mustEnv(t)
		tok := e.sim.Register(pkg)
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				if rs := e.sender.Send(context.Background(), e.cert, basic(), []string{tok}); rs[0].Outcome != push.Accepted {
					t.Errorf("result = %+v", rs[0])
				}
			})
		}
		wg.Wait()
		if st := e.sim.Stats(); st.AuthCalls != 1 || st.Requests != 20 {
			t.Errorf("stats = %+v, want 1 auth call for 20 concurrent sends", st)
		}
	})

	t.Run("OK_ConcurrentRefreshOnce", func(t *testing.T) {
		e := mustEnv(t)
		tok := e.sim.Register(pkg)
		if rs := e.sender.Send(context.Background(), e.cert, basic(), []string{tok}); rs[0].Outcome != push.Accepted {
			t.Fatalf("result = %+v", rs[0])
		}
		e.sim.ExpireTokens() // every send now gets code 11 with the cached token
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				if rs := e.sender.Send(context.Background(), e.cert, basic(), []string{tok}); rs[0].Outcome != push.Accepted {
					t.Errorf("result = %+v", rs[0])
				}
			})
		}
		wg.Wait()
		if got := e.sim.Stats().AuthCalls; got != 2 {
			t.Errorf("auth calls = %d, want 2 (one refresh shared by all)", got)
		}
	})

	t.Run("OK_ExpiredAtVendor", func(t *testing.T) {
		e := mustEnv(t)
		e.sim.TokenTTL = time.Hour // the vendor expires tokens sooner than the sender expects
		tok := e.sim.Register(pkg)
		e.sender.Send(context.Background(), e.cert, basic(), []string{tok})
		e.clock.Advance(2 * time.Hour)
		rs := e.sender.Send(context.Background(), e.cert, basic(), []string{tok})
		if rs[0].Outcome != push.Accepted {
			t.Errorf("result = %+v, want Accepted after one refresh", rs[0])
		}
		if st := e.sim.Stats(); st.AuthCalls != 2 || st.Requests != 3 {
			t.Errorf("stats = %+v, want 2 auth calls and 3 send requests", st)
		}
	})

	t.Run("OK_NewCertificateVersion", func(t *testing.T) {
		e := mustEnv(t)
		tok := e.sim.Register(pkg)
		e.sender.Send(context.Background(), e.cert, basic(), []string{tok})
		e.cert.UpdatedAt = e.cert.UpdatedAt.Add(time.Second) // the secret was edited
		e.sender.Send(context.Background(), e.cert, basic(), []string{tok})
		if got := e.sim.Stats().AuthCalls; got != 2 {
			t.Errorf("auth calls = %d, want 2: a changed certificate gets its own token", got)
		}
	})
}

func TestSign(t *testing.T) {
	// sha256("key" + "1700000000000" + "secret"), lower-case hex.
	got := oppo.Sign("key", "1700000000000", "secret")
	if len(got) != 64 || strings.ToLower(got) != got {
		t.Errorf("Sign = %q, want 64 lower-case hex digits", got)
	}
	if got == oppo.Sign("key", "1700000000001", "secret") {
		t.Errorf("Sign ignores the timestamp")
	}
}

func TestIsChinaRegID(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"078ad8b8a137cadb14ae5b70cf846312", true},
		{"CN_078ad8b8a137cadb14ae5b70cf846312", true},
		{"OPPO_CN_078ad8b8", true},
		{"SG_078ad8b8", false},
		{"OPPO_EU_078ad8b8", false},
		{"a_b_c_d", false},
	}
	for _, tt := range tests {
		if got := oppo.IsChinaRegID(tt.in); got != tt.want {
			t.Errorf("IsChinaRegID(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestClassify(t *testing.T) {
	now := time.Date(2025, 3, 1, 15, 30, 0, 0, time.UTC) // 23:30 in Beijing
	two := []string{"CN_a", "CN_b"}
	one := []string{"CN_a"}
	tests := []struct {
		batch       []string
		isBatch     bool
		status      int
		header      string
		body        string
		want        []push.Outcome
		retry       time.Duration
		authExpired bool
	}{
		{one, false, 200, "", `{"code":0,"message":"","data":{"messageId":"m1"}}`, []push.Outcome{push.Accepted}, 0, false},
		{one, false, 200, "", `{"code":0,"data":{}}`, []push.Outcome{push.Failed}, 0, false},
		{one, false, 200, "", `{"code":10000,"message":"Invalid Registration_id"}`, []push.Outcome{push.InvalidToken}, 0, false},
		{two, true, 200, "", `{"code":10000,"message":"x"}`, []push.Outcome{push.Failed, push.Failed}, 0, false},
		{two, true, 200, "", `{"code":0,"data":[{"messageId":"m2","registrationId":"CN_b","errorCode":10000,"errorMessage":"Invalid Registration_id"},{"messageId":"m1","registrationId":"CN_a"}]}`, []push.Outcome{push.Accepted, push.InvalidToken}, 0, false},
		{two, true, 200, "", `{"code":0,"data":[{"messageId":"m1","registrationId":"CN_a","errorCode":10002,"errorMessage":"other"}]}`, []push.Outcome{push.Failed, push.Failed}, 0, false},
		{two, true, 200, "", `{"code":-2,"message":"Service in Flow Control"}`, []push.Outcome{push.RetryLater, push.RetryLater}, 0, false},
		{one, false, 200, "4", `{"code":-2}`, []push.Outcome{push.RetryLater}, 4 * time.Second, false},
		{one, false, 200, "", `{"code":-1}`, []push.Outcome{push.RetryLater}, 0, false},
		{one, false, 200, "", `{"code":13}`, []push.Outcome{push.RetryLater}, 0, false},
		{one, false, 200, "", `{"code":55}`, []push.Outcome{push.RetryLater}, 0, false},
		{one, false, 200, "", `{"code":33}`, []push.Outcome{push.QuotaExceeded}, 30 * time.Minute, false},
		{one, false, 200, "", `{"code":11,"message":"Invalid AuthToken"}`, []push.Outcome{push.AuthExpired}, 0, true},
		{one, false, 200, "", `{"code":41}`, []push.Outcome{push.Failed}, 0, false},
		{one, false, 200, "", `{"code":67}`, []push.Outcome{push.Failed}, 0, false},
		{one, false, 200, "", `{"code":30}`, []push.Outcome{push.Failed}, 0, false},
		{one, false, 503, "6", `<html>busy</html>`, []push.Outcome{push.RetryLater}, 6 * time.Second, false},
		{one, false, 403, "", `forbidden`, []push.Outcome{push.AuthExpired}, 0, false},
		{one, false, 400, "", `bad`, []push.Outcome{push.Failed}, 0, false},
	}
	for _, tt := range tests {
		rs, expired := oppo.Classify(tt.batch, tt.isBatch, tt.status, tt.header, []byte(tt.body), now)
		if expired != tt.authExpired {
			t.Errorf("Classify(%s) auth expired = %v, want %v", tt.body, expired, tt.authExpired)
		}
		for i, r := range rs {
			if r.Token != tt.batch[i] || r.Outcome != tt.want[i] || r.RetryAfter != tt.retry {
				t.Errorf("Classify(%d, %q, %s)[%d] = %+v, want %s after %v", tt.status, tt.header, tt.body, i, r, tt.want[i], tt.retry)
			}
			if r.Outcome == push.Accepted && r.MessageID == "" || r.Outcome != push.Accepted && r.Reason == "" {
				t.Errorf("Classify(%s)[%d] = %+v: accepted needs an ID, others a reason", tt.body, i, r)
			}
		}
	}
}

func TestBuildNotification(t *testing.T) {
	cert := &push.Certificate{PackageName: pkg}
	tests := []struct {
		name  string
		n     push.Notification
		check func(o *oppo.Notification) bool
	}{
		{"launch app", push.Notification{Title: "t", Body: "b"}, func(o *oppo.Notification) bool {
			return o.ClickActionType == 0 && o.ActionParameters == "" && o.NotifyID == 0 && o.OffLineTTL == 0 && o.OffLine
		}},
		{"ext as json", push.Notification{Title: "t", Body: "b", Ext: "not json"}, func(o *oppo.Notification) bool {
			return o.ActionParameters == `{"ext":"not json"}`
		}},
		{"collapse id", push.Notification{Title: "t", Body: "b", CollapseID: "c"}, func(o *oppo.Notification) bool {
			return o.NotifyID == oppo.NotifyIDFor("c") && o.NotifyID > 0
		}},
		{"ttl capped", push.Notification{Title: "t", Body: "b", TTL: 30 * 24 * time.Hour}, func(o *oppo.Notification) bool {
			return o.OffLineTTL == 864000
		}},
		{"url", push.Notification{Title: "t", Body: "b", Click: push.ClickAction{Type: push.ClickOpenURL, Target: "https://e.com"}}, func(o *oppo.Notification) bool {
			return o.ClickActionType == 2 && o.ClickActionURL == "https://e.com" && o.ClickActionActivity == ""
		}},
	}
	for _, tt := range tests {
		o, err := oppo.BuildNotification(cert, &tt.n)
		if err != nil || !tt.check(o) {
			t.Errorf("%s: BuildNotification(%+v) = %+v, %v", tt.name, tt.n, o, err)
		}
	}
	long := strings.Repeat("m", 100)
	if a, b := oppo.AppMessageID(long, "CN_a"), oppo.AppMessageID(long, "CN_b"); a == b || len(a) > 50 || a != oppo.AppMessageID(long, "CN_a") {
		t.Errorf("AppMessageID = %q, %q: want stable, per regId, short", a, b)
	}
	if got := oppo.AppMessageID("", "CN_a"); got != "" {
		t.Errorf("AppMessageID without a message ID = %q, want empty", got)
	}
}

func TestUntilBeijingMidnight(t *testing.T) {
	if got := oppo.UntilBeijingMidnight(time.Date(2025, 3, 1, 16, 0, 0, 0, time.UTC)); got != 24*time.Hour {
		t.Errorf("at Beijing midnight: %v, want 24h", got)
	}
	if got := oppo.UntilBeijingMidnight(time.Date(2025, 3, 1, 15, 0, 0, 0, time.UTC)); got != time.Hour {
		t.Errorf("at 23:00 Beijing: %v, want 1h", got)
	}
}

func TestSender_ValidateCertificate(t *testing.T) {
	s := oppo.New()
	ok := push.Certificate{AppKey: "k", MasterSecret: "m", Category: "IM", NotifyLevel: 2,
		Click: push.ClickAction{Type: push.ClickOpenPage, Target: "com.example.MainActivity"}}
	if err := s.ValidateCertificate(&ok); err != nil {
		t.Errorf("ValidateCertificate(valid) = %v", err)
	}
	bad := []func(c *push.Certificate){
		func(c *push.Certificate) { c.AppKey = "" },
		func(c *push.Certificate) { c.MasterSecret = "" },
		func(c *push.Certificate) { c.Category = "CHAT" },
		func(c *push.Certificate) { c.Category = "" },
		func(c *push.Certificate) { c.NotifyLevel = 4 },
		func(c *push.Certificate) {
			c.Click = push.ClickAction{Type: push.ClickOpenPage, Target: "intent://x#Intent;end"}
		},
	}
	for i, mutate := range bad {
		c := ok
		mutate(&c)
		if err := s.ValidateCertificate(&c); err == nil {
			t.Errorf("case %d: ValidateCertificate(%+v) = nil, want an error", i, c)
		}
	}
}

func BenchmarkSender_Send(b *testing.B) {
	for _, size := range []int{1, 100} {
		b.Run(fmt.Sprintf("batch%d", size), func(b *testing.B) {
			// The simulator keeps every notification in an inbox; a fresh one every few
			// thousand notifications keeps the benchmark's memory flat.
			var e *env
			var tokens []string
			fresh := func() {
				e = mustEnv(b)
				tokens = make([]string, size)
				for i := range tokens {
					tokens[i] = e.sim.Register(pkg)
				}
			}
			fresh()
			n := basic()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if i++; i%(5000/size) == 0 {
					b.StopTimer()
					fresh()
					b.StartTimer()
				}
				if rs := e.sender.Send(context.Background(), e.cert, n, tokens); rs[0].Outcome != push.Accepted {
					b.Fatalf("result %+v", rs[0])
				}
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "notifications/s")
		})
	}
}
