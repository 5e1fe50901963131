package appcache_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/appcache"
	"github.com/herald-im/herald/internal/store"
)

// fakeStore holds apps in a map and counts the lookups that reach it.
type fakeStore struct {
	store.Store // nil: only the methods below are called
	apps        map[int64]store.App
	finds       int
	fail        error
}

func (f *fakeStore) FindAppByID(_ context.Context, id int64) (*store.App, error) {
	f.finds++
	if f.fail != nil {
		return nil, f.fail
	}
	a, ok := f.apps[id]
	if !ok {
		return nil, store.ErrNotFound
	}
	return &a, nil
}

func (f *fakeStore) UpdateApp(_ context.Context, id int64, upd store.AppUpdate) error {
	a := f.apps[id]
	a.SecretKey = *upd.SecretKey
	f.apps[id] = a
	return nil
}

func (f *fakeStore) CreateApp(_ context.Context, a *store.App) error {
	f.apps[a.SDKAppID] = *a
	return nil
}

func newCache() (*appcache.Store, *fakeStore, *time.Time) {
	f := &fakeStore{apps: map[int64]store.App{1: {SDKAppID: 1, SecretKey: "k1"}}}
	now := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	c := appcache.New(f)
	c.Now = func() time.Time { return now }
	return c, f, &now
}

func mustFind(t *testing.T, c *appcache.Store, id int64) *store.App {
	t.Helper()
	a, err := c.FindAppByID(context.Background(), id)
	if err != nil {
		t.Fatalf("FindAppByID(%d) = %v", id, err)
	}
	return a
}

func TestStore_FindAppByID_OK(t *testing.T) {
	c, f, now := newCache()
	a := mustFind(t, c, 1)
	a.SecretKey = "changed by the caller"
	if got := mustFind(t, c, 1); got.SecretKey != "k1" || f.finds != 1 {
		t.Fatalf("second lookup: key %q after %d store reads, want k1 after 1", got.SecretKey, f.finds)
	}
	*now = now.Add(appcache.DefaultTTL)
	mustFind(t, c, 1)
	if f.finds != 2 {
		t.Fatalf("%d store reads after the TTL, want 2", f.finds)
	}
}

func TestStore_UpdateApp_Forgets(t *testing.T) {
	c, f, _ := newCache()
	mustFind(t, c, 1)
	key := "k2"
	if err := c.UpdateApp(context.Background(), 1, store.AppUpdate{SecretKey: &key}); err != nil {
		t.Fatal(err)
	}
	if got := mustFind(t, c, 1); got.SecretKey != "k2" || f.finds != 2 {
		t.Fatalf("after UpdateApp: key %q after %d store reads, want k2 after 2", got.SecretKey, f.finds)
	}
}

func TestStore_FindAppByID_ErrNotFound(t *testing.T) {
	c, f, _ := newCache()
	for range 2 {
		if _, err := c.FindAppByID(context.Background(), 2); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindAppByID(2) = %v, want ErrNotFound", err)
		}
	}
	if f.finds != 1 {
		t.Fatalf("%d store reads for a missing app, want 1 (absence is cached)", f.finds)
	}
	if err := c.CreateApp(context.Background(), &store.App{SDKAppID: 2, SecretKey: "k"}); err != nil {
		t.Fatal(err)
	}
	if got := mustFind(t, c, 2); got.SecretKey != "k" {
		t.Fatalf("after CreateApp: key %q, want k", got.SecretKey)
	}
}

func TestStore_FindAppByID_ErrNotCached(t *testing.T) {
	c, f, _ := newCache()
	f.fail = errors.New("db down")
	if _, err := c.FindAppByID(context.Background(), 1); !errors.Is(err, f.fail) {
		t.Fatalf("FindAppByID = %v, want db down", err)
	}
	f.fail = nil
	if got := mustFind(t, c, 1); got.SecretKey != "k1" || f.finds != 2 {
		t.Fatalf("after a failed read: key %q after %d store reads, want k1 after 2", got.SecretKey, f.finds)
	}
}
