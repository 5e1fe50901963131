//go:build soak

package loadtest_test

import (
	"os"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/loadtest"
)

// TestCrashSoak is the crash scenario at 2,000 members on HERALD_TEST_NATS, killed at
// 30 % of the fan-out and right after the send answered, and on the embedded NATS
// (which loses pushes today: see TestCrashMidFanOutEmbeddedNATS). Run with
// go test -tags soak -run CrashSoak ./internal/loadtest/.
func TestCrashSoak(t *testing.T) {
	nats := os.Getenv("HERALD_TEST_NATS")
	t.Run("mid_fan_out", func(t *testing.T) {
		if nats == "" {
			t.Skip("set HERALD_TEST_NATS")
		}
		runCrash(t, loadtest.CrashConfig{Members: 2000, KillAt: 0.3, NATS: nats, Timeout: 3 * time.Minute})
	})
	t.Run("after_send", func(t *testing.T) {
		if nats == "" {
			t.Skip("set HERALD_TEST_NATS")
		}
		runCrash(t, loadtest.CrashConfig{Members: 2000, NATS: nats, Timeout: 3 * time.Minute})
	})
	t.Run("embedded_nats", func(t *testing.T) {
		runCrash(t, loadtest.CrashConfig{Members: 2000, KillAt: 0.3, Timeout: time.Minute})
	})
}
