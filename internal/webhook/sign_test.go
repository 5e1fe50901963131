package webhook_test

import (
	"errors"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/webhook"
)

func TestSign(t *testing.T) {
	// The value docs/webhooks.md shows: printf '%s.%s' 1700000000 '{"Events":[]}' |
	// openssl dgst -sha256 -hmac secret
	got := webhook.Sign("secret", 1700000000, []byte(`{"Events":[]}`))
	want := "sha256=db006d92f7651d1de0b8ccff8664273fbf8052ee044cf6b5c04703aaf635a52a"
	if got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(1700000000, 0)
	body := []byte(`{"Events":[{"EventTime":1}]}`)
	sig := webhook.Sign("secret", now.Unix(), body)
	tests := []struct {
		name            string
		secret, ts, sig string
		body            string
		want            error
	}{
		{"OK", "secret", "1700000000", sig, string(body), nil},
		{"ErrWrongSecret", "other", "1700000000", sig, string(body), webhook.ErrBadSignature},
		{"ErrChangedBody", "secret", "1700000000", sig, `{"Events":[]}`, webhook.ErrBadSignature},
		{"ErrOtherTimestamp", "secret", "1700000001", sig, string(body), webhook.ErrBadSignature},
		{"ErrNoPrefix", "secret", "1700000000", sig[7:], string(body), webhook.ErrBadSignature},
		{"ErrStale", "secret", "1699999000", webhook.Sign("secret", 1699999000, body), string(body), webhook.ErrStale},
		{"ErrNoTimestamp", "secret", "", sig, string(body), webhook.ErrStale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.Verify(tt.secret, tt.ts, tt.sig, []byte(tt.body), now, 5*time.Minute)
			if !errors.Is(err, tt.want) {
				t.Errorf("Verify(%q, %q, %q) = %v, want %v", tt.secret, tt.ts, tt.sig, err, tt.want)
			}
		})
	}
}
