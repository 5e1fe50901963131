package app_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/herald-im/herald/client"
	"github.com/herald-im/herald/protocol"
)

// A WebSocket that never logs in is closed at the login deadline, heartbeats or not;
// one that logged in is not.
func TestLogin_Deadline(t *testing.T) {
	cfg := MustConfig(t, "sqlite")
	cfg.LoginTimeout = time.Second
	n := MustOpenNode(t, cfg)
	n.MustImport("alice")
	ctx := ctxT(t)
	idle, _, err := websocket.Dial(ctx, n.wsURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.CloseNow()
	user := rawConn(t, n, "alice")
	start := time.Now()
	readErr := make(chan error, 1)
	go func() {
		for {
			if _, _, err := idle.Read(ctx); err != nil {
				readErr <- err
				return
			}
		}
	}()
	var closed error
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	giveUp := time.After(5 * time.Second)
	for seq := uint64(1); closed == nil; seq++ {
		select {
		case closed = <-readErr:
		case <-tick.C:
			f, _ := json.Marshal(protocol.Frame{Seq: seq, Op: protocol.OpHeartbeat})
			idle.Write(ctx, websocket.MessageText, f) // heartbeats do not extend the deadline
		case <-giveUp:
			t.Fatal("a connection that never logged in is still open after 5s")
		}
	}
	if websocket.CloseStatus(closed) != websocket.StatusPolicyViolation {
		t.Fatalf("a connection that never logged in: %v after %v, want closed with policy violation (login timeout)", closed, time.Since(start))
	}
	var ce websocket.CloseError
	if errors.As(closed, &ce); ce.Reason != "login timeout" {
		t.Errorf("close reason %q, want login timeout", ce.Reason)
	}
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Errorf("closed after %v, want about 1s", d)
	}
	if f := rawCall(t, user, `{"seq":9,"op":"heartbeat"}`); f.Code != 0 {
		t.Errorf("the logged-in connection after the deadline: %+v", f)
	}
}

// One address cannot hold more than the cap of connections that have not logged in;
// logging in or leaving frees a place, and other requests still get answers.
func TestUnauthenticated_CapPerAddress(t *testing.T) {
	cfg := MustConfig(t, "sqlite")
	cfg.MaxUnauthPerAddr = 3
	n := MustOpenNode(t, cfg)
	n.MustImport("alice")
	ctx := ctxT(t)
	var conns []*websocket.Conn
	for range 3 {
		c, _, err := websocket.Dial(ctx, n.wsURL(), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		conns = append(conns, c)
	}
	_, res, err := websocket.Dial(ctx, n.wsURL(), nil)
	if err == nil || res == nil || res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a 4th connection not logged in: %v (%v), want HTTP 429", err, res)
	}
	var body struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	json.NewDecoder(res.Body).Decode(&body)
	if body.Code != 40005 || body.Message == "" {
		t.Errorf("refusal body %+v, want code 40005 with a message", body)
	}
	if hr, err := http.Get("http://" + n.Addr() + "/healthz"); err != nil || hr.StatusCode != 200 {
		t.Errorf("healthz while the address is at its cap: %v %v", hr, err)
	}
	// Logging one in frees its place.
	login, _ := json.Marshal(protocol.LoginRequest{SDKAppID: testAppID, UserID: "alice", UserSig: sig(t, "alice"), Platform: "Web", DeviceID: "raw"})
	if f := rawCall(t, conns[0], `{"seq":1,"op":"login","data":`+string(login)+`}`); f.Code != 0 {
		t.Fatalf("login: %+v", f)
	}
	c, _, err := websocket.Dial(ctx, n.wsURL(), nil)
	if err != nil {
		t.Fatalf("after a login freed a place: %v", err)
	}
	defer c.CloseNow()
	// Closing one frees its place too.
	conns[1].CloseNow()
	waitFor(t, "a place freed by a closed connection", func() bool {
		c, _, err := websocket.Dial(ctx, n.wsURL(), nil)
		if err == nil {
			defer c.CloseNow()
		}
		return err == nil
	})
}

// An idle logged-in session parks one goroutine (its reader), not a delivery loop too:
// delivery runs only while something is to be written.
func TestIdleSession_OneGoroutine(t *testing.T) {
	n := MustOpenNode(t, MustConfig(t, "sqlite"))
	const conns = 40
	users := make([]string, conns)
	for i := range users {
		users[i] = fmt.Sprintf("idle%d", i)
	}
	n.MustImport(append(users, "sender")...)
	settle := func() int {
		time.Sleep(300 * time.Millisecond)
		return runtime.NumGoroutine()
	}
	before := settle()
	cs := make([]*websocket.Conn, conns)
	for i, u := range users {
		cs[i] = rawConn(t, n, u) // the client side of a raw conn runs no goroutine
	}
	per := float64(settle()-before) / conns
	if per > 1.5 {
		t.Errorf("%.2f goroutines per idle session, want 1 (the reader)", per)
	}
	// Delivery still works, and its worker ends when the queue is empty.
	sender := MustLogin(t, n, "sender", "s1", "Windows")
	if _, err := sender.SendMessage(ctxT(t), client.NewTextMessage("wake up"), users[0], "", "", false, nil); err != nil {
		t.Fatal(err)
	}
	for {
		var f protocol.Frame
		_, data, err := cs[0].Read(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		if json.Unmarshal(data, &f); f.Op == protocol.EvMessage {
			break
		}
	}
}
