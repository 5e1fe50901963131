// Package accountcache keeps the accounts a store.Store finds for a short while: every
// one-to-one message reads its sender's account (does it exist), its recipient's (does
// it exist) and, for the push, the sender's nickname — three reads of one row per
// message on the store's hot path. A change made through the cache is seen at once on
// this node; one made on another node sharing the database within TTL. An account
// that does not exist is not cached, so an account imported on another node can be
// messaged at once.
package accountcache

import (
	"context"
	"time"

	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/internal/ttlcache"
)

// DefaultTTL is how long a found account is kept: a nickname or do-not-disturb window
// changed on another node takes effect here within it, and a deleted account stops
// receiving within it.
const DefaultTTL = time.Second

// maxEntries bounds the cache: past it, expired entries are dropped, and if none
// were, all of them (a busy node refills what it needs within a TTL).
const maxEntries = 100_000

// Store is a store.Store whose FindAccount answers from a cache. CreateAccounts,
// UpdateAccount and DeleteAccount go to the wrapped store and drop the accounts'
// entries. It is safe for concurrent use.
type Store struct {
	store.Store
	// TTL is how long an entry is kept. Default DefaultTTL.
	TTL time.Duration
	// Now returns the current time. Default time.Now.
	Now func() time.Time

	accounts *ttlcache.Cache[key, *store.Account]
}

type key struct {
	app  int64
	user string
}

// New returns st with a cache of accounts in front.
func New(st store.Store) *Store {
	return &Store{Store: st, TTL: DefaultTTL, Now: time.Now, accounts: ttlcache.New[key, *store.Account](maxEntries)}
}

// FindAccount returns the account, from the cache while its entry is fresh. The caller
// gets its own copy. Errors (store.ErrNotFound too) are not cached.
func (s *Store) FindAccount(ctx context.Context, sdkAppID int64, userID string) (*store.Account, error) {
	a, err := s.accounts.Get(key{sdkAppID, userID}, s.Now(), s.TTL, func() (*store.Account, error) {
		return s.Store.FindAccount(ctx, sdkAppID, userID)
	})
	if err != nil {
		return nil, err
	}
	cp := *a
	return &cp, nil
}

// CreateAccounts creates or updates the accounts and drops their entries.
func (s *Store) CreateAccounts(ctx context.Context, as []*store.Account) error {
	keys := make([]key, len(as))
	for i, a := range as {
		keys[i] = key{a.SDKAppID, a.UserID}
	}
	defer s.accounts.Forget(keys...)
	return s.Store.CreateAccounts(ctx, as)
}

// UpdateAccount changes the account and drops its entry.
func (s *Store) UpdateAccount(ctx context.Context, sdkAppID int64, userID string, upd store.AccountUpdate) error {
	defer s.accounts.Forget(key{sdkAppID, userID})
	return s.Store.UpdateAccount(ctx, sdkAppID, userID, upd)
}

// DeleteAccount deletes the account and drops its entry.
func (s *Store) DeleteAccount(ctx context.Context, sdkAppID int64, userID string) error {
	defer s.accounts.Forget(key{sdkAppID, userID})
	return s.Store.DeleteAccount(ctx, sdkAppID, userID)
}
