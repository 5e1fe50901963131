package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/bus"
	"github.com/herald-im/herald/internal/bus/bustest"
	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/push/pipeline"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/internal/webhook"
)

// Answered returns once the answers are in JetStream: the send job is acknowledged
// after it, so a crash of the node then loses no event (they waited in the node's
// memory before).
func TestNotifier_AnsweredQueuedBeforeReturn(t *testing.T) {
	hold := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-hold // the receiver is slow: nothing is acknowledged yet
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(hold) })
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	b, err := bus.Open(context.Background(), bus.Config{DataDir: filepath.Join(t.TempDir(), "nats"), Logger: logger, Namespace: "hooks"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	app := &store.App{SDKAppID: testAppID, CallbackURL: srv.URL, CallbackSecret: "secret"}
	n := webhook.New(appsFn(func(context.Context, int64) (*store.App, error) { return app, nil }), b)
	n.Logger = logger
	if err := n.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })

	var as []pipeline.Answer
	for _, u := range []string{"bob", "carol", "dave"} {
		as = append(as, pipeline.Answer{SDKAppID: testAppID, MessageID: "m1", From: "alice", UserID: u, DeviceID: "phone",
			Vendor: push.FCM, CertificateID: 1, Outcome: push.Accepted, Attempts: 1})
	}
	n.Answered(context.Background(), as)
	s, err := b.JetStream().Stream(context.Background(), b.StreamName(webhook.StreamName))
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 3 {
		t.Errorf("%d events in JetStream when Answered returned; want 3", info.State.Msgs)
	}
}

// Device state events sent while NATS is down wait for it and are delivered once it is
// back; a Close drains what is still buffered. (They were dropped at the first failed
// publish before.)
func TestNotifier_StateChangesSurviveNATSOutage(t *testing.T) {
	var mu sync.Mutex
	got := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b struct {
			Events []struct {
				Info struct {
					ToAccount string `json:"To_Account"`
				}
			}
		}
		json.NewDecoder(r.Body).Decode(&b)
		mu.Lock()
		for _, e := range b.Events {
			got[e.Info.ToAccount]++
		}
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	nats := bustest.StartNATS(t, dir, 0)
	port := nats.Addr().(*net.TCPAddr).Port
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	b, err := bus.Open(context.Background(), bus.Config{URL: nats.ClientURL(), Logger: logger, Namespace: "outage"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	app := &store.App{SDKAppID: testAppID, CallbackURL: srv.URL, CallbackSecret: "secret"}
	n := webhook.New(appsFn(func(context.Context, int64) (*store.App, error) { return app, nil }), b)
	n.Logger, n.MinBackoff, n.MaxBackoff = logger, 10*time.Millisecond, 20*time.Millisecond
	if err := n.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })

	nats.Shutdown()
	nats.WaitForShutdown()
	for i := range 20 {
		n.StateChanged(context.Background(), im.StateChange{SDKAppID: testAppID, UserID: fmt.Sprintf("u%02d", i),
			DeviceID: "phone", Action: im.StateLogin, Time: time.Now()})
	}
	time.Sleep(time.Second) // the publisher tries and fails meanwhile
	bustest.StartNATS(t, dir, port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == 20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 20 state events delivered after NATS came back", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for u, c := range got {
		if c != 1 {
			t.Errorf("%s's login delivered %d times; want once", u, c)
		}
	}
}
