package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// The headers of a webhook request that let the receiver check it came from Herald.
const (
	// TimestampHeader holds the Unix time (seconds) the request was signed at.
	TimestampHeader = "X-Herald-Timestamp"
	// SignatureHeader holds "sha256=" and the hex HMAC-SHA256, keyed with the app's
	// callback secret, of the timestamp, a dot and the body: Sign.
	SignatureHeader = "X-Herald-Signature"
)

// Errors returned by Verify.
var (
	// ErrBadSignature is returned by Verify when the signature is missing, malformed or
	// not the body's.
	ErrBadSignature = errors.New("webhook: bad signature")
	// ErrStale is returned by Verify when the timestamp is missing or too far from now:
	// a replayed request.
	ErrStale = errors.New("webhook: stale timestamp")
)

// Sign returns the SignatureHeader value for body sent at timestamp (Unix seconds):
// "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body)). The timestamp is signed
// too, so that a captured request cannot be replayed later with a fresh one.
func Sign(secret string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(timestamp, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a received request's TimestampHeader (timestamp) and SignatureHeader
// (signature) against body, as a receiver written in Go would: it returns
// ErrBadSignature or ErrStale, or nil when the request is Herald's and was signed within
// tolerance of now.
func Verify(secret, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return ErrStale
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	if !strings.HasPrefix(signature, "sha256=") {
		return ErrBadSignature
	}
	if !hmac.Equal([]byte(Sign(secret, ts, body)), []byte(signature)) {
		return ErrBadSignature
	}
	return nil
}
