package webhook_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/herald-im/herald/internal/bus"
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
