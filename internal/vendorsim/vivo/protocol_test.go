package vivo_test

import (
	"crypto/md5"
	"encoding/hex"
	"testing"

	"github.com/herald-im/herald/internal/vendorsim/vivo"
)

// TestSign_DocRequest signs the auth request quoted in vendors.md §7.1 by hand:
// MD5(appId + appKey + timestamp + appSecret), lowercase hex.
func TestSign_DocRequest(t *testing.T) {
	sum := md5.Sum([]byte("10004" + "25509283-3767-4b9e-83fe-b6e55ac6243e" + "1501484120000" + "secret"))
	if got, want := vivo.Sign("10004", "25509283-3767-4b9e-83fe-b6e55ac6243e", 1501484120000, "secret"), hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}
