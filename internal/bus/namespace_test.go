package bus_test

import (
	"os"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/bus"
)

// Two deployments on one NATS: each sees only its own deliveries and work queues.
func TestBus_Namespace(t *testing.T) {
	url := os.Getenv("HERALD_TEST_NATS")
	if url == "" {
		t.Skip("HERALD_TEST_NATS not set (e.g. nats://127.0.0.1:4222)")
	}
	ctx := testContext(t)
	nsA, nsB := uniqueName("a"), uniqueName("b")
	a := MustOpen(t, bus.Config{URL: url, Namespace: nsA})
	b := MustOpen(t, bus.Config{URL: url, Namespace: nsB})

	subject := bus.UserSubject(1400000001, "alice")
	got := make(chan string, 4)
	for _, x := range []*bus.Bus{a, b} {
		unsub, err := x.Subscribe(subject, func(data []byte) { got <- x.Namespace() + ":" + string(data) })
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(unsub)
	}
	if err := a.Publish(ctx, subject, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if g := <-got; g != nsA+":hi" {
		t.Fatalf("delivered %q, want %q", g, nsA+":hi")
	}
	select {
	case g := <-got:
		t.Fatalf("the other deployment got %q", g)
	case <-time.After(200 * time.Millisecond):
	}

	for _, x := range []*bus.Bus{a, b} {
		if _, err := x.EnsureWorkQueue(ctx, "PUSHNS", []string{"herald.push.>"}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = x.JetStream().DeleteStream(ctx, x.StreamName("PUSHNS")) })
	}
	for _, x := range []*bus.Bus{a, b} {
		if _, err := x.JetStream().Publish(ctx, x.Subject("herald.push.job"), []byte("job of "+x.Namespace())); err != nil {
			t.Fatal(err)
		}
	}
	for _, x := range []*bus.Bus{a, b} {
		if g := MustFetchOne(t, x, x.StreamName("PUSHNS")); g != "job of "+x.Namespace() {
			t.Errorf("%s consumed %q, want its own job", x.Namespace(), g)
		}
	}
}

func TestCheckNamespace(t *testing.T) {
	for _, ns := range []string{"a", "d7f3a9c2e1b0", "prod_eu-1"} {
		if err := bus.CheckNamespace(ns); err != nil {
			t.Errorf("CheckNamespace(%q) = %v, want nil", ns, err)
		}
	}
	for _, ns := range []string{"", "a.b", "a b", "*", ">", "0123456789012345678901234567890123"} {
		if err := bus.CheckNamespace(ns); err == nil {
			t.Errorf("CheckNamespace(%q) = nil, want an error", ns)
		}
	}
}
