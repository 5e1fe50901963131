package push_test

import (
	"testing"
	"time"

	"github.com/herald-im/herald/internal/push"
)

func TestUntilChinaMidnight(t *testing.T) {
	tests := []struct {
		now  time.Time
		want time.Duration
	}{
		{time.Date(2025, 3, 1, 15, 0, 0, 0, time.UTC), time.Hour},      // 23:00 in Beijing
		{time.Date(2025, 3, 1, 16, 0, 0, 0, time.UTC), 24 * time.Hour}, // midnight exactly
		{time.Date(2025, 3, 1, 16, 0, 1, 0, time.UTC), 24*time.Hour - time.Second},
		{time.Date(2025, 12, 31, 15, 30, 0, 0, time.UTC), 30 * time.Minute},                  // across the year
		{time.Date(2025, 3, 1, 23, 0, 0, 0, time.FixedZone("EST", -5*3600)), 12 * time.Hour}, // noon in Beijing
	}
	for _, tt := range tests {
		if got := push.UntilChinaMidnight(tt.now); got != tt.want {
			t.Errorf("UntilChinaMidnight(%v) = %v, want %v", tt.now, got, tt.want)
		}
	}
}
