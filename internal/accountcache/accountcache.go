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
	"sync"
	"time"

	"github.com/herald-im/herald/internal/store"
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

	mu      sync.Mutex // protects the fields below
	entries map[key]entry
	gen     uint64 // moves on every change, so that a lookup racing one is not kept
}

type key struct {
	app  int64
	user string
}

type entry struct {
	account *store.Account
	expires time.Time
}

// New returns st with a cache of accounts in front.
func New(st store.Store) *Store {
	return &Store{Store: st, TTL: DefaultTTL, Now: time.Now, entries: map[key]entry{}}
}

// FindAccount returns the account, from the cache while its entry is fresh. The caller
// gets its own copy. Errors (store.ErrNotFound too) are not cached.
func (s *Store) FindAccount(ctx context.Context, sdkAppID int64, userID string) (*store.Account, error) {
	k, now := key{sdkAppID, userID}, s.Now()
	s.mu.Lock()
	e, ok := s.entries[k]
	gen := s.gen
	s.mu.Unlock()
	if !ok || !now.Before(e.expires) {
		a, err := s.Store.FindAccount(ctx, sdkAppID, userID)
		if err != nil {
			return nil, err
		}
		e = entry{account: a, expires: now.Add(s.TTL)}
		s.mu.Lock()
		if s.gen == gen {
			s.put(k, e, now)
		}
		s.mu.Unlock()
	}
	cp := *e.account
	return &cp, nil
}

// put stores an entry, making room first when the cache is full. s.mu is held.
func (s *Store) put(k key, e entry, now time.Time) {
	if len(s.entries) >= maxEntries {
		for k, e := range s.entries {
			if !now.Before(e.expires) {
				delete(s.entries, k)
			}
		}
		if len(s.entries) >= maxEntries {
			clear(s.entries)
		}
	}
	s.entries[k] = e
}

// CreateAccounts creates or updates the accounts and drops their entries.
func (s *Store) CreateAccounts(ctx context.Context, as []*store.Account) error {
	defer func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, a := range as {
			delete(s.entries, key{a.SDKAppID, a.UserID})
		}
		s.gen++
	}()
	return s.Store.CreateAccounts(ctx, as)
}

// UpdateAccount changes the account and drops its entry.
func (s *Store) UpdateAccount(ctx context.Context, sdkAppID int64, userID string, upd store.AccountUpdate) error {
	defer s.forget(sdkAppID, userID)
	return s.Store.UpdateAccount(ctx, sdkAppID, userID, upd)
}

// DeleteAccount deletes the account and drops its entry.
func (s *Store) DeleteAccount(ctx context.Context, sdkAppID int64, userID string) error {
	defer s.forget(sdkAppID, userID)
	return s.Store.DeleteAccount(ctx, sdkAppID, userID)
}

// forget drops an account's entry after a change (also a failed one: it may have
// landed).
func (s *Store) forget(sdkAppID int64, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.entries, key{sdkAppID, userID})
	s.gen++
}
