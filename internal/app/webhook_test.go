package app_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/herald-im/herald/client"
	"github.com/herald-im/herald/internal/api"
	"github.com/herald-im/herald/internal/app"
	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/internal/webhook"
)

// receiver is an app server's webhook endpoint: it checks each request's signature
// with the secret it was given, and keeps the events of the requests it accepted.
type receiver struct {
	*httptest.Server
	tb testing.TB

	mu       sync.Mutex // protects the fields below
	secret   string
	requests []receivedRequest
	refused  int // requests answered 503 while down

	down atomic.Bool // answer 503 with Retry-After: 0
}

type receivedRequest struct {
	Query  map[string]string
	Events []map[string]any
}

func newReceiver(tb testing.TB) *receiver {
	r := &receiver{tb: tb}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	tb.Cleanup(r.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if r.down.Load() {
		r.mu.Lock()
		r.refused++
		r.mu.Unlock()
		w.Header().Set("Retry-After", "0")
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	// Verify as docs/webhooks.md tells a receiver to, without Herald's code.
	ts := req.Header.Get("X-Herald-Timestamp")
	mac := hmac.New(sha256.New, []byte(r.secret))
	mac.Write([]byte(ts + "." + string(body)))
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(req.Header.Get("X-Herald-Signature")), []byte(want)) {
		r.tb.Errorf("request with a bad signature %q", req.Header.Get("X-Herald-Signature"))
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if sec, err := strconv.ParseInt(ts, 10, 64); err != nil || time.Since(time.Unix(sec, 0)).Abs() > time.Minute {
		r.tb.Errorf("request timestamp %q is not now", ts)
	}
	if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" {
		r.tb.Errorf("request %s with content type %q", req.Method, req.Header.Get("Content-Type"))
	}
	var b struct{ Events []map[string]any }
	if err := json.Unmarshal(body, &b); err != nil {
		r.tb.Errorf("request body %s: %v", body, err)
	}
	q := map[string]string{}
	for k := range req.URL.Query() {
		q[k] = req.URL.Query().Get(k)
	}
	r.requests = append(r.requests, receivedRequest{Query: q, Events: b.Events})
	fmt.Fprint(w, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`)
}

func (r *receiver) setSecret(s string) {
	r.mu.Lock()
	r.secret = s
	r.mu.Unlock()
}

// events returns the events received for command so far, each request's query checked.
func (r *receiver) events(command string) []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []map[string]any
	for _, req := range r.requests {
		if req.Query["CallbackCommand"] != command {
			continue
		}
		if req.Query["SdkAppid"] != strconv.Itoa(testAppID) || req.Query["contenttype"] != "json" || req.Query["hook"] != "im" {
			r.tb.Errorf("request query %v", req.Query)
		}
		if len(req.Events) == 0 || len(req.Events) > 100 {
			r.tb.Errorf("request with %d events", len(req.Events))
		}
		out = append(out, req.Events...)
	}
	return out
}

// waitEvent waits for an event of command for which match holds, and returns it.
func (r *receiver) waitEvent(t *testing.T, command, what string, match func(e map[string]any) bool) map[string]any {
	t.Helper()
	var got map[string]any
	waitFor(t, command+" event: "+what, func() bool {
		for _, e := range r.events(command) {
			if match(e) {
				got = e
				return true
			}
		}
		return false
	})
	return got
}

// stateEvent matches a State.StateChange event of user's device with action and reason.
func stateEvent(user, device, action, reason string) func(map[string]any) bool {
	return func(e map[string]any) bool {
		info, _ := e["Info"].(map[string]any)
		return info["To_Account"] == user && e["DeviceId"] == device && info["Action"] == action && info["Reason"] == reason
	}
}

// fastWebhooks makes retries quick and callback changes take effect at once.
func fastWebhooks(m *app.Main) {
	m.ConfigureWebhooks = func(n *webhook.Notifier) {
		n.MinBackoff, n.MaxBackoff, n.AppTTL, n.Linger = 20*time.Millisecond, 100*time.Millisecond, 0, 50*time.Millisecond
	}
}

// MustSetCallback sets the app's callback URL to r and gives r the secret.
func (n *node) MustSetCallback(t *testing.T, r *receiver) {
	t.Helper()
	var set api.AppSettings
	n.adminJSON("POST", "/v1/admin/app/settings", map[string]any{"callback_url": r.URL + "/hook?hook=im"}, &set)
	if set.CallbackURL != r.URL+"/hook?hook=im" || !set.CallbackSecretSet || len(set.CallbackSecret) != 64 {
		t.Fatalf("settings after setting the callback: %+v", set)
	}
	r.setSecret(set.CallbackSecret)
}

func TestWebhook_Flow(t *testing.T) {
	n := mustOpenPushNodeWith(t, "sqlite", fastWebhooks)
	r := newReceiver(t)
	n.MustSetCallback(t, r)

	// The secret is shown once; GET says only that there is one.
	var got api.AppSettings
	n.adminJSON("GET", "/v1/admin/app/settings", nil, &got)
	if got.CallbackSecret != "" || !got.CallbackSecretSet || got.CallbackURL != r.URL+"/hook?hook=im" {
		t.Errorf("GET settings: %+v", got)
	}
	// Rotation: requests are signed with the new secret (the receiver fails on the old).
	var rotated struct {
		CallbackSecret string `json:"callback_secret"`
	}
	n.adminJSON("POST", "/v1/admin/app/callback-secret", nil, &rotated)
	if len(rotated.CallbackSecret) != 64 {
		t.Fatalf("rotated secret %q", rotated.CallbackSecret)
	}
	r.setSecret(rotated.CallbackSecret)
	n.adminErr("POST", "/v1/admin/app/settings", map[string]any{"callback_url": "ftp://x"}, 400, 40001)

	ctx := ctxT(t)
	n.MustImport("alice", "bob")
	alice := MustLogin(t, n.node, "alice", "a1", "Android")
	r.waitEvent(t, "State.StateChange", "alice logs in", stateEvent("alice", "a1", "Login", "Register"))

	// bob's second Android phone logs the first out (one device per platform).
	MustLogin(t, n.node, "bob", "p1", "Android")
	r.waitEvent(t, "State.StateChange", "bob p1 logs in", stateEvent("bob", "p1", "Login", "Register"))
	p2 := MustLogin(t, n.node, "bob", "p2", "Android")
	kicked := r.waitEvent(t, "State.StateChange", "bob p1 kicked", stateEvent("bob", "p1", "Logout", "Kicked"))
	if kicked["Platform"] != "Android" {
		t.Errorf("kicked event %v", kicked)
	}
	login := r.waitEvent(t, "State.StateChange", "bob p2 logs in", stateEvent("bob", "p2", "Login", "Register"))
	if kd, _ := json.Marshal(login["KickedDevice"]); string(kd) != `[{"DeviceId":"p1","Platform":"Android"}]` {
		t.Errorf("login event KickedDevice %s", kd)
	}

	// bob's p2 binds a Xiaomi token and is killed: a disconnect, then a push.
	token := n.phone(push.Xiaomi)
	if err := p2.SetOfflinePushConfig(ctx, n.certs[push.Xiaomi], token); err != nil {
		t.Fatal(err)
	}
	p2.Close()
	r.waitEvent(t, "State.StateChange", "bob p2 disconnects", stateEvent("bob", "p2", "Disconnect", "LinkClose"))
	waitDeviceState(t, n.node, "bob", "p2", store.Offline)
	m, err := alice.SendMessage(ctx, client.NewTextMessage("hi bob"), "bob", "", "", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	n.waitInbox(t, push.Xiaomi, token, 1)
	ev := r.waitEvent(t, "Push.OfflinePush", "bob's push", func(e map[string]any) bool { return e["MsgKey"] == m.ID })
	want := map[string]any{
		"EventType": 1.0, "From_Account": "alice", "To_Account": "bob", "DeviceId": "p2", "PushPlatform": "xiaomi",
		"CertificateId": float64(n.certs[push.Xiaomi]), "MsgKey": m.ID, "ErrCode": 0.0, "ErrInfo": "accepted", "Attempts": 1.0,
	}
	for k, v := range want {
		if ev[k] != v {
			t.Errorf("push event %s = %v, want %v (event %v)", k, ev[k], v, ev)
		}
	}
	if at, _ := ev["EventTime"].(float64); time.Since(time.UnixMilli(int64(at))).Abs() > time.Minute {
		t.Errorf("push event time %v", ev["EventTime"])
	}

	// A token the vendor no longer knows: the event says so with a Herald code.
	n.sim(push.Xiaomi).Sim.Unregister(token)
	m2, err := alice.SendMessage(ctx, client.NewTextMessage("again"), "bob", "", "", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	ev = r.waitEvent(t, "Push.OfflinePush", "bob's failed push", func(e map[string]any) bool { return e["MsgKey"] == m2.ID })
	if ev["ErrCode"] != float64(webhook.CodeInvalidToken) || !strings.HasPrefix(ev["ErrInfo"].(string), "invalid_token") {
		t.Errorf("invalid token event %v", ev)
	}

	if err := alice.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	r.waitEvent(t, "State.StateChange", "alice logs out", stateEvent("alice", "a1", "Logout", "Unregister"))
}

func TestWebhook_RetryUntilUp(t *testing.T) {
	n := mustOpenNodeWith(t, MustConfig(t, "sqlite"), fastWebhooks)
	r := newReceiver(t)
	n.MustSetCallback(t, r)
	r.down.Store(true)
	failed := webhookBatches(t, "State.StateChange", "failed")
	delivered := webhookBatches(t, "State.StateChange", "delivered")

	n.MustImport("alice")
	MustLogin(t, n, "alice", "a1", "Android")
	waitFor(t, "two refused tries", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.refused >= 2
	})
	if got := len(r.events("State.StateChange")); got != 0 {
		t.Fatalf("%d events while down", got)
	}
	r.down.Store(false)
	r.waitEvent(t, "State.StateChange", "alice logs in, after the retries", stateEvent("alice", "a1", "Login", "Register"))
	if d := webhookBatches(t, "State.StateChange", "failed") - failed; d < 2 {
		t.Errorf("failed batches counted %v, want at least 2", d)
	}
	waitFor(t, "a delivered batch counted", func() bool {
		return webhookBatches(t, "State.StateChange", "delivered")-delivered >= 1
	})
}

func TestWebhook_NoCallbackURL(t *testing.T) {
	n := mustOpenNodeWith(t, MustConfig(t, "sqlite"), fastWebhooks)
	r := newReceiver(t)
	n.MustSetCallback(t, r)
	ctx := ctxT(t)
	// A second app, without a callback URL: its logins are posted nowhere.
	const other = testAppID + 1
	if err := n.Store.CreateApp(ctx, &store.App{SDKAppID: other, SecretKey: "k", Name: "other"}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := n.IM.Login(ctx, im.LoginParams{SDKAppID: other, UserID: "carol", DeviceID: fmt.Sprint("c", i), Platform: "Web", Session: "s"}); err != nil {
			t.Fatal(err)
		}
	}
	// Then one of the test app's: the hooks queue in order, so once it arrives the other
	// app's were handled before it.
	if _, err := n.IM.Login(ctx, im.LoginParams{SDKAppID: testAppID, UserID: "dave", DeviceID: "d1", Platform: "Web", Session: "s"}); err != nil {
		t.Fatal(err)
	}
	r.waitEvent(t, "State.StateChange", "dave logs in", stateEvent("dave", "d1", "Login", "Register"))
	if got := r.events("State.StateChange"); len(got) != 1 {
		t.Errorf("events %v; want only dave's", got)
	}
	stream, err := n.Bus.JetStream().Stream(ctx, n.Bus.StreamName(webhook.StreamName))
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.LastSeq != 1 {
		t.Errorf("%d events were queued, want 1 (dave's)", info.State.LastSeq)
	}
}

// webhookBatches reads the webhook batch counter of command and outcome.
func webhookBatches(tb testing.TB, command, outcome string) float64 {
	tb.Helper()
	var m dto.Metric
	if err := webhook.Collectors()[0].(*prometheus.CounterVec).WithLabelValues(command, outcome).Write(&m); err != nil {
		tb.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
