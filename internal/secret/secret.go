// Package secret encrypts secrets at rest with AES-256-GCM under a master key: vendor
// certificate configs, app secret keys and webhook secrets are stored as ciphertext in
// SQLite and PostgreSQL alike, so a copied database file or dump reveals none of them.
//
// A sealed value reads "hk1:<key id>:<base64 nonce|ciphertext>". The key ID (the first 8
// hex digits of the key's SHA-256) says which key opens it, so a Box can hold the old and
// the new key while `herald keys rotate` re-encrypts.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the master key's length in bytes (AES-256).
const KeySize = 32

// prefix starts every sealed value.
const prefix = "hk1:"

// KeyFileName is the generated key's file in the data dir when HERALD_MASTER_KEY is unset.
const KeyFileName = "master.key"

// Errors returned by Open and by a Box.
var (
	ErrKeyLength  = errors.New("secret: the master key must be 32 bytes, base64 or hex encoded")
	ErrUnknownKey = errors.New("secret: sealed under a master key this node does not have")
	ErrCorrupt    = errors.New("secret: sealed value is corrupt or was tampered with")
)

// Box seals with its first key and opens with any of its keys. Safe for concurrent use.
type Box struct {
	seal keyed
	keys map[string]cipher.AEAD
}

type keyed struct {
	id   string
	aead cipher.AEAD
}

// NewBox returns a Box sealing under keys[0] and opening under every key.
func NewBox(keys ...[]byte) (*Box, error) {
	if len(keys) == 0 {
		return nil, ErrKeyLength
	}
	b := &Box{keys: map[string]cipher.AEAD{}}
	for i, k := range keys {
		if len(k) != KeySize {
			return nil, ErrKeyLength
		}
		blk, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("secret: %w", err)
		}
		aead, err := cipher.NewGCM(blk)
		if err != nil {
			return nil, fmt.Errorf("secret: %w", err)
		}
		id := KeyID(k)
		b.keys[id] = aead
		if i == 0 {
			b.seal = keyed{id, aead}
		}
	}
	return b, nil
}

// KeyID names a key without revealing it: the first 8 hex digits of its SHA-256.
func KeyID(k []byte) string {
	h := sha256.Sum256(k)
	return hex.EncodeToString(h[:4])
}

// SealingKeyID is the ID of the key new values are sealed under.
func (b *Box) SealingKeyID() string { return b.seal.id }

// IsSealed reports whether s is a sealed value (of any key).
func IsSealed(s string) bool { return strings.HasPrefix(s, prefix) }

// SealedBy returns the key ID s was sealed under, or "" if s is not sealed.
func SealedBy(s string) string {
	if !IsSealed(s) {
		return ""
	}
	id, _, _ := strings.Cut(s[len(prefix):], ":")
	return id
}

// Seal encrypts plain, bound to context (a field name: a value cannot be moved to
// another field). An empty plain stays empty: there is nothing to hide.
func (b *Box) Seal(context, plain string) string {
	if plain == "" {
		return ""
	}
	nonce := make([]byte, b.seal.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("secret: read random: " + err.Error()) // crypto/rand does not fail on Linux
	}
	ct := b.seal.aead.Seal(nonce, nonce, []byte(plain), []byte(context))
	return prefix + b.seal.id + ":" + base64.RawStdEncoding.EncodeToString(ct)
}

// Open decrypts a sealed s. A value that is not sealed (a row written before
// encryption) is returned as it is, for the start-up migration to seal.
func (b *Box) Open(context, s string) (string, error) {
	if !IsSealed(s) {
		return s, nil
	}
	id, enc, ok := strings.Cut(s[len(prefix):], ":")
	if !ok {
		return "", ErrCorrupt
	}
	aead, ok := b.keys[id]
	if !ok {
		return "", fmt.Errorf("%w (key %s)", ErrUnknownKey, id)
	}
	ct, err := base64.RawStdEncoding.DecodeString(enc)
	if err != nil || len(ct) < aead.NonceSize() {
		return "", ErrCorrupt
	}
	plain, err := aead.Open(nil, ct[:aead.NonceSize()], ct[aead.NonceSize():], []byte(context))
	if err != nil {
		return "", ErrCorrupt
	}
	return string(plain), nil
}

// ParseKey decodes a master key given as base64 (standard or URL, padded or not) or hex.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, dec := range []func(string) ([]byte, error){
		base64.StdEncoding.DecodeString, base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString, base64.RawURLEncoding.DecodeString, hex.DecodeString,
	} {
		if k, err := dec(s); err == nil && len(k) == KeySize {
			return k, nil
		}
	}
	return nil, ErrKeyLength
}

// NewKey returns a random master key.
func NewKey() []byte {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		panic("secret: read random: " + err.Error())
	}
	return k
}

// EncodeKey writes k as base64, the form of HERALD_MASTER_KEY and the key file.
func EncodeKey(k []byte) string { return base64.StdEncoding.EncodeToString(k) }

// LoadKey returns the master key: env (HERALD_MASTER_KEY) when set, else the key file in
// dir, created (mode 0600) with a random key if missing. created says it was just made.
func LoadKey(env, dir string) (key []byte, created bool, err error) {
	if env != "" {
		k, err := ParseKey(env)
		if err != nil {
			return nil, false, fmt.Errorf("HERALD_MASTER_KEY: %w", err)
		}
		return k, false, nil
	}
	path := filepath.Join(dir, KeyFileName)
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := ParseKey(string(b))
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", path, err)
		}
		if err := os.Chmod(path, 0o600); err != nil {
			return nil, false, fmt.Errorf("chmod %s: %w", path, err)
		}
		return k, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("read master key: %w", err)
	}
	k := NewKey()
	if err := WriteKeyFile(path, k); err != nil {
		return nil, false, err
	}
	return k, true, nil
}

// WriteKeyFile writes k to path, mode 0600, atomically (a temp file renamed over it).
func WriteKeyFile(path string, k []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(EncodeKey(k)+"\n"), 0o600); err != nil {
		return fmt.Errorf("write master key: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write master key: %w", err)
	}
	return nil
}
