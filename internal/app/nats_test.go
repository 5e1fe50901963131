package app_test

import (
	"os"
	"strings"
	"testing"

	"github.com/herald-im/herald/client"
)

// TestExternalNATS runs a node against the external NATS named by HERALD_TEST_NATS.
func TestExternalNATS(t *testing.T) {
	url := os.Getenv("HERALD_TEST_NATS")
	if url == "" {
		t.Skip("HERALD_TEST_NATS is not set")
	}
	c := MustConfig(t, "sqlite")
	c.NATS = url
	n := MustOpenNode(t, c)
	n.MustImport("alice", "bob")
	alice := MustLogin(t, n, "alice", "a1", "Android")
	bob := MustLogin(t, n, "bob", "b1", "Android")
	if _, err := alice.SendMessage(ctxT(t), client.NewTextMessage("over nats"), "bob", "", "", false, nil); err != nil {
		t.Fatal(err)
	}
	if got := bob.waitMessages(t, 1); got[0].Elements[0].Text != "over nats" {
		t.Errorf("got %+v", got[0])
	}
}

// TestTwoNodes runs two nodes sharing PostgreSQL and NATS: a message sent on one
// reaches a device connected to the other, a login on one kicks a device on the
// other, and a device reconnecting on one replaces its older connection on the other.
func TestTwoNodes(t *testing.T) {
	url := os.Getenv("HERALD_TEST_NATS")
	if url == "" || os.Getenv("HERALD_TEST_POSTGRES") == "" {
		t.Skip("HERALD_TEST_NATS and HERALD_TEST_POSTGRES are needed")
	}
	c1 := MustConfig(t, "postgres")
	c1.NATS, c1.NodeID = url, "node-1"
	// The nodes of one cluster share the master key that seals secrets in the database.
	c1.MasterKey = strings.Repeat("ab", 32)
	c2 := c1
	c2.DataDir, c2.NodeID = t.TempDir(), "node-2"
	n1 := MustOpenNode(t, c1)
	n2 := MustOpenNode(t, c2)
	n1.MustImport("alice", "bob")
	alice := MustLogin(t, n1, "alice", "a1", "Android")
	bob := MustLogin(t, n2, "bob", "b1", "Android")
	if _, err := alice.SendMessage(ctxT(t), client.NewTextMessage("across nodes"), "bob", "", "", false, nil); err != nil {
		t.Fatal(err)
	}
	if got := bob.waitMessages(t, 1); got[0].Elements[0].Text != "across nodes" {
		t.Errorf("got %+v", got[0])
	}
	MustLogin(t, n1, "bob", "b2", "Android")
	bob.waitFor(t, "kicked across nodes", func(d *device) bool { return len(d.kicked) == 1 })

	older := rawConn(t, n1, "alice")
	newer := rawConn(t, n2, "alice") // the same device, "raw"
	waitReplaced(t, older)
	if f := rawCall(t, newer, `{"seq":2,"op":"heartbeat"}`); f.Code != 0 {
		t.Fatalf("heartbeat on the newer connection: %+v", f)
	}
}
