package push_test

import (
	"testing"
	"time"
	"unicode/utf8"

	"github.com/herald-im/herald/internal/push"
)

func TestTruncateRunes(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"hello", 10, "hello"},
		{"hello", 3, "hel"},
		{"你好世界", 2, "你好"},
		{"a😀b", 2, "a😀"},
		{"abc", 0, ""},
		{"", 5, ""},
	}
	for _, tt := range tests {
		if got := push.TruncateRunes(tt.in, tt.n); got != tt.want {
			t.Errorf("TruncateRunes(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestTruncateBytes(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"hello", 10, "hello"},
		{"hello", 2, "he"},
		{"你好", 4, "你"}, // 3-byte runes: 4 bytes hold one
		{"你好", 6, "你好"},
		{"😀", 3, ""},
	}
	for _, tt := range tests {
		got := push.TruncateBytes(tt.in, tt.n)
		if got != tt.want || !utf8.ValidString(got) {
			t.Errorf("TruncateBytes(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"30", 30 * time.Second},
		{"-5", 0},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(time.RFC1123), 90 * time.Second},
		{now.Add(-time.Minute).Format(time.RFC1123), 0},
	}
	for _, tt := range tests {
		if got := push.ParseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseVendor(t *testing.T) {
	for _, v := range push.Vendors {
		if got, err := push.ParseVendor(string(v)); err != nil || got != v {
			t.Errorf("ParseVendor(%q) = %v, %v", v, got, err)
		}
	}
	if _, err := push.ParseVendor("nokia"); err == nil {
		t.Error("ParseVendor(nokia) must fail")
	}
	if push.Accepted.String() != "accepted" || push.QuotaExceeded.String() != "quota_exceeded" {
		t.Errorf("outcome names: %s %s", push.Accepted, push.QuotaExceeded)
	}
}
