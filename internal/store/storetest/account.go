package storetest

import (
	"context"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/store"
)

func testAccount(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		s := open(t)
		alice := &store.Account{SDKAppID: appA, UserID: "alice", Nickname: "Alice", FaceURL: "https://f/a",
			CreatedAt: t0, DNDStart: 22 * time.Hour, DNDDuration: 8 * time.Hour}
		bob := &store.Account{SDKAppID: appA, UserID: "bob", Nickname: "Bob", CreatedAt: t0}
		otherAlice := &store.Account{SDKAppID: appB, UserID: "alice", Nickname: "Other", CreatedAt: t0}
		must(t, "CreateAccounts", s.CreateAccounts(ctx, []*store.Account{alice, bob, otherAlice}))

		got, err := s.FindAccount(ctx, appA, "alice")
		must(t, "FindAccount", err)
		assertEqual(t, "FindAccount", got, alice)
		got, err = s.FindAccount(ctx, appB, "alice")
		must(t, "FindAccount", err)
		assertEqual(t, "FindAccount(app B)", got, otherAlice)

		as, err := s.FindAccounts(ctx, appA, []string{"bob", "alice", "carol"})
		must(t, "FindAccounts", err)
		sort.Slice(as, func(i, j int) bool { return as[i].UserID < as[j].UserID })
		assertEqual(t, "FindAccounts", as, []*store.Account{alice, bob})

		as, err = s.FindAccounts(ctx, appB, []string{"bob"})
		must(t, "FindAccounts(app B)", err)
		assertEqual(t, "FindAccounts(app B)", len(as), 0)
	})

	t.Run("ImportIsIdempotent", func(t *testing.T) {
		s := open(t)
		must(t, "CreateAccounts", s.CreateAccounts(ctx, []*store.Account{{SDKAppID: appA, UserID: "alice",
			Nickname: "Alice", FaceURL: "f1", CreatedAt: t0, DNDStart: time.Hour, DNDDuration: time.Hour}}))
		// A second import updates nickname and face URL only.
		must(t, "CreateAccounts", s.CreateAccounts(ctx, []*store.Account{{SDKAppID: appA, UserID: "alice",
			Nickname: "Alicia", FaceURL: "f2", CreatedAt: at(60)}}))
		got, err := s.FindAccount(ctx, appA, "alice")
		must(t, "FindAccount", err)
		assertEqual(t, "FindAccount", got, &store.Account{SDKAppID: appA, UserID: "alice", Nickname: "Alicia",
			FaceURL: "f2", CreatedAt: t0, DNDStart: time.Hour, DNDDuration: time.Hour})
	})

	t.Run("Update", func(t *testing.T) {
		s := open(t)
		must(t, "CreateAccounts", s.CreateAccounts(ctx, []*store.Account{
			{SDKAppID: appA, UserID: "alice", Nickname: "Alice", CreatedAt: t0},
			{SDKAppID: appB, UserID: "alice", Nickname: "Alice", CreatedAt: t0},
		}))
		must(t, "UpdateAccount", s.UpdateAccount(ctx, appA, "alice", store.AccountUpdate{
			FaceURL: ptr("f"), DNDStart: ptr(23 * time.Hour), DNDDuration: ptr(30 * time.Minute)}))
		must(t, "UpdateAccount", s.UpdateAccount(ctx, appA, "alice", store.AccountUpdate{Nickname: ptr("Al")}))
		got, err := s.FindAccount(ctx, appA, "alice")
		must(t, "FindAccount", err)
		assertEqual(t, "FindAccount", got, &store.Account{SDKAppID: appA, UserID: "alice", Nickname: "Al",
			FaceURL: "f", CreatedAt: t0, DNDStart: 23 * time.Hour, DNDDuration: 30 * time.Minute})
		got, err = s.FindAccount(ctx, appB, "alice")
		must(t, "FindAccount(app B)", err)
		assertEqual(t, "app B's account", got.Nickname, "Alice")
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		must(t, "CreateAccounts", s.CreateAccounts(ctx, []*store.Account{{SDKAppID: appB, UserID: "alice"}}))
		if _, err := s.FindAccount(ctx, appA, "alice"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindAccount = %v, want ErrNotFound", err)
		}
		if err := s.UpdateAccount(ctx, appA, "alice", store.AccountUpdate{Nickname: ptr("x")}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("UpdateAccount = %v, want ErrNotFound", err)
		}
	})
}
