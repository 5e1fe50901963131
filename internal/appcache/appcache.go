// Package appcache keeps the apps a store.Store finds for a short while, so that the
// lookups of every login and API call (the app's key and device policy) do not each
// read and decrypt the app's row. A change made through the cache is seen at once on
// this node; one made on another node sharing the database within TTL.
package appcache

import (
	"context"
	"errors"
	"time"

	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/internal/ttlcache"
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

	apps *ttlcache.Cache[int64, found]
}

// found is what a lookup found: the app, or store.ErrNotFound.
type found struct {
	app *store.App // nil with err
	err error
}

// New returns st with a cache of apps in front.
func New(st store.Store) *Store {
	return &Store{Store: st, TTL: DefaultTTL, Now: time.Now, apps: ttlcache.New[int64, found](0)}
}

// FindAppByID returns the app, from the cache while its entry is fresh. The caller
// gets its own copy. store.ErrNotFound is cached too; other errors are not.
func (s *Store) FindAppByID(ctx context.Context, sdkAppID int64) (*store.App, error) {
	f, err := s.apps.Get(sdkAppID, s.Now(), s.TTL, func() (found, error) {
		a, err := s.Store.FindAppByID(ctx, sdkAppID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return found{}, err
		}
		return found{app: a, err: err}, nil
	})
	if err != nil {
		return nil, err
	}
	if f.err != nil {
		return nil, f.err
	}
	cp := *f.app
	return &cp, nil
}

// CreateApp creates the app and drops any cached absence of it.
func (s *Store) CreateApp(ctx context.Context, a *store.App) error {
	defer s.apps.Forget(a.SDKAppID)
	return s.Store.CreateApp(ctx, a)
}

// UpdateApp changes the app and drops its entry.
func (s *Store) UpdateApp(ctx context.Context, sdkAppID int64, upd store.AppUpdate) error {
	defer s.apps.Forget(sdkAppID)
	return s.Store.UpdateApp(ctx, sdkAppID, upd)
}
