// Package redact shortens secrets and device tokens for logs and API answers.
package redact

import "strings"

// Keep is how many leading characters Token and Secret keep.
const Keep = 6

// Token returns the first few characters of a device token followed by "…", so that log
// lines can be correlated without exposing the token. Short values are masked whole.
func Token(s string) string {
	if len(s) <= Keep*2 {
		return strings.Repeat("*", len(s))
	}
	return s[:Keep] + "…"
}

// Secret masks a credential for display: empty stays empty, anything else shows only
// its last four characters when it is long enough to hide the rest.
func Secret(s string) string {
	if s == "" {
		return ""
	}
	if len(s) < 16 {
		return "****"
	}
	return "****" + s[len(s)-4:]
}
