// Package auth makes and verifies UserSigs, the signed login tickets of the chat SDK, exactly as
// Tencent's TLS-sig-v2 does (tencent-im-push.md §3.1), and checks user IDs and app secret keys.
//
// A UserSig is the std-base64 HMAC-SHA256 of a few "TLS.x:value" lines, keyed with the app's
// secret key string, carried in a JSON document that is zlib-compressed and base64-encoded with
// Tencent's replacements ('+'→'*', '/'→'-', '='→'_'). Sigs made here verify with every official
// TLS-sig-v2 library and the other way round.
package auth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
)

// Errors returned by VerifyUserSig and VerifyUserSigWithBuf. Each is wrapped with detail; test
// for them with errors.Is. They let the API layer tell a client what to do (get a new sig, use
// the right user or app) without exposing the sig.
var (
	// ErrSigMalformed is returned for an empty sig or one that is not Tencent base64, zlib or
	// the expected JSON document.
	ErrSigMalformed = errors.New("auth: malformed usersig")
	// ErrSigAppID is returned for a sig issued for another SDKAppID.
	ErrSigAppID = errors.New("auth: usersig issued for another sdkappid")
	// ErrSigIdentifier is returned for a sig issued for another user.
	ErrSigIdentifier = errors.New("auth: usersig issued for another user")
	// ErrSigUserBuf is returned when the sig's userbuf is not the one expected (a sig with a
	// userbuf given to VerifyUserSig, or a different or missing userbuf).
	ErrSigUserBuf = errors.New("auth: usersig userbuf mismatch")
	// ErrSigMismatch is returned when the signature does not match: the sig was made with
	// another secret key or its content was changed after signing.
	ErrSigMismatch = errors.New("auth: usersig signature mismatch")
	// ErrSigExpired is returned for an authentic sig whose lifetime has passed.
	ErrSigExpired = errors.New("auth: usersig expired")
)

// ErrInvalidUserID is returned (wrapped, naming the problem) by ValidUserID and GenUserSig for
// an empty, too long or badly spelt user ID.
var ErrInvalidUserID = errors.New("auth: invalid user id")

// ErrEmptyKey is returned by GenUserSig and VerifyUserSig when the app's secret key is empty.
// It is a server configuration error, not the client's fault.
var ErrEmptyKey = errors.New("auth: empty secret key")

// MaxUserIDLen is the longest user ID in bytes, as in Tencent IM login (tencent-im-push.md §2.6).
const MaxUserIDLen = 32

// ValidUserID reports whether s is a usable user ID: 1 to MaxUserIDLen bytes of
// [A-Za-z0-9_-]. Such IDs are safe in NATS subjects, URLs and file names. The error wraps
// ErrInvalidUserID.
func ValidUserID(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: empty", ErrInvalidUserID)
	case len(s) > MaxUserIDLen:
		return fmt.Errorf("%w: %d bytes, at most %d allowed", ErrInvalidUserID, len(s), MaxUserIDLen)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isUserIDByte(c) {
			return fmt.Errorf("%w: byte %q at %d, only A-Z a-z 0-9 _ - allowed", ErrInvalidUserID, c, i)
		}
	}
	return nil
}

func isUserIDByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// SecretKeyLen is the length of a key made by NewSecretKey: 64 hex characters, the shape of a
// Tencent console secret key.
const SecretKeyLen = 64

// NewSecretKey returns a new random app secret key of SecretKeyLen lower-case hex characters
// (32 bytes from crypto/rand). UserSigs are signed with the key string itself, not its bytes.
func NewSecretKey() string {
	var b [SecretKeyLen / 2]byte
	// Since Go 1.24 crypto/rand.Read never returns an error; it crashes the program instead.
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
