package app_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/herald-im/herald/internal/app"
	"github.com/herald-im/herald/internal/secret"
)

// TestRotateMasterKey: rotation re-seals every secret under the new key, the old key
// opens nothing afterwards, and the node starts with the new key.
func TestRotateMasterKey(t *testing.T) {
	t.Run("KeyFile", func(t *testing.T) {
		cfg := MustConfig(t, "sqlite")
		n := MustOpenNode(t, cfg)
		n.Close()
		keyPath := filepath.Join(cfg.DataDir, secret.KeyFileName)
		oldKey, _ := os.ReadFile(keyPath)
		count, k, err := app.RotateMasterKey(ctxT(t), cfg, nil)
		if err != nil || count == 0 {
			t.Fatalf("rotate: %d values, %v", count, err)
		}
		newKey, _ := os.ReadFile(keyPath)
		if string(newKey) == string(oldKey) || secret.EncodeKey(k)+"\n" != string(newKey) {
			t.Fatalf("master.key not replaced by the new key")
		}
		if fi, _ := os.Stat(keyPath); fi.Mode().Perm() != 0o600 {
			t.Errorf("new key file mode %v", fi.Mode().Perm())
		}
		if _, err := os.Stat(filepath.Join(cfg.DataDir, app.NextKeyFileName)); !os.IsNotExist(err) {
			t.Errorf("master.key.next left behind: %v", err)
		}
		// The old key alone no longer opens the app.
		old := cfg
		old.MasterKey = string(oldKey)
		if st, err := app.OpenStore(ctxT(t), old); err == nil {
			st.Close()
			t.Fatal("the old key still opens the store")
		}
		n2 := MustOpenNode(t, cfg)
		if a, err := n2.Store.FindAppByID(ctxT(t), testAppID); err != nil || a.SecretKey != testKey {
			t.Fatalf("after rotation: %v", err)
		}
	})
	t.Run("Env", func(t *testing.T) {
		cfg := MustConfig(t, "sqlite")
		cfg.MasterKey = secret.EncodeKey(secret.NewKey())
		MustOpenNode(t, cfg).Close()
		if _, err := os.Stat(filepath.Join(cfg.DataDir, secret.KeyFileName)); !os.IsNotExist(err) {
			t.Errorf("a key file was written although HERALD_MASTER_KEY is set")
		}
		next := secret.NewKey()
		if _, _, err := app.RotateMasterKey(ctxT(t), cfg, next); err != nil {
			t.Fatal(err)
		}
		cfg.MasterKey = secret.EncodeKey(next)
		n := MustOpenNode(t, cfg)
		if a, err := n.Store.FindAppByID(ctxT(t), testAppID); err != nil || a.SecretKey != testKey {
			t.Fatalf("after rotation: %v", err)
		}
	})
}
