package pipeline

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A plan that keeps planning pages outlives the stall timeout; one that stops is cut
// off, and says why. (A 100,000-member group's plan took more than the old fixed
// minute on a busy node and was cut off and replanned again and again.)
func TestStallContext(t *testing.T) {
	const d = 100 * time.Millisecond
	ctx, progress, cancel := stallContext(context.Background(), d)
	defer cancel()
	for range 10 { // 10 × d/2: five stall timeouts in all
		time.Sleep(d / 2)
		if ctx.Err() != nil {
			t.Fatalf("canceled while making progress: %v", context.Cause(ctx))
		}
		progress()
	}
	select {
	case <-ctx.Done():
	case <-time.After(20 * d):
		t.Fatal("not canceled after progress stopped")
	}
	if !errors.Is(context.Cause(ctx), errPlanStalled) {
		t.Fatalf("cause %v; want errPlanStalled", context.Cause(ctx))
	}
}
