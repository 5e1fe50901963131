package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/herald-im/herald/internal/bus"
	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/internal/webhook"
)

const testAppID = 1400000001

// appsFn is a store of one app, by function.
type appsFn func(ctx context.Context, id int64) (*store.App, error)

func (f appsFn) FindAppByID(ctx context.Context, id int64) (*store.App, error) { return f(ctx, id) }

// MustOpenNotifier opens a notifier on an embedded NATS posting the test app's events
// to url.
func MustOpenNotifier(tb testing.TB, url string) *webhook.Notifier {
	tb.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	b, err := bus.Open(context.Background(), bus.Config{DataDir: filepath.Join(tb.TempDir(), "nats"), Logger: logger})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { b.Close() })
	app := &store.App{SDKAppID: testAppID, CallbackURL: url, CallbackSecret: "secret"}
	n := webhook.New(appsFn(func(context.Context, int64) (*store.App, error) { return app, nil }), b)
	n.Logger, n.MinBackoff, n.MaxBackoff = logger, 10*time.Millisecond, 20*time.Millisecond
	if err := n.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { n.Close() })
	return n
}

func TestNotifier_Batching(t *testing.T) {
	var mu sync.Mutex
	var sizes []int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify("secret", r.Header.Get(webhook.TimestampHeader), r.Header.Get(webhook.SignatureHeader), body, time.Now(), time.Minute); err != nil {
			t.Errorf("Verify = %v", err)
		}
		var b struct{ Events []json.RawMessage }
		json.Unmarshal(body, &b)
		mu.Lock()
		sizes = append(sizes, len(b.Events))
		mu.Unlock()
	}))
	defer srv.Close()
	n := MustOpenNotifier(t, srv.URL)
	for i := range 250 {
		n.StateChanged(context.Background(), im.StateChange{SDKAppID: testAppID, UserID: "u", DeviceID: string(rune('a' + i%26)), Action: im.StateLogin, Time: time.Now()})
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		total, largest := 0, 0
		for _, s := range sizes {
			total += s
			largest = max(largest, s)
		}
		got := len(sizes)
		mu.Unlock()
		if largest > 100 {
			t.Fatalf("a request of %d events, want at most 100", largest)
		}
		if total == 250 {
			if got < 3 {
				t.Errorf("%d requests for 250 events, want at least 3", got)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 250 events arrived", total)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestNotifier_ErrRefusedNotRetried(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		http.Error(w, "no", http.StatusBadRequest)
	}))
	defer srv.Close()
	n := MustOpenNotifier(t, srv.URL)
	before, delivered := events(t, "State.StateChange", "given_up"), events(t, "State.StateChange", "delivered")
	n.StateChanged(context.Background(), im.StateChange{SDKAppID: testAppID, UserID: "u", DeviceID: "d", Action: im.StateLogout, Time: time.Now()})
	deadline := time.Now().Add(10 * time.Second)
	// Once given up the event is gone from the queue: no retry can follow.
	for events(t, "State.StateChange", "given_up")-before < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the refused event was not given up")
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != 1 {
		t.Errorf("%d requests after a 400, want 1", calls)
	}
	if d := events(t, "State.StateChange", "delivered") - delivered; d != 0 {
		t.Errorf("%v events counted delivered, want 0", d)
	}
}

// events reads the webhook event counter of command and outcome.
func events(tb testing.TB, command, outcome string) float64 {
	tb.Helper()
	var m dto.Metric
	if err := webhook.Collectors()[1].(*prometheus.CounterVec).WithLabelValues(command, outcome).Write(&m); err != nil {
		tb.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
