package push_test

import (
	"testing"

	"github.com/herald-im/herald/internal/push"
)

func TestBaseURL(t *testing.T) {
	for _, tt := range []struct{ u, def, want string }{
		{"", "https://vendor.example", "https://vendor.example"},
		{"http://127.0.0.1:8080", "https://vendor.example", "http://127.0.0.1:8080"},
		{"http://127.0.0.1:8080/", "https://vendor.example", "http://127.0.0.1:8080"},
		{"http://gw.example/push/", "https://vendor.example", "http://gw.example/push"},
		{"", "https://vendor.example/", "https://vendor.example"},
	} {
		if got := push.BaseURL(tt.u, tt.def); got != tt.want {
			t.Errorf("BaseURL(%q, %q) = %q, want %q", tt.u, tt.def, got, tt.want)
		}
	}
}
