package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/herald-im/herald/internal/secret"
	"github.com/herald-im/herald/internal/store"
)

// NextKeyFileName holds the new key while `herald keys rotate` runs; a node finding it
// (an interrupted rotation) opens values sealed under it too.
const NextKeyFileName = secret.KeyFileName + ".next"

// OpenBox returns the box sealing under c's master key (HERALD_MASTER_KEY, else the key
// file in the data dir, generated on first use) and opening under it and, if present,
// the key of an interrupted rotation.
func OpenBox(c Config) (*secret.Box, error) {
	if c.MasterKey == "" {
		if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
	}
	k, _, err := secret.LoadKey(c.MasterKey, c.DataDir)
	if err != nil {
		return nil, err
	}
	keys := [][]byte{k}
	if next, err := os.ReadFile(filepath.Join(c.DataDir, NextKeyFileName)); err == nil {
		if nk, err := secret.ParseKey(string(next)); err == nil {
			keys = append(keys, nk)
		}
	}
	return secret.NewBox(keys...)
}

// sealStore wraps st so that secrets are sealed at rest, and seals the rows an older
// Herald wrote in clear (or an interrupted rotation left under the next key).
func sealStore(ctx context.Context, st store.Store, c Config) (store.Store, error) {
	box, err := OpenBox(c)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	s := secret.NewStore(st, box)
	if _, err := s.SealAll(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// restrictFiles makes the data dir 0700 and the SQLite files 0600 (older installs made
// them 0755 and 0644), creating the database file 0600 so SQLite's -wal and -shm,
// which copy its mode, are 0600 too.
func restrictFiles(dir, db string) error {
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("chmod data dir: %w", err)
	}
	f, err := os.OpenFile(db, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	f.Close()
	for _, p := range []string{db, db + "-wal", db + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("chmod %s: %w", p, err)
		}
	}
	return nil
}

// RotateMasterKey re-seals every secret of c's store under newKey (a random one if nil)
// and returns how many values it rewrote and the new key. With a key file (no
// HERALD_MASTER_KEY), the new key is written to master.key.next first and renamed over
// master.key once every value is re-sealed, so an interruption loses nothing: a node or
// a second run opens values under either key. With HERALD_MASTER_KEY the caller must
// give every node the new key. Run it while the nodes are stopped.
func RotateMasterKey(ctx context.Context, c Config, newKey []byte) (int, []byte, error) {
	if newKey == nil {
		newKey = secret.NewKey()
	}
	oldKey, _, err := secret.LoadKey(c.MasterKey, c.DataDir)
	if err != nil {
		return 0, nil, err
	}
	keys := [][]byte{newKey, oldKey}
	if next, err := os.ReadFile(filepath.Join(c.DataDir, NextKeyFileName)); err == nil && c.MasterKey == "" {
		if nk, err := secret.ParseKey(string(next)); err == nil {
			keys = append(keys, nk)
		}
	}
	box, err := secret.NewBox(keys...)
	if err != nil {
		return 0, nil, err
	}
	nextPath := filepath.Join(c.DataDir, NextKeyFileName)
	if c.MasterKey == "" {
		if err := secret.WriteKeyFile(nextPath, newKey); err != nil {
			return 0, nil, err
		}
	}
	raw, err := openRawStore(ctx, c)
	if err != nil {
		return 0, nil, err
	}
	defer raw.Close()
	n, err := secret.NewStore(raw, box).SealAll(ctx)
	if err != nil {
		return n, nil, fmt.Errorf("re-seal: %w", err)
	}
	if c.MasterKey == "" {
		if err := os.Rename(nextPath, filepath.Join(c.DataDir, secret.KeyFileName)); err != nil {
			return n, nil, fmt.Errorf("install new master key: %w", err)
		}
	}
	return n, newKey, nil
}
