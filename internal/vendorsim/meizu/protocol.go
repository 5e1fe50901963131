package meizu

import (
	"crypto/md5"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
)

// The path, limits and signature below are re-derived from vendors.md §8 alone, never
// taken from the sender (internal/push/meizu): a mistake there must not be agreed with here.
const (
	PathPushByPushID = "/garcia/api/server/push/varnished/pushByPushId" // §8.2

	MaxPushIDs       = 100 // §8.3 "at most 100 per call"
	MaxTitle         = 32  // §8.3 title 1-32 chars
	MaxContent       = 100 // §8.3 content 1-100 chars
	MaxNotifyKey     = 8   // §8.3 notifyKey ≤ 8 chars
	MinValidTime     = 1   // §8.3 validTime 1–72 h, default 24
	MaxValidTime     = 72
	DefaultValidTime = 24
	// MaxMessageJSON is not documented in §8; the simulator caps messageJson at 4 KiB
	// so that an oversized payload is refused rather than stored (chosen).
	MaxMessageJSON = 4096
)

// Sign is Meizu's per-request signature (§8.1): every parameter but sign, raw values,
// sorted by name, joined as k1=v1k2=v2..., the appSecret appended, MD5 as lowercase hex.
func Sign(params url.Values, appSecret string) string {
	names := make([]string, 0, len(params))
	for k := range params {
		if k != "sign" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		b.WriteString(k + "=" + params.Get(k))
	}
	sum := md5.Sum([]byte(b.String() + appSecret))
	return hex.EncodeToString(sum[:])
}

// ValidNotifyKey reports whether k is a collapse key of §8.3: 1 to 8 of [0-9a-zA-Z_-].
func ValidNotifyKey(k string) bool {
	if k == "" || len(k) > MaxNotifyKey {
		return false
	}
	for _, r := range k {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_', r == '-':
		default:
			return false
		}
	}
	return true
}
