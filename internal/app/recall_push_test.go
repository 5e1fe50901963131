package app_test

import (
	"testing"
	"time"

	"github.com/herald-im/herald/client"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/store"
)

// TestRecall_WithdrawsNotification recalls a pushed message per vendor and checks that
// the simulated phone received a replacement with the original's replace key (APNs
// collapse ID, FCM tag, Huawei/Honor tag, Xiaomi/OPPO/vivo notify ID, Meizu notify key)
// and none of its text.
func TestRecall_WithdrawsNotification(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenPushNode(t, kind)
		n.MustImport("alice")
		ctx := ctxT(t)
		alice := MustLogin(t, n.node, "alice", "a1", "Android")
		for _, v := range push.Vendors {
			t.Run(string(v), func(t *testing.T) {
				user := "r_" + string(v)
				n.MustImport(user)
				token := n.phone(v)
				dev := MustLogin(t, n.node, user, "phone", platformOf(v))
				if err := dev.SetOfflinePushConfig(ctx, n.certs[v], token); err != nil {
					t.Fatal(err)
				}
				dev.Close()
				waitDeviceState(t, n.node, user, "phone", store.Offline)
				m, err := alice.SendMessage(ctx, client.NewTextMessage("secret "+string(v)), user, "", "", false, nil)
				if err != nil {
					t.Fatal(err)
				}
				orig := n.waitInbox(t, v, token, 1)[0]
				n.waitRecord(t, m.ID, "phone")
				if orig.CollapseID == "" && orig.NotifyID == "" {
					t.Fatalf("the original notification has no replace key: %+v", orig)
				}
				if _, err := alice.RevokeMessage(ctx, m); err != nil {
					t.Fatal(err)
				}
				got := n.waitInbox(t, v, token, 2)
				repl := got[1]
				if repl.Body != push.RecalledBody || repl.Title != orig.Title {
					t.Errorf("replacement title %q body %q, want %q %q", repl.Title, repl.Body, orig.Title, push.RecalledBody)
				}
				if repl.CollapseID != orig.CollapseID || repl.NotifyID != orig.NotifyID {
					t.Errorf("replacement key collapse %q notify %q, want the original's %q %q", repl.CollapseID, repl.NotifyID, orig.CollapseID, orig.NotifyID)
				}
				if contains(repl.Ext, "secret") || contains(string(repl.Raw), "secret") {
					t.Errorf("the replacement carries the recalled text: %s", repl.Raw)
				}
			})
		}
	})
}

// TestPush_TTLCollapsePriority: the per-message push fields reach the APNs simulator
// from the client SDK and from /v4 sendmsg (MsgLifeTime is the offline lifetime).
func TestPush_TTLCollapsePriority(t *testing.T) {
	n := MustOpenPushNode(t, "sqlite")
	n.MustImport("alice", "bob")
	ctx := ctxT(t)
	token := n.phone(push.APNs)
	dev := MustLogin(t, n.node, "bob", "phone", "iOS")
	if err := dev.SetOfflinePushConfig(ctx, n.certs[push.APNs], token); err != nil {
		t.Fatal(err)
	}
	dev.Close()
	waitDeviceState(t, n.node, "bob", "phone", store.Offline)
	alice := MustLogin(t, n.node, "alice", "a", "Android")
	info := &client.OfflinePushInfo{TTL: 3600, CollapseID: "score", PushPriority: "normal"}
	if _, err := alice.SendMessage(ctx, client.NewTextMessage("1:0"), "bob", "", "", false, info); err != nil {
		t.Fatal(err)
	}
	got := n.waitInbox(t, push.APNs, token, 1)[0]
	if got.CollapseID != "score" || got.Priority != "5" || got.TTL < 3590*time.Second || got.TTL > 3600*time.Second {
		t.Errorf("client send: collapse %q priority %q ttl %v, want score, 5, 1h", got.CollapseID, got.Priority, got.TTL)
	}
	if _, err := alice.SendMessage(ctx, client.NewTextMessage("x"), "bob", "", "", false, &client.OfflinePushInfo{TTL: -1}); errCode(err) != 40001 {
		t.Errorf("a negative ttl: %v, want 40001", err)
	}
	n.node.v4(t, "openim/sendmsg", `{"From_Account":"alice","To_Account":"bob","MsgLifeTime":600,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"soon stale"}}]}`, 0)
	got = n.waitInbox(t, push.APNs, token, 2)[1]
	if got.TTL < 590*time.Second || got.TTL > 600*time.Second || got.Priority != "10" {
		t.Errorf("sendmsg MsgLifeTime 600: ttl %v priority %q, want 10m and 10", got.TTL, got.Priority)
	}
}
