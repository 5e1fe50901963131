package secret_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/herald-im/herald/internal/secret"
)

func TestBox_SealOpen(t *testing.T) {
	k1, k2 := secret.NewKey(), secret.NewKey()
	b1, _ := secret.NewBox(k1)
	sealed := b1.Seal("f", "s3cret")
	if !secret.IsSealed(sealed) || strings.Contains(sealed, "s3cret") || secret.SealedBy(sealed) != secret.KeyID(k1) {
		t.Fatalf("sealed %q", sealed)
	}
	if sealed == b1.Seal("f", "s3cret") {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	t.Run("OK", func(t *testing.T) {
		if got, err := b1.Open("f", sealed); err != nil || got != "s3cret" {
			t.Fatalf("Open = %q, %v", got, err)
		}
		if got, err := b1.Open("f", "plain"); err != nil || got != "plain" {
			t.Fatalf("Open of a clear value = %q, %v", got, err)
		}
		rotated, _ := secret.NewBox(k2, k1) // seals under k2, still opens k1
		if got, err := rotated.Open("f", sealed); err != nil || got != "s3cret" {
			t.Fatalf("Open with the old key second = %q, %v", got, err)
		}
		if b1.Seal("f", "") != "" {
			t.Error("empty value sealed")
		}
	})
	t.Run("ErrUnknownKey", func(t *testing.T) {
		b2, _ := secret.NewBox(k2)
		if _, err := b2.Open("f", sealed); !errors.Is(err, secret.ErrUnknownKey) {
			t.Fatalf("Open under another key = %v", err)
		}
	})
	t.Run("ErrCorrupt", func(t *testing.T) {
		if _, err := b1.Open("other-field", sealed); !errors.Is(err, secret.ErrCorrupt) {
			t.Errorf("Open in another field = %v, want ErrCorrupt", err)
		}
		tampered := sealed[:len(sealed)-2] + "AA"
		if _, err := b1.Open("f", tampered); !errors.Is(err, secret.ErrCorrupt) {
			t.Errorf("Open of a tampered value = %v, want ErrCorrupt", err)
		}
	})
	t.Run("ErrKeyLength", func(t *testing.T) {
		if _, err := secret.NewBox([]byte("short")); !errors.Is(err, secret.ErrKeyLength) {
			t.Errorf("NewBox(short) = %v", err)
		}
		if _, err := secret.ParseKey("bm90IGEga2V5"); !errors.Is(err, secret.ErrKeyLength) {
			t.Errorf("ParseKey(short) = %v", err)
		}
	})
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	k, created, err := secret.LoadKey("", dir)
	if err != nil || !created || len(k) != secret.KeySize {
		t.Fatalf("LoadKey first = %d bytes, created %v, %v", len(k), created, err)
	}
	fi, err := os.Stat(filepath.Join(dir, secret.KeyFileName))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", fi.Mode(), err)
	}
	again, created, err := secret.LoadKey("", dir)
	if err != nil || created || string(again) != string(k) {
		t.Fatalf("LoadKey again: created %v, %v, same %v", created, err, string(again) == string(k))
	}
	env, _, err := secret.LoadKey(secret.EncodeKey(k), t.TempDir())
	if err != nil || string(env) != string(k) {
		t.Fatalf("LoadKey from env: %v", err)
	}
	if _, _, err := secret.LoadKey("not-a-key", dir); !errors.Is(err, secret.ErrKeyLength) {
		t.Fatalf("LoadKey(bad env) = %v", err)
	}
}

func BenchmarkBox_Open(b *testing.B) {
	box, _ := secret.NewBox(secret.NewKey())
	sealed := box.Seal("certificate.config", strings.Repeat("x", 2400)) // an FCM service account's size
	for b.Loop() {
		if _, err := box.Open("certificate.config", sealed); err != nil {
			b.Fatal(err)
		}
	}
}
