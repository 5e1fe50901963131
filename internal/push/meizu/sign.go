package meizu

import (
	"crypto/md5"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
)

// Sign returns Meizu's request signature: every parameter except sign, with raw (not
// URL-encoded) values, sorted by name, written as name=value with nothing between them,
// followed by appSecret; the MD5 of that as 32 lowercase hex digits (vendors.md §8.1).
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
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(params.Get(k))
	}
	b.WriteString(appSecret)
	sum := md5.Sum([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}
