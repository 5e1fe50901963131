package auth_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/auth"
)

// vectors is shared/testdata/usersig-vectors.json, made with the reference implementation.
type vectors struct {
	SDKAppID  int64  `json:"sdkAppID"`
	SecretKey string `json:"secretKey"`
	Valid     []struct {
		UserID        string          `json:"userID"`
		SDKAppID      int64           `json:"sdkAppID"`
		IssuedAt      int64           `json:"issuedAt"`
		ExpireSeconds int64           `json:"expireSeconds"`
		UserSig       string          `json:"userSig"`
		Decoded       json.RawMessage `json:"decoded"`
		ValidAt       int64           `json:"validAt"`
		ExpiredAt     int64           `json:"expiredAt"`
	} `json:"valid"`
	Invalid []struct {
		Why      string `json:"why"`
		UserID   string `json:"userID"`
		SDKAppID int64  `json:"sdkAppID"`
		At       int64  `json:"at"`
		UserSig  string `json:"userSig"`
	} `json:"invalid"`
}

// MustLoadVectors reads the vectors from $HERALD_SHARED/testdata, or from the shared folder
// beside the repository. A missing file fails the test: the vectors are the compatibility proof.
func MustLoadVectors(tb testing.TB) *vectors {
	tb.Helper()
	dir := os.Getenv("HERALD_SHARED")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared")
	}
	b, err := os.ReadFile(filepath.Join(dir, "testdata", "usersig-vectors.json"))
	if err != nil {
		tb.Fatalf("read usersig vectors (set HERALD_SHARED to the shared folder): %v", err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		tb.Fatalf("parse usersig vectors: %v", err)
	}
	if len(v.Valid) == 0 || len(v.Invalid) == 0 || v.SecretKey == "" {
		tb.Fatalf("usersig vectors: %d valid, %d invalid, key %q: incomplete file", len(v.Valid), len(v.Invalid), v.SecretKey)
	}
	return &v
}

// jsonEqual reports whether a and b hold the same JSON value, whatever the key order.
func jsonEqual(tb testing.TB, a, b []byte) bool {
	tb.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		tb.Fatalf("unmarshal %s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		tb.Fatalf("unmarshal %s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}

func TestVerifyUserSig_Vectors(t *testing.T) {
	v := MustLoadVectors(t)
	for _, tc := range v.Valid {
		t.Run("OK/"+tc.UserID, func(t *testing.T) {
			if err := auth.VerifyUserSig(tc.SDKAppID, v.SecretKey, tc.UserID, tc.UserSig, time.Unix(tc.ValidAt, 0)); err != nil {
				t.Errorf("VerifyUserSig at validAt: %v", err)
			}
			// The last valid second is issuedAt+expire, as in the reference (now <= time+expire).
			if err := auth.VerifyUserSig(tc.SDKAppID, v.SecretKey, tc.UserID, tc.UserSig, time.Unix(tc.IssuedAt+tc.ExpireSeconds, 0)); err != nil {
				t.Errorf("VerifyUserSig at the last valid second: %v", err)
			}
			err := auth.VerifyUserSig(tc.SDKAppID, v.SecretKey, tc.UserID, tc.UserSig, time.Unix(tc.ExpiredAt, 0))
			if !errors.Is(err, auth.ErrSigExpired) {
				t.Errorf("VerifyUserSig at expiredAt: got %v, want ErrSigExpired", err)
			}

			d, err := auth.DecodeUserSig(tc.UserSig)
			if err != nil {
				t.Fatalf("DecodeUserSig: %v", err)
			}
			got, _ := json.Marshal(d)
			if !jsonEqual(t, got, tc.Decoded) {
				t.Errorf("DecodeUserSig got %s, want %s", got, tc.Decoded)
			}
			if want := time.Unix(tc.IssuedAt+tc.ExpireSeconds, 0); !d.ExpiresAt().Equal(want) {
				t.Errorf("ExpiresAt got %v, want %v", d.ExpiresAt(), want)
			}

			// Our sig for the same input carries the reference's HMAC byte for byte.
			mine, err := auth.GenUserSig(tc.SDKAppID, v.SecretKey, tc.UserID, time.Duration(tc.ExpireSeconds)*time.Second, time.Unix(tc.IssuedAt, 0))
			if err != nil {
				t.Fatalf("GenUserSig: %v", err)
			}
			md, err := auth.DecodeUserSig(mine)
			if err != nil {
				t.Fatalf("DecodeUserSig(GenUserSig): %v", err)
			}
			if got, want := base64.StdEncoding.EncodeToString(md.Sig), base64.StdEncoding.EncodeToString(d.Sig); got != want {
				t.Errorf("GenUserSig TLS.sig got %s, want %s", got, want)
			}
		})
	}

	// Each invalid vector's why, and the error it must give.
	wantErr := map[string]error{
		"signed with another secret key":         auth.ErrSigMismatch,
		"issued for another SDKAppID":            auth.ErrSigAppID,
		"identifier changed after signing":       auth.ErrSigMismatch,
		"a valid sig presented for another user": auth.ErrSigIdentifier,
		"not base64":                             auth.ErrSigMalformed,
		"empty":                                  auth.ErrSigMalformed,
	}
	for _, tc := range v.Invalid {
		t.Run("Err/"+tc.Why, func(t *testing.T) {
			want, ok := wantErr[tc.Why]
			if !ok {
				t.Fatalf("no expected error for invalid vector %q: add it to wantErr", tc.Why)
			}
			err := auth.VerifyUserSig(tc.SDKAppID, v.SecretKey, tc.UserID, tc.UserSig, time.Unix(tc.At, 0))
			if !errors.Is(err, want) {
				t.Errorf("VerifyUserSig(%q) got %v, want %v", tc.Why, err, want)
			}
			if err != nil && tc.UserSig != "" && strings.Contains(err.Error(), tc.UserSig) {
				t.Errorf("error %q repeats the sig", err)
			}
		})
	}
}

func TestGenUserSig_RoundTrip(t *testing.T) {
	const app = 1400000002
	key := auth.NewSecretKey()
	now := time.Unix(1764028800, 0)
	sig, err := auth.GenUserSig(app, key, "carol", 180*24*time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(sig, "+/=") {
		t.Errorf("sig %q has standard base64 characters; want Tencent's *-_", sig)
	}
	later := now.Add(180*24*time.Hour - time.Second)
	if err := auth.VerifyUserSig(app, key, "carol", sig, later); err != nil {
		t.Errorf("VerifyUserSig: %v", err)
	}

	tests := []struct {
		name   string
		app    int64
		key    string
		userID string
		at     time.Time
		want   error
	}{
		{"ErrSigExpired", app, key, "carol", now.Add(180*24*time.Hour + time.Second), auth.ErrSigExpired},
		{"ErrSigMismatch", app, auth.NewSecretKey(), "carol", now, auth.ErrSigMismatch},
		{"ErrSigIdentifier", app, key, "dave", now, auth.ErrSigIdentifier},
		{"ErrSigAppID", app + 1, key, "carol", now, auth.ErrSigAppID},
		{"ErrEmptyKey", app, "", "carol", now, auth.ErrEmptyKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := auth.VerifyUserSig(tt.app, tt.key, tt.userID, sig, tt.at)
			if !errors.Is(err, tt.want) {
				t.Errorf("VerifyUserSig got %v, want %v", err, tt.want)
			}
		})
	}

	t.Run("ErrSigMalformed", func(t *testing.T) {
		for _, bad := range []string{sig[:len(sig)/2], "eJw_", "x", strings.Repeat("A", 9000), sig + "*"} {
			if err := auth.VerifyUserSig(app, key, "carol", bad, now); !errors.Is(err, auth.ErrSigMalformed) {
				t.Errorf("VerifyUserSig(%.20q) got %v, want ErrSigMalformed", bad, err)
			}
		}
	})
}

func TestGenUserSigWithBuf_RoundTrip(t *testing.T) {
	const app = 1400000003
	key := auth.NewSecretKey()
	now := time.Unix(1764028800, 0)
	buf := []byte{0, 1, 2, 0xff, 'r', 'o', 'o', 'm'}
	sig, err := auth.GenUserSigWithBuf(app, key, "erin", time.Hour, buf, now)
	if err != nil {
		t.Fatal(err)
	}
	d, err := auth.DecodeUserSig(sig)
	if err != nil {
		t.Fatal(err)
	}
	if string(d.UserBuf) != string(buf) {
		t.Errorf("TLS.userbuf got %x, want %x", d.UserBuf, buf)
	}
	if err := auth.VerifyUserSigWithBuf(app, key, "erin", sig, buf, now); err != nil {
		t.Errorf("VerifyUserSigWithBuf: %v", err)
	}
	if err := auth.VerifyUserSigWithBuf(app, key, "erin", sig, []byte("other"), now); !errors.Is(err, auth.ErrSigUserBuf) {
		t.Errorf("VerifyUserSigWithBuf(other buf) got %v, want ErrSigUserBuf", err)
	}
	if err := auth.VerifyUserSig(app, key, "erin", sig, now); !errors.Is(err, auth.ErrSigUserBuf) {
		t.Errorf("VerifyUserSig(sig with buf) got %v, want ErrSigUserBuf", err)
	}
	plain, err := auth.GenUserSig(app, key, "erin", time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := auth.VerifyUserSigWithBuf(app, key, "erin", plain, buf, now); !errors.Is(err, auth.ErrSigUserBuf) {
		t.Errorf("VerifyUserSigWithBuf(sig without buf) got %v, want ErrSigUserBuf", err)
	}
}

func TestGenUserSig_Err(t *testing.T) {
	now := time.Unix(1764028800, 0)
	tests := []struct {
		name   string
		app    int64
		key    string
		userID string
		expire time.Duration
		want   error // nil: any error
	}{
		{"ErrInvalidUserID", 1, "k", "bad user", time.Hour, auth.ErrInvalidUserID},
		{"ErrEmptyKey", 1, "", "u", time.Hour, auth.ErrEmptyKey},
		{"ErrAppID", 0, "k", "u", time.Hour, nil},
		{"ErrExpire", 1, "k", "u", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig, err := auth.GenUserSig(tt.app, tt.key, tt.userID, tt.expire, now)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("GenUserSig got (%q, %v), want error %v", sig, err, tt.want)
			}
		})
	}
}

// sigErrors are all the errors VerifyUserSig may return with a non-empty key.
var sigErrors = []error{auth.ErrSigMalformed, auth.ErrSigAppID, auth.ErrSigIdentifier, auth.ErrSigUserBuf, auth.ErrSigMismatch, auth.ErrSigExpired}

func FuzzVerifyUserSig(f *testing.F) {
	v := MustLoadVectors(f)
	for _, tc := range v.Valid {
		f.Add(tc.UserSig)
	}
	for _, tc := range v.Invalid {
		f.Add(tc.UserSig)
	}
	f.Add("eJw_")
	f.Add("eJwDAAAAAAE_") // zlib of nothing
	at := time.Unix(v.Valid[0].ValidAt, 0)
	f.Fuzz(func(t *testing.T, sig string) {
		err := auth.VerifyUserSig(v.SDKAppID, v.SecretKey, "alice", sig, at)
		if err == nil {
			d, derr := auth.DecodeUserSig(sig)
			if derr != nil || d.Identifier != "alice" || d.SDKAppID != v.SDKAppID {
				t.Fatalf("VerifyUserSig accepted %q, decoded as %+v, %v", sig, d, derr)
			}
			return
		}
		for _, e := range sigErrors {
			if errors.Is(err, e) {
				return
			}
		}
		t.Fatalf("VerifyUserSig(%q) got %v, which wraps no ErrSig error", sig, err)
	})
}

func BenchmarkVerifyUserSig(b *testing.B) {
	v := MustLoadVectors(b)
	tc := v.Valid[0]
	at := time.Unix(tc.ValidAt, 0)
	b.ReportAllocs()
	for b.Loop() {
		if err := auth.VerifyUserSig(tc.SDKAppID, v.SecretKey, tc.UserID, tc.UserSig, at); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGenUserSig(b *testing.B) {
	key := auth.NewSecretKey()
	now := time.Unix(1764028800, 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := auth.GenUserSig(1400000001, key, "alice", 24*time.Hour, now); err != nil {
			b.Fatal(err)
		}
	}
}
