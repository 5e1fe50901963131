package xiaomi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/push/xiaomi"
	"github.com/herald-im/herald/internal/vendorsim"
	simxiaomi "github.com/herald-im/herald/internal/vendorsim/xiaomi"
)

const pkg = "com.example.chat"

// env is a sender wired to a simulator over real HTTP.
type env struct {
	sim    *simxiaomi.Server
	url    string
	app    simxiaomi.App
	cert   *push.Certificate
	sender *xiaomi.Sender
}

// mustEnv starts a simulator with one app and returns a sender pointed at it.
func mustEnv(tb testing.TB) *env {
	tb.Helper()
	sim := simxiaomi.New()
	ts := httptest.NewServer(sim)
	tb.Cleanup(ts.Close)
	app := sim.CreateApp(pkg)
	s := xiaomi.New()
	s.HTTPClient = ts.Client()
	return &env{sim: sim, url: ts.URL, app: app, cert: app.Certificate(ts.URL), sender: s}
}

// capture records the raw form of every request the simulator gets.
func (e *env) capture(tb testing.TB) *[]map[string][]string {
	tb.Helper()
	var (
		mu   sync.Mutex
		seen []map[string][]string
	)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		seen = append(seen, r.PostForm)
		mu.Unlock()
		e.sim.ServeHTTP(w, r)
	}))
	tb.Cleanup(ts.Close)
	e.cert.Endpoint.SendURL = ts.URL
	return &seen
}

func basic() *push.Notification {
	return &push.Notification{Title: "Alice", Body: "hello", Ext: `{"entity":{"sender":"alice"}}`}
}

func intPtr(i int) *int { return &i }

func TestSender_Send(t *testing.T) {
	t.Run("OK_EveryField", func(t *testing.T) {
		e := mustEnv(t)
		seen := e.capture(t)
		tok := e.sim.Register(pkg)
		ext := `{"entity":{"version":1,"chatType":1,"action":1,"sender":"alice","content":"a&b=c%d+e 中文"}}`
		intent := "intent://com.example.chat/detail#Intent;scheme=pushscheme;launchFlags=0x4000000;component=com.example.chat/.MainActivity;end"
		n := &push.Notification{
			Title:          "Alice",
			Body:           "hello there",
			Subtitle:       "ignored on Android",
			Image:          "https://example.com/a.png",
			Ext:            ext,
			Click:          push.ClickAction{Type: push.ClickOpenPage, Target: intent},
			ChannelID:      "im_messages",
			Category:       "IM",
			Importance:     "NORMAL",
			Classification: intPtr(1),
			NotifyLevel:    2,
			Sound:          "ding.mp3",
			Badge:          intPtr(3),
			CollapseID:     "conv-1",
			NotifyID:       42,
			TTL:            2 * time.Hour,
			Priority:       push.High,
			MessageID:      "msg-123",
		}
		e.sender.CallbackURL = "https://herald.example.com/xiaomi/receipt"

		rs := e.sender.Send(context.Background(), e.cert, n, []string{tok})

		if len(rs) != 1 || rs[0].Outcome != push.Accepted || rs[0].MessageID == "" || rs[0].Token != tok {
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
			{"click target", d.Click.Target, intent},
			{"channel", d.ChannelID, "im_messages"},
			{"sound", d.Sound, "android.resource://com.example.chat/raw/ding"},
			{"notify id", d.NotifyID, "42"},
			{"message id", d.MessageID, rs[0].MessageID},
			{"extra notify_foreground", d.Extras["notify_foreground"], "0"},
			{"extra jobkey", d.Extras["jobkey"], "msg-123"},
			{"extra callback", d.Extras["callback"], "https://herald.example.com/xiaomi/receipt"},
			{"extra callback.param", d.Extras["callback.param"], "msg-123"},
			{"extra callback.type", d.Extras["callback.type"], "19"},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
			}
		}
		if d.TTL != 2*time.Hour {
			t.Errorf("ttl = %v, want 2h", d.TTL)
		}

		if len(*seen) != 1 {
			t.Fatalf("simulator saw %d requests, want 1", len(*seen))
		}
		form := (*seen)[0]
		rawWant := map[string]string{
			"registration_id":         tok,
			"restricted_package_name": pkg,
			"pass_through":            "0",
			"notify_type":             "-1",
			"payload":                 ext,
			"time_to_live":            "7200000",
			"extra.notify_effect":     "2",
		}
		for k, want := range rawWant {
			if got := strings.Join(form[k], "|"); got != want {
				t.Errorf("form %s = %q, want %q", k, got, want)
			}
		}
		for _, k := range []string{"image", "badge", "subtitle", "extra.web_uri"} {
			if _, ok := form[k]; ok {
				t.Errorf("form has %s, which Mi Push does not define", k)
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
			click  push.ClickAction
			want   string
			target string
		}{
			{push.ClickAction{}, "open_app", ""},
			{push.ClickAction{Type: push.ClickOpenApp}, "open_app", ""},
			{push.ClickAction{Type: push.ClickOpenURL, Target: "https://example.com/x?y=1"}, "open_url", "https://example.com/x?y=1"},
		}
		for i, tt := range tests {
			n := basic()
			n.Click = tt.click
			if rs := e.sender.Send(context.Background(), e.cert, n, []string{tok}); rs[0].Outcome != push.Accepted {
				t.Fatalf("click %+v: %+v", tt.click, rs[0])
			}
			d := e.sim.Inbox(tok)[i]
			if d.Click.Type != tt.want || d.Click.Target != tt.target {
				t.Errorf("click %+v delivered as %+v, want %s %q", tt.click, d.Click, tt.want, tt.target)
			}
		}
	})

	t.Run("OK_TruncatesOnRunes", func(t *testing.T) {
		e := mustEnv(t)
		tok := e.sim.Register(pkg)
		n := basic()
		n.Title = strings.Repeat("标", 60)
		n.Body = strings.Repeat("é", 200)
		if rs := e.sender.Send(context.Background(), e.cert, n, []string{tok}); rs[0].Outcome != push.Accepted {
			t.Fatalf("result = %+v, want Accepted", rs[0])
		}
		d := e.sim.Inbox(tok)[0]
		if d.Title != strings.Repeat("标", 49) || d.Body != strings.Repeat("é", 127) {
			t.Errorf("title %q (%d bytes), body %d bytes: want 49 and 127 characters", d.Title, len(d.Title), len(d.Body))
		}
	})

	t.Run("OK_MixedTokens", func(t *testing.T) {
		e := mustEnv(t)
		good1, good2 := e.sim.Register(pkg), e.sim.Register(pkg)
		gone := e.sim.Register(pkg)
		e.sim.Unregister(gone)
		other := e.sim.Register("com.other.app")
		unknown := simxiaomi.NewRegID()
		tokens := []string{good1, gone, other, good2, unknown}

		rs := e.sender.Send(context.Background(), e.cert, basic(), tokens)

		want := []push.Outcome{push.Accepted, push.InvalidToken, push.InvalidToken, push.Accepted, push.InvalidToken}
		for i, r := range rs {
			if r.Token != tokens[i] || r.Outcome != want[i] {
				t.Errorf("result %d = %+v, want %s for %s", i, r, want[i], tokens[i])
			}
		}
		if rs[0].MessageID == "" || rs[0].MessageID != rs[3].MessageID {
			t.Errorf("message IDs %q and %q, want the same non-empty ID", rs[0].MessageID, rs[3].MessageID)
		}
		if got := len(e.sim.Inbox(good1)) + len(e.sim.Inbox(good2)) + len(e.sim.Inbox(gone)); got != 2 {
			t.Errorf("%d notifications delivered, want 2", got)
		}
	})

	t.Run("OK_AllInvalid", func(t *testing.T) {
		e := mustEnv(t)
		gone := e.sim.Register(pkg)
		e.sim.Unregister(gone)
		rs := e.sender.Send(context.Background(), e.cert, basic(), []string{gone, simxiaomi.NewRegID()})
		for _, r := range rs {
			if r.Outcome != push.InvalidToken || !strings.Contains(r.Reason, "20301") {
				t.Errorf("result %+v, want InvalidToken from code 20301", r)
			}
		}
	})

	t.Run("OK_Batches", func(t *testing.T) {
		e := mustEnv(t)
		seen := e.capture(t)
		tokens := make([]string, xiaomi.MaxBatch+1)
		for i := range tokens {
			tokens[i] = e.sim.Register(pkg)
		}

		rs := e.sender.Send(context.Background(), e.cert, basic(), tokens[:xiaomi.MaxBatch])
		if len(*seen) != 1 || len(rs) != xiaomi.MaxBatch {
			t.Fatalf("MaxBatch tokens: %d requests and %d results, want 1 and %d", len(*seen), len(rs), xiaomi.MaxBatch)
		}
		if got := strings.Count((*seen)[0]["registration_id"][0], ",") + 1; got != xiaomi.MaxBatch {
			t.Errorf("request carried %d regIds, want %d", got, xiaomi.MaxBatch)
		}

		rs = e.sender.Send(context.Background(), e.cert, basic(), tokens)
		if len(*seen) != 3 {
			t.Errorf("MaxBatch+1 tokens took %d requests, want 2", len(*seen)-1)
		}
		if len(rs) != len(tokens) {
			t.Fatalf("%d results, want %d", len(rs), len(tokens))
		}
		for i, r := range rs {
			if r.Token != tokens[i] || r.Outcome != push.Accepted {
				t.Fatalf("result %d = %+v, want Accepted for %s", i, r, tokens[i])
			}
		}
		if rs[0].MessageID == rs[len(rs)-1].MessageID {
			t.Errorf("both requests answered message ID %q, want two", rs[0].MessageID)
		}
	})

	t.Run("ErrWrongSecret", func(t *testing.T) {
		e := mustEnv(t)
		tok := e.sim.Register(pkg)
		e.cert.AppSecret = "not-the-secret=="
		rs := e.sender.Send(context.Background(), e.cert, basic(), []string{tok})
		if rs[0].Outcome != push.AuthExpired || !strings.Contains(rs[0].Reason, "21301") {
			t.Errorf("result = %+v, want AuthExpired from 21301", rs[0])
		}
		if st := e.sim.Stats(); st.Rejected != 1 || st.Notifications != 0 {
			t.Errorf("stats = %+v, want 1 rejected, 0 notifications", st)
		}
	})

	t.Run("ErrTooLargeNoRequest", func(t *testing.T) {
		tests := []struct {
			name string
			n    *push.Notification
		}{
			{"payload", &push.Notification{Title: "a", Body: "b", Ext: strings.Repeat("x", xiaomi.MaxPayloadBytes+1)}},
			{"extra value", &push.Notification{Title: "a", Body: "b", Ext: strings.Repeat("x", xiaomi.MaxExtraValue+1)}},
			{"blank title", &push.Notification{Title: " \t", Body: "b"}},
			{"no body", &push.Notification{Title: "a"}},
			{"bad click", &push.Notification{Title: "a", Body: "b", Click: push.ClickAction{Type: push.ClickOpenPage, Target: "com.example.Main"}}},
			{"notify id", &push.Notification{Title: "a", Body: "b", NotifyID: -1}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := mustEnv(t)
				tok := e.sim.Register(pkg)
				rs := e.sender.Send(context.Background(), e.cert, tt.n, []string{tok, tok})
				if len(rs) != 2 || rs[0].Outcome != push.Failed || rs[0].Reason == "" {
					t.Errorf("results = %+v, want Failed with a reason", rs)
				}
				if got := e.sim.Stats().Requests; got != 0 {
					t.Errorf("simulator got %d requests, want 0", got)
				}
			})
		}
	})
}

func TestSender_Send_Faults(t *testing.T) {
	now := time.Date(2025, 3, 1, 22, 30, 0, 0, time.UTC) // 06:30 in Beijing
	tests := []struct {
		fault     vendorsim.Fault
		want      push.Outcome
		wantRetry time.Duration
	}{
		{vendorsim.Fault{Kind: vendorsim.ServerError}, push.RetryLater, 0},
		{vendorsim.Fault{Kind: vendorsim.Throttle}, push.RetryLater, 0},
		{vendorsim.Fault{Kind: vendorsim.Throttle, RetryAfter: 7 * time.Second}, push.RetryLater, 7 * time.Second},
		{vendorsim.Fault{Kind: vendorsim.Quota}, push.QuotaExceeded, 17*time.Hour + 30*time.Minute},
		{vendorsim.Fault{Kind: vendorsim.AuthExpired}, push.AuthExpired, 0},
		{vendorsim.Fault{Kind: vendorsim.Timeout}, push.RetryLater, 0},
		{vendorsim.Fault{Kind: vendorsim.Reset}, push.RetryLater, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s_%v", tt.fault.Kind, tt.fault.RetryAfter), func(t *testing.T) {
			e := mustEnv(t)
			e.sender.Now = func() time.Time { return now }
			tok := e.sim.Register(pkg)
			e.sim.Inject(tt.fault)
			ctx := context.Background()
			if tt.fault.Kind == vendorsim.Timeout {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, 50*time.Millisecond)
				defer cancel()
			}

			rs := e.sender.Send(ctx, e.cert, basic(), []string{tok})

			if rs[0].Outcome != tt.want || rs[0].RetryAfter != tt.wantRetry {
				t.Errorf("result = %+v, want %s after %v", rs[0], tt.want, tt.wantRetry)
			}
			if len(e.sim.Inbox(tok)) != 0 {
				t.Errorf("notification delivered despite the fault")
			}
			// The fault was used up: the next send goes through.
			if rs := e.sender.Send(context.Background(), e.cert, basic(), []string{tok}); rs[0].Outcome != push.Accepted {
				t.Errorf("after the fault: %+v, want Accepted", rs[0])
			}
		})
	}
}

func TestClassify(t *testing.T) {
	now := time.Date(2025, 3, 1, 15, 0, 0, 0, time.UTC) // 23:00 in Beijing
	batch := []string{"a", "b"}
	tests := []struct {
		status int
		header string
		body   string
		want   []push.Outcome
		retry  time.Duration
		id     string
	}{
		{200, "", `{"result":"ok","code":0,"data":{"id":"scm1"}}`, []push.Outcome{push.Accepted, push.Accepted}, 0, "scm1"},
		{200, "", `{"result":"ok","code":0,"data":{"id":"scm1","bad_regids":"b"}}`, []push.Outcome{push.Accepted, push.InvalidToken}, 0, "scm1"},
		{200, "", `{"result":"ok","code":0,"data":{"id":"scm1","bad_regids":"a,b"}}`, []push.Outcome{push.InvalidToken, push.InvalidToken}, 0, ""},
		{200, "", `{"result":"error","code":20301,"reason":"No valid targets!"}`, []push.Outcome{push.InvalidToken, push.InvalidToken}, 0, ""},
		{200, "", `{"result":"error","code":10029}`, []push.Outcome{push.Failed, push.Failed}, 0, ""},
		{200, "3", `{"result":"error","code":10027}`, []push.Outcome{push.RetryLater, push.RetryLater}, 3 * time.Second, ""},
		{200, "", `{"result":"error","code":10002}`, []push.Outcome{push.RetryLater, push.RetryLater}, 0, ""},
		{200, "", `{"result":"error","code":10003}`, []push.Outcome{push.RetryLater, push.RetryLater}, 0, ""},
		{200, "", `{"result":"error","code":10037}`, []push.Outcome{push.RetryLater, push.RetryLater}, 0, ""},
		{200, "", `{"result":"error","code":10034}`, []push.Outcome{push.QuotaExceeded, push.QuotaExceeded}, time.Hour, ""},
		{200, "", `{"result":"error","code":200001}`, []push.Outcome{push.QuotaExceeded, push.QuotaExceeded}, time.Hour, ""},
		{200, "", `{"result":"error","code":21301}`, []push.Outcome{push.AuthExpired, push.AuthExpired}, 0, ""},
		{200, "", `{"result":"error","code":21302}`, []push.Outcome{push.AuthExpired, push.AuthExpired}, 0, ""},
		{200, "", `{"result":"error","code":10017,"reason":"bad"}`, []push.Outcome{push.Failed, push.Failed}, 0, ""},
		{200, "", `{"result":"error","code":22022}`, []push.Outcome{push.Failed, push.Failed}, 0, ""},
		{200, "", `{"result":"error","code":65009}`, []push.Outcome{push.Failed, push.Failed}, 0, ""},
		{500, "", `{"result":"error","code":10001}`, []push.Outcome{push.RetryLater, push.RetryLater}, 0, ""},
		{502, "9", `<html>bad gateway</html>`, []push.Outcome{push.RetryLater, push.RetryLater}, 9 * time.Second, ""},
		{429, "", ``, []push.Outcome{push.RetryLater, push.RetryLater}, 0, ""},
		{401, "", `Unauthorized`, []push.Outcome{push.AuthExpired, push.AuthExpired}, 0, ""},
		{404, "", `not found`, []push.Outcome{push.Failed, push.Failed}, 0, ""},
	}
	for _, tt := range tests {
		rs := xiaomi.Classify(batch, tt.status, tt.header, []byte(tt.body), now)
		for i, r := range rs {
			if r.Token != batch[i] || r.Outcome != tt.want[i] || r.RetryAfter != tt.retry {
				t.Errorf("Classify(%d, %q, %s)[%d] = %+v, want %s after %v", tt.status, tt.header, tt.body, i, r, tt.want[i], tt.retry)
			}
			if r.Outcome == push.Accepted && r.MessageID != tt.id {
				t.Errorf("Classify(%s)[%d] message ID %q, want %q", tt.body, i, r.MessageID, tt.id)
			}
			if r.Outcome != push.Accepted && r.Reason == "" {
				t.Errorf("Classify(%s)[%d] has no reason", tt.body, i)
			}
		}
	}
}

func TestUntilBeijingMidnight(t *testing.T) {
	tests := []struct {
		now  time.Time
		want time.Duration
	}{
		{time.Date(2025, 3, 1, 16, 0, 0, 0, time.UTC), 24 * time.Hour},  // 00:00 Beijing
		{time.Date(2025, 3, 1, 15, 59, 0, 0, time.UTC), time.Minute},    // 23:59 Beijing
		{time.Date(2025, 12, 31, 4, 0, 0, 0, time.UTC), 12 * time.Hour}, // 12:00 Beijing, year end
	}
	for _, tt := range tests {
		if got := xiaomi.UntilBeijingMidnight(tt.now); got != tt.want {
			t.Errorf("UntilBeijingMidnight(%v) = %v, want %v", tt.now, got, tt.want)
		}
	}
}

func TestFields(t *testing.T) {
	cert := &push.Certificate{PackageName: pkg}
	tests := []struct {
		name string
		n    push.Notification
		want map[string]string // "" means the field must be absent
	}{
		{"minimal", push.Notification{Title: "t", Body: "b"}, map[string]string{
			"title": "t", "description": "b", "pass_through": "0", "extra.notify_effect": "1",
			"payload": "", "extra.ext": "", "notify_id": "", "time_to_live": "", "extra.channel_id": "", "extra.jobkey": "",
		}},
		{"ext", push.Notification{Title: "t", Body: "b", Ext: `{"a":1}`}, map[string]string{"payload": `{"a":1}`, "extra.ext": `{"a":1}`}},
		{"collapse id", push.Notification{Title: "t", Body: "b", CollapseID: "c"}, map[string]string{"notify_id": fmt.Sprint(xiaomi.NotifyIDFor("c"))}},
		{"notify id wins", push.Notification{Title: "t", Body: "b", CollapseID: "c", NotifyID: 5}, map[string]string{"notify_id": "5"}},
		{"ttl capped", push.Notification{Title: "t", Body: "b", TTL: 30 * 24 * time.Hour}, map[string]string{"time_to_live": "864000000"}},
		{"sound uri kept", push.Notification{Title: "t", Body: "b", Sound: "android.resource://x/raw/y"}, map[string]string{"extra.sound_uri": "android.resource://x/raw/y"}},
		{"long message id", push.Notification{Title: "t", Body: "b", MessageID: "0123456789-0123456789"}, map[string]string{"extra.jobkey": xiaomi.JobKey("0123456789-0123456789")}},
		{"url click", push.Notification{Title: "t", Body: "b", Click: push.ClickAction{Type: push.ClickOpenURL, Target: "https://e.com"}}, map[string]string{
			"extra.notify_effect": "3", "extra.web_uri": "https://e.com", "extra.intent_uri": "",
		}},
	}
	for _, tt := range tests {
		f, err := xiaomi.Fields(cert, &tt.n)
		if err != nil {
			t.Errorf("%s: Fields: %v", tt.name, err)
			continue
		}
		for k, want := range tt.want {
			if got := f.Get(k); got != want || (want == "" && f.Has(k)) {
				t.Errorf("%s: Fields(%+v)[%s] = %q, want %q", tt.name, tt.n, k, got, want)
			}
		}
	}
	if k := xiaomi.JobKey("0123456789-0123456789"); len(k) != xiaomi.MaxJobKey {
		t.Errorf("JobKey of a long ID = %q, want %d characters", k, xiaomi.MaxJobKey)
	}
}

func TestSender_ValidateCertificate(t *testing.T) {
	s := xiaomi.New()
	ok := push.Certificate{PackageName: pkg, AppSecret: "secret==", Click: push.ClickAction{Type: push.ClickOpenURL, Target: "https://e.com"}}
	if err := s.ValidateCertificate(&ok); err != nil {
		t.Errorf("ValidateCertificate(valid) = %v", err)
	}
	bad := []func(c *push.Certificate){
		func(c *push.Certificate) { c.PackageName = "" },
		func(c *push.Certificate) { c.AppSecret = "" },
		func(c *push.Certificate) { c.AppSecret = "a b" },
		func(c *push.Certificate) {
			c.Click = push.ClickAction{Type: push.ClickOpenPage, Target: "com.example.Main"}
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
			// The simulator keeps every notification in an inbox; a fresh one every
			// few thousand notifications keeps the benchmark's memory flat.
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

// The simulator's reply must stay JSON the sender reads; this guards the shared shape.
func TestResponse_Decode(t *testing.T) {
	var r xiaomi.Response
	body := `{"result":"ok","trace_id":"Xcm5","code":0,"description":"成功","info":"x","data":{"id":"scm01b","day_acked":"12","day_quota":"10000","bad_regids":"rid2"}}`
	if err := json.Unmarshal([]byte(body), &r); err != nil || r.Data.ID != "scm01b" || r.Data.BadRegIDs != "rid2" || r.Data.DayQuota != "10000" {
		t.Errorf("decode = %+v, %v", r, err)
	}
}
