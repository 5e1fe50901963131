package auth_test

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/herald-im/herald/internal/auth"
)

func TestValidUserID(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"alice", true},
		{"user-with_dash_09", true},
		{strings.Repeat("a", auth.MaxUserIDLen), true},
		{"", false},
		{strings.Repeat("a", auth.MaxUserIDLen+1), false},
		{"al ice", false},
		{"alice.smith", false},
		{"a*b", false},
		{"a>b", false},
		{"émile", false},
		{"a\x00", false},
	}
	for _, tt := range tests {
		err := auth.ValidUserID(tt.in)
		if got := err == nil; got != tt.ok {
			t.Errorf("ValidUserID(%q) got %v, want ok=%v", tt.in, err, tt.ok)
		}
		if err != nil && !errors.Is(err, auth.ErrInvalidUserID) {
			t.Errorf("ValidUserID(%q) got %v, want it to wrap ErrInvalidUserID", tt.in, err)
		}
	}
}

func TestNewSecretKey(t *testing.T) {
	a, b := auth.NewSecretKey(), auth.NewSecretKey()
	for _, k := range []string{a, b} {
		if len(k) != auth.SecretKeyLen {
			t.Errorf("NewSecretKey() = %q: %d chars, want %d", k, len(k), auth.SecretKeyLen)
		}
		if _, err := hex.DecodeString(k); err != nil || strings.ToLower(k) != k {
			t.Errorf("NewSecretKey() = %q: not lower-case hex", k)
		}
	}
	if a == b {
		t.Errorf("NewSecretKey() returned %q twice", a)
	}
}
