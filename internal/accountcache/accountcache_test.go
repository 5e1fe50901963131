package accountcache_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/accountcache"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/internal/store/sqlite"
)

// countingStore is a real store that counts the FindAccount calls reaching it.
type countingStore struct {
	store.Store
	finds int
}

func (s *countingStore) FindAccount(ctx context.Context, sdkAppID int64, userID string) (*store.Account, error) {
	s.finds++
	return s.Store.FindAccount(ctx, sdkAppID, userID)
}

const app = 1400000001

// newCache returns the cache over a fresh SQLite store holding alice, the store
// itself (a change there is another node's) and the cache's clock.
func newCache(t *testing.T) (*accountcache.Store, *countingStore, *time.Time) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "herald.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.CreateApp(ctx, &store.App{SDKAppID: app, SecretKey: "k", Name: "test"}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateAccounts(ctx, []*store.Account{{SDKAppID: app, UserID: "alice", Nickname: "Alice"}}); err != nil {
		t.Fatal(err)
	}
	st := &countingStore{Store: db}
	now := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	c := accountcache.New(st)
	c.Now = func() time.Time { return now }
	return c, st, &now
}

func nickname(t *testing.T, c *accountcache.Store, user string) string {
	t.Helper()
	a, err := c.FindAccount(context.Background(), app, user)
	if err != nil {
		t.Fatalf("FindAccount(%s) = %v", user, err)
	}
	return a.Nickname
}

func TestStore_FindAccount_Cached(t *testing.T) {
	c, st, now := newCache(t)
	a, _ := c.FindAccount(context.Background(), app, "alice")
	a.Nickname = "changed by the caller"
	if got := nickname(t, c, "alice"); got != "Alice" || st.finds != 1 {
		t.Fatalf("second lookup: %q after %d store reads; want Alice after 1", got, st.finds)
	}
	// Another node renames her: seen once the entry is older than the TTL.
	name := "Alice B."
	if err := st.Store.UpdateAccount(context.Background(), app, "alice", store.AccountUpdate{Nickname: &name}); err != nil {
		t.Fatal(err)
	}
	if got := nickname(t, c, "alice"); got != "Alice" {
		t.Fatalf("within the TTL: %q; want the cached Alice", got)
	}
	*now = now.Add(accountcache.DefaultTTL)
	if got := nickname(t, c, "alice"); got != name || st.finds != 2 {
		t.Fatalf("after the TTL: %q after %d store reads; want %q after 2", got, st.finds, name)
	}
}

func TestStore_ChangesThroughCacheSeenAtOnce(t *testing.T) {
	c, _, _ := newCache(t)
	ctx := context.Background()
	nickname(t, c, "alice")
	name := "Al"
	if err := c.UpdateAccount(ctx, app, "alice", store.AccountUpdate{Nickname: &name}); err != nil {
		t.Fatal(err)
	}
	if got := nickname(t, c, "alice"); got != name {
		t.Fatalf("after UpdateAccount: %q; want %q", got, name)
	}
	if err := c.CreateAccounts(ctx, []*store.Account{{SDKAppID: app, UserID: "alice", Nickname: "Alicia"}}); err != nil {
		t.Fatal(err)
	}
	if got := nickname(t, c, "alice"); got != "Alicia" {
		t.Fatalf("after CreateAccounts: %q; want Alicia", got)
	}
	if err := c.DeleteAccount(ctx, app, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.FindAccount(ctx, app, "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after DeleteAccount: %v; want ErrNotFound", err)
	}
}

// An account that does not exist is asked again every time: one imported on another
// node can be messaged at once.
func TestStore_FindAccount_AbsenceNotCached(t *testing.T) {
	c, st, _ := newCache(t)
	ctx := context.Background()
	if _, err := c.FindAccount(ctx, app, "bob"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("FindAccount(bob) = %v; want ErrNotFound", err)
	}
	if err := st.Store.CreateAccounts(ctx, []*store.Account{{SDKAppID: app, UserID: "bob", Nickname: "Bob"}}); err != nil {
		t.Fatal(err)
	}
	if got := nickname(t, c, "bob"); got != "Bob" {
		t.Fatalf("after another node imported bob: %q; want Bob", got)
	}
}
