package app_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/herald-im/herald/client"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/internal/vendorsim"
	"github.com/herald-im/herald/internal/vendorsim/simulate"
)

// apiError is the admin API's error answer.
type apiError struct {
	Code    int    `json:"code"`
	Error   string `json:"error"`
	Message string `json:"message"`
}

// adminRaw calls the admin API as the admin and returns the status and the raw answer.
func (n *node) adminRaw(method, path string, body any) (int, []byte) {
	n.tb.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			n.tb.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	u := fmt.Sprintf("http://%s%s%ssdkappid=%d&identifier=administrator&usersig=%s", n.Addr(), path, sep, testAppID, url.QueryEscape(sig(n.tb, "administrator")))
	req, _ := http.NewRequest(method, u, rd)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		n.tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		n.tb.Fatalf("read %s %s: %v", method, path, err)
	}
	return res.StatusCode, b
}

// adminJSON calls the admin API and decodes a 200 answer into out, failing otherwise.
func (n *node) adminJSON(method, path string, body, out any) []byte {
	n.tb.Helper()
	st, b := n.adminRaw(method, path, body)
	if st != http.StatusOK {
		n.tb.Fatalf("%s %s: status %d: %s", method, path, st, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			n.tb.Fatalf("decode %s %s: %v", method, path, err)
		}
	}
	return b
}

// adminErr calls the admin API expecting an error answer with wantCode and returns it.
func (n *node) adminErr(method, path string, body any, wantStatus, wantCode int) apiError {
	n.tb.Helper()
	st, b := n.adminRaw(method, path, body)
	var e apiError
	json.Unmarshal(b, &e)
	if st != wantStatus || e.Code != wantCode {
		n.tb.Errorf("%s %s: status %d code %d (%s), want %d %d", method, path, st, e.Code, b, wantStatus, wantCode)
	}
	return e
}

// certBody is the simulator's certificate of v as a create body: its fields under
// their JSON names plus vendor and name.
func certBody(tb testing.TB, v *simulate.Vendor, name string) map[string]any {
	tb.Helper()
	b, err := json.Marshal(v.Certificate)
	if err != nil {
		tb.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		tb.Fatal(err)
	}
	m["vendor"], m["name"] = string(v.Vendor), name
	return m
}

// secretsOf returns every secret value of c, in each form an answer could leak it.
func secretsOf(c *push.Certificate) []string {
	var out []string
	for _, s := range []string{c.AppSecret, c.MasterSecret, c.ClientSecret, c.CertPassword} {
		if s != "" {
			out = append(out, s)
		}
	}
	for _, b := range [][]byte{c.ServiceAccount, c.KeyP8, c.CertP12} {
		if len(b) > 0 {
			out = append(out, base64.StdEncoding.EncodeToString(b), string(b))
		}
	}
	if c.ServiceAccount != nil {
		var sa struct {
			PrivateKey string `json:"private_key"`
		}
		json.Unmarshal(c.ServiceAccount, &sa)
		out = append(out, sa.PrivateKey)
	}
	return out
}

func assertNoSecrets(t *testing.T, what string, body []byte, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && bytes.Contains(body, []byte(s)) {
			t.Errorf("%s: the answer contains a secret (%d bytes)", what, len(s))
		}
		// JSON escapes a PEM's newlines; look for the escaped form too.
		if esc, _ := json.Marshal(s); len(s) > 0 && bytes.Contains(body, esc[1:len(esc)-1]) {
			t.Errorf("%s: the answer contains a JSON-escaped secret (%d bytes)", what, len(s))
		}
	}
}

// apiCert is a certificate as the API answers it.
type apiCert struct {
	ID        int64          `json:"id"`
	Vendor    string         `json:"vendor"`
	Name      string         `json:"name"`
	AppSecret string         `json:"app_secret"`
	ChannelID string         `json:"channel_id"`
	Click     map[string]any `json:"click"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
}

func (n *pushNode) storedCert(tb testing.TB, id int64) *push.Certificate {
	tb.Helper()
	sc, err := n.Store.FindCertificateByID(ctxT(tb), testAppID, id)
	if err != nil {
		tb.Fatalf("find certificate %d: %v", id, err)
	}
	c, err := push.FromStored(sc)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// MustCreateCertificate creates v's simulator certificate through the API.
func (n *pushNode) MustCreateCertificate(tb testing.TB, v push.Vendor, name string) apiCert {
	tb.Helper()
	var c apiCert
	n.adminJSON("POST", "/v1/admin/push/certificates", certBody(tb, n.sim(v), name), &c)
	if c.ID == 0 || c.Vendor != string(v) || c.Name != name {
		tb.Fatalf("created certificate: %+v", c)
	}
	return c
}

func TestPushAdmin_Certificates(t *testing.T) {
	n := MustOpenPushNode(t, "sqlite")
	var all []string
	ids := map[push.Vendor]int64{}
	for _, v := range n.sims.Vendors() {
		t.Run(string(v.Vendor), func(t *testing.T) {
			secrets := secretsOf(v.Certificate)
			all = append(all, secrets...)
			st, body := n.adminRaw("POST", "/v1/admin/push/certificates", certBody(t, v, "api "+string(v.Vendor)))
			if st != http.StatusOK {
				t.Fatalf("create: status %d: %s", st, body)
			}
			assertNoSecrets(t, "create", body, secrets)
			var c apiCert
			json.Unmarshal(body, &c)
			if c.ID == 0 || c.Vendor != string(v.Vendor) || c.Name != "api "+string(v.Vendor) || c.CreatedAt.IsZero() {
				t.Errorf("created: %s", body)
			}
			if v.Certificate.AppSecret != "" && (c.AppSecret == "" || !strings.HasPrefix(c.AppSecret, "****")) {
				t.Errorf("app_secret shown as %q, want a mask", c.AppSecret)
			}
			ids[v.Vendor] = c.ID
			body = n.adminJSON("GET", fmt.Sprintf("/v1/admin/push/certificates/%d", c.ID), nil, nil)
			assertNoSecrets(t, "get", body, secrets)
			// The store has the secrets whole: the push works with them.
			got := n.storedCert(t, c.ID)
			if got.AppSecret != v.Certificate.AppSecret || !bytes.Equal(got.ServiceAccount, v.Certificate.ServiceAccount) ||
				!bytes.Equal(got.KeyP8, v.Certificate.KeyP8) || got.MasterSecret != v.Certificate.MasterSecret || got.ClientSecret != v.Certificate.ClientSecret {
				t.Errorf("stored secrets differ from what was posted")
			}
		})
	}
	var list struct{ Certificates []apiCert }
	body := n.adminJSON("GET", "/v1/admin/push/certificates", nil, &list)
	assertNoSecrets(t, "list", body, all)
	if len(list.Certificates) != 2*len(push.Vendors) {
		t.Errorf("list: %d certificates, want %d (the test's and the API's)", len(list.Certificates), 2*len(push.Vendors))
	}

	t.Run("ErrInput", func(t *testing.T) {
		xiaomi := func(edit func(m map[string]any)) map[string]any {
			m := certBody(t, n.sim(push.Xiaomi), "bad")
			edit(m)
			return m
		}
		tests := []struct {
			name  string
			body  any
			field string
		}{
			{"UnknownVendor", xiaomi(func(m map[string]any) { m["vendor"] = "nokia" }), `"vendor"`},
			{"NoVendor", xiaomi(func(m map[string]any) { delete(m, "vendor") }), `"vendor"`},
			{"NoName", xiaomi(func(m map[string]any) { delete(m, "name") }), `"name"`},
			{"NoAppSecret", xiaomi(func(m map[string]any) { delete(m, "app_secret") }), `"app_secret"`},
			{"NoPackageName", xiaomi(func(m map[string]any) { delete(m, "package_name") }), `"package_name"`},
			{"BadIntentURI", xiaomi(func(m map[string]any) {
				m["click"] = map[string]string{"type": "open_page", "target": "myapp://chat"}
			}), `"click"`},
			{"UnknownField", xiaomi(func(m map[string]any) { m["app_sekret"] = "x" }), `"app_sekret"`},
			{"WrongType", xiaomi(func(m map[string]any) { m["production"] = "yes" }), `"production"`},
			{"UnknownClickField", xiaomi(func(m map[string]any) { m["click"] = map[string]string{"kind": "open_app"} }), `"click"`},
			{"BadBase64", func() map[string]any {
				m := certBody(t, n.sim(push.FCM), "bad")
				m["service_account"] = "not base64!"
				return m
			}(), `"service_account"`},
			{"HuaweiNoAppID", func() map[string]any {
				m := certBody(t, n.sim(push.Huawei), "bad")
				delete(m, "app_id")
				return m
			}(), `"app_id"`},
			{"FCMNoServiceAccount", func() map[string]any {
				m := certBody(t, n.sim(push.FCM), "bad")
				delete(m, "service_account")
				return m
			}(), `"service_account"`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := n.adminErr("POST", "/v1/admin/push/certificates", tt.body, 400, 40001)
				if !strings.Contains(e.Message, tt.field) {
					t.Errorf("message %q does not name the field %s", e.Message, tt.field)
				}
				assertNoSecrets(t, "error", []byte(e.Message), all)
				t.Logf("%s: %s", tt.name, e.Message)
			})
		}
	})

	t.Run("Patch", func(t *testing.T) {
		id := ids[push.Xiaomi]
		path := fmt.Sprintf("/v1/admin/push/certificates/%d", id)
		var c apiCert
		body := n.adminJSON("PATCH", path, map[string]any{"name": "renamed", "channel_id": "high_system"}, &c)
		assertNoSecrets(t, "patch", body, all)
		if c.Name != "renamed" || c.ChannelID != "high_system" || !c.UpdatedAt.After(c.CreatedAt) && !c.UpdatedAt.Equal(c.CreatedAt) {
			t.Errorf("patched: %s", body)
		}
		stored := n.storedCert(t, id)
		want := n.sim(push.Xiaomi).Certificate
		if stored.AppSecret != want.AppSecret || stored.PackageName != want.PackageName || stored.ChannelID != "high_system" {
			t.Errorf("after PATCH: app_secret kept %v, package %q, channel %q", stored.AppSecret == want.AppSecret, stored.PackageName, stored.ChannelID)
		}

		// A GET's answer sent back whole keeps the secrets (their masks are not saved).
		var shown map[string]any
		n.adminJSON("GET", path, nil, &shown)
		shown["click"] = map[string]string{"type": "open_page", "target": "intent://chat#Intent;scheme=myapp;component=com.example.chat/.ChatActivity;end"}
		n.adminJSON("PATCH", path, shown, nil)
		stored = n.storedCert(t, id)
		if stored.AppSecret != want.AppSecret || stored.Click.Type != push.ClickOpenPage {
			t.Errorf("after PATCH with masks: app_secret kept %v, click %+v", stored.AppSecret == want.AppSecret, stored.Click)
		}

		// The merged certificate is validated; a bad one changes nothing.
		e := n.adminErr("PATCH", path, map[string]any{"click": map[string]string{"type": "open_page", "target": "not an intent"}}, 400, 40001)
		if !strings.Contains(e.Message, `"click"`) {
			t.Errorf("bad click: message %q", e.Message)
		}
		e = n.adminErr("PATCH", path, map[string]any{"app_secret": ""}, 400, 40001)
		if !strings.Contains(e.Message, `"app_secret"`) {
			t.Errorf("emptied app_secret: message %q", e.Message)
		}
		n.adminErr("PATCH", path, map[string]any{"vendor": "huawei"}, 400, 40001)
		if got := n.storedCert(t, id); got.AppSecret != want.AppSecret || got.Click.Type != push.ClickOpenPage {
			t.Errorf("a refused PATCH changed the certificate")
		}
		// A new secret replaces the old.
		n.adminJSON("PATCH", path, map[string]any{"app_secret": "a-brand-new-secret-value"}, nil)
		if got := n.storedCert(t, id); got.AppSecret != "a-brand-new-secret-value" {
			t.Errorf("app_secret not replaced")
		}
	})

	t.Run("Delete", func(t *testing.T) {
		ctx := ctxT(t)
		n.MustImport("dora")
		id := ids[push.Vivo]
		token := n.phone(push.Vivo)
		d := MustLogin(t, n.node, "dora", "vivo", "Android")
		if err := d.SetOfflinePushConfig(ctx, id, token); err != nil {
			t.Fatalf("bind: %v", err)
		}
		var got struct{ Deleted int64 }
		n.adminJSON("DELETE", fmt.Sprintf("/v1/admin/push/certificates/%d", id), nil, &got)
		if got.Deleted != id {
			t.Errorf("deleted %d, want %d", got.Deleted, id)
		}
		dev, err := n.Store.FindDevice(ctx, testAppID, "dora", "vivo")
		if err != nil || dev.PushToken != "" || dev.CertificateID != 0 {
			t.Errorf("device after DELETE: %+v, %v; want unbound", dev, err)
		}
		n.adminErr("GET", fmt.Sprintf("/v1/admin/push/certificates/%d", id), nil, 400, 40001)
		n.adminErr("DELETE", fmt.Sprintf("/v1/admin/push/certificates/%d", id), nil, 400, 40001)
		n.adminErr("GET", "/v1/admin/push/certificates/abc", nil, 400, 40001)
	})
}

func TestPushAdmin_NotAdmin(t *testing.T) {
	n := MustOpenPushNode(t, "sqlite")
	n.MustImport("alice")
	for _, c := range []struct{ method, path string }{
		{"GET", "/v1/admin/push/certificates"},
		{"POST", "/v1/admin/push/certificates"},
		{"PATCH", "/v1/admin/push/certificates/1"},
		{"DELETE", "/v1/admin/push/certificates/1"},
		{"GET", "/v1/admin/users/alice/devices"},
		{"POST", "/v1/admin/push/test"},
		{"GET", "/v1/admin/push/messages/x/trace"},
		{"GET", "/v1/admin/push/stats"},
	} {
		var e apiError
		st := n.adminAs("alice", sig(t, "alice"), c.method, c.path, map[string]any{"user_id": "alice"}, &e)
		if st != http.StatusForbidden || e.Code != 40301 {
			t.Errorf("%s %s as alice: status %d code %d, want 403 40301", c.method, c.path, st, e.Code)
		}
	}
	if n := len(n.sims.Vendors()); n == 0 {
		t.Fatal("no simulators")
	}
}

// deviceStatus is one device of GET /v1/admin/users/{id}/devices.
type deviceStatus struct {
	DeviceID      string `json:"device_id"`
	Platform      string `json:"platform"`
	State         string `json:"state"`
	Background    bool   `json:"background"`
	CertificateID int64  `json:"certificate_id"`
	Vendor        string `json:"vendor"`
	Token         string `json:"token"`
	Badge         int    `json:"badge"`
	Push          struct {
		WouldPush bool   `json:"would_push"`
		Decision  string `json:"decision"`
		Reason    string `json:"reason"`
	} `json:"push"`
}

func (n *pushNode) deviceStatus(t *testing.T, user, deviceID string) deviceStatus {
	t.Helper()
	var got struct{ Devices []deviceStatus }
	n.adminJSON("GET", "/v1/admin/users/"+user+"/devices", nil, &got)
	for _, d := range got.Devices {
		if d.DeviceID == deviceID {
			return d
		}
	}
	t.Fatalf("no device %s of %s in %+v", deviceID, user, got.Devices)
	return deviceStatus{}
}

func TestPushAdmin_Flow(t *testing.T) {
	n := MustOpenPushNode(t, "sqlite")
	n.MustImport("alice", "bob", "carol")
	ctx := ctxT(t)
	cert := n.MustCreateCertificate(t, push.Xiaomi, "mi from the API")
	token := n.phone(push.Xiaomi)
	alice := MustLogin(t, n.node, "alice", "a1", "Windows")

	// bob's phone binds a token of the API-created certificate and stays in the foreground.
	bob := MustLogin(t, n.node, "bob", "mi", "Android")
	if err := bob.SetOfflinePushConfig(ctx, cert.ID, token); err != nil {
		t.Fatalf("bind: %v", err)
	}
	st := n.deviceStatus(t, "bob", "mi")
	if st.Push.WouldPush || st.Push.Decision != "foreground" || !strings.Contains(st.Push.Reason, "foreground") {
		t.Errorf("foreground device: push %+v", st.Push)
	}
	if st.State != "online" || st.Platform != "Android" || st.CertificateID != cert.ID || st.Vendor != "xiaomi" {
		t.Errorf("foreground device: %+v", st)
	}
	if st.Token == "" || st.Token == token || strings.Contains(st.Token, token[8:]) {
		t.Errorf("token shown as %q; want it redacted", st.Token)
	}

	// The app is killed: a message is pushed, and the trace says the vendor took it.
	bob.Close()
	waitDeviceState(t, n.node, "bob", "mi", store.Offline)
	if st := n.deviceStatus(t, "bob", "mi"); !st.Push.WouldPush || st.Push.Decision != "push" || st.State != "offline" {
		t.Errorf("offline device: %+v", st)
	}
	m, err := alice.SendMessage(ctx, client.NewTextMessage("ping"), "bob", "", "", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := n.waitInbox(t, push.Xiaomi, token, 1); got[0].Body != "ping" {
		t.Errorf("notification body %q", got[0].Body)
	}
	type traceRec struct {
		UserID          string `json:"user_id"`
		DeviceID        string `json:"device_id"`
		Decision        string
		Vendor          string
		Outcome         string
		Reason          string
		CertificateID   int64  `json:"certificate_id"`
		VendorMessageID string `json:"vendor_message_id"`
		Attempts        int
	}
	var trace struct {
		MessageID string `json:"message_id"`
		Records   []traceRec
	}
	waitFor(t, "an accepted push in the trace", func() bool {
		n.adminJSON("GET", "/v1/admin/push/messages/"+m.ID+"/trace", nil, &trace)
		return len(trace.Records) == 1 && trace.Records[0].Outcome != "queued" && trace.Records[0].Outcome != "sending"
	})
	if r := trace.Records[0]; trace.MessageID != m.ID || r.UserID != "bob" || r.DeviceID != "mi" || r.Decision != "push" || r.Outcome != "accepted" ||
		r.Vendor != "xiaomi" || r.CertificateID != cert.ID || r.VendorMessageID == "" || r.Attempts != 1 {
		t.Errorf("trace: %+v", trace)
	}
	n.adminErr("GET", "/v1/admin/push/messages/no-such-message/trace", nil, 404, 40404)

	// A logged-out device says so.
	carol := MustLogin(t, n.node, "carol", "c1", "Android")
	if err := carol.SetOfflinePushConfig(ctx, cert.ID, n.phone(push.Xiaomi)); err != nil {
		t.Fatal(err)
	}
	if err := carol.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	waitDeviceState(t, n.node, "carol", "c1", store.LoggedOut)
	if st := n.deviceStatus(t, "carol", "c1"); st.Push.WouldPush || st.Push.Decision != "logged_out" || st.State != "logged_out" || st.Push.Reason == "" {
		t.Errorf("logged-out device: %+v", st)
	}
	n.adminErr("GET", "/v1/admin/users/nobody/devices", nil, 404, 40401)

	// A test push lands on the phone, whatever the chat rules say.
	var test struct {
		PushID  string `json:"push_id"`
		Results []struct {
			DeviceID        string `json:"device_id"`
			Vendor          string
			Outcome         string
			Reason          string
			VendorMessageID string `json:"vendor_message_id"`
			Unbound         bool
		}
	}
	n.adminJSON("POST", "/v1/admin/push/test", map[string]any{"user_id": "bob", "title": "Check", "body": "one two"}, &test)
	if len(test.Results) != 1 || test.Results[0].DeviceID != "mi" || test.Results[0].Outcome != "accepted" || test.Results[0].VendorMessageID == "" || test.Results[0].Vendor != "xiaomi" {
		t.Errorf("test push: %+v", test)
	}
	if got := n.waitInbox(t, push.Xiaomi, token, 2); got[1].Title != "Check" || got[1].Body != "one two" {
		t.Errorf("test notification: title %q body %q", got[1].Title, got[1].Body)
	}
	// carol's logged-out device has nothing to push to.
	n.adminJSON("POST", "/v1/admin/push/test", map[string]any{"user_id": "carol"}, &test)
	if len(test.Results) != 1 || test.Results[0].Outcome != "not_sent" || test.Results[0].Reason == "" {
		t.Errorf("test push to a logged-out device: %+v", test)
	}
	n.adminErr("POST", "/v1/admin/push/test", map[string]any{"user_id": "bob", "device_id": "nope"}, 400, 40001)
	n.adminErr("POST", "/v1/admin/push/test", map[string]any{}, 400, 40001)

	// The vendor forgets the token: the test push says so and unbinds it.
	n.sim(push.Xiaomi).Sim.Unregister(token)
	n.adminJSON("POST", "/v1/admin/push/test", map[string]any{"user_id": "bob", "device_id": "mi"}, &test)
	if len(test.Results) != 1 || test.Results[0].Outcome != "invalid_token" || !test.Results[0].Unbound {
		t.Errorf("test push to a forgotten token: %+v", test)
	}
	if d, _ := n.Store.FindDevice(ctx, testAppID, "bob", "mi"); d.PushToken != "" {
		t.Errorf("the invalid token is still bound")
	}
	if st := n.deviceStatus(t, "bob", "mi"); st.Push.Decision != "no_token" {
		t.Errorf("after unbinding: decision %q", st.Push.Decision)
	}

	// Stats count the message's push and the test pushes.
	type count struct {
		Day, Vendor, Decision, Outcome string
		Count                          int
	}
	var stats struct {
		From, To string
		Total    int
		Counts   []count
	}
	n.adminJSON("GET", "/v1/admin/push/stats", nil, &stats)
	today := time.Now().UTC().Format(time.DateOnly)
	find := func(c count) int {
		for _, got := range stats.Counts {
			if got.Day == c.Day && got.Vendor == c.Vendor && got.Decision == c.Decision && got.Outcome == c.Outcome {
				return got.Count
			}
		}
		return 0
	}
	if got := find(count{Day: today, Vendor: "xiaomi", Decision: "push", Outcome: "accepted"}); got != 1 {
		t.Errorf("stats: %d accepted pushes, want 1 (%+v)", got, stats)
	}
	if got := find(count{Day: today, Vendor: "xiaomi", Decision: "test", Outcome: "accepted"}); got != 1 {
		t.Errorf("stats: %d accepted test pushes, want 1 (%+v)", got, stats)
	}
	if got := find(count{Day: today, Vendor: "xiaomi", Decision: "test", Outcome: "invalid_token"}); got != 1 {
		t.Errorf("stats: %d invalid-token test pushes, want 1 (%+v)", got, stats)
	}
	if stats.To != today || stats.From != time.Now().UTC().AddDate(0, 0, -6).Format(time.DateOnly) {
		t.Errorf("stats default range %s..%s", stats.From, stats.To)
	}
	n.adminJSON("GET", "/v1/admin/push/stats?from=2020-01-01&to=2020-01-31", nil, &stats)
	if len(stats.Counts) != 0 || stats.Total != 0 {
		t.Errorf("stats of 2020: %+v", stats)
	}
	n.adminErr("GET", "/v1/admin/push/stats?from=2026-01-01&to=2026-03-01", nil, 400, 40001)
	n.adminErr("GET", "/v1/admin/push/stats?from=2026-02-01&to=2026-01-01", nil, 400, 40001)
	n.adminErr("GET", "/v1/admin/push/stats?from=yesterday", nil, 400, 40001)
}

// TestPushAdmin_TraceTries: a push the vendor failed twice before taking it shows, in
// its trace, the two earlier tries with their answers in order, and the record the
// final answer; a push taken at its first try has no tries.
func TestPushAdmin_TraceTries(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenPushNode(t, kind)
		n.MustImport("alice", "bob")
		ctx := ctxT(t)
		token := n.phone(push.Huawei)
		bob := MustLogin(t, n.node, "bob", "hw", "Android")
		if err := bob.SetOfflinePushConfig(ctx, n.certs[push.Huawei], token); err != nil {
			t.Fatal(err)
		}
		bob.Close()
		waitDeviceState(t, n.node, "bob", "hw", store.Offline)
		alice := MustLogin(t, n.node, "alice", "a1", "Windows")

		n.sim(push.Huawei).Sim.Inject(vendorsim.Fault{Kind: vendorsim.ServerError, Count: 2})
		m, err := alice.SendMessage(ctx, client.NewTextMessage("third time lucky"), "bob", "", "", false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rec := n.waitRecord(t, m.ID, "hw"); rec.Outcome != "accepted" || rec.Attempts != 3 {
			t.Fatalf("record %+v, want accepted at the third attempt", rec)
		}
		type try struct {
			Attempt int
			Time    time.Time
			Outcome string
			Reason  string
		}
		var trace struct {
			Records []struct {
				Outcome   string
				Attempts  int
				UpdatedAt time.Time `json:"updated_at"`
				Tries     []try
			}
		}
		n.adminJSON("GET", "/v1/admin/push/messages/"+m.ID+"/trace", nil, &trace)
		if len(trace.Records) != 1 {
			t.Fatalf("trace %+v, want one record", trace)
		}
		r := trace.Records[0]
		if r.Outcome != "accepted" || r.Attempts != 3 || len(r.Tries) != 2 {
			t.Fatalf("trace record %+v, want accepted after 3 attempts with 2 earlier tries", r)
		}
		for i, tr := range r.Tries {
			if tr.Attempt != i+1 || tr.Outcome != "retry_later" || !strings.Contains(tr.Reason, "500") || tr.Time.IsZero() || tr.Time.After(r.UpdatedAt) {
				t.Errorf("try %d: %+v, want attempt %d answered retry_later (HTTP 500) before the final answer at %v", i, tr, i+1, r.UpdatedAt)
			}
		}
		if !r.Tries[0].Time.Before(r.Tries[1].Time) {
			t.Errorf("tries out of order: %+v", r.Tries)
		}

		// Taken at the first try: the record alone, "tries" an empty list.
		m2, err := alice.SendMessage(ctx, client.NewTextMessage("at once"), "bob", "", "", false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rec := n.waitRecord(t, m2.ID, "hw"); rec.Outcome != "accepted" || rec.Attempts != 1 {
			t.Fatalf("record %+v, want accepted at the first attempt", rec)
		}
		raw := n.adminJSON("GET", "/v1/admin/push/messages/"+m2.ID+"/trace", nil, nil)
		if !strings.Contains(string(raw), `"tries":[]`) {
			t.Errorf("trace of a first-try push %s, want \"tries\":[]", raw)
		}
	})
}
