package apns_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/push/apns"
	"github.com/herald-im/herald/internal/vendorsim"
	simapns "github.com/herald-im/herald/internal/vendorsim/apns"
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

type env struct {
	sim    *simapns.Server
	srv    *httptest.Server
	app    *simapns.App
	cert   *push.Certificate
	sender *apns.Sender
	clock  *clock
}

// MustStart starts a simulator over HTTP/2 with TLS, with one app and a token-auth
// certificate, and a sender that trusts the simulator's CA. The sender's and the
// simulator's clocks are the same fake clock.
func MustStart(tb testing.TB) *env {
	tb.Helper()
	c := &clock{t: time.Now()}
	sim := simapns.New()
	sim.Now = c.Now
	srv := httptest.NewUnstartedServer(sim)
	srv.TLS = sim.TLSConfig()
	srv.EnableHTTP2 = true
	srv.StartTLS()
	tb.Cleanup(srv.Close)
	team := simapns.NewID()
	app := sim.CreateApp("com.example.chat", team)
	key, err := sim.CreateKey(team)
	if err != nil {
		tb.Fatal(err)
	}
	s := apns.New()
	s.RootCAs = sim.RootCAs()
	s.Now = c.Now
	tb.Cleanup(func() { s.Close() })
	cert := &push.Certificate{
		ID: 3, Vendor: push.APNs, BundleID: app.BundleID,
		KeyP8: key.P8, KeyID: key.KeyID, TeamID: key.TeamID,
		Endpoint:  push.Endpoint{SendURL: srv.URL},
		UpdatedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	return &env{sim: sim, srv: srv, app: app, cert: cert, sender: s, clock: c}
}

// useCertificateAuth switches e's certificate to a .p12 issued by the simulator.
func (e *env) useCertificateAuth(tb testing.TB) {
	tb.Helper()
	p12, err := e.sim.CreateCertificate(e.app.BundleID, "s3cret", 365*24*time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	e.cert.KeyP8, e.cert.KeyID, e.cert.TeamID = nil, "", ""
	e.cert.CertP12, e.cert.CertPassword = p12, "s3cret"
	e.cert.UpdatedAt = e.cert.UpdatedAt.Add(time.Second)
}

func (e *env) send(tb testing.TB, n *push.Notification, tokens ...string) []push.Result {
	tb.Helper()
	rs := e.sender.Send(context.Background(), e.cert, n, tokens)
	if len(rs) != len(tokens) {
		tb.Fatalf("Send returned %d results for %d tokens", len(rs), len(tokens))
	}
	for i, r := range rs {
		if r.Token != tokens[i] {
			tb.Fatalf("result %d is for %q, want %q", i, r.Token, tokens[i])
		}
	}
	return rs
}

func (e *env) phones(n int) []string {
	toks := make([]string, n)
	for i := range toks {
		toks[i] = e.sim.Register(e.app.BundleID)
	}
	return toks
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
	ext := `{"conv":"c2c_alice","emoji":"😀"}`
	every := &push.Notification{
		Title: "Alice", Subtitle: "Team chat", Body: "Hello 世界", Image: "https://example.com/a.png", Ext: ext,
		Sound: "ping.caf", Badge: intp(4), CollapseID: "conv-1", TTL: time.Hour, Priority: push.High,
		MutableContent: true, InterruptionLevel: "time-sensitive", ThreadID: "c2c_alice", Category: "CHAT",
	}
	for _, mode := range []string{"TokenAuth", "CertificateAuth"} {
		t.Run("OK_EveryField_"+mode, func(t *testing.T) {
			e := MustStart(t)
			if mode == "CertificateAuth" {
				e.useCertificateAuth(t)
			}
			tok := e.phones(1)[0]
			rs := e.send(t, every, tok)
			wantOutcomes(t, rs, push.Accepted)
			inbox := e.sim.Inbox(tok)
			if len(inbox) != 1 {
				t.Fatalf("inbox has %d notifications, want 1", len(inbox))
			}
			d := inbox[0]
			checks := []struct{ name, got, want string }{
				{"title", d.Title, "Alice"}, {"subtitle", d.Subtitle, "Team chat"}, {"body", d.Body, "Hello 世界"},
				{"image", d.Image, every.Image}, {"ext", d.Ext, ext}, {"sound", d.Sound, "ping.caf"},
				{"collapse", d.CollapseID, "conv-1"}, {"priority", d.Priority, "10"}, {"push type", d.PushType, "alert"},
				{"category", d.Category, "CHAT"}, {"message id", d.MessageID, rs[0].MessageID},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
				}
			}
			if d.Badge == nil || *d.Badge != 4 || d.TTL != time.Hour {
				t.Errorf("badge %v ttl %v, want 4 and 1h", d.Badge, d.TTL)
			}
			var raw struct {
				APS struct {
					MutableContent    int    `json:"mutable-content"`
					InterruptionLevel string `json:"interruption-level"`
					ThreadID          string `json:"thread-id"`
				} `json:"aps"`
			}
			json.Unmarshal(d.Raw, &raw)
			if raw.APS.MutableContent != 1 || raw.APS.InterruptionLevel != "time-sensitive" || raw.APS.ThreadID != "c2c_alice" {
				t.Errorf("aps = %+v, want mutable-content 1, time-sensitive, thread c2c_alice", raw.APS)
			}
			if click, ok := e.sim.Tap(tok, 0); !ok || click.Ext != ext {
				t.Errorf("tap = %+v, want ext %q unchanged", click, ext)
			}
		})
	}

	t.Run("OK_VoIP", func(t *testing.T) {
		e := MustStart(t)
		e.cert.VoIP = true
		tok := e.phones(1)[0]
		wantOutcomes(t, e.send(t, &push.Notification{Title: "Call", Body: "Alice is calling", Ext: "call-1"}, tok), push.Accepted)
		if d := e.sim.Inbox(tok); len(d) != 1 || d[0].PushType != "voip" || d[0].Ext != "call-1" {
			t.Errorf("inbox = %+v, want one voip push with ext", d)
		}
	})

	t.Run("OK_BackgroundNormalPriority", func(t *testing.T) {
		e := MustStart(t)
		tok := e.phones(1)[0]
		wantOutcomes(t, e.send(t, &push.Notification{Ext: "sync", PushType: push.Background}, tok), push.Accepted)
		d := e.sim.Inbox(tok)[0]
		if d.PushType != "background" || d.Priority != "5" || !strings.Contains(string(d.Raw), `"content-available":1`) {
			t.Errorf("delivered %s %s %s, want background, priority 5, content-available", d.PushType, d.Priority, d.Raw)
		}
	})

	t.Run("OK_LongBodyShortened", func(t *testing.T) {
		e := MustStart(t)
		tok := e.phones(1)[0]
		body := strings.Repeat("長", 3000)
		wantOutcomes(t, e.send(t, &push.Notification{Title: "t", Body: body}, tok), push.Accepted)
		d := e.sim.Inbox(tok)[0]
		if len(d.Raw) > apns.MaxPayloadBytes || d.Body == "" || !strings.HasPrefix(body, d.Body) {
			t.Errorf("raw %d bytes, body %d bytes; want a prefix of the body within 4096", len(d.Raw), len(d.Body))
		}
	})

	t.Run("ErrPayloadTooLarge", func(t *testing.T) {
		e := MustStart(t)
		rs := e.send(t, &push.Notification{Title: "t", Ext: strings.Repeat("x", 5000)}, e.phones(1)...)
		wantOutcomes(t, rs, push.Failed)
		if !strings.Contains(rs[0].Reason, "payload too large") || e.sim.Stats().Requests != 0 {
			t.Errorf("reason %q, %d requests; want payload too large and no request", rs[0].Reason, e.sim.Stats().Requests)
		}
	})
}

func TestSender_Send_Tokens(t *testing.T) {
	e := MustStart(t)
	toks := e.phones(2)
	e.sim.Unregister(toks[1])
	e.sim.CreateApp("com.example.other", e.app.TeamID)
	foreign := e.sim.Register("com.example.other")
	rs := e.send(t, &push.Notification{Title: "t", Body: "b"}, toks[0], toks[1], foreign, vendorsim.RandomHex(32), "zz-not-hex")
	wantOutcomes(t, rs, push.Accepted, push.InvalidToken, push.InvalidToken, push.InvalidToken, push.InvalidToken)
	for i, reason := range []string{"", "410 Unregistered since", "DeviceTokenNotForTopic", "BadDeviceToken", "BadDeviceToken"} {
		if !strings.Contains(rs[i].Reason, reason) {
			t.Errorf("result %d reason %q, want %q", i, rs[i].Reason, reason)
		}
	}
}

func TestSender_Send_Batch(t *testing.T) {
	e := MustStart(t)
	toks := e.phones(e.sender.MaxBatch())
	rs := e.send(t, &push.Notification{Title: "t", Body: "b"}, toks...)
	for i, r := range rs {
		if r.Outcome != push.Accepted {
			t.Fatalf("result %d: %v %s", i, r.Outcome, r.Reason)
		}
	}
	if st := e.sim.Stats(); st.Requests != 500 || st.Notifications != 500 || st.AuthCalls != 1 {
		t.Errorf("stats = %+v, want 500 requests and notifications, one provider token", st)
	}
}

func TestSender_Send_Faults(t *testing.T) {
	tests := []struct {
		name       string
		certAuth   bool
		fault      vendorsim.Fault
		want       push.Outcome
		retryAfter time.Duration
		authCalls  int64
	}{
		{"ServerError", false, vendorsim.Fault{Kind: vendorsim.ServerError}, push.RetryLater, 0, 1},
		{"Throttle", false, vendorsim.Fault{Kind: vendorsim.Throttle, RetryAfter: 9 * time.Second}, push.RetryLater, 9 * time.Second, 1},
		{"Quota", false, vendorsim.Fault{Kind: vendorsim.Quota}, push.RetryLater, 0, 1},
		{"Timeout", false, vendorsim.Fault{Kind: vendorsim.Timeout}, push.RetryLater, 0, 1},
		{"Reset", false, vendorsim.Fault{Kind: vendorsim.Reset}, push.RetryLater, 0, 1},
		{"AuthExpiredOnce", false, vendorsim.Fault{Kind: vendorsim.AuthExpired}, push.Accepted, 0, 2},
		{"AuthExpiredTwice", false, vendorsim.Fault{Kind: vendorsim.AuthExpired, Count: 2}, push.AuthExpired, 0, 2},
		{"CertificateRefused", true, vendorsim.Fault{Kind: vendorsim.AuthExpired}, push.AuthExpired, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := MustStart(t)
			if tt.certAuth {
				e.useCertificateAuth(t)
			}
			e.sender.Timeout = 300 * time.Millisecond
			tok := e.phones(1)[0]
			e.sim.Inject(tt.fault)
			rs := e.send(t, &push.Notification{Title: "t", Body: "b"}, tok)
			wantOutcomes(t, rs, tt.want)
			if rs[0].RetryAfter != tt.retryAfter {
				t.Errorf("retry after = %v, want %v", rs[0].RetryAfter, tt.retryAfter)
			}
			if got := e.sim.Stats().AuthCalls; got != tt.authCalls {
				t.Errorf("provider tokens seen = %d, want %d", got, tt.authCalls)
			}
		})
	}
}

func TestSender_ProviderToken(t *testing.T) {
	t.Run("OK_ReusedForItsLifetime", func(t *testing.T) {
		e := MustStart(t)
		toks := e.phones(5)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() { e.sender.Send(context.Background(), e.cert, &push.Notification{Title: "t", Body: "b"}, toks) })
		}
		wg.Wait()
		e.clock.Advance(49 * time.Minute)
		e.send(t, &push.Notification{Title: "t", Body: "b"}, toks...)
		if st := e.sim.Stats(); st.AuthCalls != 1 || st.Notifications != 45 {
			t.Fatalf("stats = %+v, want one provider token for 45 notifications", st)
		}
		e.clock.Advance(2 * time.Minute)
		wantOutcomes(t, e.send(t, &push.Notification{Title: "t", Body: "b"}, toks[0]), push.Accepted)
		if got := e.sim.Stats().AuthCalls; got != 2 {
			t.Errorf("provider tokens after 51 min = %d, want 2", got)
		}
	})

	t.Run("ErrStaleTokenRefusedThenRefreshedOnce", func(t *testing.T) {
		e := MustStart(t)
		e.sender.TokenLifetime = 2 * time.Hour // misconfigured: older than Apple allows
		toks := e.phones(20)
		e.send(t, &push.Notification{Title: "t", Body: "b"}, toks[0])
		e.clock.Advance(61 * time.Minute)
		rs := e.send(t, &push.Notification{Title: "t", Body: "b"}, toks...)
		for i, r := range rs {
			if r.Outcome != push.Accepted {
				t.Fatalf("result %d: %v %s", i, r.Outcome, r.Reason)
			}
		}
		// Requests in flight before the first refusal are refused too; later ones use the new token.
		if st := e.sim.Stats(); st.AuthCalls != 2 || st.Rejected < 1 || st.Rejected > 20 || st.Notifications != 21 {
			t.Errorf("stats = %+v, want 2 provider tokens, 1–20 ExpiredProviderToken refusals, 21 notifications", st)
		}
	})

	t.Run("OK_NoTooManyUpdates", func(t *testing.T) {
		e := MustStart(t)
		e.sim.TokenUpdateInterval = 20 * time.Minute
		tok := e.phones(1)
		for range 4 {
			wantOutcomes(t, e.send(t, &push.Notification{Title: "t", Body: "b"}, tok...), push.Accepted)
			e.clock.Advance(25 * time.Minute)
		}
		if got := e.sim.Stats().AuthCalls; got != 2 {
			t.Errorf("provider tokens over 100 min = %d, want 2", got)
		}
	})
}

func TestSender_ValidateCertificate(t *testing.T) {
	e := MustStart(t)
	s := apns.New()
	if err := s.ValidateCertificate(e.cert); err != nil {
		t.Fatalf("token-auth certificate: %v", err)
	}
	certAuth := *e.cert
	p12, err := e.sim.CreateCertificate(e.app.BundleID, "pw", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	certAuth.KeyP8, certAuth.KeyID, certAuth.TeamID, certAuth.CertP12, certAuth.CertPassword = nil, "", "", p12, "pw"
	if err := s.ValidateCertificate(&certAuth); err != nil {
		t.Fatalf("certificate-auth certificate: %v", err)
	}
	tests := []struct {
		name  string
		base  *push.Certificate
		edit  func(c *push.Certificate)
		field string
	}{
		{"ErrNoBundle", e.cert, func(c *push.Certificate) { c.BundleID = "" }, "BundleID"},
		{"ErrNoCredentials", e.cert, func(c *push.Certificate) { c.KeyP8 = nil }, "KeyP8 or CertP12"},
		{"ErrBadP8", e.cert, func(c *push.Certificate) { c.KeyP8 = []byte("nope") }, "KeyP8"},
		{"ErrKeyID", e.cert, func(c *push.Certificate) { c.KeyID = "abc" }, "KeyID"},
		{"ErrTeamID", e.cert, func(c *push.Certificate) { c.TeamID = "" }, "TeamID"},
		{"ErrBoth", e.cert, func(c *push.Certificate) { c.CertP12 = p12 }, "not both"},
		{"ErrPassword", &certAuth, func(c *push.Certificate) { c.CertPassword = "wrong" }, "CertPassword"},
		{"ErrClick", e.cert, func(c *push.Certificate) { c.Click = push.ClickAction{Type: push.ClickOpenURL, Target: "https://x.y"} }, "Click"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := *tt.base
			tt.edit(&c)
			err := s.ValidateCertificate(&c)
			if !errors.Is(err, apns.ErrInvalidCertificate) || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("ValidateCertificate = %v, want ErrInvalidCertificate naming %s", err, tt.field)
			}
		})
	}
	t.Run("ErrExpiredP12", func(t *testing.T) {
		s.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
		if err := s.ValidateCertificate(&certAuth); err == nil || !strings.Contains(err.Error(), "expired") {
			t.Errorf("ValidateCertificate = %v, want expired", err)
		}
	})
}

func BenchmarkSender_Send(b *testing.B) {
	e := MustStart(b)
	toks := e.phones(100)
	n := &push.Notification{Title: "Alice", Body: "Hello", Ext: `{"conv":"c2c_alice"}`, Badge: intp(1)}
	e.send(b, n, toks...)
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

// TestSender_Send_NoSound: ios_sound "push.no_sound" is a silent notification, not the
// default sound.
func TestSender_Send_NoSound(t *testing.T) {
	e := MustStart(t)
	toks := e.phones(2)
	for i, sound := range []string{push.NoSound, ""} {
		wantOutcomes(t, e.send(t, &push.Notification{Title: "t", Body: "b", Sound: sound}, toks[i]), push.Accepted)
	}
	silent, dflt := e.sim.Inbox(toks[0]), e.sim.Inbox(toks[1])
	if len(silent) != 1 || len(dflt) != 1 {
		t.Fatalf("inboxes %d and %d, want 1 each", len(silent), len(dflt))
	}
	var raw struct {
		APS map[string]json.RawMessage `json:"aps"`
	}
	json.Unmarshal(silent[0].Raw, &raw)
	if _, ok := raw.APS["sound"]; ok || silent[0].Sound != "" {
		t.Errorf("silent notification has a sound: %s", silent[0].Raw)
	}
	if dflt[0].Sound != "default" {
		t.Errorf("default notification sound %q, want default", dflt[0].Sound)
	}
}

// A certificate's requests go round Connections HTTP/2 connections, each carrying many
// streams.
func TestSender_Send_Connections(t *testing.T) {
	for _, n := range []int{1, 3} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			e := MustStart(t)
			var dials atomic.Int32
			e.sender.Connections = n
			e.sender.DialTLSContext = func(ctx context.Context, network, addr string, cfg *tls.Config) (net.Conn, error) {
				dials.Add(1)
				return (&tls.Dialer{Config: cfg}).DialContext(ctx, network, addr)
			}
			toks := e.phones(e.sender.MaxBatch())
			for range 2 {
				for i, r := range e.send(t, &push.Notification{Title: "t", Body: "b"}, toks...) {
					if r.Outcome != push.Accepted {
						t.Fatalf("result %d: %v %s", i, r.Outcome, r.Reason)
					}
				}
			}
			if got := dials.Load(); got != int32(n) {
				t.Errorf("%d connections dialed for 1,000 requests, want %d", got, n)
			}
			if st := e.sim.Stats(); st.Notifications != 1000 {
				t.Errorf("simulator got %d notifications, want 1000", st.Notifications)
			}
		})
	}
}
