package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/internal/store/postgres"
	"github.com/herald-im/herald/internal/store/sqlite"
)

// TestSecrets_EncryptedAtRest: a node's app secret key, webhook secret and every
// vendor certificate's secrets are not in the SQLite file nor in the PostgreSQL rows,
// including those an older Herald wrote in clear before this node started.
func TestSecrets_EncryptedAtRest(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		sims := MustOpenSims(t)
		cfg := MustConfig(t, kind)
		const hookSecret = "webhook-signing-secret-1234567890"
		// An install from before encryption: the app and one certificate in clear.
		var legacy *push.Certificate
		{
			ctx := context.Background()
			var st store.Store
			var err error
			if kind == "postgres" {
				st, err = postgres.Open(ctx, cfg.Postgres)
			} else {
				st, err = sqlite.Open(ctx, filepath.Join(cfg.DataDir, "herald.db"))
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := st.CreateApp(ctx, &store.App{SDKAppID: testAppID, SecretKey: testKey, Name: "old", CallbackSecret: hookSecret, CreatedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
			v := sims.Vendors()[0]
			c := *v.Certificate
			c.ID, c.SDKAppID = 0, testAppID
			sc, err := c.ToStored()
			if err != nil {
				t.Fatal(err)
			}
			if err := st.CreateCertificate(ctx, sc); err != nil {
				t.Fatal(err)
			}
			legacy = &c
			st.Close()
		}
		if kind == "sqlite" {
			os.Chmod(filepath.Join(cfg.DataDir, "herald.db"), 0o644) // as older installs left it
		}

		n := MustOpenNode(t, cfg)
		secrets := append([]string{testKey, hookSecret}, secretsOf(legacy)...)
		for _, v := range sims.Vendors() {
			var created struct{ ID int64 }
			n.adminJSON("POST", "/v1/admin/push/certificates", certBody(t, v, "at rest "+string(v.Vendor)), &created)
			secrets = append(secrets, secretsOf(v.Certificate)...)
		}
		// The node itself still reads them in clear.
		if a, err := n.Store.FindAppByID(ctxT(t), testAppID); err != nil || a.SecretKey != testKey || a.CallbackSecret != hookSecret {
			t.Fatalf("app through the node's store: %v", err)
		}
		cs, err := n.Store.FindCertificates(ctxT(t), testAppID)
		if err != nil || len(cs) != len(sims.Vendors())+1 || !bytes.Contains(cs[0].Config, []byte(`"vendor"`)) && !json.Valid(cs[0].Config) {
			t.Fatalf("certificates through the node's store: %d, %v", len(cs), err)
		}
		n.Close()

		var raw []byte
		if kind == "postgres" {
			conn, err := pgx.Connect(context.Background(), cfg.Postgres)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(context.Background())
			for _, q := range []string{"SELECT secret_key || callback_secret FROM apps", "SELECT coalesce(config, '') FROM certificates"} {
				rows, err := conn.Query(context.Background(), q)
				if err != nil {
					t.Fatal(err)
				}
				for rows.Next() {
					var s string
					rows.Scan(&s)
					raw = append(raw, s...)
					raw = append(raw, '\n')
				}
				rows.Close()
			}
		} else {
			entries, _ := os.ReadDir(cfg.DataDir)
			for _, e := range entries {
				if e.IsDir() {
					continue
				}
				p := filepath.Join(cfg.DataDir, e.Name())
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				if e.Name() != "master.key" {
					raw = append(raw, b...)
				}
				if fi, _ := os.Stat(p); fi.Mode().Perm()&0o077 != 0 {
					t.Errorf("%s has mode %v, want 0600", e.Name(), fi.Mode().Perm())
				}
			}
			if fi, _ := os.Stat(cfg.DataDir); fi.Mode().Perm() != 0o700 {
				t.Errorf("data dir mode %v, want 0700", fi.Mode().Perm())
			}
		}
		if !bytes.Contains(raw, []byte("hk1:")) {
			t.Fatalf("no sealed value in the raw rows")
		}
		assertNoSecrets(t, kind+" raw rows", raw, secrets)
	})
}
