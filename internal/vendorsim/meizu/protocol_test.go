package meizu_test

import (
	"crypto/md5"
	"encoding/hex"
	"net/url"
	"testing"

	"github.com/herald-im/herald/internal/vendorsim/meizu"
)

// TestSign_DocBaseString checks the signature against the base string laid out in
// vendors.md §8.1 (sorted k=v pairs, raw values, appSecret appended), computed here by hand.
func TestSign_DocBaseString(t *testing.T) {
	msg := `{"title": "title","content": "content","pushTimeInfo": {"offLine": 1,"validTime": 24}}`
	base := "appId=10000messageJson=" + msg + "pushIds=RA50c6348036344485d01776773577c64740465480a6b" + "s3cret"
	sum := md5.Sum([]byte(base))
	f := url.Values{"pushIds": {"RA50c6348036344485d01776773577c64740465480a6b"}, "appId": {"10000"}, "messageJson": {msg}, "sign": {"ignored"}}
	if got, want := meizu.Sign(f, "s3cret"), hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}
