package push

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxReasonLen bounds a reason shown to a tenant (test push, push records).
const MaxReasonLen = 200

// SanitizeReason returns r fit to show a tenant: control characters turned into spaces,
// invalid UTF-8 dropped and the text cut to MaxReasonLen bytes with an ellipsis. A
// vendor answer (or whatever answered at a tenant-set endpoint) is never echoed beyond
// that.
func SanitizeReason(r string) string {
	var b strings.Builder
	for _, c := range r {
		if c == utf8.RuneError {
			continue
		}
		if unicode.IsControl(c) {
			c = ' '
		}
		if b.Len()+utf8.RuneLen(c) > MaxReasonLen {
			b.WriteString("…")
			break
		}
		b.WriteRune(c)
	}
	return b.String()
}
