package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/store"
)

func testApp(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		s := open(t)
		a := &store.App{SDKAppID: appB, SecretKey: "k2", AdminUserID: "admin", Name: "B",
			DevicePolicy: store.OneDevice, Retention: 48 * time.Hour,
			CallbackURL: "https://hooks.example.com/im", CallbackSecret: "s2", CreatedAt: t0}
		must(t, "CreateApp", s.CreateApp(ctx, a))
		// Zero fields take the defaults documented on store.App.
		must(t, "CreateApp", s.CreateApp(ctx, &store.App{SDKAppID: appA, SecretKey: "k1", Name: "A", CreatedAt: t0}))

		got, err := s.FindAppByID(ctx, appB)
		must(t, "FindAppByID", err)
		assertEqual(t, "FindAppByID", got, a)

		apps, err := s.FindApps(ctx)
		must(t, "FindApps", err)
		want := []*store.App{
			{SDKAppID: appA, SecretKey: "k1", AdminUserID: "administrator", Name: "A",
				DevicePolicy: store.OnePerPlatform, Retention: 7 * 24 * time.Hour, CreatedAt: t0},
			a,
		}
		assertEqual(t, "FindApps", apps, want)
	})

	t.Run("CreatedAtDefaultsToNow", func(t *testing.T) {
		s := open(t)
		before := time.Now().Add(-time.Second)
		must(t, "CreateApp", s.CreateApp(ctx, &store.App{SDKAppID: appA}))
		got, err := s.FindAppByID(ctx, appA)
		must(t, "FindAppByID", err)
		if got.CreatedAt.Before(before) || got.CreatedAt.After(time.Now().Add(time.Second)) {
			t.Fatalf("CreatedAt = %v, want about now", got.CreatedAt)
		}
	})

	t.Run("ErrConflict", func(t *testing.T) {
		s := open(t)
		must(t, "CreateApp", s.CreateApp(ctx, &store.App{SDKAppID: appA, Name: "first"}))
		if err := s.CreateApp(ctx, &store.App{SDKAppID: appA, Name: "second"}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("CreateApp(existing) = %v, want ErrConflict", err)
		}
		got, err := s.FindAppByID(ctx, appA)
		must(t, "FindAppByID", err)
		assertEqual(t, "Name", got.Name, "first")
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		if _, err := s.FindAppByID(ctx, appA); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindAppByID = %v, want ErrNotFound", err)
		}
		if err := s.UpdateApp(ctx, appA, store.AppUpdate{Name: ptr("x")}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("UpdateApp = %v, want ErrNotFound", err)
		}
		if err := s.UpdateApp(ctx, appA, store.AppUpdate{}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("UpdateApp(empty) = %v, want ErrNotFound", err)
		}
		apps, err := s.FindApps(ctx)
		must(t, "FindApps", err)
		assertEqual(t, "FindApps", len(apps), 0)
	})

	t.Run("Update", func(t *testing.T) {
		s := open(t)
		a := &store.App{SDKAppID: appA, SecretKey: "k", AdminUserID: "admin", Name: "A",
			DevicePolicy: store.OnePerPlatform, Retention: time.Hour, CreatedAt: t0}
		must(t, "CreateApp", s.CreateApp(ctx, a))
		must(t, "CreateApp", s.CreateApp(ctx, &store.App{SDKAppID: appB, Name: "B", CreatedAt: t0}))

		must(t, "UpdateApp", s.UpdateApp(ctx, appA, store.AppUpdate{Name: ptr("A2"), DevicePolicy: ptr(store.Unlimited)}))
		a.Name, a.DevicePolicy = "A2", store.Unlimited
		got, err := s.FindAppByID(ctx, appA)
		must(t, "FindAppByID", err)
		assertEqual(t, "after first update", got, a)

		must(t, "UpdateApp", s.UpdateApp(ctx, appA, store.AppUpdate{SecretKey: ptr("k2"), AdminUserID: ptr("root"),
			Retention: ptr(3 * time.Hour)}))
		a.SecretKey, a.AdminUserID, a.Retention = "k2", "root", 3*time.Hour
		got, err = s.FindAppByID(ctx, appA)
		must(t, "FindAppByID", err)
		assertEqual(t, "after second update", got, a)

		must(t, "UpdateApp(empty)", s.UpdateApp(ctx, appA, store.AppUpdate{}))
		other, err := s.FindAppByID(ctx, appB)
		must(t, "FindAppByID", err)
		assertEqual(t, "other app's name", other.Name, "B")
	})

	t.Run("Callback", func(t *testing.T) {
		s := open(t)
		a := &store.App{SDKAppID: appA, SecretKey: "k", Name: "A", CreatedAt: t0}
		must(t, "CreateApp", s.CreateApp(ctx, a))
		must(t, "CreateApp", s.CreateApp(ctx, &store.App{SDKAppID: appB, Name: "B", CreatedAt: t0}))
		got, err := s.FindAppByID(ctx, appA)
		must(t, "FindAppByID", err)
		assertEqual(t, "callback of a new app", [2]string{got.CallbackURL, got.CallbackSecret}, [2]string{"", ""})

		must(t, "UpdateApp", s.UpdateApp(ctx, appA, store.AppUpdate{
			CallbackURL: ptr("https://hooks.example.com/im?x=1"), CallbackSecret: ptr("first")}))
		got, err = s.FindAppByID(ctx, appA)
		must(t, "FindAppByID", err)
		assertEqual(t, "after setting", [2]string{got.CallbackURL, got.CallbackSecret},
			[2]string{"https://hooks.example.com/im?x=1", "first"})

		// Rotating the secret keeps the URL; clearing the URL keeps the secret.
		must(t, "UpdateApp", s.UpdateApp(ctx, appA, store.AppUpdate{CallbackSecret: ptr("second")}))
		must(t, "UpdateApp", s.UpdateApp(ctx, appA, store.AppUpdate{CallbackURL: ptr("")}))
		got, err = s.FindAppByID(ctx, appA)
		must(t, "FindAppByID", err)
		assertEqual(t, "after rotating and clearing", [2]string{got.CallbackURL, got.CallbackSecret}, [2]string{"", "second"})
		assertEqual(t, "name kept", got.Name, "A")

		other, err := s.FindAppByID(ctx, appB)
		must(t, "FindAppByID", err)
		assertEqual(t, "other app's callback", [2]string{other.CallbackURL, other.CallbackSecret}, [2]string{"", ""})
	})
}
