package fcm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/push/fcm"
	"github.com/herald-im/herald/internal/vendorsim"
	simfcm "github.com/herald-im/herald/internal/vendorsim/fcm"
)

// clock is a fake clock that only moves when told.
type clock struct {
	mu sync.Mutex // protects t
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a sender wired to a simulator over HTTP/2 with TLS.
type env struct {
	sim    *simfcm.Server
	srv    *httptest.Server
	app    *simfcm.App
	cert   *push.Certificate
	sender *fcm.Sender
	clock  *clock
}

// MustStart starts a simulator with one app and returns a sender pointed at it.
func MustStart(tb testing.TB) *env {
	tb.Helper()
	sim := simfcm.New()
	srv := httptest.NewUnstartedServer(sim)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	tb.Cleanup(srv.Close)
	sim.BaseURL = srv.URL
	app, err := sim.CreateApp("herald-test")
	if err != nil {
		tb.Fatal(err)
	}
	c := &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	s := fcm.New()
	s.HTTPClient = srv.Client()
	s.Now = c.Now
	return &env{sim: sim, srv: srv, app: app, cert: Certificate(app, srv.URL), sender: s, clock: c}
}

// Certificate turns a simulated app into the push.Certificate an operator would enter.
func Certificate(app *simfcm.App, url string) *push.Certificate {
	return &push.Certificate{
		ID: 7, SDKAppID: 1400000001, Vendor: push.FCM, Name: "fcm",
		PackageName:    "com.example.chat",
		ServiceAccount: app.ServiceAccount,
		Endpoint:       push.Endpoint{SendURL: url},
		UpdatedAt:      time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
	}
}

func (e *env) phones(n int) []string {
	toks := make([]string, n)
	for i := range toks {
		toks[i] = e.sim.Register(e.app.ProjectID)
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

func wantOutcomes(tb testing.TB, rs []push.Result, want ...push.Outcome) {
	tb.Helper()
	for i, r := range rs {
		if r.Outcome != want[i] {
			tb.Errorf("result %d: outcome %v (%s), want %v", i, r.Outcome, r.Reason, want[i])
		}
	}
}

func intp(i int) *int { return &i }

func TestSender_Send_OK(t *testing.T) {
	t.Run("OK_EveryField", func(t *testing.T) {
		e := MustStart(t)
		tok := e.phones(1)[0]
		ext := `{"conv":"c2c_alice","msg":42,"emoji":"😀","html":"<a&b>"}`
		n := &push.Notification{
			Title: "Alice", Body: "Hello 世界", Image: "https://example.com/a.png", Ext: ext,
			ChannelID: "chat", Sound: "ping", Badge: intp(3), CollapseID: "conv-1",
			TTL: 90 * time.Minute, Priority: push.High,
		}
		rs := e.send(t, n, tok)
		wantOutcomes(t, rs, push.Accepted)
		inbox := e.sim.Inbox(tok)
		if len(inbox) != 1 {
			t.Fatalf("inbox has %d notifications, want 1", len(inbox))
		}
		d := inbox[0]
		checks := []struct{ name, got, want string }{
			{"title", d.Title, "Alice"}, {"body", d.Body, "Hello 世界"}, {"image", d.Image, n.Image},
			{"ext", d.Ext, ext}, {"channel", d.ChannelID, "chat"}, {"sound", d.Sound, "ping"},
			{"collapse", d.CollapseID, "conv-1"}, {"priority", d.Priority, "HIGH"},
			{"click", d.Click.Type, "open_app"}, {"message id", d.MessageID, rs[0].MessageID},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
			}
		}
		if d.Badge == nil || *d.Badge != 3 {
			t.Errorf("badge = %v, want 3", d.Badge)
		}
		if d.TTL != 90*time.Minute {
			t.Errorf("ttl = %v, want 1h30m", d.TTL)
		}
		if !strings.HasPrefix(rs[0].MessageID, "projects/herald-test/messages/") {
			t.Errorf("message id = %q, want projects/herald-test/messages/…", rs[0].MessageID)
		}
		var raw struct {
			Android struct {
				RestrictedPackageName string `json:"restricted_package_name"`
				TTL                   string `json:"ttl"`
				Notification          struct {
					Tag string `json:"tag"`
				} `json:"notification"`
			} `json:"android"`
		}
		if err := json.Unmarshal(d.Raw, &raw); err != nil {
			t.Fatal(err)
		}
		if raw.Android.RestrictedPackageName != "com.example.chat" || raw.Android.TTL != "5400s" || raw.Android.Notification.Tag != "conv-1" {
			t.Errorf("raw android = %+v, want package com.example.chat, ttl 5400s, tag conv-1", raw.Android)
		}
		click, ok := e.sim.Tap(tok, 0)
		if !ok || click.Ext != ext || click.Extras["ext"] != ext {
			t.Errorf("tap = %+v, %v; want ext %q unchanged", click, ok, ext)
		}
	})

	t.Run("OK_LongBodyShortened", func(t *testing.T) {
		e := MustStart(t)
		tok := e.phones(1)[0]
		body := strings.Repeat("長", 3000) // 9000 bytes
		rs := e.send(t, &push.Notification{Title: "t", Body: body}, tok)
		wantOutcomes(t, rs, push.Accepted)
		d := e.sim.Inbox(tok)[0]
		if len(d.Body) == 0 || !strings.HasPrefix(body, d.Body) || len(d.Raw) > fcm.MaxPayloadBytes+200 {
			t.Errorf("body of %d bytes, raw %d bytes: want a prefix of the body within the limit", len(d.Body), len(d.Raw))
		}
	})

	t.Run("ErrPayloadTooLarge", func(t *testing.T) {
		e := MustStart(t)
		tok := e.phones(1)[0]
		rs := e.send(t, &push.Notification{Title: "t", Body: "b", Ext: strings.Repeat("x", 5000)}, tok)
		wantOutcomes(t, rs, push.Failed)
		if !strings.Contains(rs[0].Reason, "payload too large") {
			t.Errorf("reason = %q, want payload too large", rs[0].Reason)
		}
		if st := e.sim.Stats(); st.Requests != 0 || st.AuthCalls != 0 {
			t.Errorf("stats = %+v, want no request to the vendor", st)
		}
	})

	t.Run("OK_AuthURLOverridesTokenURI", func(t *testing.T) {
		e := MustStart(t)
		var sa map[string]any
		json.Unmarshal(e.app.ServiceAccount, &sa)
		sa["token_uri"] = "https://127.0.0.1:1/nowhere"
		e.cert.ServiceAccount, _ = json.Marshal(sa)
		e.cert.Endpoint.AuthURL = e.srv.URL
		rs := e.send(t, &push.Notification{Title: "t", Body: "b"}, e.phones(1)...)
		wantOutcomes(t, rs, push.Accepted)
		if got := e.sim.Stats().AuthCalls; got != 1 {
			t.Errorf("auth calls = %d, want 1", got)
		}
	})
}

func TestSender_Send_Tokens(t *testing.T) {
	e := MustStart(t)
	toks := e.phones(2)
	e.sim.Unregister(toks[1])
	other, err := e.sim.CreateApp("other-project")
	if err != nil {
		t.Fatal(err)
	}
	foreign := e.sim.Register(other.ProjectID)
	neverIssued := simfcm.NewRegistrationToken()
	rs := e.send(t, &push.Notification{Title: "t", Body: "b"}, toks[0], toks[1], foreign, neverIssued, "not-a-token")
	wantOutcomes(t, rs, push.Accepted, push.InvalidToken, push.InvalidToken, push.InvalidToken, push.InvalidToken)
	for i, code := range []string{"", "UNREGISTERED", "SENDER_ID_MISMATCH", "INVALID_ARGUMENT", "INVALID_ARGUMENT"} {
		if !strings.Contains(rs[i].Reason, code) {
			t.Errorf("result %d reason = %q, want it to name %s", i, rs[i].Reason, code)
		}
	}
	if got := len(e.sim.Inbox(toks[0])); got != 1 {
		t.Errorf("valid phone got %d notifications, want 1", got)
	}
}

func TestSender_Send_Batch(t *testing.T) {
	e := MustStart(t)
	if got := e.sender.MaxBatch(); got != 500 {
		t.Fatalf("MaxBatch = %d, want 500", got)
	}
	toks := e.phones(500)
	rs := e.send(t, &push.Notification{Title: "t", Body: "b"}, toks...)
	for i, r := range rs {
		if r.Outcome != push.Accepted {
			t.Fatalf("result %d: %v %s", i, r.Outcome, r.Reason)
		}
	}
	rs = e.send(t, &push.Notification{Title: "t", Body: "again"}, toks[:10]...)
	wantOutcomes(t, rs, push.Accepted, push.Accepted, push.Accepted, push.Accepted, push.Accepted, push.Accepted, push.Accepted, push.Accepted, push.Accepted, push.Accepted)
	st := e.sim.Stats()
	if st.Requests != 510 || st.Notifications != 510 || st.AuthCalls != 1 {
		t.Errorf("stats = %+v, want 510 requests, 510 notifications, 1 auth call", st)
	}
}

func TestSender_Send_Faults(t *testing.T) {
	tests := []struct {
		name       string
		fault      vendorsim.Fault
		want       push.Outcome
		retryAfter time.Duration
		authCalls  int64
	}{
		{"ServerError", vendorsim.Fault{Kind: vendorsim.ServerError}, push.RetryLater, 0, 1},
		{"Throttle", vendorsim.Fault{Kind: vendorsim.Throttle, RetryAfter: 7 * time.Second}, push.RetryLater, 7 * time.Second, 1},
		{"QuotaDefault", vendorsim.Fault{Kind: vendorsim.Quota}, push.QuotaExceeded, time.Minute, 1},
		{"QuotaRetryAfter", vendorsim.Fault{Kind: vendorsim.Quota, RetryAfter: 30 * time.Second}, push.QuotaExceeded, 30 * time.Second, 1},
		{"Timeout", vendorsim.Fault{Kind: vendorsim.Timeout}, push.RetryLater, 0, 1},
		{"Reset", vendorsim.Fault{Kind: vendorsim.Reset}, push.RetryLater, 0, 1},
		{"AuthExpiredOnce", vendorsim.Fault{Kind: vendorsim.AuthExpired}, push.Accepted, 0, 2},
		{"AuthExpiredTwice", vendorsim.Fault{Kind: vendorsim.AuthExpired, Count: 2}, push.AuthExpired, 0, 2},
		{"AuthServerError", vendorsim.Fault{Kind: vendorsim.ServerError, Target: vendorsim.TargetAuth}, push.RetryLater, 0, 1},
		{"AuthThrottle", vendorsim.Fault{Kind: vendorsim.Throttle, Target: vendorsim.TargetAuth, RetryAfter: 3 * time.Second}, push.RetryLater, 3 * time.Second, 1},
		{"AuthRefused", vendorsim.Fault{Kind: vendorsim.AuthExpired, Target: vendorsim.TargetAuth}, push.AuthExpired, 0, 1},
		{"AuthReset", vendorsim.Fault{Kind: vendorsim.Reset, Target: vendorsim.TargetAuth}, push.RetryLater, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := MustStart(t)
			e.sender.Timeout = 300 * time.Millisecond
			tok := e.phones(1)[0]
			e.sim.Inject(tt.fault)
			rs := e.send(t, &push.Notification{Title: "t", Body: "b"}, tok)
			wantOutcomes(t, rs, tt.want)
			if rs[0].RetryAfter != tt.retryAfter {
				t.Errorf("retry after = %v, want %v", rs[0].RetryAfter, tt.retryAfter)
			}
			if got := e.sim.Stats().AuthCalls; got != tt.authCalls {
				t.Errorf("auth calls = %d, want %d", got, tt.authCalls)
			}
		})
	}
}

func TestSender_AccessToken(t *testing.T) {
	t.Run("OK_CachedUntilShortlyBeforeExpiry", func(t *testing.T) {
		e := MustStart(t)
		toks := e.phones(3)
		n := &push.Notification{Title: "t", Body: "b"}
		e.send(t, n, toks...)
		e.clock.Advance(50 * time.Minute)
		e.send(t, n, toks...)
		if got := e.sim.Stats().AuthCalls; got != 1 {
			t.Fatalf("auth calls after 50 min = %d, want 1", got)
		}
		e.clock.Advance(5 * time.Minute) // 55 min: within 5 min of the 3599 s expiry
		wantOutcomes(t, e.send(t, n, toks...), push.Accepted, push.Accepted, push.Accepted)
		if got := e.sim.Stats().AuthCalls; got != 2 {
			t.Errorf("auth calls after 55 min = %d, want 2", got)
		}
	})

	t.Run("OK_OncePerLifetimeConcurrently", func(t *testing.T) {
		e := MustStart(t)
		toks := e.phones(20)
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Go(func() {
				e.sender.Send(context.Background(), e.cert, &push.Notification{Title: "t", Body: fmt.Sprint(i)}, toks)
			})
		}
		wg.Wait()
		if st := e.sim.Stats(); st.AuthCalls != 1 || st.Notifications != 200 {
			t.Errorf("stats = %+v, want 1 auth call and 200 notifications", st)
		}
	})

	t.Run("OK_RefreshedOnceAfterExpiredAnswer", func(t *testing.T) {
		e := MustStart(t)
		toks := e.phones(50)
		e.send(t, &push.Notification{Title: "t", Body: "b"}, toks[0])
		e.sim.ExpireAccessTokens()
		rs := e.send(t, &push.Notification{Title: "t", Body: "b"}, toks...)
		for i, r := range rs {
			if r.Outcome != push.Accepted {
				t.Fatalf("result %d: %v %s", i, r.Outcome, r.Reason)
			}
		}
		if got := e.sim.Stats().AuthCalls; got != 2 {
			t.Errorf("auth calls = %d, want 2 (one refresh for 50 refused requests)", got)
		}
	})

	t.Run("OK_NewTokenAfterCertificateUpdate", func(t *testing.T) {
		e := MustStart(t)
		tok := e.phones(1)
		e.send(t, &push.Notification{Title: "t", Body: "b"}, tok...)
		e.cert.UpdatedAt = e.cert.UpdatedAt.Add(time.Second)
		e.send(t, &push.Notification{Title: "t", Body: "b"}, tok...)
		if got := e.sim.Stats().AuthCalls; got != 2 {
			t.Errorf("auth calls = %d, want 2", got)
		}
	})
}

func TestSender_ValidateCertificate(t *testing.T) {
	e := MustStart(t)
	s := fcm.New()
	if err := s.ValidateCertificate(e.cert); err != nil {
		t.Fatalf("valid certificate: %v", err)
	}
	mutate := func(f func(sa map[string]any)) []byte {
		var sa map[string]any
		json.Unmarshal(e.app.ServiceAccount, &sa)
		f(sa)
		b, _ := json.Marshal(sa)
		return b
	}
	tests := []struct {
		name  string
		edit  func(c *push.Certificate)
		field string
	}{
		{"ErrNoServiceAccount", func(c *push.Certificate) { c.ServiceAccount = nil }, "ServiceAccount"},
		{"ErrWrongType", func(c *push.Certificate) {
			c.ServiceAccount = mutate(func(sa map[string]any) { sa["type"] = "authorized_user" })
		}, "ServiceAccount"},
		{"ErrNoProject", func(c *push.Certificate) {
			c.ServiceAccount = mutate(func(sa map[string]any) { delete(sa, "project_id") })
		}, "project_id"},
		{"ErrBadKey", func(c *push.Certificate) {
			c.ServiceAccount = mutate(func(sa map[string]any) {
				sa["private_key"] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
			})
		}, "private_key"},
		{"ErrClickURL", func(c *push.Certificate) {
			c.Click = push.ClickAction{Type: push.ClickOpenURL, Target: "https://example.com"}
		}, "Click"},
		{"ErrSendURL", func(c *push.Certificate) { c.Endpoint.SendURL = "ftp://x" }, "Endpoint.SendURL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := *e.cert
			tt.edit(&c)
			err := s.ValidateCertificate(&c)
			if !errors.Is(err, fcm.ErrInvalidCertificate) || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("ValidateCertificate = %v, want ErrInvalidCertificate naming %s", err, tt.field)
			}
		})
	}
}

func BenchmarkSender_Send(b *testing.B) {
	e := MustStart(b)
	toks := e.phones(100)
	n := &push.Notification{Title: "Alice", Body: "Hello", Ext: `{"conv":"c2c_alice"}`, ChannelID: "chat", Badge: intp(1)}
	e.send(b, n, toks...) // fetch the access token outside the timing
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rs := e.sender.Send(context.Background(), e.cert, n, toks)
		if rs[0].Outcome != push.Accepted {
			b.Fatalf("outcome %v: %s", rs[0].Outcome, rs[0].Reason)
		}
	}
	b.ReportMetric(float64(b.N*len(toks))/b.Elapsed().Seconds(), "notifications/s")
}

// The sends go round Connections HTTP/2 connections, each carrying many streams.
func TestSender_Send_Connections(t *testing.T) {
	for _, n := range []int{1, 3} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			e := MustStart(t)
			tr := e.sender.HTTPClient.Transport.(*http.Transport)
			// Cold connections race (each request in flight dials one, and HTTP/2 keeps one
			// and closes the rest): count those left open.
			var open atomic.Int32
			tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
				if err == nil {
					open.Add(1)
					c = &countedConn{Conn: c, open: &open}
				}
				return c, err
			}
			e.sender.Connections = n
			toks := e.phones(e.sender.MaxBatch())
			for range 2 {
				for i, r := range e.send(t, &push.Notification{Title: "t", Body: "b"}, toks...) {
					if r.Outcome != push.Accepted {
						t.Fatalf("result %d: %v %s", i, r.Outcome, r.Reason)
					}
				}
			}
			if got := open.Load(); got != int32(n) {
				t.Errorf("%d connections open after 1,000 sends, want %d", got, n)
			}
		})
	}
}

// countedConn counts itself out of open when closed.
type countedConn struct {
	net.Conn
	open *atomic.Int32
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.open.Add(-1) })
	return c.Conn.Close()
}
