package app_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/herald-im/herald/client"
	"github.com/herald-im/herald/internal/app"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/push/pipeline"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/internal/vendorsim"
)

// TestRecall_WithdrawsNotification recalls a pushed message per vendor and checks that
// the simulated phone received a replacement with the original's replace key (APNs
// collapse ID, FCM tag, Huawei/Honor tag and notify ID, Xiaomi/OPPO/vivo notify ID,
// Meizu notify key) and none of its text, and that its lock screen shows the
// replacement in the original's place, beside an unrelated message it keeps.
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
				if _, err := alice.SendMessage(ctx, client.NewTextMessage("kept "+string(v)), user, "", "", false, nil); err != nil {
					t.Fatal(err)
				}
				n.waitInbox(t, v, token, 2)
				if shown := n.sim(v).Sim.Shown(token); len(shown) != 2 {
					t.Fatalf("before the recall the phone shows %d notifications, want 2", len(shown))
				}
				if orig.CollapseID == "" && orig.NotifyID == "" {
					t.Fatalf("the original notification has no replace key: %+v", orig)
				}
				if _, err := alice.RevokeMessage(ctx, m); err != nil {
					t.Fatal(err)
				}
				got := n.waitInbox(t, v, token, 3)
				repl := got[2]
				if repl.Body != push.RecalledBody || repl.Title != orig.Title {
					t.Errorf("replacement title %q body %q, want %q %q", repl.Title, repl.Body, orig.Title, push.RecalledBody)
				}
				if repl.CollapseID != orig.CollapseID || repl.NotifyID != orig.NotifyID {
					t.Errorf("replacement key collapse %q notify %q, want the original's %q %q", repl.CollapseID, repl.NotifyID, orig.CollapseID, orig.NotifyID)
				}
				if contains(repl.Ext, "secret") || contains(string(repl.Raw), "secret") {
					t.Errorf("the replacement carries the recalled text: %s", repl.Raw)
				}
				shown := n.sim(v).Sim.Shown(token)
				if len(shown) != 2 || shown[0].Body != push.RecalledBody || shown[1].Body != "kept "+string(v) {
					t.Errorf("the lock screen shows %s, want the replacement in the original's place, then the kept message", bodies(shown))
				}
				// The phone may have it before its answer is recorded.
				waitFor(t, "the push and the recall accepted in the trace", func() bool {
					var kinds []string
					for _, r := range n.trace(t, m.ID) {
						kinds = append(kinds, r.Kind+":"+r.Outcome)
					}
					return strings.Join(kinds, ",") == ":accepted,recall:accepted"
				})
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

// traceRecord is one record of GET /v1/admin/push/messages/{id}/trace.
type traceRecord struct {
	UserID                                  string `json:"user_id"`
	DeviceID                                string `json:"device_id"`
	Kind, Decision, Vendor, Outcome, Reason string
	Attempts                                int
}

func (n *pushNode) trace(t *testing.T, messageID string) []traceRecord {
	t.Helper()
	var tr struct{ Records []traceRecord }
	n.adminJSON("GET", "/v1/admin/push/messages/"+messageID+"/trace", nil, &tr)
	return tr.Records
}

// mustOpenRecallNode is a push node whose pipeline retries within a test's time.
func mustOpenRecallNode(t *testing.T, kind string) *pushNode {
	return mustOpenPushNodeWith(t, kind, func(m *app.Main) {
		m.ConfigurePipeline = func(p *pipeline.Pipeline) {
			p.MaxBackoff = 100 * time.Millisecond
			p.SweepAfter, p.SweepEvery = 300*time.Millisecond, 100*time.Millisecond
		}
	})
}

// offlinePhone binds a phone of vendor v to user's device "phone" and leaves the app
// killed, so that messages to user are pushed.
func (n *pushNode) offlinePhone(t *testing.T, user string, v push.Vendor) string {
	t.Helper()
	n.MustImport(user)
	token := n.phone(v)
	dev := MustLogin(t, n.node, user, "phone", platformOf(v))
	if err := dev.SetOfflinePushConfig(ctxT(t), n.certs[v], token); err != nil {
		t.Fatal(err)
	}
	dev.Close()
	waitDeviceState(t, n.node, user, "phone", store.Offline)
	return token
}

// TestRecall_VendorOutage: the vendor is down when a message is recalled; the
// replacement is a push of the pipeline's, retried with its backoff, and reaches the
// phone once the vendor is back. The trace shows the message's push and the recall's,
// with its tries.
func TestRecall_VendorOutage(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := mustOpenRecallNode(t, kind)
		n.MustImport("alice")
		ctx := ctxT(t)
		alice := MustLogin(t, n.node, "alice", "a1", "Windows")
		for _, v := range []push.Vendor{push.Huawei, push.APNs} {
			t.Run(string(v), func(t *testing.T) {
				user := "o_" + string(v)
				token := n.offlinePhone(t, user, v)
				m, err := alice.SendMessage(ctx, client.NewTextMessage("secret"), user, "", "", false, nil)
				if err != nil {
					t.Fatal(err)
				}
				n.waitInbox(t, v, token, 1)
				n.waitRecord(t, m.ID, "phone")

				sim := n.sim(v).Sim
				sim.Inject(vendorsim.Fault{Kind: vendorsim.ServerError, Count: 4})
				if _, err := alice.RevokeMessage(ctx, m); err != nil {
					t.Fatal(err)
				}
				var recall traceRecord
				waitFor(t, "an accepted replacement in the trace", func() bool {
					for _, r := range n.trace(t, m.ID) {
						if r.Kind == "recall" && r.Outcome == "accepted" {
							recall = r
							return true
						}
					}
					return false
				})
				if recall.Attempts != 5 || recall.Vendor != string(v) || recall.Decision != "push" || recall.DeviceID != "phone" {
					t.Errorf("the replacement's record: %+v, want accepted by %s at the 5th try (4 refused)", recall, v)
				}
				got := n.waitInbox(t, v, token, 2)
				if len(got) != 2 || got[1].Body != push.RecalledBody {
					t.Fatalf("inbox after the outage: %+v, want the original then the replacement", got)
				}
				if shown := sim.Shown(token); len(shown) != 1 || shown[0].Body != push.RecalledBody {
					t.Errorf("the phone shows %+v, want only the replacement", shown)
				}
				var orig int
				for _, r := range n.trace(t, m.ID) {
					if r.Kind == "" && r.Outcome == "accepted" {
						orig++
					}
				}
				if orig != 1 {
					t.Errorf("trace %+v: want the message's own accepted push beside the recall's", n.trace(t, m.ID))
				}
			})
		}
	})
}

// TestRecall_QueuedPushNotSent: a message recalled while its push still waits for a
// vendor that is down is never shown: the push is answered "recalled" at its next try,
// and there is nothing to replace.
func TestRecall_QueuedPushNotSent(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := mustOpenRecallNode(t, kind)
		n.MustImport("alice")
		ctx := ctxT(t)
		token := n.offlinePhone(t, "bob", push.Xiaomi)
		sim := n.sim(push.Xiaomi).Sim
		sim.Inject(vendorsim.Fault{Kind: vendorsim.ServerError, Until: time.Now().Add(time.Hour)})
		alice := MustLogin(t, n.node, "alice", "a1", "Windows")
		m, err := alice.SendMessage(ctx, client.NewTextMessage("secret"), "bob", "", "", false, nil)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "a refused first try", func() bool {
			rs := n.trace(t, m.ID)
			return len(rs) == 1 && rs[0].Attempts >= 1
		})
		if _, err := alice.RevokeMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
		sim.ClearFaults()
		waitFor(t, "the queued push answered recalled", func() bool {
			rs := n.trace(t, m.ID)
			return len(rs) == 1 && rs[0].Outcome == pipeline.OutcomeRecalled
		})
		// The recall is planned (nothing left in flight) and queued no replacement.
		waitFor(t, "the recall planned", func() bool {
			ks, _ := n.Store.FindWithdrawPending(ctx, time.Now(), 10)
			return len(ks) == 0
		})
		if got := sim.Inbox(token); len(got) != 0 {
			t.Errorf("the phone got %+v, want nothing", got)
		}
		if rs := n.trace(t, m.ID); len(rs) != 1 {
			t.Errorf("trace %+v, want the message's push only", rs)
		}
	})
}

// TestRecall_SweptWhenLost: a recall whose replacement planning was never queued (the
// node died after the commit, or NATS was down) is planned by the recall sweep.
func TestRecall_SweptWhenLost(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := mustOpenRecallNode(t, kind)
		n.MustImport("alice")
		ctx := ctxT(t)
		token := n.offlinePhone(t, "bob", push.Vivo)
		alice := MustLogin(t, n.node, "alice", "a1", "Windows")
		m, err := alice.SendMessage(ctx, client.NewTextMessage("secret"), "bob", "", "", false, nil)
		if err != nil {
			t.Fatal(err)
		}
		n.waitInbox(t, push.Vivo, token, 1)
		n.waitRecord(t, m.ID, "phone")
		// The recall commits, and its hook never runs.
		if _, err := n.Store.RecallMessage(ctx, testAppID, &store.Recall{MessageID: m.ID, By: "alice", At: time.Now()}, []string{"alice", "bob"}); err != nil {
			t.Fatal(err)
		}
		got := n.waitInbox(t, push.Vivo, token, 2)
		if got[1].Body != push.RecalledBody {
			t.Errorf("second notification %+v, want the replacement", got[1])
		}
		if shown := n.sim(push.Vivo).Sim.Shown(token); len(shown) != 1 || shown[0].Body != push.RecalledBody {
			t.Errorf("the phone shows %+v, want only the replacement", shown)
		}
	})
}

func bodies(ds []vendorsim.Delivered) string {
	var b []string
	for _, d := range ds {
		b = append(b, fmt.Sprintf("%q", d.Body))
	}
	return "[" + strings.Join(b, " ") + "]"
}
