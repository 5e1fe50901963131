// Package accountcache keeps what a store.Store finds of one user for a short while:
// every one-to-one message reads its sender's account (does it exist), its recipient's
// (does it exist, and for the push its do-not-disturb window), the sender's profile
// (muted app-wide?) and, twice, the recipient's receive option for the sender — six
// reads of one row each per message on the store's hot path. A change made through the
// cache is seen at once on this node; one made on another node sharing the database
// within TTL. An account that does not exist is not cached, so an account imported on
// another node can be messaged at once.
package accountcache

import (
	"context"
	"errors"
	"maps"
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
	profiles *ttlcache.Cache[key, map[string]string] // nil: the user has no tags
	recvOpts *ttlcache.Cache[peerKey, recvOpt]
}

type key struct {
	app  int64
	user string
}

// peerKey names the option user set for messages from peer.
type peerKey struct {
	app        int64
	user, peer string
}

// recvOpt is a receive option found, set or not.
type recvOpt struct {
	opt store.RecvOpt
	set bool
}

// New returns st with a cache of accounts, profiles and receive options in front.
func New(st store.Store) *Store {
	return &Store{Store: st, TTL: DefaultTTL, Now: time.Now,
		accounts: ttlcache.New[key, *store.Account](maxEntries),
		profiles: ttlcache.New[key, map[string]string](maxEntries),
		recvOpts: ttlcache.New[peerKey, recvOpt](maxEntries),
	}
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

// FindAccounts returns the accounts that exist among userIDs; one user's from the
// cache (as FindAccount), several users' from the store.
func (s *Store) FindAccounts(ctx context.Context, sdkAppID int64, userIDs []string) ([]*store.Account, error) {
	if len(userIDs) != 1 {
		return s.Store.FindAccounts(ctx, sdkAppID, userIDs)
	}
	a, err := s.FindAccount(ctx, sdkAppID, userIDs[0])
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return []*store.Account{a}, nil
}

// FindAccountProfiles returns the profiles of userIDs; one user's from the cache (the
// caller gets its own copy), several users' from the store.
func (s *Store) FindAccountProfiles(ctx context.Context, sdkAppID int64, userIDs []string) (map[string]map[string]string, error) {
	if len(userIDs) != 1 {
		return s.Store.FindAccountProfiles(ctx, sdkAppID, userIDs)
	}
	user := userIDs[0]
	items, err := s.profiles.Get(key{sdkAppID, user}, s.Now(), s.TTL, func() (map[string]string, error) {
		ps, err := s.Store.FindAccountProfiles(ctx, sdkAppID, userIDs)
		return ps[user], err
	})
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]string{}
	if items != nil {
		out[user] = maps.Clone(items)
	}
	return out, nil
}

// SetAccountProfile sets the user's profile tags and drops the user's entry.
func (s *Store) SetAccountProfile(ctx context.Context, sdkAppID int64, userID string, items map[string]string) error {
	defer s.profiles.Forget(key{sdkAppID, userID})
	return s.Store.SetAccountProfile(ctx, sdkAppID, userID, items)
}

// FindRecvOptsOfPeer returns the options users set for peer; one user's from the
// cache, several users' from the store.
func (s *Store) FindRecvOptsOfPeer(ctx context.Context, sdkAppID int64, users []string, peer string) (map[string]store.RecvOpt, error) {
	if len(users) != 1 {
		return s.Store.FindRecvOptsOfPeer(ctx, sdkAppID, users, peer)
	}
	user := users[0]
	o, err := s.recvOpts.Get(peerKey{sdkAppID, user, peer}, s.Now(), s.TTL, func() (recvOpt, error) {
		opts, err := s.Store.FindRecvOptsOfPeer(ctx, sdkAppID, users, peer)
		opt, set := opts[user]
		return recvOpt{opt, set}, err
	})
	if err != nil {
		return nil, err
	}
	out := map[string]store.RecvOpt{}
	if o.set {
		out[user] = o.opt
	}
	return out, nil
}

// SetC2CRecvOpt sets userID's option for peers and drops their entries.
func (s *Store) SetC2CRecvOpt(ctx context.Context, sdkAppID int64, userID string, peers []string, opt store.RecvOpt) error {
	keys := make([]peerKey, len(peers))
	for i, p := range peers {
		keys[i] = peerKey{sdkAppID, userID, p}
	}
	defer s.recvOpts.Forget(keys...)
	return s.Store.SetC2CRecvOpt(ctx, sdkAppID, userID, peers, opt)
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

// DeleteAccount deletes the account with its profile and the receive options it set
// and peers set about it, and drops their entries (every receive option's: those
// about the user cannot be listed, and deleting an account is rare).
func (s *Store) DeleteAccount(ctx context.Context, sdkAppID int64, userID string) error {
	defer s.recvOpts.Clear()
	defer s.profiles.Forget(key{sdkAppID, userID})
	defer s.accounts.Forget(key{sdkAppID, userID})
	return s.Store.DeleteAccount(ctx, sdkAppID, userID)
}
