package redact_test

import (
	"strings"
	"testing"

	"github.com/herald-im/herald/internal/redact"
)

func TestToken(t *testing.T) {
	long := "abcdef0123456789abcdef0123456789"
	if got := redact.Token(long); got != "abcdef…" || strings.Contains(got, "0123") {
		t.Errorf("Token(long) = %q", got)
	}
	if got := redact.Token("short"); got != "*****" {
		t.Errorf("Token(short) = %q", got)
	}
}

func TestSecret(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"tiny", "****"},
		{"0123456789abcdefWXYZ", "****WXYZ"},
	}
	for _, tt := range tests {
		if got := redact.Secret(tt.in); got != tt.want {
			t.Errorf("Secret(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
