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

// countingStore is a real store that counts the reads reaching it: finds of accounts
// (FindAccount, FindAccounts), profiles and receive options.
type countingStore struct {
	store.Store
	finds, profiles, recvOpts int
}

func (s *countingStore) FindAccounts(ctx context.Context, sdkAppID int64, userIDs []string) ([]*store.Account, error) {
	s.finds++
	return s.Store.FindAccounts(ctx, sdkAppID, userIDs)
}

func (s *countingStore) FindAccountProfiles(ctx context.Context, sdkAppID int64, userIDs []string) (map[string]map[string]string, error) {
	s.profiles++
	return s.Store.FindAccountProfiles(ctx, sdkAppID, userIDs)
}

func (s *countingStore) FindRecvOptsOfPeer(ctx context.Context, sdkAppID int64, users []string, peer string) (map[string]store.RecvOpt, error) {
	s.recvOpts++
	return s.Store.FindRecvOptsOfPeer(ctx, sdkAppID, users, peer)
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

// One user's accounts, profile and receive options are read once within the TTL;
// several users' each time.
func TestStore_OneUserReadsCached(t *testing.T) {
	c, st, now := newCache(t)
	ctx := context.Background()
	if err := st.Store.SetAccountProfile(ctx, app, "alice", map[string]string{"Tag_Profile_Custom_x": "1"}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if as, err := c.FindAccounts(ctx, app, []string{"alice"}); err != nil || len(as) != 1 || as[0].Nickname != "Alice" {
			t.Fatalf("FindAccounts(alice) = %v, %v; want Alice", as, err)
		}
		ps, err := c.FindAccountProfiles(ctx, app, []string{"alice"})
		if err != nil || ps["alice"]["Tag_Profile_Custom_x"] != "1" {
			t.Fatalf("FindAccountProfiles(alice) = %v, %v", ps, err)
		}
		ps["alice"]["Tag_Profile_Custom_x"] = "changed by the caller"
		// Bob set nothing for alice: the absence is kept too.
		if opts, err := c.FindRecvOptsOfPeer(ctx, app, []string{"bob"}, "alice"); err != nil || len(opts) != 0 {
			t.Fatalf("FindRecvOptsOfPeer(bob about alice) = %v, %v; want none", opts, err)
		}
	}
	if st.finds != 1 || st.profiles != 1 || st.recvOpts != 1 {
		t.Fatalf("store reads: accounts %d, profiles %d, receive options %d; want 1 each", st.finds, st.profiles, st.recvOpts)
	}
	c.FindAccounts(ctx, app, []string{"alice", "bob"})
	c.FindAccountProfiles(ctx, app, []string{"alice", "bob"})
	c.FindRecvOptsOfPeer(ctx, app, []string{"alice", "bob"}, "carol")
	if st.finds != 2 || st.profiles != 2 || st.recvOpts != 2 {
		t.Fatalf("several users' reads not passed to the store: %d, %d, %d", st.finds, st.profiles, st.recvOpts)
	}
	// Another node mutes bob for alice: seen after the TTL.
	if err := st.Store.SetC2CRecvOpt(ctx, app, "bob", []string{"alice"}, store.NotReceive); err != nil {
		t.Fatal(err)
	}
	*now = now.Add(accountcache.DefaultTTL)
	if opts, _ := c.FindRecvOptsOfPeer(ctx, app, []string{"bob"}, "alice"); opts["bob"] != store.NotReceive {
		t.Fatalf("after the TTL: %v; want bob's NotReceive", opts)
	}
}

// Changes of profiles and receive options made through the cache are seen at once.
func TestStore_ProfileAndRecvOptChangesSeenAtOnce(t *testing.T) {
	c, _, _ := newCache(t)
	ctx := context.Background()
	if err := c.CreateAccounts(ctx, []*store.Account{{SDKAppID: app, UserID: "bob"}}); err != nil {
		t.Fatal(err)
	}
	muted := func() string {
		ps, err := c.FindAccountProfiles(ctx, app, []string{"alice"})
		if err != nil {
			t.Fatal(err)
		}
		return ps["alice"]["Tag_Profile_Custom_m"]
	}
	opt := func(user, peer string) store.RecvOpt {
		opts, err := c.FindRecvOptsOfPeer(ctx, app, []string{user}, peer)
		if err != nil {
			t.Fatal(err)
		}
		return opts[user]
	}
	muted()
	opt("bob", "alice")
	opt("alice", "bob")
	if err := c.SetAccountProfile(ctx, app, "alice", map[string]string{"Tag_Profile_Custom_m": "1"}); err != nil {
		t.Fatal(err)
	}
	if err := c.SetC2CRecvOpt(ctx, app, "bob", []string{"alice"}, store.NotReceive); err != nil {
		t.Fatal(err)
	}
	if err := c.SetC2CRecvOpt(ctx, app, "alice", []string{"bob"}, store.NotReceive); err != nil {
		t.Fatal(err)
	}
	if got := muted(); got != "1" {
		t.Fatalf("after SetAccountProfile: %q; want 1", got)
	}
	if got := opt("bob", "alice"); got != store.NotReceive {
		t.Fatalf("after SetC2CRecvOpt: %v; want NotReceive", got)
	}
	// Deleting alice takes her profile, her options and bob's about her.
	if err := c.DeleteAccount(ctx, app, "alice"); err != nil {
		t.Fatal(err)
	}
	if got := muted(); got != "" {
		t.Fatalf("after DeleteAccount: profile %q; want none", got)
	}
	if got := opt("bob", "alice"); got == store.NotReceive {
		t.Fatal("after DeleteAccount: bob's option about alice still answered")
	}
	if as, err := c.FindAccounts(ctx, app, []string{"alice"}); err != nil || len(as) != 0 {
		t.Fatalf("FindAccounts(alice) after DeleteAccount = %v, %v; want none", as, err)
	}
}
