package push

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// TruncateRunes returns s cut to at most n characters (runes). It never splits a UTF-8
// sequence; invalid bytes count as one character each.
func TruncateRunes(s string, n int) string {
	if n <= 0 {
		return ""
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// TruncateBytes returns s cut to at most n bytes on a rune boundary.
func TruncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// ParseRetryAfter reads an HTTP Retry-After header, in seconds or as an HTTP date, and
// returns how long to wait from now. It returns 0 when h is empty or unreadable.
func ParseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if secs, err := strconv.Atoi(h); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := time.Parse(time.RFC1123, h); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
