package apns

import (
	"crypto/ecdsa"
	"crypto/tls"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/sideshow/apns2/token"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/herald-im/herald/internal/push"
)

// tenChars matches Apple's key and team IDs (vendors.md §2.2: 10 characters).
var tenChars = regexp.MustCompile(`^[A-Z0-9]{10}$`)

// auth is one certificate's credentials: a .p8 key for provider tokens, or a client
// certificate.
type auth struct {
	key           *ecdsa.PrivateKey
	keyID, teamID string
	cert          *tls.Certificate

	mu       sync.Mutex // protects current and issuedAt
	current  string     // the provider token in use
	issuedAt time.Time
}

// newAuth reads c's credentials: token auth when KeyP8 is set, certificate auth when
// CertP12 is set; exactly one of them.
func newAuth(c *push.Certificate, now time.Time) (*auth, error) {
	switch {
	case len(c.KeyP8) > 0 && len(c.CertP12) > 0:
		return nil, fmt.Errorf("%w: KeyP8 and CertP12: set one way of authenticating, not both", ErrInvalidCertificate)
	case len(c.KeyP8) > 0:
		key, err := token.AuthKeyFromBytes(c.KeyP8)
		if err != nil {
			return nil, fmt.Errorf("%w: KeyP8: %w", ErrInvalidCertificate, err)
		}
		if !tenChars.MatchString(c.KeyID) {
			return nil, fmt.Errorf("%w: KeyID: %q is not a 10-character key ID", ErrInvalidCertificate, c.KeyID)
		}
		if !tenChars.MatchString(c.TeamID) {
			return nil, fmt.Errorf("%w: TeamID: %q is not a 10-character team ID", ErrInvalidCertificate, c.TeamID)
		}
		return &auth{key: key, keyID: c.KeyID, teamID: c.TeamID}, nil
	case len(c.CertP12) > 0:
		key, leaf, chain, err := pkcs12.DecodeChain(c.CertP12, c.CertPassword)
		if err != nil {
			return nil, fmt.Errorf("%w: CertP12: open with CertPassword: %w", ErrInvalidCertificate, err)
		}
		if now.After(leaf.NotAfter) {
			return nil, fmt.Errorf("%w: CertP12: the push certificate expired on %s", ErrInvalidCertificate, leaf.NotAfter.Format(time.DateOnly))
		}
		tc := &tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: key, Leaf: leaf}
		for _, ca := range chain {
			tc.Certificate = append(tc.Certificate, ca.Raw)
		}
		return &auth{cert: tc}, nil
	default:
		return nil, fmt.Errorf("%w: KeyP8 or CertP12: one is required", ErrInvalidCertificate)
	}
}

// bearer returns the provider token to send, signing a new one when there is none or it
// is older than lifetime; "" with certificate auth. Concurrent callers share one token.
func (a *auth) bearer(now time.Time, lifetime time.Duration) string {
	if a.key == nil {
		return ""
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.current != "" && now.Sub(a.issuedAt) < lifetime {
		return a.current
	}
	t := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"iss": a.teamID, "iat": now.Unix()})
	t.Header["kid"] = a.keyID
	signed, err := t.SignedString(a.key)
	if err != nil {
		// An ECDSA key that parsed always signs; keep the old token rather than none.
		return a.current
	}
	a.current, a.issuedAt = signed, now
	return signed
}

// invalidate drops the provider token if it is still bad, so that of many requests
// refused with it only the first causes a new signature.
func (a *auth) invalidate(bad string) {
	a.mu.Lock()
	if a.current == bad {
		a.current = ""
	}
	a.mu.Unlock()
}
