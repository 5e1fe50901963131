package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/app"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/sandbox"
)

// node is a sandbox node and its admin credentials.
type node struct {
	*app.Main
	info    *app.SandboxInfo
	lastMsg string
}

// MustOpenNode starts a node with --sandbox on a free port.
func MustOpenNode(tb testing.TB) *node {
	tb.Helper()
	c := app.DefaultConfig()
	c.Listen, c.DataDir, c.Sandbox, c.LogLevel = "127.0.0.1:0", tb.TempDir(), true, "warn"
	m := app.NewMain(c)
	m.Out = io.Discard
	if err := m.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	info, err := app.ReadSandboxInfo(c.DataDir)
	if err != nil {
		tb.Fatal(err)
	}
	return &node{Main: m, info: info}
}

// call makes an admin call and decodes the answer into res; it returns the API's error
// code, 0 on success.
func (n *node) call(tb testing.TB, method, path string, body, res any) int {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	q := url.Values{"sdkappid": {fmt.Sprint(n.info.SDKAppID)}, "identifier": {n.info.Identifier}, "usersig": {n.info.UserSig}}
	req, _ := http.NewRequest(method, n.info.URL+path+"?"+q.Encode(), rd)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		var e struct{ Code int }
		json.Unmarshal(b, &e)
		if e.Code == 0 {
			tb.Fatalf("%s %s: HTTP %d %s", method, path, resp.StatusCode, b)
		}
		return e.Code
	}
	if res != nil {
		if err := json.Unmarshal(b, res); err != nil {
			tb.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return 0
}

func (n *node) send(tb testing.TB, to, text string) {
	tb.Helper()
	n.call(tb, "POST", "/v1/admin/accounts/import", map[string]any{"accounts": []map[string]string{{"user_id": "alice"}}}, nil)
	msg := map[string]any{"from": "alice", "to": to, "elements": []map[string]string{{"type": "text", "text": text}},
		"offline_push_info": map[string]string{"ext": `{"to":"` + to + `"}`}}
	var sent struct {
		Message struct{ ID string }
	}
	if code := n.call(tb, "POST", "/v1/admin/messages", msg, &sent); code != 0 {
		tb.Fatalf("send: error %d", code)
	}
	n.lastMsg = sent.Message.ID
}

func waitFor(tb testing.TB, max time.Duration, try func() error) {
	tb.Helper()
	deadline := time.Now().Add(max)
	for {
		err := try()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("after %s: %v", max, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// notifications waits until phone id shows want notifications.
func (n *node) notifications(tb testing.TB, id string, want int) []sandbox.Notification {
	tb.Helper()
	var got struct {
		Notifications []sandbox.Notification `json:"notifications"`
	}
	waitFor(tb, 20*time.Second, func() error {
		n.call(tb, "GET", "/v1/admin/sandbox/phones/"+url.PathEscape(id)+"/notifications", nil, &got)
		if len(got.Notifications) != want {
			rs, _ := n.Store.FindPushRecords(context.Background(), n.info.SDKAppID, n.lastMsg)
			for _, r := range rs {
				tb.Logf("record %+v", *r)
			}
			return fmt.Errorf("phone %s shows %d notifications, want %d", id, len(got.Notifications), want)
		}
		return nil
	})
	return got.Notifications
}

// TestSandbox_EveryVendor: a killed app on a phone of each vendor gets the push, and a
// tap gives the ext and the sandbox certificate's click action.
func TestSandbox_EveryVendor(t *testing.T) {
	n := MustOpenNode(t)
	var info sandbox.Info
	n.call(t, "GET", "/v1/admin/sandbox", nil, &info)
	if len(info.Simulators) != len(push.Vendors) {
		t.Fatalf("sandbox has %d simulators, want %d", len(info.Simulators), len(push.Vendors))
	}
	for _, v := range push.Vendors {
		t.Run(v.String(), func(t *testing.T) {
			user := "user-" + v.String()
			var p sandbox.Phone
			if code := n.call(t, "POST", "/v1/admin/sandbox/phones", map[string]string{"vendor": v.String(), "user_id": user, "state": "killed"}, &p); code != 0 {
				t.Fatalf("create phone: error %d", code)
			}
			if p.State != sandbox.Killed || p.CertificateID != n.Sandbox.CertificateID(v) {
				t.Fatalf("phone %+v, want killed and bound to certificate %d", p, n.Sandbox.CertificateID(v))
			}
			n.send(t, user, "hello "+v.String())
			got := n.notifications(t, p.ID, 1)[0]
			if got.Title != "alice" || got.Body != "hello "+v.String() {
				t.Errorf("notification title %q body %q", got.Title, got.Body)
			}
			var tap struct {
				Ext   string           `json:"ext"`
				Click push.ClickAction `json:"click"`
			}
			if code := n.call(t, "POST", "/v1/admin/sandbox/phones/"+p.ID+"/notifications/0/tap", nil, &tap); code != 0 {
				t.Fatalf("tap: error %d", code)
			}
			if tap.Ext != `{"to":"`+user+`"}` {
				t.Errorf("tap ext %q", tap.Ext)
			}
			wantClick := map[push.Vendor]string{push.FCM: "open_app", push.APNs: "open_app"}[v]
			if wantClick == "" {
				wantClick = "open_page"
			}
			if tap.Click.Type != push.ClickType(wantClick) {
				t.Errorf("tap click %+v, want %s", tap.Click, wantClick)
			}
		})
	}
}

// TestSandbox_States: a foreground app gets the message online and no push; sent to
// the background it is pushed; deleted, it is gone and its token unbound.
func TestSandbox_States(t *testing.T) {
	n := MustOpenNode(t)
	var p sandbox.Phone
	n.call(t, "POST", "/v1/admin/sandbox/phones", map[string]string{"vendor": "xiaomi", "user_id": "bob", "state": "foreground"}, &p)
	n.send(t, "bob", "online one")
	waitFor(t, 20*time.Second, func() error {
		n.call(t, "GET", "/v1/admin/sandbox/phones/"+p.ID, nil, &p)
		if len(p.Online) != 1 || p.Online[0].Text != "online one" {
			return fmt.Errorf("online messages %+v", p.Online)
		}
		return nil
	})
	if p.Notifications != 0 {
		t.Errorf("a foreground phone shows %d notifications", p.Notifications)
	}
	for _, st := range []string{"background", "killed", "background"} {
		if code := n.call(t, "PATCH", "/v1/admin/sandbox/phones/"+p.ID, map[string]string{"state": st}, &p); code != 0 || string(p.State) != st {
			t.Fatalf("state %s: error %d, phone %+v", st, code, p)
		}
	}
	n.send(t, "bob", "pushed")
	if got := n.notifications(t, p.ID, 1); got[0].Body != "pushed" {
		t.Errorf("notification %q", got[0].Body)
	}
	var list struct{ Phones []sandbox.Phone }
	n.call(t, "GET", "/v1/admin/sandbox/phones", nil, &list)
	if len(list.Phones) != 1 || list.Phones[0].Notifications != 1 {
		t.Errorf("phones %+v", list.Phones)
	}
	if code := n.call(t, "DELETE", "/v1/admin/sandbox/phones/"+p.ID, nil, nil); code != 0 {
		t.Fatalf("delete: %d", code)
	}
	if code := n.call(t, "GET", "/v1/admin/sandbox/phones/"+p.ID, nil, nil); code != 40002 {
		t.Errorf("a deleted phone answers %d, want 40002", code)
	}
	d, err := n.Store.FindDevice(context.Background(), n.info.SDKAppID, "bob", p.ID)
	if err != nil || d.PushToken != "" {
		t.Errorf("deleted phone's device %+v, %v: want its token unbound", d, err)
	}
}

func TestSandbox_Errors(t *testing.T) {
	n := MustOpenNode(t)
	for _, test := range []struct {
		name string
		body map[string]string
		code int
	}{
		{"ErrVendor", map[string]string{"vendor": "nokia", "user_id": "bob"}, 40001},
		{"ErrState", map[string]string{"vendor": "fcm", "user_id": "bob", "state": "asleep"}, 40001},
		{"ErrUser", map[string]string{"vendor": "fcm", "user_id": ""}, 40004},
	} {
		t.Run(test.name, func(t *testing.T) {
			if code := n.call(t, "POST", "/v1/admin/sandbox/phones", test.body, nil); code != test.code {
				t.Errorf("create phone %v: code %d, want %d", test.body, code, test.code)
			}
		})
	}
	if code := n.call(t, "POST", "/v1/admin/sandbox/phones/nope/notifications/0/tap", nil, nil); code != 40002 {
		t.Errorf("tap on an unknown phone: %d, want 40002", code)
	}
}
