package push_test

import (
	"testing"

	"github.com/herald-im/herald/internal/push"
)

func TestNotifyIDFor(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 2166136261 & push.MaxNotifyID}, // the FNV-1a offset basis, top bit cleared
		{"c", 0xe60c2c52 & push.MaxNotifyID},
	}
	for _, tt := range tests {
		if got := push.NotifyIDFor(tt.in); got != tt.want {
			t.Errorf("NotifyIDFor(%q) got %d, want %d", tt.in, got, tt.want)
		}
	}
	if a, b := push.NotifyIDFor("conv-1"), push.NotifyIDFor("conv-2"); a == b || a < 1 || b < 1 {
		t.Errorf("NotifyIDFor gave %d and %d for different collapse IDs, want two distinct positive IDs", a, b)
	}
}
