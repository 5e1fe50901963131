//go:build soak

package loadtest_test

import (
	"testing"
	"time"

	"github.com/herald-im/herald/internal/loadtest"
)

// TestCrashSoak is the crash scenario at 2,000 members, killed at 30 % of the fan-out
// and right after the send answered. Run with go test -tags soak -run CrashSoak.
func TestCrashSoak(t *testing.T) {
	t.Run("mid_fan_out", func(t *testing.T) {
		runCrash(t, loadtest.CrashConfig{Members: 2000, KillAt: 0.3, Timeout: 3 * time.Minute})
	})
	t.Run("after_send", func(t *testing.T) {
		runCrash(t, loadtest.CrashConfig{Members: 2000, KillAt: 0, Timeout: 3 * time.Minute})
	})
}
