// Package appcache keeps the apps a store.Store finds for a short while, so that the
// lookups of every login and API call (the app's key and device policy) do not each
// read and decrypt the app's row. A change made through the cache is seen at once on
// this node; one made on another node sharing the database within TTL.
package appcache

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/herald-im/herald/internal/store"
)

// DefaultTTL is how long a found app (or its absence) is kept: an app changed on
// another node (a rotated secret key, a new device policy) takes effect here within it.
const DefaultTTL = time.Second

// Store is a store.Store whose FindAppByID answers from a cache. CreateApp and
// UpdateApp go to the wrapped store and drop the app's entry. It is safe for
// concurrent use.
type Store struct {
	store.Store
	// TTL is how long an entry is kept. Default DefaultTTL.
	TTL time.Duration
	// Now returns the current time. Default time.Now.
	Now func() time.Time

	mu      sync.Mutex // protects the fields below
	entries map[int64]entry
	gen     uint64 // moves on every change, so that a lookup racing one is not kept
}

type entry struct {
	app     *store.App // nil with err
	err     error
	expires time.Time
}

// New returns st with a cache of apps in front.
func New(st store.Store) *Store {
	return &Store{Store: st, TTL: DefaultTTL, Now: time.Now, entries: map[int64]entry{}}
}

// FindAppByID returns the app, from the cache while its entry is fresh. The caller
// gets its own copy. store.ErrNotFound is cached too; other errors are not.
func (s *Store) FindAppByID(ctx context.Context, sdkAppID int64) (*store.App, error) {
	now := s.Now()
	s.mu.Lock()
	e, ok := s.entries[sdkAppID]
	gen := s.gen
	s.mu.Unlock()
	if !ok || !now.Before(e.expires) {
		a, err := s.Store.FindAppByID(ctx, sdkAppID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		e = entry{app: a, err: err, expires: now.Add(s.TTL)}
		s.mu.Lock()
		if s.gen == gen {
			s.entries[sdkAppID] = e
		}
		s.mu.Unlock()
	}
	if e.err != nil {
		return nil, e.err
	}
	cp := *e.app
	return &cp, nil
}

// CreateApp creates the app and drops any cached absence of it.
func (s *Store) CreateApp(ctx context.Context, a *store.App) error {
	defer s.forget(a.SDKAppID)
	return s.Store.CreateApp(ctx, a)
}

// UpdateApp changes the app and drops its entry.
func (s *Store) UpdateApp(ctx context.Context, sdkAppID int64, upd store.AppUpdate) error {
	defer s.forget(sdkAppID)
	return s.Store.UpdateApp(ctx, sdkAppID, upd)
}

// forget drops an app's entry after a change (also a failed one: it may have landed).
func (s *Store) forget(sdkAppID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.entries, sdkAppID)
	s.gen++
}
