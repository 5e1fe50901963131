package app_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/app"
	"github.com/herald-im/herald/internal/bus/bustest"
	"github.com/herald-im/herald/internal/cluster"
	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/push/pipeline"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/internal/vendorsim"
	"github.com/herald-im/herald/internal/vendorsim/simulate"
	"github.com/herald-im/herald/protocol"
)

// addSimCertificate stores the demo certificate of sims' vendor v for the test app.
func addSimCertificate(tb testing.TB, st store.Store, sims *simulate.Servers, v push.Vendor) int64 {
	tb.Helper()
	for _, s := range sims.Vendors() {
		if s.Vendor != v {
			continue
		}
		c := *s.Certificate
		c.ID, c.SDKAppID = 0, testAppID
		sc, err := c.ToStored()
		if err != nil {
			tb.Fatal(err)
		}
		if err := st.CreateCertificate(context.Background(), sc); err != nil {
			tb.Fatal(err)
		}
		return sc.ID
	}
	tb.Fatalf("no simulator for %s", v)
	return 0
}

// mustPhones imports users, each with one device that is logged in, not connected,
// and bound to a new phone of sims' vendor v; it returns the tokens by user.
func mustPhones(tb testing.TB, st store.Store, sims *simulate.Servers, v push.Vendor, cert int64, users []string) map[string]string {
	tb.Helper()
	ctx := context.Background()
	var sim *simulate.Vendor
	for _, s := range sims.Vendors() {
		if s.Vendor == v {
			sim = s
		}
	}
	tokens := map[string]string{}
	for _, u := range users {
		if err := st.CreateAccounts(ctx, []*store.Account{{SDKAppID: testAppID, UserID: u}}); err != nil {
			tb.Fatal(err)
		}
		now := time.Now()
		if err := st.UpsertDevice(ctx, &store.Device{SDKAppID: testAppID, UserID: u, DeviceID: "phone", Platform: store.Android,
			State: store.Offline, LoginAt: now, LastSeen: now}); err != nil {
			tb.Fatal(err)
		}
		tokens[u] = sim.Sim.Register(sim.App)
		if _, err := st.BindPushToken(ctx, testAppID, u, "phone", cert, tokens[u]); err != nil {
			tb.Fatal(err)
		}
	}
	return tokens
}

// waitEachOnce waits until every token's phone has a notification, and fails if one
// has more than one.
func waitEachOnce(t *testing.T, sims *simulate.Servers, v push.Vendor, tokens map[string]string, within time.Duration) {
	t.Helper()
	var sim *simulate.Vendor
	for _, s := range sims.Vendors() {
		if s.Vendor == v {
			sim = s
		}
	}
	deadline := time.Now().Add(within)
	for {
		missing := 0
		for u, tok := range tokens {
			switch n := len(sim.Sim.Inbox(tok)); {
			case n > 1:
				t.Fatalf("%s's phone got %d notifications; want 1", u, n)
			case n == 0:
				missing++
			}
		}
		if missing == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d phones got no notification", missing, len(tokens))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func sendText(t *testing.T, n *node, from, to, text string) {
	t.Helper()
	_, err := n.IM.Send(ctxT(t), im.SendParams{SDKAppID: testAppID, From: from, ByAdmin: true,
		Request: protocol.SendRequest{To: to, Elements: []protocol.Element{{Type: protocol.ElemText, Text: text}}}})
	if err != nil {
		t.Fatalf("send to %s: %v", to, err)
	}
}

// Two deployments on one NATS: each takes only its own push jobs, so none is lost.
// (With one fixed stream and consumer name, a node took the other deployment's plan
// jobs, found no such message and dropped them.)
func TestDurable_TwoDeploymentsOneNATS(t *testing.T) {
	url := os.Getenv("HERALD_TEST_NATS")
	if url == "" {
		t.Skip("HERALD_TEST_NATS is not set")
	}
	sims := MustOpenSims(t)
	var nodes []*node
	var phones []map[string]string
	for i := range 2 {
		c := MustConfig(t, "sqlite")
		c.NATS, c.PushCAFile = url, sims.CAFile()
		n := MustOpenNode(t, c)
		cert := addSimCertificate(t, n.Store, sims, push.Xiaomi)
		var users []string
		for j := range 20 {
			users = append(users, fmt.Sprintf("d%d_u%02d", i, j))
		}
		if err := n.Store.CreateAccounts(context.Background(), []*store.Account{{SDKAppID: testAppID, UserID: "alice"}}); err != nil {
			t.Fatal(err)
		}
		nodes, phones = append(nodes, n), append(phones, mustPhones(t, n.Store, sims, push.Xiaomi, cert, users))
	}
	for i, n := range nodes {
		for u := range phones[i] {
			sendText(t, n, "alice", u, "hello "+u)
		}
	}
	for i := range nodes {
		waitEachOnce(t, sims, push.Xiaomi, phones[i], 20*time.Second)
	}
}

// NATS goes down while messages are sent, and the node is restarted before it comes
// back: every message is stored (the send API answers OK) and every push arrives once
// NATS is back, because the stored messages wait in the store, push-pending, for the
// sweep. (The plan jobs that could not be published were lost before.)
func TestDurable_NATSOutage(t *testing.T) {
	sims := MustOpenSims(t)
	natsDir := t.TempDir()
	srv := bustest.StartNATS(t, natsDir, 0)
	port := srv.Addr().(*net.TCPAddr).Port
	c := MustConfig(t, "sqlite")
	c.NATS, c.PushCAFile = srv.ClientURL(), sims.CAFile()
	sweepSoon := func(m *app.Main) {
		m.ConfigurePipeline = func(p *pipeline.Pipeline) { p.SweepAfter, p.SweepEvery = 500*time.Millisecond, 200*time.Millisecond }
	}
	n := mustOpenNodeWith(t, c, sweepSoon)
	cert := addSimCertificate(t, n.Store, sims, push.Huawei)
	var users []string
	for j := range 20 {
		users = append(users, fmt.Sprintf("u%02d", j))
	}
	if err := n.Store.CreateAccounts(context.Background(), []*store.Account{{SDKAppID: testAppID, UserID: "alice"}}); err != nil {
		t.Fatal(err)
	}
	phones := mustPhones(t, n.Store, sims, push.Huawei, cert, users)

	srv.Shutdown()
	srv.WaitForShutdown()
	start := time.Now()
	for _, u := range users {
		sendText(t, n, "alice", u, "while NATS is down")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("20 sends took %v with NATS down; the send must not wait for NATS", d)
	}
	n.Close()

	bustest.StartNATS(t, natsDir, port)
	c2 := c
	n2 := mustOpenNodeWith(t, c2, sweepSoon)
	_ = n2
	waitEachOnce(t, sims, push.Huawei, phones, 30*time.Second)
}

// Xiaomi (21301) and Meizu (1006) refuse a request's credentials once: the push is
// tried again and arrives. (It was recorded auth_expired and given up before.)
func TestDurable_AuthRefusalRetried(t *testing.T) {
	for _, v := range []push.Vendor{push.Xiaomi, push.Meizu} {
		t.Run(string(v), func(t *testing.T) {
			sims := MustOpenSims(t)
			c := MustConfig(t, "sqlite")
			c.PushCAFile = sims.CAFile()
			n := MustOpenNode(t, c)
			cert := addSimCertificate(t, n.Store, sims, v)
			if err := n.Store.CreateAccounts(context.Background(), []*store.Account{{SDKAppID: testAppID, UserID: "alice"}}); err != nil {
				t.Fatal(err)
			}
			phones := mustPhones(t, n.Store, sims, v, cert, []string{"bob"})
			for _, s := range sims.Vendors() {
				if s.Vendor == v {
					s.Sim.Inject(vendorsim.Fault{Kind: vendorsim.AuthExpired, Count: 1})
				}
			}
			sendText(t, n, "alice", "bob", "after an auth refusal")
			waitEachOnce(t, sims, v, phones, 20*time.Second)
		})
	}
}

// A node killed without a word leaves its devices "online" in the store: nothing
// delivers to them, and the push rules held their pushes back as if they were in the
// foreground. The node restarted (a new incarnation) finds the old one dead, records
// its devices disconnected and pushes what they never acknowledged; later messages are
// pushed as to any offline device. (Before, those devices got no push until they
// reconnected.)
func TestDurable_DeadNodeDevicesPushed(t *testing.T) {
	sims := MustOpenSims(t)
	srv := bustest.StartNATS(t, t.TempDir(), 0)
	c := MustConfig(t, "sqlite")
	c.NATS, c.PushCAFile = srv.ClientURL(), sims.CAFile()
	fastBeats := func(m *app.Main) {
		m.ConfigureLiveness = func(l *cluster.Liveness) { l.Beat, l.DeadAfter = 100*time.Millisecond, 400*time.Millisecond }
	}
	n := mustOpenNodeWith(t, c, fastBeats)
	cert := addSimCertificate(t, n.Store, sims, push.Huawei)
	if err := n.Store.CreateAccounts(context.Background(), []*store.Account{{SDKAppID: testAppID, UserID: "alice"}}); err != nil {
		t.Fatal(err)
	}
	phones := mustPhones(t, n.Store, sims, push.Huawei, cert, []string{"bob"})
	// bob's app is connected to this node, in the foreground.
	online, session := store.Online, n.Liveness.Self()+"/1"
	if err := n.Store.UpdateDevice(context.Background(), testAppID, "bob", "phone", store.DeviceUpdate{State: &online, NodeID: &session}); err != nil {
		t.Fatal(err)
	}
	sendText(t, n, "alice", "bob", "delivered to the connection, never acknowledged")
	waitFor(t, "the push held back for the foreground", func() bool {
		r, err := n.Store.FindDevicePushRecord(context.Background(), testAppID, lastMessageID(t, n, "bob"), "bob", "phone")
		return err == nil && r.Decision == "foreground"
	})
	n.Liveness.Stop() // the node dies: no more beats, no goodbye
	n.Close()

	n2 := mustOpenNodeWith(t, c, fastBeats)
	waitEachOnce(t, sims, push.Huawei, phones, 20*time.Second)
	d, err := n2.Store.FindDevice(context.Background(), testAppID, "bob", "phone")
	if err != nil {
		t.Fatal(err)
	}
	if d.State != store.Offline {
		t.Errorf("bob's phone %s after its node died; want offline", d.State)
	}
}

// lastMessageID returns the ID of the newest message in user's inbox.
func lastMessageID(t *testing.T, n *node, user string) string {
	t.Helper()
	es, err := n.Store.FindInbox(context.Background(), testAppID, user, 0, 1000)
	if err != nil || len(es) == 0 {
		t.Fatalf("inbox of %s: %v (%d entries)", user, err, len(es))
	}
	return es[len(es)-1].Message.ID
}
