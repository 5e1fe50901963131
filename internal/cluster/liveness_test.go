package cluster_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/bus"
	"github.com/herald-im/herald/internal/cluster"
)

func mustOpen(t *testing.T, b *bus.Bus, node string, onDead func(context.Context, string) error) *cluster.Liveness {
	t.Helper()
	l := cluster.New(node)
	l.Beat, l.DeadAfter = 50*time.Millisecond, 200*time.Millisecond
	l.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	l.OnDead = onDead
	if err := l.Open(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// A node that stops beating is dead to the others after DeadAfter, is reaped once,
// and its key is gone; a live node's sessions stay alive.
func TestLiveness_DeadNodeReapedOnce(t *testing.T) {
	b, err := bus.Open(context.Background(), bus.Config{DataDir: filepath.Join(t.TempDir(), "nats"), Namespace: "live",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	var mu sync.Mutex
	reaped := map[string]int{}
	onDead := func(_ context.Context, inc string) error {
		mu.Lock()
		defer mu.Unlock()
		reaped[inc]++
		return nil
	}
	a := mustOpen(t, b, "a", onDead)
	c := mustOpen(t, b, "c", onDead)
	dead := mustOpen(t, b, "b", nil)
	if a.Self() == c.Self() || a.Self()[:2] != "a~" {
		t.Fatalf("incarnations %q and %q; want distinct, under the node ID", a.Self(), c.Self())
	}
	deadline := time.Now().Add(5 * time.Second)
	for !a.Alive(dead.Self() + "/1") {
		if time.Now().After(deadline) {
			t.Fatal("a live node's session is not alive")
		}
		time.Sleep(10 * time.Millisecond)
	}
	dead.Stop()
	for a.Alive(dead.Self()+"/1") || c.Alive(dead.Self()+"/1") {
		if time.Now().After(deadline) {
			t.Fatal("a node that stopped beating is still alive")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // more beats: no second reap
	mu.Lock()
	defer mu.Unlock()
	if reaped[dead.Self()] != 1 || len(reaped) != 1 {
		t.Errorf("reaped %v; want %s once", reaped, dead.Self())
	}
	if !a.Alive(c.Self()+"/9") || !a.Alive(a.Self()+"/1") || !a.Alive("") {
		t.Error("a live node's session, or our own, is not alive")
	}
	if a.Alive("never-seen~00/1") {
		t.Error("a session of an incarnation never seen is alive")
	}
}
