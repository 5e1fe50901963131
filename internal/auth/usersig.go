package auth

import (
	"bytes"
	"compress/zlib"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SigVersion is the TLS.ver of every sig GenUserSig makes.
const SigVersion = "2.0"

// Limits on what DecodeUserSig reads, so that a hostile sig costs little. Real sigs are a few
// hundred bytes; a PrivateMapKey userbuf adds a few dozen.
const (
	maxSigLen     = 8 << 10
	maxInflateLen = 16 << 10
)

// SigDoc is the decoded content of a UserSig. Times are unix seconds.
type SigDoc struct {
	Version    string `json:"TLS.ver"`
	Identifier string `json:"TLS.identifier"`
	SDKAppID   int64  `json:"TLS.sdkappid"`
	Time       int64  `json:"TLS.time"`   // issued at
	Expire     int64  `json:"TLS.expire"` // lifetime in seconds, counted from Time
	UserBuf    []byte `json:"TLS.userbuf,omitempty"`
	Sig        []byte `json:"TLS.sig"` // HMAC-SHA256 of the TLS lines
}

// ExpiresAt returns the last instant at which the sig is valid.
func (d *SigDoc) ExpiresAt() time.Time {
	return time.Unix(addSat(d.Time, d.Expire), 0)
}

// GenUserSig returns a UserSig for userID of app sdkAppID, signed with the app's secret key,
// issued at now and valid for expire (whole seconds; at least one second).
// Tencent's console default is 180 days.
func GenUserSig(sdkAppID int64, key, userID string, expire time.Duration, now time.Time) (string, error) {
	return GenUserSigWithBuf(sdkAppID, key, userID, expire, nil, now)
}

// GenUserSigWithBuf is GenUserSig with a userbuf signed into the sig (TRTC uses it for the
// PrivateMapKey room rights). An empty userBuf is the same as none.
func GenUserSigWithBuf(sdkAppID int64, key, userID string, expire time.Duration, userBuf []byte, now time.Time) (string, error) {
	switch {
	case sdkAppID <= 0:
		return "", fmt.Errorf("gen usersig: sdkappid %d is not positive", sdkAppID)
	case key == "":
		return "", fmt.Errorf("gen usersig: %w", ErrEmptyKey)
	case expire < time.Second:
		return "", fmt.Errorf("gen usersig: expire %v is under one second", expire)
	}
	if err := ValidUserID(userID); err != nil {
		return "", fmt.Errorf("gen usersig: %w", err)
	}
	d := SigDoc{
		Version:    SigVersion,
		Identifier: userID,
		SDKAppID:   sdkAppID,
		Time:       now.Unix(),
		Expire:     int64(expire / time.Second),
	}
	if len(userBuf) > 0 {
		d.UserBuf = userBuf
	}
	d.Sig = mac(key, &d)
	j, err := json.Marshal(&d)
	if err != nil {
		return "", fmt.Errorf("gen usersig: %w", err)
	}
	var buf bytes.Buffer
	zw := zlibWriters.Get().(*zlib.Writer)
	defer zlibWriters.Put(zw)
	zw.Reset(&buf)
	_, _ = zw.Write(j) // writes to a bytes.Buffer do not fail
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("gen usersig: %w", err)
	}
	return sigReplacer.Replace(base64.StdEncoding.EncodeToString(buf.Bytes())), nil
}

// VerifyUserSig checks that sig is a UserSig of userID in app sdkAppID, signed with key and
// valid at now, and that it carries no userbuf. It returns nil or an error wrapping one of
// ErrSigMalformed, ErrSigAppID, ErrSigIdentifier, ErrSigUserBuf, ErrSigMismatch,
// ErrSigExpired (checked in that order, so that only an authentic sig is reported expired),
// or ErrEmptyKey. It never panics, whatever sig holds.
func VerifyUserSig(sdkAppID int64, key, userID, sig string, now time.Time) error {
	return VerifyUserSigWithBuf(sdkAppID, key, userID, sig, nil, now)
}

// VerifyUserSigWithBuf is VerifyUserSig for a sig that must carry exactly userBuf. An empty
// userBuf means the sig must carry none.
func VerifyUserSigWithBuf(sdkAppID int64, key, userID, sig string, userBuf []byte, now time.Time) error {
	if key == "" {
		return fmt.Errorf("verify usersig: %w", ErrEmptyKey)
	}
	d, err := DecodeUserSig(sig)
	if err != nil {
		return err
	}
	switch {
	case d.SDKAppID != sdkAppID:
		return fmt.Errorf("%w: sig has %d, want %d", ErrSigAppID, d.SDKAppID, sdkAppID)
	case d.Identifier != userID:
		// The identifier is the client's own claim; echoing it back reveals nothing.
		return fmt.Errorf("%w: sig has %q, want %q", ErrSigIdentifier, d.Identifier, userID)
	case !bytes.Equal(d.UserBuf, userBuf) && (len(d.UserBuf) > 0 || len(userBuf) > 0):
		return ErrSigUserBuf
	case !hmac.Equal(d.Sig, mac(key, d)):
		return ErrSigMismatch
	case now.Unix() > addSat(d.Time, d.Expire):
		return fmt.Errorf("%w: at %s", ErrSigExpired, d.ExpiresAt().UTC().Format(time.RFC3339))
	}
	return nil
}

// DecodeUserSig decodes sig without checking its signature. The error wraps ErrSigMalformed.
// A document is returned only if it has an identifier, an sdkappid and a signature.
func DecodeUserSig(sig string) (*SigDoc, error) {
	if sig == "" {
		return nil, fmt.Errorf("%w: empty", ErrSigMalformed)
	}
	if len(sig) > maxSigLen {
		return nil, fmt.Errorf("%w: %d bytes, at most %d allowed", ErrSigMalformed, len(sig), maxSigLen)
	}
	z, err := base64.StdEncoding.DecodeString(sigUnreplacer.Replace(sig))
	if err != nil {
		return nil, fmt.Errorf("%w: base64: %w", ErrSigMalformed, err)
	}
	j, err := inflate(z)
	if err != nil {
		return nil, fmt.Errorf("%w: zlib: %w", ErrSigMalformed, err)
	}
	if len(j) > maxInflateLen {
		return nil, fmt.Errorf("%w: inflates beyond %d bytes", ErrSigMalformed, maxInflateLen)
	}
	var d SigDoc
	if err := unmarshalSigDoc(j, &d); err != nil {
		return nil, fmt.Errorf("%w: json: %w", ErrSigMalformed, err)
	}
	switch {
	case d.Identifier == "":
		return nil, fmt.Errorf("%w: no TLS.identifier", ErrSigMalformed)
	case d.SDKAppID == 0:
		return nil, fmt.Errorf("%w: no TLS.sdkappid", ErrSigMalformed)
	case len(d.Sig) == 0:
		return nil, fmt.Errorf("%w: no TLS.sig", ErrSigMalformed)
	}
	return &d, nil
}

// zlib's writer and reader hold hundreds of kilobytes of state; reusing them makes GenUserSig
// and VerifyUserSig several times cheaper.
var (
	zlibWriters = sync.Pool{New: func() any { return zlib.NewWriter(nil) }}
	zlibReaders sync.Pool // of io.ReadCloser that are zlib.Resetter
)

// inflate returns the zlib-decompressed z, reading at most maxInflateLen+1 bytes.
func inflate(z []byte) ([]byte, error) {
	var zr io.ReadCloser
	if r, ok := zlibReaders.Get().(io.ReadCloser); ok {
		if err := r.(zlib.Resetter).Reset(bytes.NewReader(z), nil); err != nil {
			zlibReaders.Put(r)
			return nil, err
		}
		zr = r
	} else {
		r, err := zlib.NewReader(bytes.NewReader(z))
		if err != nil {
			return nil, err
		}
		zr = r
	}
	defer zlibReaders.Put(zr)
	return io.ReadAll(io.LimitReader(zr, maxInflateLen+1))
}

// mac returns the HMAC-SHA256, keyed with the key string, of the TLS lines of d
// (tencent-im-push.md §3.1 step 1), taking the userbuf line only when there is a userbuf.
func mac(key string, d *SigDoc) []byte {
	var b []byte
	b = append(b, "TLS.identifier:"...)
	b = append(b, d.Identifier...)
	b = append(b, "\nTLS.sdkappid:"...)
	b = strconv.AppendInt(b, d.SDKAppID, 10)
	b = append(b, "\nTLS.time:"...)
	b = strconv.AppendInt(b, d.Time, 10)
	b = append(b, "\nTLS.expire:"...)
	b = strconv.AppendInt(b, d.Expire, 10)
	b = append(b, '\n')
	if len(d.UserBuf) > 0 {
		b = append(b, "TLS.userbuf:"...)
		b = base64.StdEncoding.AppendEncode(b, d.UserBuf)
		b = append(b, '\n')
	}
	h := hmac.New(sha256.New, []byte(key))
	h.Write(b)
	return h.Sum(nil)
}

// addSat returns a+b, clamped to the int64 range instead of wrapping, so that a huge
// TLS.expire cannot wrap into the past or a negative one overflow.
func addSat(a, b int64) int64 {
	switch {
	case b > 0 && a > math.MaxInt64-b:
		return math.MaxInt64
	case b < 0 && a < math.MinInt64-b:
		return math.MinInt64
	}
	return a + b
}

// Tencent's base64 variant swaps the three characters that are awkward in URLs.
var (
	sigReplacer   = strings.NewReplacer("+", "*", "/", "-", "=", "_")
	sigUnreplacer = strings.NewReplacer("*", "+", "-", "/", "_", "=")
)
