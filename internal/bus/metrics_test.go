package bus_test

import (
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/herald-im/herald/internal/bus"
)

func TestBus_QueueCollector(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		testQueueCollector(t, MustOpen(t, bus.Config{DataDir: t.TempDir(), Namespace: "metrics"}))
	})
	t.Run("external", func(t *testing.T) {
		url := os.Getenv("HERALD_TEST_NATS")
		if url == "" {
			t.Skip("HERALD_TEST_NATS not set (e.g. nats://127.0.0.1:4222)")
		}
		testQueueCollector(t, MustOpen(t, bus.Config{URL: url, Namespace: uniqueName("m")}))
	})
}

func testQueueCollector(t *testing.T, b *bus.Bus) {
	ctx := testContext(t)
	stream, err := b.EnsureWorkQueue(ctx, "JOBS", []string{"jobs.a", "jobs.b"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.JetStream().DeleteStream(ctx, stream.CachedInfo().Config.Name) })
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: "worker", FilterSubject: b.Subject("jobs.a"), AckPolicy: jetstream.AckExplicitPolicy,
	})
	if err != nil {
		t.Fatal(err)
	}
	c := b.QueueCollector(bus.Queue{Label: "a", Stream: "JOBS", Consumer: "worker"}, bus.Queue{Label: "missing", Stream: "JOBS", Consumer: "nobody"})
	// An hour from now, so the oldest job's age is an hour and the few milliseconds of
	// this test.
	bus.SetQueueCollectorNow(c, func() time.Time { return time.Now().Add(time.Hour) })
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	gauge := func(name string, labels ...string) float64 {
		t.Helper()
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() != name {
				continue
			}
		metrics:
			for _, m := range mf.GetMetric() {
				for i, l := range m.GetLabel() {
					if l.GetValue() != labels[i] {
						continue metrics
					}
				}
				return m.GetGauge().GetValue()
			}
		}
		return -1
	}

	if got := gauge("herald_queue_depth", "a", "pending"); got != 0 {
		t.Errorf("empty queue: depth %v, want 0", got)
	}
	if got := gauge("herald_queue_oldest_age_seconds", "a"); got != 0 {
		t.Errorf("empty queue: age %v, want 0", got)
	}
	for _, subject := range []string{"jobs.b", "jobs.a", "jobs.a", "jobs.b"} {
		if _, err := b.JetStream().Publish(ctx, b.Subject(subject), []byte("job")); err != nil {
			t.Fatal(err)
		}
	}
	if got := gauge("herald_queue_depth", "a", "pending"); got != 2 {
		t.Errorf("two jobs on jobs.a (and two on jobs.b): pending %v, want 2", got)
	}
	if got := gauge("herald_queue_oldest_age_seconds", "a"); got < 3600 || got > 3660 {
		t.Errorf("oldest age %vs, want an hour", got)
	}

	first, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if p, h := gauge("herald_queue_depth", "a", "pending"), gauge("herald_queue_depth", "a", "in_hand"); p != 1 || h != 1 {
		t.Errorf("one job in hand: pending %v in_hand %v, want 1 and 1", p, h)
	}
	first.NakWithDelay(0) // taken again: redelivered
	var held []jetstream.Msg
	for range 2 {
		m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, m)
	}
	if r, h := gauge("herald_queue_redelivered", "a"), gauge("herald_queue_depth", "a", "in_hand"); r != 1 || h != 2 {
		t.Errorf("both jobs in hand, one delivered twice: redelivered %v in_hand %v, want 1 and 2", r, h)
	}
	for _, m := range held {
		if err := m.DoubleAck(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if p, h, age := gauge("herald_queue_depth", "a", "pending"), gauge("herald_queue_depth", "a", "in_hand"), gauge("herald_queue_oldest_age_seconds", "a"); p != 0 || h != 0 || age != 0 {
		t.Errorf("every job acknowledged: pending %v in_hand %v age %v, want 0 (jobs.b's are not this queue's)", p, h, age)
	}
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "herald_queue_depth" && len(mf.GetMetric()) != 2 {
			t.Errorf("%d depth series, want 2: the missing consumer is left out", len(mf.GetMetric()))
		}
	}
}
