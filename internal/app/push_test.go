package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/herald-im/herald/client"
	"github.com/herald-im/herald/internal/app"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/internal/vendorsim"
	"github.com/herald-im/herald/internal/vendorsim/simulate"
)

// MustOpenSims starts every vendor simulator on free ports.
func MustOpenSims(tb testing.TB) *simulate.Servers {
	tb.Helper()
	s := simulate.NewServers()
	s.Port, s.Dir, s.Logger = 0, tb.TempDir(), discardLogger()
	if err := s.Open(); err != nil {
		tb.Fatalf("open simulators: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// pushNode is a node wired to the simulators, with each simulator's demo
// certificate stored for the test app.
type pushNode struct {
	*node
	sims  *simulate.Servers
	certs map[push.Vendor]int64
}

func MustOpenPushNode(tb testing.TB, kind string) *pushNode {
	tb.Helper()
	return mustOpenPushNodeWith(tb, kind, nil)
}

// mustOpenPushNodeWith is MustOpenPushNode with configure, when set, changing Main
// before Open.
func mustOpenPushNodeWith(tb testing.TB, kind string, configure func(m *app.Main)) *pushNode {
	tb.Helper()
	sims := MustOpenSims(tb)
	cfg := MustConfig(tb, kind)
	cfg.PushCAFile = sims.CAFile()
	cfg.PushAllowPrivateEndpoints = true // the simulators listen on 127.0.0.1
	n := &pushNode{node: mustOpenNodeWith(tb, cfg, configure), sims: sims, certs: map[push.Vendor]int64{}}
	for _, v := range sims.Vendors() {
		c := *v.Certificate
		c.ID, c.SDKAppID = 0, testAppID
		sc, err := c.ToStored()
		if err != nil {
			tb.Fatal(err)
		}
		if err := n.Store.CreateCertificate(context.Background(), sc); err != nil {
			tb.Fatalf("create %s certificate: %v", v.Vendor, err)
		}
		n.certs[v.Vendor] = sc.ID
	}
	return n
}

func (n *pushNode) sim(v push.Vendor) *simulate.Vendor {
	for _, s := range n.sims.Vendors() {
		if s.Vendor == v {
			return s
		}
	}
	panic("no simulator for " + v)
}

// phone registers a simulated phone for vendor v and returns its token.
func (n *pushNode) phone(v push.Vendor) string {
	s := n.sim(v)
	return s.Sim.Register(s.App)
}

// waitInbox waits until token's phone has at least count notifications.
func (n *pushNode) waitInbox(tb testing.TB, v push.Vendor, token string, count int) []vendorsim.Delivered {
	tb.Helper()
	var got []vendorsim.Delivered
	waitFor(tb.(*testing.T), fmt.Sprintf("%d notifications on the %s phone", count, v), func() bool {
		got = n.sim(v).Sim.Inbox(token)
		return len(got) >= count
	})
	return got
}

// waitRecord waits until the message's record for device has an outcome other than queued.
func (n *pushNode) waitRecord(t *testing.T, messageID, deviceID string) *store.PushRecord {
	t.Helper()
	var rec *store.PushRecord
	waitFor(t, "the push record of "+deviceID, func() bool {
		rs, _ := n.Store.FindPushRecords(context.Background(), testAppID, messageID)
		for _, r := range rs {
			if r.DeviceID == deviceID && r.Outcome != "queued" && r.Outcome != store.OutcomeSending {
				rec = r
				return true
			}
		}
		return false
	})
	return rec
}

func platformOf(v push.Vendor) string {
	if v == push.APNs {
		return "iOS"
	}
	return "Android"
}

func TestPush_EveryVendor(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenPushNode(t, kind)
		n.MustImport("alice")
		ctx := ctxT(t)
		alice := MustLogin(t, n.node, "alice", "a1", "Android")
		for _, v := range push.Vendors {
			t.Run(string(v), func(t *testing.T) {
				user := "u_" + string(v)
				n.MustImport(user)
				token := n.phone(v)
				dev := MustLogin(t, n.node, user, "phone", platformOf(v))
				if err := dev.SetOfflinePushConfig(ctx, n.certs[v], token); err != nil {
					t.Fatalf("set push config: %v", err)
				}
				dev.Close() // the app is killed: logged in, not connected
				waitDeviceState(t, n.node, user, "phone", store.Offline)

				info := &client.OfflinePushInfo{Ext: `{"open":"chat"}`}
				m, err := alice.SendMessage(ctx, client.NewTextMessage("hello "+string(v)), user, "", "", false, info)
				if err != nil {
					t.Fatal(err)
				}
				got := n.waitInbox(t, v, token, 1)[0]
				if got.Title != "Nick alice" || got.Body != "hello "+string(v) || got.Ext != `{"open":"chat"}` {
					t.Errorf("notification: title %q body %q ext %q", got.Title, got.Body, got.Ext)
				}
				rec := n.waitRecord(t, m.ID, "phone")
				if rec.Decision != "push" || rec.Outcome != "accepted" || rec.Vendor != string(v) || rec.VendorMessageID == "" {
					t.Errorf("record: %+v", rec)
				}
			})
		}
	})
}

func TestPush_Rules(t *testing.T) {
	n := MustOpenPushNode(t, "sqlite")
	n.MustImport("alice", "bob")
	ctx := ctxT(t)
	alice := MustLogin(t, n.node, "alice", "a1", "Windows")
	token := n.phone(push.APNs)
	bob := MustLogin(t, n.node, "bob", "iphone", "iOS")
	if err := bob.SetOfflinePushConfig(ctx, n.certs[push.APNs], token); err != nil {
		t.Fatal(err)
	}
	send := func(text string) string {
		t.Helper()
		m, err := alice.SendMessage(ctx, client.NewTextMessage(text), "bob", "", "", false, nil)
		if err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	decision := func(id string) string {
		t.Helper()
		var d string
		waitFor(t, "a record for "+id, func() bool {
			rs, _ := n.Store.FindPushRecords(ctx, testAppID, id)
			if len(rs) == 1 {
				d = rs[0].Decision
			}
			return d != ""
		})
		return d
	}

	// Foreground: delivered online, no push.
	if d := decision(send("fg")); d != "foreground" {
		t.Errorf("foreground: decision %q", d)
	}
	// Background: pushed, badge seeded by DoBackground and incremented per push.
	if err := bob.DoBackground(ctx, 5); err != nil {
		t.Fatal(err)
	}
	id := send("bg")
	if d := decision(id); d != "push" {
		t.Errorf("background: decision %q", d)
	}
	got := n.waitInbox(t, push.APNs, token, 1)
	if got[0].Badge == nil || *got[0].Badge != 6 {
		t.Errorf("badge: %v, want 6", got[0].Badge)
	}
	// Back in the foreground: no push again.
	if err := bob.DoForeground(ctx); err != nil {
		t.Fatal(err)
	}
	if d := decision(send("fg2")); d != "foreground" {
		t.Errorf("foreground again: decision %q", d)
	}
	// Receive without notification: no push even when offline.
	bob.DoBackground(ctx, 0)
	if err := bob.SetC2CReceiveMessageOpt(ctx, []string{"alice"}, client.ReceiveNotNotifyMessage); err != nil {
		t.Fatal(err)
	}
	if d := decision(send("muted")); d != "no_notify" {
		t.Errorf("muted: decision %q", d)
	}
	// The admin API notifies regardless, unless it asks to honour the setting.
	var sent struct{ Message client.Message }
	n.admin("POST", "/v1/admin/messages", map[string]any{"from": "alice", "to": "bob", "elements": []map[string]string{{"type": "text", "text": "from admin"}}}, &sent)
	if d := decision(sent.Message.ID); d != "push" {
		t.Errorf("admin send to a muted user: decision %q, want push", d)
	}
	n.admin("POST", "/v1/admin/messages", map[string]any{"from": "alice", "to": "bob", "with_mute_notifications": true, "elements": []map[string]string{{"type": "text", "text": "polite"}}}, &sent)
	if d := decision(sent.Message.ID); d != "no_notify" {
		t.Errorf("admin send with_mute_notifications: decision %q, want no_notify", d)
	}
	bob.SetC2CReceiveMessageOpt(ctx, []string{"alice"}, client.ReceiveMessage)
	// Disabled by the sender: no record at all.
	m, _ := alice.SendMessage(ctx, client.NewTextMessage("quiet"), "bob", "", "", false, &client.OfflinePushInfo{DisablePush: true})
	// A custom message without a description: not pushed.
	if d := decision(func() string {
		m, _ := alice.SendMessage(ctx, client.NewCustomMessage(`{"x":1}`, "", ""), "bob", "", "", false, nil)
		return m.ID
	}()); d != "custom_no_desc" {
		t.Errorf("custom without desc: decision %q", d)
	}
	if rs, _ := n.Store.FindPushRecords(ctx, testAppID, m.ID); len(rs) != 0 {
		t.Errorf("a push-disabled message has %d records", len(rs))
	}
	// Logout unbinds: nothing more.
	if err := bob.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if d := decision(send("after logout")); d != "logged_out" {
		t.Errorf("after logout: decision %q", d)
	}
	if n := len(n.sim(push.APNs).Sim.Inbox(token)); n != 2 {
		t.Errorf("the phone got %d notifications, want the background one and the admin's", n)
	}
}

func TestPush_TokenLifecycle(t *testing.T) {
	n := MustOpenPushNode(t, "sqlite")
	n.MustImport("alice", "bob", "carol")
	ctx := ctxT(t)
	alice := MustLogin(t, n.node, "alice", "a1", "Windows")
	token := n.phone(push.Xiaomi)

	// bob binds the phone's token, then carol logs in on the same phone: the token moves.
	bob := MustLogin(t, n.node, "bob", "mi-bob", "Android")
	bob.SetOfflinePushConfig(ctx, n.certs[push.Xiaomi], token)
	bob.Close()
	carol := MustLogin(t, n.node, "carol", "mi-carol", "Android")
	if err := carol.SetOfflinePushConfig(ctx, n.certs[push.Xiaomi], token); err != nil {
		t.Fatal(err)
	}
	carol.Close()
	waitDeviceState(t, n.node, "carol", "mi-carol", store.Offline)
	d, _ := n.Store.FindDevice(ctx, testAppID, "bob", "mi-bob")
	if d.PushToken != "" {
		t.Errorf("bob still holds the moved token")
	}
	m, _ := alice.SendMessage(ctx, client.NewTextMessage("to bob"), "bob", "", "", false, nil)
	waitFor(t, "bob's record", func() bool {
		rs, _ := n.Store.FindPushRecords(ctx, testAppID, m.ID)
		return len(rs) == 1 && rs[0].Decision == "no_token"
	})

	// The vendor says the token is gone: the record says so and the device is unbound.
	n.sim(push.Xiaomi).Sim.Unregister(token)
	m, _ = alice.SendMessage(ctx, client.NewTextMessage("to carol"), "carol", "", "", false, nil)
	if rec := n.waitRecord(t, m.ID, "mi-carol"); rec.Outcome != "invalid_token" {
		t.Errorf("record: %+v", rec)
	}
	waitFor(t, "carol's device unbound", func() bool {
		d, _ := n.Store.FindDevice(ctx, testAppID, "carol", "mi-carol")
		return d.PushToken == ""
	})

	// A certificate of the wrong vendor for the platform is refused.
	dave := MustLogin(t, n.node, "alice", "a-ios", "iOS")
	if err := dave.SetOfflinePushConfig(ctx, n.certs[push.Xiaomi], "x"); errCode(err) != 40001 {
		t.Errorf("xiaomi certificate on iOS: %v, want 40001", err)
	}
	if err := dave.SetOfflinePushConfig(ctx, 999999, "x"); errCode(err) != 40001 {
		t.Errorf("unknown certificate: %v, want 40001", err)
	}
}

func TestPush_RetryAfterThrottle(t *testing.T) {
	n := MustOpenPushNode(t, "sqlite")
	n.MustImport("alice", "bob")
	ctx := ctxT(t)
	alice := MustLogin(t, n.node, "alice", "a1", "Windows")
	token := n.phone(push.Huawei)
	bob := MustLogin(t, n.node, "bob", "hw", "Android")
	if err := bob.SetOfflinePushConfig(ctx, n.certs[push.Huawei], token); err != nil {
		t.Fatal(err)
	}
	bob.Close()
	waitDeviceState(t, n.node, "bob", "hw", store.Offline)
	n.sim(push.Huawei).Sim.Inject(vendorsim.Fault{Kind: vendorsim.Throttle, Count: 1, RetryAfter: time.Second})
	m, _ := alice.SendMessage(ctx, client.NewTextMessage("eventually"), "bob", "", "", false, nil)
	got := n.waitInbox(t, push.Huawei, token, 1)
	if got[0].Body != "eventually" {
		t.Errorf("body %q", got[0].Body)
	}
	rec := n.waitRecord(t, m.ID, "hw")
	if rec.Outcome != "accepted" || rec.Attempts != 2 {
		t.Errorf("record after a throttled try: %+v", rec)
	}
}

// TestPush_SurvivesRestart: a push that could not be sent before the node stopped is
// sent after it starts again; nothing is lost with the process.
func TestPush_SurvivesRestart(t *testing.T) {
	sims := MustOpenSims(t)
	cfg := MustConfig(t, "sqlite")
	cfg.PushCAFile = sims.CAFile()
	cfg.PushAllowPrivateEndpoints = true // the simulators listen on 127.0.0.1
	n := &pushNode{node: MustOpenNode(t, cfg), sims: sims, certs: map[push.Vendor]int64{}}
	v := n.sim(push.OPPO)
	c := *v.Certificate
	c.ID, c.SDKAppID = 0, testAppID
	sc, _ := c.ToStored()
	if err := n.Store.CreateCertificate(ctxT(t), sc); err != nil {
		t.Fatal(err)
	}
	n.MustImport("alice", "bob")
	ctx := ctxT(t)
	token := n.phone(push.OPPO)
	bob := MustLogin(t, n.node, "bob", "oppo", "Android")
	if err := bob.SetOfflinePushConfig(ctx, sc.ID, token); err != nil {
		t.Fatal(err)
	}
	bob.Close()
	waitDeviceState(t, n.node, "bob", "oppo", store.Offline)

	// The vendor is down while the message is sent, and the node stops meanwhile.
	v.Sim.Inject(vendorsim.Fault{Kind: vendorsim.ServerError, Until: time.Now().Add(time.Hour)})
	alice := MustLogin(t, n.node, "alice", "a1", "Windows")
	m, err := alice.SendMessage(ctx, client.NewTextMessage("while down"), "bob", "", "", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a failed first try", func() bool {
		rs, _ := n.Store.FindPushRecords(ctx, testAppID, m.ID)
		return len(rs) == 1 && rs[0].Attempts >= 1
	})
	alice.Close()
	addr := n.Addr()
	n.Close()

	// The vendor recovers; the node starts again on the same data.
	v.Sim.ClearFaults()
	cfg.Listen = addr
	n2 := &pushNode{node: MustOpenNode(t, cfg), sims: sims}
	got := n2.waitInbox(t, push.OPPO, token, 1)
	if got[0].Body != "while down" {
		t.Errorf("body %q", got[0].Body)
	}
	if rec := n2.waitRecord(t, m.ID, "oppo"); rec.Outcome != "accepted" || rec.Attempts < 2 {
		t.Errorf("record: %+v", rec)
	}
}

// TestPush_KickedDeviceGetsNone: a device displaced by the multi-device policy is
// logged out and its token unbound; it gets no push, while the new device does.
func TestPush_KickedDeviceGetsNone(t *testing.T) {
	n := MustOpenPushNode(t, "sqlite")
	n.MustImport("alice", "bob")
	ctx := ctxT(t)
	oldToken, newToken := n.phone(push.Vivo), n.phone(push.Vivo)
	old := MustLogin(t, n.node, "bob", "old-phone", "Android")
	if err := old.SetOfflinePushConfig(ctx, n.certs[push.Vivo], oldToken); err != nil {
		t.Fatal(err)
	}
	fresh := MustLogin(t, n.node, "bob", "new-phone", "Android")
	old.waitFor(t, "kicked", func(d *device) bool { return len(d.kicked) == 1 })
	if err := fresh.SetOfflinePushConfig(ctx, n.certs[push.Vivo], newToken); err != nil {
		t.Fatal(err)
	}
	fresh.Close()
	waitDeviceState(t, n.node, "bob", "new-phone", store.Offline)

	alice := MustLogin(t, n.node, "alice", "a1", "Windows")
	m, _ := alice.SendMessage(ctx, client.NewTextMessage("who gets it"), "bob", "", "", false, nil)
	n.waitInbox(t, push.Vivo, newToken, 1)
	rs, _ := n.Store.FindPushRecords(ctx, testAppID, m.ID)
	for _, r := range rs {
		if r.DeviceID == "old-phone" && r.Decision != "logged_out" {
			t.Errorf("kicked device: decision %q, want logged_out", r.Decision)
		}
	}
	if got := len(n.sim(push.Vivo).Sim.Inbox(oldToken)); got != 0 {
		t.Errorf("the kicked phone got %d notifications", got)
	}
}
