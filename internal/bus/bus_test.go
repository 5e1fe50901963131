package bus_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/herald-im/herald/internal/bus"
)

// MustOpen opens c and closes the bus when the test ends.
func MustOpen(tb testing.TB, c bus.Config) *bus.Bus {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := bus.Open(ctx, c)
	if err != nil {
		tb.Fatalf("Open(%+v): %v", c, err)
	}
	tb.Cleanup(func() {
		if err := b.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return b
}

// testContext returns a context that ends with the test or after a few seconds.
func testContext(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

// streamCounter makes stream and subject names unique per test within one process; the pid
// keeps runs apart on a shared external NATS.
var streamCounter atomic.Int64

func uniqueName(prefix string) string {
	return fmt.Sprintf("%s_%d_%d_%d", prefix, os.Getpid(), time.Now().UnixNano()%1e6, streamCounter.Add(1))
}

// RunBusTests runs the tests every kind of Bus must pass. open returns a Bus that is closed at
// the end of the test.
func RunBusTests(t *testing.T, open func(tb testing.TB) *bus.Bus) {
	t.Run("Ping", func(t *testing.T) {
		b := open(t)
		if err := b.Ping(testContext(t)); err != nil {
			t.Errorf("Ping: %v", err)
		}
	})

	t.Run("PublishSubscribe", func(t *testing.T) {
		b := open(t)
		ctx := testContext(t)
		subject := bus.UserSubject(1400000001, uniqueName("u"))
		got := make(chan string, 2)
		unsubscribe, err := b.Subscribe(subject, func(data []byte) { got <- string(data) })
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Ping(ctx); err != nil { // the server has the subscription once it answers
			t.Fatal(err)
		}
		if err := b.Publish(ctx, bus.UserSubject(1400000001, "someone-else"), []byte("not for you")); err != nil {
			t.Fatal(err)
		}
		if err := b.Publish(ctx, subject, []byte("hello")); err != nil {
			t.Fatal(err)
		}
		select {
		case s := <-got:
			if s != "hello" {
				t.Errorf("handler got %q, want %q", s, "hello")
			}
		case <-ctx.Done():
			t.Fatal("no message within the deadline")
		}

		unsubscribe()
		if err := b.Publish(ctx, subject, []byte("after unsubscribe")); err != nil {
			t.Fatal(err)
		}
		if err := b.Ping(ctx); err != nil { // a round trip: anything routed would have arrived
			t.Fatal(err)
		}
		select {
		case s := <-got:
			t.Errorf("handler got %q after unsubscribe", s)
		default:
		}
	})

	t.Run("ErrPublishCanceled", func(t *testing.T) {
		b := open(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := b.Publish(ctx, "herald.test", nil); !errors.Is(err, context.Canceled) {
			t.Errorf("Publish with a canceled ctx got %v, want context.Canceled", err)
		}
	})

	t.Run("EnsureWorkQueue", func(t *testing.T) {
		b := open(t)
		ctx := testContext(t)
		name := uniqueName("PUSHTEST")
		subject := "herald.test." + name
		t.Cleanup(func() { _ = b.JetStream().DeleteStream(context.Background(), name) })

		s, err := b.EnsureWorkQueue(ctx, name, []string{subject + ".>"})
		if err != nil {
			t.Fatal(err)
		}
		cfg := s.CachedInfo().Config
		if cfg.Retention != jetstream.WorkQueuePolicy || cfg.Storage != jetstream.FileStorage {
			t.Errorf("stream %s: retention %v storage %v, want work queue on file", name, cfg.Retention, cfg.Storage)
		}
		// Again, with one more subject: an update, not an error.
		if s, err = b.EnsureWorkQueue(ctx, name, []string{subject + ".>", subject + "x"}); err != nil {
			t.Fatalf("EnsureWorkQueue again: %v", err)
		}
		if got := s.CachedInfo().Config.Subjects; len(got) != 2 {
			t.Errorf("updated subjects got %v, want 2", got)
		}

		if _, err := b.JetStream().Publish(ctx, subject+".job", []byte("job-1")); err != nil {
			t.Fatal(err)
		}
		if got := MustFetchOne(t, b, name); got != "job-1" {
			t.Errorf("consumed %q, want %q", got, "job-1")
		}
		// Work queue: an acknowledged message is gone.
		info, err := s.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Msgs != 0 {
			t.Errorf("stream holds %d messages after ack, want 0", info.State.Msgs)
		}
	})
}

// MustFetchOne takes one message from stream name through a durable consumer, acks it and
// returns its data.
func MustFetchOne(tb testing.TB, b *bus.Bus, name string) string {
	tb.Helper()
	ctx := testContext(tb)
	c, err := b.JetStream().CreateOrUpdateConsumer(ctx, name, jetstream.ConsumerConfig{
		Durable:   "worker",
		AckPolicy: jetstream.AckExplicitPolicy,
	})
	if err != nil {
		tb.Fatal(err)
	}
	batch, err := c.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		tb.Fatal(err)
	}
	for m := range batch.Messages() {
		if err := m.DoubleAck(ctx); err != nil {
			tb.Fatal(err)
		}
		return string(m.Data())
	}
	tb.Fatalf("no message in stream %s: %v", name, batch.Error())
	return ""
}

func TestBus_Embedded(t *testing.T) {
	RunBusTests(t, func(tb testing.TB) *bus.Bus {
		b := MustOpen(tb, bus.Config{DataDir: tb.TempDir()})
		if !b.Embedded() {
			tb.Fatal("Embedded() = false for a config without URL")
		}
		return b
	})
}

func TestBus_External(t *testing.T) {
	url := os.Getenv("HERALD_TEST_NATS")
	if url == "" {
		t.Skip("HERALD_TEST_NATS not set (e.g. nats://127.0.0.1:4222)")
	}
	RunBusTests(t, func(tb testing.TB) *bus.Bus {
		b := MustOpen(tb, bus.Config{URL: url})
		if b.Embedded() {
			tb.Fatal("Embedded() = true for a config with URL")
		}
		return b
	})
}

// A push job queued before a restart is consumed after it: the embedded stream is on disk.
func TestBus_EnsureWorkQueueReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := testContext(t)

	b, err := bus.Open(ctx, bus.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.EnsureWorkQueue(ctx, "PUSH", []string{"herald.push.>"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.JetStream().Publish(ctx, "herald.push.1400000001", []byte("before restart")); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := b.Ping(ctx); err == nil {
		t.Error("Ping after Close got nil, want an error")
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	b = MustOpen(t, bus.Config{DataDir: dir})
	if _, err := b.EnsureWorkQueue(ctx, "PUSH", []string{"herald.push.>"}); err != nil {
		t.Fatal(err)
	}
	if got := MustFetchOne(t, b, "PUSH"); got != "before restart" {
		t.Errorf("consumed %q after reopen, want %q", got, "before restart")
	}
}

func TestOpen_Err(t *testing.T) {
	t.Run("ErrNoDataDir", func(t *testing.T) {
		if _, err := bus.Open(context.Background(), bus.Config{}); !errors.Is(err, bus.ErrNoDataDir) {
			t.Errorf("Open(Config{}) got %v, want ErrNoDataDir", err)
		}
	})
	t.Run("ErrConnect", func(t *testing.T) {
		// Port 1 on loopback: nothing listens there, so the connection is refused at once.
		b, err := bus.Open(context.Background(), bus.Config{URL: "nats://127.0.0.1:1"})
		if err == nil {
			b.Close()
			t.Fatal("Open of an unreachable URL got nil error")
		}
	})
}

func TestUserSubject(t *testing.T) {
	tests := []struct {
		app  int64
		user string
		want string
	}{
		{1400000001, "alice", "herald.user.1400000001.alice"},
		{7, "user-with_dash", "herald.user.7.user-with_dash"},
	}
	for _, tt := range tests {
		if got := bus.UserSubject(tt.app, tt.user); got != tt.want {
			t.Errorf("UserSubject(%d, %q) got %q, want %q", tt.app, tt.user, got, tt.want)
		}
	}
}
