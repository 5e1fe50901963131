package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/herald-im/herald/client"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// testAckTimeout is the ack window of the nodes in these tests.
const testAckTimeout = time.Second

// mustOpenAckNode is a push node whose gateway waits testAckTimeout for acks.
func mustOpenAckNode(t *testing.T, kind string, ackTimeout time.Duration) *pushNode {
	t.Helper()
	sims := MustOpenSims(t)
	cfg := MustConfig(t, kind)
	cfg.PushCAFile = sims.CAFile()
	cfg.PushAckTimeout = ackTimeout
	return withSimCerts(t, &pushNode{node: MustOpenNode(t, cfg), sims: sims, certs: map[push.Vendor]int64{}})
}

// withSimCerts stores each simulator's demo certificate for the test app.
func withSimCerts(tb testing.TB, n *pushNode) *pushNode {
	tb.Helper()
	for _, v := range n.sims.Vendors() {
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

// rawPhone is a bare WebSocket logged in as an Android device, in the foreground,
// with an FCM token bound: a client whose every frame the test controls.
type rawPhone struct {
	conn  *websocket.Conn
	token string
	seq   uint64
}

func mustRawPhone(t *testing.T, n *pushNode, user, deviceID string) *rawPhone {
	t.Helper()
	ctx := ctxT(t)
	c, _, err := websocket.Dial(ctx, n.wsURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	p := &rawPhone{conn: c, token: n.phone(push.FCM)}
	p.call(t, protocol.OpLogin, protocol.LoginRequest{SDKAppID: testAppID, UserID: user, UserSig: sig(t, user), Platform: "Android", DeviceID: deviceID})
	p.call(t, protocol.OpSetPushConfig, protocol.SetPushConfigRequest{CertificateID: n.certs[push.FCM], Token: p.token})
	return p
}

// call sends a request and reads up to its reply, returning the message events read
// on the way.
func (p *rawPhone) call(t *testing.T, op string, req any) []*protocol.Message {
	t.Helper()
	data, _ := json.Marshal(req)
	p.seq++
	f, _ := json.Marshal(protocol.Frame{Seq: p.seq, Op: op, Data: data})
	ctx := ctxT(t)
	if err := p.conn.Write(ctx, websocket.MessageText, f); err != nil {
		t.Fatalf("write %s: %v", op, err)
	}
	var events []*protocol.Message
	for {
		var got protocol.Frame
		if err := p.read(ctx, &got); err != nil {
			t.Fatalf("read %s reply: %v", op, err)
		}
		if got.Seq == 0 {
			if got.Op == protocol.EvMessage {
				m := new(protocol.Message)
				json.Unmarshal(got.Data, m)
				events = append(events, m)
			}
			continue
		}
		if got.Seq != p.seq || got.Code != 0 {
			t.Fatalf("%s: reply %+v", op, got)
		}
		return events
	}
}

func (p *rawPhone) read(ctx context.Context, f *protocol.Frame) error {
	_, data, err := p.conn.Read(ctx)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, f)
}

// readMessage reads frames until a message event.
func (p *rawPhone) readMessage(t *testing.T) *protocol.Message {
	t.Helper()
	ctx := ctxT(t)
	for {
		var f protocol.Frame
		if err := p.read(ctx, &f); err != nil {
			t.Fatalf("read message: %v", err)
		}
		if f.Op == protocol.EvMessage && f.Seq == 0 {
			m := new(protocol.Message)
			json.Unmarshal(f.Data, m)
			return m
		}
	}
}

// unackedPushes reads herald_push_unacked_total from the node's metrics.
func unackedPushes(t *testing.T, n *pushNode) int {
	t.Helper()
	res, err := http.Get("http://" + n.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	m := regexp.MustCompile(`(?m)^herald_push_unacked_total\{reason="(timeout|disconnect)"\} (\d+)`).FindAllSubmatch(body, -1)
	total := 0
	for _, g := range m {
		v, _ := strconv.Atoi(string(g[2]))
		total += v
	}
	return total
}

// recordOf waits for the message's record of deviceID whose decision and outcome
// satisfy ok.
func recordOf(t *testing.T, n *pushNode, messageID, deviceID string, what string, ok func(r *store.PushRecord) bool) *store.PushRecord {
	t.Helper()
	var rec *store.PushRecord
	waitFor(t, fmt.Sprintf("the record of %s: %s", deviceID, what), func() bool {
		rs, _ := n.Store.FindPushRecords(context.Background(), testAppID, messageID)
		for _, r := range rs {
			if r.DeviceID == deviceID && ok(r) {
				rec = r
				return true
			}
		}
		return false
	})
	return rec
}

// A foreground device whose connection died without a FIN stops reading: what is
// written to it is never acknowledged, and it must be pushed within the ack window
// plus one send, once.
func TestPush_UnackedDeliveryIsPushed(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := mustOpenAckNode(t, kind, testAckTimeout)
		n.MustImport("alice", "bob")
		ctx := ctxT(t)
		alice := MustLogin(t, n.node, "alice", "a1", "Windows")
		bob := mustRawPhone(t, n, "bob", "phone")
		before := unackedPushes(t, n)
		// From here bob's phone reads nothing and acknowledges nothing: the server
		// still sees an online, foreground device (the heartbeat timeout is 60 s).
		sent := time.Now()
		m, err := alice.SendMessage(ctx, client.NewTextMessage("are you there?"), "bob", "", "", false, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := n.waitInbox(t, push.FCM, bob.token, 1)
		if d := time.Since(sent); d > testAckTimeout+5*time.Second {
			t.Errorf("pushed after %v, want within the ack window (%v) plus one send", d, testAckTimeout)
		}
		if got[0].Body != "are you there?" {
			t.Errorf("notification body %q", got[0].Body)
		}
		rec := recordOf(t, n, m.ID, "phone", "pushed", func(r *store.PushRecord) bool { return r.Outcome == "accepted" })
		if rec.Decision != "unacked" || rec.Vendor != "fcm" {
			t.Errorf("record: %+v, want decision unacked through fcm", rec)
		}
		if got := unackedPushes(t, n); got != before+1 {
			t.Errorf("herald_push_unacked_total went from %d to %d, want +1", before, got)
		}
		// Once: the connection ending later pushes nothing more.
		bob.conn.CloseNow()
		waitDeviceState(t, n.node, "bob", "phone", store.Offline)
		time.Sleep(testAckTimeout + time.Second)
		if got := n.sim(push.FCM).Sim.Inbox(bob.token); len(got) != 1 {
			t.Errorf("the phone has %d notifications, want 1", len(got))
		}
	})
}

// A connection that ends after a message was written and before it was acknowledged
// gets that message pushed at once, without waiting for the ack window.
func TestPush_UnackedThenDisconnectedIsPushed(t *testing.T) {
	n := mustOpenAckNode(t, "sqlite", time.Minute)
	n.MustImport("alice", "bob")
	ctx := ctxT(t)
	alice := MustLogin(t, n.node, "alice", "a1", "Windows")
	bob := mustRawPhone(t, n, "bob", "phone")
	m, err := alice.SendMessage(ctx, client.NewTextMessage("before the tunnel"), "bob", "", "", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := bob.readMessage(t); got.ID != m.ID {
		t.Fatalf("read message %s, want %s", got.ID, m.ID)
	}
	recordOf(t, n, m.ID, "phone", "foreground", func(r *store.PushRecord) bool { return r.Decision == "foreground" })
	bob.conn.CloseNow() // gone before its ack
	n.waitInbox(t, push.FCM, bob.token, 1)
	rec := recordOf(t, n, m.ID, "phone", "pushed", func(r *store.PushRecord) bool { return r.Outcome == "accepted" })
	if rec.Decision != "unacked" {
		t.Errorf("record: %+v, want decision unacked", rec)
	}
}

// An acknowledged message is never pushed: neither by a raw client acking at once, nor
// by the SDK, which acks what its listener has seen.
func TestPush_AckedDeliveryIsNotPushed(t *testing.T) {
	n := mustOpenAckNode(t, "sqlite", testAckTimeout)
	n.MustImport("alice", "bob", "carol")
	ctx := ctxT(t)
	alice := MustLogin(t, n.node, "alice", "a1", "Windows")
	bob := mustRawPhone(t, n, "bob", "phone")
	carolToken := n.phone(push.FCM)
	carol := MustLogin(t, n.node, "carol", "phone", "Android")
	if err := carol.SetOfflinePushConfig(ctx, n.certs[push.FCM], carolToken); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 3 {
		m, err := alice.SendMessage(ctx, client.NewTextMessage(fmt.Sprintf("hi %d", i)), "bob", "", "", false, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := bob.readMessage(t)
		bob.call(t, protocol.OpAck, protocol.AckRequest{InboxSeq: got.InboxSeq})
		mc, err := alice.SendMessage(ctx, client.NewTextMessage(fmt.Sprintf("hi %d", i)), "carol", "", "", false, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID, mc.ID)
	}
	carol.waitMessages(t, 3)
	// Past the window, and past a disconnect: still nothing.
	time.Sleep(testAckTimeout + 2*time.Second)
	bob.conn.CloseNow()
	carol.Close()
	waitDeviceState(t, n.node, "bob", "phone", store.Offline)
	waitDeviceState(t, n.node, "carol", "phone", store.Offline)
	time.Sleep(time.Second)
	if got := n.sim(push.FCM).Sim.Inbox(bob.token); len(got) != 0 {
		t.Errorf("bob's phone got %d notifications for acknowledged messages", len(got))
	}
	if got := n.sim(push.FCM).Sim.Inbox(carolToken); len(got) != 0 {
		t.Errorf("carol's phone (the SDK) got %d notifications for acknowledged messages", len(got))
	}
	for _, id := range ids {
		rs, _ := n.Store.FindPushRecords(ctx, testAppID, id)
		if len(rs) != 1 || rs[0].Decision != "foreground" {
			t.Errorf("records of %s: %v, want one foreground", id, rs)
		}
	}
}

// The push rules still apply to an unacknowledged delivery: a device of a user who
// muted the sender is not pushed.
func TestPush_UnackedDeliveryFollowsRules(t *testing.T) {
	n := mustOpenAckNode(t, "sqlite", testAckTimeout)
	n.MustImport("alice", "bob")
	ctx := ctxT(t)
	alice := MustLogin(t, n.node, "alice", "a1", "Windows")
	bob := mustRawPhone(t, n, "bob", "phone")
	bob.call(t, protocol.OpSetC2CRecvOpt, map[string]any{"user_ids": []string{"alice"}, "opt": int(client.ReceiveNotNotifyMessage)})
	m, err := alice.SendMessage(ctx, client.NewTextMessage("muted"), "bob", "", "", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	recordOf(t, n, m.ID, "phone", "decided", func(r *store.PushRecord) bool { return r.Decision != "" })
	time.Sleep(testAckTimeout + 2*time.Second)
	bob.conn.CloseNow()
	waitDeviceState(t, n.node, "bob", "phone", store.Offline)
	time.Sleep(time.Second)
	if got := n.sim(push.FCM).Sim.Inbox(bob.token); len(got) != 0 {
		t.Errorf("a muted conversation's unacknowledged message was pushed %d times", len(got))
	}
}
