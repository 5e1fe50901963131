package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/store"
)

func testCertificate(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("Create", func(t *testing.T) {
		s := open(t)
		// Config comes back byte for byte: spacing, key order and escapes included.
		config := json.RawMessage(`{ "z": 1,  "a":"\u00e9\n", "key": "-----BEGIN PRIVATE KEY-----\nMII" }`)
		c1 := &store.Certificate{SDKAppID: appA, Vendor: "fcm", Name: "Android", Config: config}
		must(t, "CreateCertificate", s.CreateCertificate(ctx, c1))
		c2 := &store.Certificate{SDKAppID: appA, Vendor: "apns", Name: "iOS"}
		must(t, "CreateCertificate", s.CreateCertificate(ctx, c2))
		cb := &store.Certificate{SDKAppID: appB, Vendor: "fcm", Name: "B", Config: json.RawMessage(`{}`)}
		must(t, "CreateCertificate", s.CreateCertificate(ctx, cb))
		if c1.ID == 0 || c2.ID <= c1.ID || cb.ID == c1.ID || cb.ID == c2.ID {
			t.Fatalf("IDs = %d, %d, %d; want distinct, non-zero and increasing", c1.ID, c2.ID, cb.ID)
		}
		if c1.CreatedAt.IsZero() || !c1.UpdatedAt.Equal(c1.CreatedAt) {
			t.Fatalf("CreatedAt = %v, UpdatedAt = %v; want set and equal", c1.CreatedAt, c1.UpdatedAt)
		}

		got, err := s.FindCertificateByID(ctx, appA, c1.ID)
		must(t, "FindCertificateByID", err)
		assertEqual(t, "FindCertificateByID", got, c1)
		if string(got.Config) != string(config) {
			t.Fatalf("Config = %s, want %s", got.Config, config)
		}
		got, err = s.FindCertificateByID(ctx, appA, c2.ID)
		must(t, "FindCertificateByID", err)
		assertEqual(t, "FindCertificateByID without config", got, c2)

		cs, err := s.FindCertificates(ctx, appA)
		must(t, "FindCertificates", err)
		assertEqual(t, "FindCertificates(app A)", cs, []*store.Certificate{c1, c2})
		cs, err = s.FindCertificates(ctx, appB)
		must(t, "FindCertificates", err)
		assertEqual(t, "FindCertificates(app B)", cs, []*store.Certificate{cb})
		cs, err = s.FindCertificates(ctx, 42)
		must(t, "FindCertificates", err)
		if len(cs) != 0 {
			t.Fatalf("FindCertificates(no such app) = %s, want none", dump(cs))
		}

		if _, err := s.FindCertificateByID(ctx, appB, c1.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindCertificateByID(app B, A's certificate) = %v, want ErrNotFound", err)
		}
		if _, err := s.FindCertificateByID(ctx, appA, cb.ID+100); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindCertificateByID(no such ID) = %v, want ErrNotFound", err)
		}
	})

	t.Run("Update", func(t *testing.T) {
		s := open(t)
		c := &store.Certificate{SDKAppID: appA, Vendor: "huawei", Name: "old", Config: json.RawMessage(`{"app_id":"1"}`)}
		must(t, "CreateCertificate", s.CreateCertificate(ctx, c))

		must(t, "UpdateCertificate", s.UpdateCertificate(ctx, appA, c.ID, store.CertificateUpdate{Name: ptr("new")}))
		got, err := s.FindCertificateByID(ctx, appA, c.ID)
		must(t, "FindCertificateByID", err)
		if got.Name != "new" || string(got.Config) != `{"app_id":"1"}` || got.Vendor != "huawei" {
			t.Fatalf("after name update: %s", dump(got))
		}
		if !got.CreatedAt.Equal(c.CreatedAt) || got.UpdatedAt.Before(c.CreatedAt) {
			t.Fatalf("CreatedAt = %v, UpdatedAt = %v; want CreatedAt %v kept and UpdatedAt not before it",
				got.CreatedAt, got.UpdatedAt, c.CreatedAt)
		}

		config := json.RawMessage(`{"app_id": "2",   "secret":"s"}`)
		must(t, "UpdateCertificate", s.UpdateCertificate(ctx, appA, c.ID, store.CertificateUpdate{Config: config}))
		got, err = s.FindCertificateByID(ctx, appA, c.ID)
		must(t, "FindCertificateByID", err)
		if got.Name != "new" || string(got.Config) != string(config) {
			t.Fatalf("after config update: %s", dump(got))
		}

		for _, upd := range []store.CertificateUpdate{{Name: ptr("x")}, {}} {
			if err := s.UpdateCertificate(ctx, appB, c.ID, upd); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("UpdateCertificate(app B, %s) = %v, want ErrNotFound", dump(upd), err)
			}
			if err := s.UpdateCertificate(ctx, appA, c.ID+1, upd); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("UpdateCertificate(no such ID, %s) = %v, want ErrNotFound", dump(upd), err)
			}
		}
		got, err = s.FindCertificateByID(ctx, appA, c.ID)
		must(t, "FindCertificateByID", err)
		assertEqual(t, "name after updates from app B", got.Name, "new")
	})

	t.Run("Delete", func(t *testing.T) {
		s := open(t)
		c1 := mustCreateCertificate(t, s, appA, "xiaomi")
		c2 := mustCreateCertificate(t, s, appA, "oppo")
		mustUpsertDevices(t, s, appA, "alice/phone", "alice/pad", "bob/phone", "carol/phone")
		mustUpsertDevices(t, s, appB, "alice/phone")
		mustBind(t, s, appA, "alice/phone", c1.ID, "t1")
		mustBind(t, s, appA, "alice/pad", c1.ID, "t2")
		mustBind(t, s, appA, "bob/phone", c2.ID, "t1")
		must(t, "UpdateDevice", s.UpdateDevice(ctx, appA, "carol", "phone", store.DeviceUpdate{Badge: ptr(3)}))
		// A device of another app naming the same certificate ID is not the app's to touch.
		must(t, "UpdateDevice", s.UpdateDevice(ctx, appB, "alice", "phone",
			store.DeviceUpdate{CertificateID: ptr(c1.ID), PushToken: ptr("t1")}))

		if err := s.DeleteCertificate(ctx, appB, c1.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("DeleteCertificate(app B) = %v, want ErrNotFound", err)
		}
		assertBinding(t, s, appA, "alice/phone", c1.ID, "t1")

		must(t, "DeleteCertificate", s.DeleteCertificate(ctx, appA, c1.ID))
		if _, err := s.FindCertificateByID(ctx, appA, c1.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindCertificateByID after delete = %v, want ErrNotFound", err)
		}
		cs, err := s.FindCertificates(ctx, appA)
		must(t, "FindCertificates", err)
		assertEqual(t, "FindCertificates after delete", cs, []*store.Certificate{c2})

		assertBinding(t, s, appA, "alice/phone", 0, "")
		assertBinding(t, s, appA, "alice/pad", 0, "")
		assertBinding(t, s, appA, "bob/phone", c2.ID, "t1")
		assertBinding(t, s, appB, "alice/phone", c1.ID, "t1")
		d, err := s.FindDevice(ctx, appA, "carol", "phone")
		must(t, "FindDevice", err)
		assertEqual(t, "badge of an unbound device", d.Badge, 3)

		if err := s.DeleteCertificate(ctx, appA, c1.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("DeleteCertificate twice = %v, want ErrNotFound", err)
		}
	})
}

func testPushToken(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("Bind", func(t *testing.T) {
		s := open(t)
		c := mustCreateCertificate(t, s, appA, "fcm")
		mustUpsertDevices(t, s, appA, "alice/phone")
		must(t, "UpdateDevice", s.UpdateDevice(ctx, appA, "alice", "phone", store.DeviceUpdate{Badge: ptr(2)}))
		unbound, err := s.BindPushToken(ctx, appA, "alice", "phone", c.ID, "tok")
		must(t, "BindPushToken", err)
		if len(unbound) != 0 {
			t.Fatalf("BindPushToken unbound %s, want none", dump(unbound))
		}
		d, err := s.FindDevice(ctx, appA, "alice", "phone")
		must(t, "FindDevice", err)
		if d.CertificateID != c.ID || d.PushToken != "tok" || d.Badge != 2 || d.State != store.Offline {
			t.Fatalf("device after bind = %s, want bound to %d/tok with the rest kept", dump(d), c.ID)
		}

		// Binding again, or the same token anew, unbinds nobody.
		unbound, err = s.BindPushToken(ctx, appA, "alice", "phone", c.ID, "tok")
		must(t, "BindPushToken again", err)
		if len(unbound) != 0 {
			t.Fatalf("BindPushToken again unbound %s, want none", dump(unbound))
		}
		mustBind(t, s, appA, "alice/phone", c.ID, "tok2")
		assertBinding(t, s, appA, "alice/phone", c.ID, "tok2")
	})

	t.Run("Move", func(t *testing.T) {
		s := open(t)
		c1 := mustCreateCertificate(t, s, appA, "huawei")
		c2 := mustCreateCertificate(t, s, appA, "honor")
		cb := mustCreateCertificate(t, s, appB, "huawei")
		mustUpsertDevices(t, s, appA, "alice/phone", "bob/phone", "carol/phone", "dave/phone")
		mustUpsertDevices(t, s, appB, "alice/phone")
		mustBind(t, s, appA, "alice/phone", c1.ID, "tok")
		mustBind(t, s, appA, "carol/phone", c2.ID, "tok") // same token, other certificate
		mustBind(t, s, appB, "alice/phone", cb.ID, "tok")
		// Bound to the same pair outside BindPushToken: every holder is unbound.
		must(t, "UpdateDevice", s.UpdateDevice(ctx, appA, "dave", "phone",
			store.DeviceUpdate{CertificateID: ptr(c1.ID), PushToken: ptr("tok")}))

		// The phone changes hands: bob logs in on it and binds its token.
		unbound, err := s.BindPushToken(ctx, appA, "bob", "phone", c1.ID, "tok")
		must(t, "BindPushToken", err)
		var got []string
		for _, d := range unbound {
			got = append(got, d.UserID+"/"+d.DeviceID)
			if d.SDKAppID != appA || d.CertificateID != 0 || d.PushToken != "" {
				t.Fatalf("unbound device %s still shows a binding", dump(d))
			}
		}
		assertEqual(t, "unbound devices", got, []string{"alice/phone", "dave/phone"})

		assertBinding(t, s, appA, "bob/phone", c1.ID, "tok")
		assertBinding(t, s, appA, "alice/phone", 0, "")
		assertBinding(t, s, appA, "dave/phone", 0, "")
		assertBinding(t, s, appA, "carol/phone", c2.ID, "tok")
		assertBinding(t, s, appB, "alice/phone", cb.ID, "tok")

		// And back again.
		unbound, err = s.BindPushToken(ctx, appA, "alice", "phone", c1.ID, "tok")
		must(t, "BindPushToken back", err)
		if len(unbound) != 1 || unbound[0].UserID != "bob" {
			t.Fatalf("BindPushToken back unbound %s, want bob/phone", dump(unbound))
		}
		assertBinding(t, s, appA, "bob/phone", 0, "")
		assertBinding(t, s, appA, "alice/phone", c1.ID, "tok")
	})

	t.Run("MoveConcurrent", func(t *testing.T) {
		// Devices binding one token at once: exactly one keeps it.
		s := open(t)
		c := mustCreateCertificate(t, s, appA, "vivo")
		const n = 8
		var keys []string
		for i := range n {
			keys = append(keys, fmt.Sprintf("user%d/phone", i))
		}
		mustUpsertDevices(t, s, appA, keys...)
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.BindPushToken(ctx, appA, fmt.Sprintf("user%d", i), "phone", c.ID, "shared")
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			must(t, "BindPushToken", err)
		}
		ds, err := s.FindDevices(ctx, store.DeviceFilter{SDKAppID: appA, PushToken: ptr("shared")})
		must(t, "FindDevices", err)
		if len(ds) != 1 || ds[0].CertificateID != c.ID {
			t.Fatalf("devices holding the token = %s, want exactly one", dump(ds))
		}
	})

	t.Run("EmptyToken", func(t *testing.T) {
		s := open(t)
		c := mustCreateCertificate(t, s, appA, "fcm")
		mustUpsertDevices(t, s, appA, "alice/phone", "bob/phone")
		mustBind(t, s, appA, "alice/phone", c.ID, "t1")
		mustBind(t, s, appA, "bob/phone", c.ID, "t2")
		unbound, err := s.BindPushToken(ctx, appA, "alice", "phone", c.ID, "")
		must(t, "BindPushToken(empty)", err)
		if len(unbound) != 0 {
			t.Fatalf("BindPushToken(empty) unbound %s, want none", dump(unbound))
		}
		assertBinding(t, s, appA, "alice/phone", 0, "")
		assertBinding(t, s, appA, "bob/phone", c.ID, "t2")
		// Also with no certificate, as a logout sends it.
		mustBind(t, s, appA, "bob/phone", 0, "")
		assertBinding(t, s, appA, "bob/phone", 0, "")
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		c := mustCreateCertificate(t, s, appA, "fcm")
		cb := mustCreateCertificate(t, s, appB, "fcm")
		mustUpsertDevices(t, s, appA, "alice/phone")
		mustBind(t, s, appA, "alice/phone", c.ID, "tok")
		for _, tt := range []struct {
			name, user string
			app, cert  int64
			token      string
		}{
			{"NoDevice", "bob", appA, c.ID, "tok"},
			{"NoDeviceEmptyToken", "bob", appA, c.ID, ""},
			{"DeviceOfOtherApp", "alice", appB, cb.ID, "tok"},
			{"CertificateOfOtherApp", "alice", appA, cb.ID, "tok"},
			{"NoCertificate", "alice", appA, cb.ID + 100, "tok"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				unbound, err := s.BindPushToken(ctx, tt.app, tt.user, "phone", tt.cert, tt.token)
				if !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("BindPushToken = %s, %v; want ErrNotFound", dump(unbound), err)
				}
			})
		}
		// Nothing changed.
		assertBinding(t, s, appA, "alice/phone", c.ID, "tok")
	})

	t.Run("Unbind", func(t *testing.T) {
		s := open(t)
		c1 := mustCreateCertificate(t, s, appA, "oppo")
		c2 := mustCreateCertificate(t, s, appA, "meizu")
		mustUpsertDevices(t, s, appA, "alice/phone", "bob/phone", "carol/phone")
		mustUpsertDevices(t, s, appB, "alice/phone")
		mustBind(t, s, appA, "alice/phone", c1.ID, "bad")
		mustBind(t, s, appA, "carol/phone", c2.ID, "bad")
		must(t, "UpdateDevice", s.UpdateDevice(ctx, appA, "bob", "phone",
			store.DeviceUpdate{CertificateID: ptr(c1.ID), PushToken: ptr("bad")}))
		must(t, "UpdateDevice", s.UpdateDevice(ctx, appB, "alice", "phone",
			store.DeviceUpdate{CertificateID: ptr(c1.ID), PushToken: ptr("bad")}))

		n, err := s.UnbindPushToken(ctx, appA, c1.ID, "bad")
		must(t, "UnbindPushToken", err)
		assertEqual(t, "UnbindPushToken count", n, 2)
		assertBinding(t, s, appA, "alice/phone", 0, "")
		assertBinding(t, s, appA, "bob/phone", 0, "")
		assertBinding(t, s, appA, "carol/phone", c2.ID, "bad")
		assertBinding(t, s, appB, "alice/phone", c1.ID, "bad")

		n, err = s.UnbindPushToken(ctx, appA, c1.ID, "bad")
		must(t, "UnbindPushToken again", err)
		assertEqual(t, "UnbindPushToken count again", n, 0)
		n, err = s.UnbindPushToken(ctx, appA, 0, "")
		must(t, "UnbindPushToken(empty)", err)
		assertEqual(t, "UnbindPushToken(empty) count", n, 0)
	})
}

func testBadge(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("Increment", func(t *testing.T) {
		s := open(t)
		mustUpsertDevices(t, s, appA, "alice/phone")
		mustUpsertDevices(t, s, appB, "alice/phone")
		must(t, "UpdateDevice", s.UpdateDevice(ctx, appA, "alice", "phone", store.DeviceUpdate{Badge: ptr(5)}))
		for want := 6; want <= 7; want++ {
			got, err := s.IncrementBadge(ctx, appA, "alice", "phone")
			must(t, "IncrementBadge", err)
			assertEqual(t, "IncrementBadge", got, want)
		}
		d, err := s.FindDevice(ctx, appA, "alice", "phone")
		must(t, "FindDevice", err)
		assertEqual(t, "Badge", d.Badge, 7)
		d, err = s.FindDevice(ctx, appB, "alice", "phone")
		must(t, "FindDevice(app B)", err)
		assertEqual(t, "app B's badge", d.Badge, 0)
	})

	t.Run("Concurrent", func(t *testing.T) {
		s := open(t)
		mustUpsertDevices(t, s, appA, "alice/phone")
		const workers, each = 8, 10
		var wg sync.WaitGroup
		results := make(chan int, workers*each)
		errs := make(chan error, workers*each)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					n, err := s.IncrementBadge(ctx, appA, "alice", "phone")
					if err != nil {
						errs <- err
						return
					}
					results <- n
				}
			}()
		}
		wg.Wait()
		close(results)
		close(errs)
		for err := range errs {
			must(t, "IncrementBadge", err)
		}
		// Every increment saw a value of its own: 1 to workers*each, each once.
		var got []int
		for n := range results {
			got = append(got, n)
		}
		sort.Ints(got)
		want := make([]int, workers*each)
		for i := range want {
			want[i] = i + 1
		}
		assertEqual(t, "values returned", got, want)
		d, err := s.FindDevice(ctx, appA, "alice", "phone")
		must(t, "FindDevice", err)
		assertEqual(t, "Badge", d.Badge, workers*each)
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		mustUpsertDevices(t, s, appB, "alice/phone")
		if _, err := s.IncrementBadge(ctx, appA, "alice", "phone"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("IncrementBadge = %v, want ErrNotFound", err)
		}
	})

	t.Run("IncrementBatch", func(t *testing.T) {
		s := open(t)
		mustUpsertDevices(t, s, appA, "alice/phone", "alice/pad", "bob/phone")
		mustUpsertDevices(t, s, appB, "alice/phone", "carol/phone")
		must(t, "UpdateDevice", s.UpdateDevice(ctx, appA, "alice", "phone", store.DeviceUpdate{Badge: ptr(5)}))

		got, err := s.IncrementBadges(ctx, appA, nil)
		must(t, "IncrementBadges(none)", err)
		assertEqual(t, "IncrementBadges(none)", got, map[store.DeviceKey]int{})

		key := func(u, d string) store.DeviceKey { return store.DeviceKey{UserID: u, DeviceID: d} }
		got, err = s.IncrementBadges(ctx, appA, []store.DeviceKey{
			key("bob", "phone"), key("alice", "phone"), key("carol", "phone"), key("bob", "phone"), key("alice", "pad"),
		})
		must(t, "IncrementBadges", err)
		// bob's phone is named twice and gains two; carol has no device in app A.
		assertEqual(t, "IncrementBadges", got, map[store.DeviceKey]int{
			key("alice", "phone"): 6, key("alice", "pad"): 1, key("bob", "phone"): 2,
		})
		got, err = s.IncrementBadges(ctx, appA, []store.DeviceKey{key("alice", "phone")})
		must(t, "IncrementBadges again", err)
		assertEqual(t, "IncrementBadges again", got, map[store.DeviceKey]int{key("alice", "phone"): 7})

		for _, c := range []struct {
			app   int64
			key   string
			badge int
		}{
			{appA, "alice/phone", 7}, {appA, "alice/pad", 1}, {appA, "bob/phone", 2},
			{appB, "alice/phone", 0}, {appB, "carol/phone", 0},
		} {
			user, device := splitKey(t, c.key)
			d, err := s.FindDevice(ctx, c.app, user, device)
			must(t, "FindDevice", err)
			if d.Badge != c.badge {
				t.Fatalf("app %d %s: badge %d, want %d", c.app, c.key, d.Badge, c.badge)
			}
		}
	})

	t.Run("ConcurrentBatch", func(t *testing.T) {
		s := open(t)
		mustUpsertDevices(t, s, appA, "alice/phone", "bob/phone", "carol/phone")
		keys := []store.DeviceKey{{UserID: "alice", DeviceID: "phone"}, {UserID: "bob", DeviceID: "phone"},
			{UserID: "carol", DeviceID: "phone"}}
		const workers, each = 8, 10
		var wg sync.WaitGroup
		var mu sync.Mutex
		seen := map[store.DeviceKey][]int{}
		errs := make(chan error, workers*each)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					// Workers name the devices in different orders, and every other batch
					// is a single IncrementBadge, so batches cross each other and the
					// one-device method.
					batch := append([]store.DeviceKey(nil), keys...)
					if w%2 == 1 {
						slices.Reverse(batch)
					}
					if i%2 == 1 {
						k := batch[0]
						batch = batch[1:]
						n, err := s.IncrementBadge(ctx, appA, k.UserID, k.DeviceID)
						if err != nil {
							errs <- err
							return
						}
						mu.Lock()
						seen[k] = append(seen[k], n)
						mu.Unlock()
					}
					got, err := s.IncrementBadges(ctx, appA, batch)
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					for k, n := range got {
						seen[k] = append(seen[k], n)
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			must(t, "IncrementBadges", err)
		}
		// Every increment of a device saw a value of its own: 1 to workers*each, each once.
		want := make([]int, workers*each)
		for i := range want {
			want[i] = i + 1
		}
		for _, k := range keys {
			got := seen[k]
			sort.Ints(got)
			assertEqual(t, "values returned for "+k.UserID, got, want)
			d, err := s.FindDevice(ctx, appA, k.UserID, k.DeviceID)
			must(t, "FindDevice", err)
			assertEqual(t, "Badge of "+k.UserID, d.Badge, workers*each)
		}
	})
}

func testPushRecord(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("CreateFind", func(t *testing.T) {
		s := open(t)
		must(t, "CreatePushRecords(none)", s.CreatePushRecords(ctx, nil))
		rs := []*store.PushRecord{
			{SDKAppID: appA, MessageID: "m1", UserID: "bob", DeviceID: "phone", Decision: "push", Vendor: "fcm",
				CertificateID: 3, Outcome: "queued"},
			{SDKAppID: appA, MessageID: "m1", UserID: "alice", DeviceID: "pad", Decision: "sender"},
			{SDKAppID: appA, MessageID: "m2", UserID: "bob", DeviceID: "phone", Decision: "dnd", CreatedAt: at(60)},
			{SDKAppID: appB, MessageID: "m1", UserID: "bob", DeviceID: "phone", Decision: "push", Vendor: "apns",
				CertificateID: 4, Outcome: "accepted", Reason: "200", VendorMessageID: "apns-1", Attempts: 1},
			{SDKAppID: appA, MessageID: "m1", UserID: "carol", DeviceID: "phone", Decision: "no_token"},
		}
		must(t, "CreatePushRecords", s.CreatePushRecords(ctx, rs))
		for i, r := range rs {
			if i > 0 && r.ID <= rs[i-1].ID {
				t.Fatalf("record %d has ID %d after %d; want increasing IDs", i, r.ID, rs[i-1].ID)
			}
			if r.CreatedAt.IsZero() || !r.UpdatedAt.Equal(r.CreatedAt) {
				t.Fatalf("record %d: CreatedAt %v, UpdatedAt %v; want set and equal", i, r.CreatedAt, r.UpdatedAt)
			}
		}
		assertEqual(t, "given CreatedAt", rs[2].CreatedAt, at(60))

		got, err := s.FindPushRecords(ctx, appA, "m1")
		must(t, "FindPushRecords", err)
		assertEqual(t, "FindPushRecords(app A, m1)", got, []*store.PushRecord{rs[0], rs[1], rs[4]})
		got, err = s.FindPushRecords(ctx, appA, "m2")
		must(t, "FindPushRecords", err)
		assertEqual(t, "FindPushRecords(app A, m2)", got, []*store.PushRecord{rs[2]})
		got, err = s.FindPushRecords(ctx, appB, "m1")
		must(t, "FindPushRecords", err)
		assertEqual(t, "FindPushRecords(app B, m1)", got, []*store.PushRecord{rs[3]})
		got, err = s.FindPushRecords(ctx, appA, "m3")
		must(t, "FindPushRecords", err)
		if len(got) != 0 {
			t.Fatalf("FindPushRecords(no such message) = %s, want none", dump(got))
		}
	})

	// A large batch (a full page and more) keeps each record's ID on its own row, and
	// text that needs escaping (quotes, backslashes, control and non-ASCII characters)
	// is stored as given.
	t.Run("CreateBatch", func(t *testing.T) {
		s := open(t)
		odd := []string{`quo"te`, `back\slash`, "tab\tnew\nline", "日本語 ✓", "emoji 😀", "bell\abell"}
		var rs []*store.PushRecord
		for i := range 1200 {
			rs = append(rs, &store.PushRecord{SDKAppID: appA, MessageID: "big", UserID: fmt.Sprintf("u%04d", i),
				DeviceID: odd[i%len(odd)], Decision: "push", Vendor: "fcm", CertificateID: int64(i), Outcome: "queued",
				Reason: odd[(i+1)%len(odd)], VendorMessageID: fmt.Sprint("v", i), Attempts: i % 3})
		}
		must(t, "CreatePushRecords", s.CreatePushRecords(ctx, rs))
		got, err := s.FindPushRecords(ctx, appA, "big")
		must(t, "FindPushRecords", err)
		assertEqual(t, "FindPushRecords(big)", got, rs)
	})

	t.Run("Update", func(t *testing.T) {
		s := open(t)
		r := &store.PushRecord{SDKAppID: appA, MessageID: "m1", UserID: "bob", DeviceID: "phone", Decision: "push",
			Vendor: "xiaomi", CertificateID: 9, Outcome: "queued", CreatedAt: at(0)}
		other := &store.PushRecord{SDKAppID: appA, MessageID: "m1", UserID: "carol", DeviceID: "phone",
			Decision: "push", Vendor: "xiaomi", CertificateID: 9, Outcome: "queued", CreatedAt: at(0)}
		must(t, "CreatePushRecords", s.CreatePushRecords(ctx, []*store.PushRecord{r, other}))

		must(t, "UpdatePushRecord", s.UpdatePushRecord(ctx, appA, r.ID, store.PushRecordUpdate{
			Outcome: ptr("retry_later"), Reason: ptr("429 quota"), Attempts: ptr(1)}))
		must(t, "UpdatePushRecord", s.UpdatePushRecord(ctx, appA, r.ID, store.PushRecordUpdate{
			Outcome: ptr("accepted"), VendorMessageID: ptr("sdm-1"), Attempts: ptr(2)}))
		got, err := s.FindPushRecords(ctx, appA, "m1")
		must(t, "FindPushRecords", err)
		if len(got) != 2 {
			t.Fatalf("FindPushRecords = %s, want 2 records", dump(got))
		}
		if got[0].UpdatedAt.Before(r.CreatedAt) || got[0].UpdatedAt.Equal(r.CreatedAt) {
			t.Fatalf("UpdatedAt = %v, want later than CreatedAt %v", got[0].UpdatedAt, r.CreatedAt)
		}
		want := *r
		want.Outcome, want.Reason, want.VendorMessageID, want.Attempts = "accepted", "429 quota", "sdm-1", 2
		want.UpdatedAt = got[0].UpdatedAt
		assertEqual(t, "updated record", got[0], &want)
		assertEqual(t, "other record", got[1], other)

		for _, upd := range []store.PushRecordUpdate{{Outcome: ptr("failed")}, {}} {
			if err := s.UpdatePushRecord(ctx, appB, r.ID, upd); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("UpdatePushRecord(app B, %s) = %v, want ErrNotFound", dump(upd), err)
			}
			if err := s.UpdatePushRecord(ctx, appA, other.ID+100, upd); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("UpdatePushRecord(no such ID, %s) = %v, want ErrNotFound", dump(upd), err)
			}
		}
	})

	t.Run("Redecide", func(t *testing.T) {
		s := open(t)
		r := &store.PushRecord{SDKAppID: appA, MessageID: "m1", UserID: "bob", DeviceID: "phone", Decision: "foreground", CreatedAt: at(0)}
		must(t, "CreatePushRecords", s.CreatePushRecords(ctx, []*store.PushRecord{r}))
		to := store.PushRedecision{Decision: "unacked", Vendor: "fcm", CertificateID: 7, Outcome: "queued"}
		if ok, err := s.RedecidePushRecord(ctx, appB, r.ID, "foreground", to); err != nil || ok {
			t.Fatalf("RedecidePushRecord(app B) = %v, %v; want false, nil", ok, err)
		}
		if ok, err := s.RedecidePushRecord(ctx, appA, r.ID, "foreground", to); err != nil || !ok {
			t.Fatalf("RedecidePushRecord = %v, %v; want true, nil", ok, err)
		}
		// A second claim of the same record loses: the push is made once.
		if ok, err := s.RedecidePushRecord(ctx, appA, r.ID, "foreground", to); err != nil || ok {
			t.Fatalf("second RedecidePushRecord = %v, %v; want false, nil", ok, err)
		}
		got, err := s.FindPushRecords(ctx, appA, "m1")
		must(t, "FindPushRecords", err)
		want := *r
		want.Decision, want.Vendor, want.CertificateID, want.Outcome = "unacked", "fcm", 7, "queued"
		want.UpdatedAt = got[0].UpdatedAt
		assertEqual(t, "redecided record", got[0], &want)
		found, err := s.FindDevicePushRecord(ctx, appA, "m1", "bob", "phone")
		must(t, "FindDevicePushRecord", err)
		assertEqual(t, "found record", found, &want)
		for _, k := range [][3]string{{"m2", "bob", "phone"}, {"m1", "carol", "phone"}, {"m1", "bob", "tablet"}} {
			if _, err := s.FindDevicePushRecord(ctx, appA, k[0], k[1], k[2]); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("FindDevicePushRecord(%v) = %v, want ErrNotFound", k, err)
			}
		}
		if _, err := s.FindDevicePushRecord(ctx, appB, "m1", "bob", "phone"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindDevicePushRecord(app B) = %v, want ErrNotFound", err)
		}
	})

	t.Run("UpdateBatch", func(t *testing.T) {
		s := open(t)
		rec := func(user string) *store.PushRecord {
			return &store.PushRecord{SDKAppID: appA, MessageID: "m1", UserID: user, DeviceID: "phone", Decision: "push",
				Vendor: "huawei", CertificateID: 9, Outcome: "queued", Reason: "earlier", CreatedAt: at(0)}
		}
		a, b, c, d := rec("alice"), rec("bob"), rec("carol"), rec("dave")
		must(t, "CreatePushRecords", s.CreatePushRecords(ctx, []*store.PushRecord{a, b, c, d}))
		foreign := &store.PushRecord{SDKAppID: appB, MessageID: "m1", UserID: "erin", DeviceID: "phone",
			Decision: "push", Outcome: "queued", CreatedAt: at(0)}
		must(t, "CreatePushRecords(app B)", s.CreatePushRecords(ctx, []*store.PushRecord{foreign}))

		n, err := s.UpdatePushRecords(ctx, appA, nil)
		must(t, "UpdatePushRecords(none)", err)
		assertEqual(t, "UpdatePushRecords(none) count", n, 0)

		n, err = s.UpdatePushRecords(ctx, appA, map[int64]store.PushRecordUpdate{
			a.ID:             {Outcome: ptr("accepted"), Reason: ptr(""), VendorMessageID: ptr("hw-1"), Attempts: ptr(1)},
			b.ID:             {Outcome: ptr("invalid_token"), Attempts: ptr(2)},
			c.ID:             {},
			foreign.ID:       {Outcome: ptr("failed")}, // another app's: skipped
			foreign.ID + 100: {Outcome: ptr("failed")}, // no such record: skipped
		})
		must(t, "UpdatePushRecords", err)
		assertEqual(t, "UpdatePushRecords count", n, 3)

		got, err := s.FindPushRecords(ctx, appA, "m1")
		must(t, "FindPushRecords", err)
		if len(got) != 4 {
			t.Fatalf("FindPushRecords = %s, want 4 records", dump(got))
		}
		for i, r := range got[:3] {
			if !r.UpdatedAt.After(r.CreatedAt) {
				t.Fatalf("record %d: UpdatedAt = %v, want later than CreatedAt %v", i, r.UpdatedAt, r.CreatedAt)
			}
		}
		wantA, wantB, wantC := *a, *b, *c
		wantA.Outcome, wantA.Reason, wantA.VendorMessageID, wantA.Attempts = "accepted", "", "hw-1", 1
		wantB.Outcome, wantB.Attempts = "invalid_token", 2
		wantA.UpdatedAt, wantB.UpdatedAt, wantC.UpdatedAt = got[0].UpdatedAt, got[1].UpdatedAt, got[2].UpdatedAt
		assertEqual(t, "updated records", got, []*store.PushRecord{&wantA, &wantB, &wantC, d})
		got, err = s.FindPushRecords(ctx, appB, "m1")
		must(t, "FindPushRecords(app B)", err)
		assertEqual(t, "app B's record", got, []*store.PushRecord{foreign})
	})

	t.Run("Count", func(t *testing.T) {
		s := open(t)
		day1 := time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC)
		day2 := day1.AddDate(0, 0, 1)
		rec := func(app int64, created time.Time, vendor, decision, outcome string) *store.PushRecord {
			return &store.PushRecord{SDKAppID: app, MessageID: "m", UserID: "u", DeviceID: "d", Vendor: vendor,
				Decision: decision, Outcome: outcome, CreatedAt: created}
		}
		must(t, "CreatePushRecords", s.CreatePushRecords(ctx, []*store.PushRecord{
			rec(appA, day1.Add(-time.Millisecond), "fcm", "push", "accepted"), // before from
			rec(appA, day1, "fcm", "push", "accepted"),
			rec(appA, day1.Add(5*time.Hour), "fcm", "push", "accepted"),
			rec(appA, day1.Add(6*time.Hour), "fcm", "push", "invalid_token"),
			rec(appA, day1.Add(7*time.Hour), "apns", "push", "accepted"),
			rec(appA, day2.Add(-time.Millisecond), "", "foreground", ""),
			rec(appA, day2, "fcm", "push", "accepted"),
			rec(appA, day2.Add(23*time.Hour), "", "foreground", ""),
			rec(appA, day2.Add(24*time.Hour), "fcm", "push", "accepted"), // at to: excluded
			rec(appB, day1.Add(time.Hour), "fcm", "push", "accepted"),
		}))
		got, err := s.CountPushRecords(ctx, appA, day1, day2.Add(24*time.Hour))
		must(t, "CountPushRecords", err)
		assertEqual(t, "CountPushRecords", got, []*store.PushCount{
			{Day: day1, Vendor: "", Decision: "foreground", Outcome: "", Count: 1},
			{Day: day1, Vendor: "apns", Decision: "push", Outcome: "accepted", Count: 1},
			{Day: day1, Vendor: "fcm", Decision: "push", Outcome: "accepted", Count: 2},
			{Day: day1, Vendor: "fcm", Decision: "push", Outcome: "invalid_token", Count: 1},
			{Day: day2, Vendor: "", Decision: "foreground", Outcome: "", Count: 1},
			{Day: day2, Vendor: "fcm", Decision: "push", Outcome: "accepted", Count: 1},
		})

		got, err = s.CountPushRecords(ctx, appB, day1, day2)
		must(t, "CountPushRecords(app B)", err)
		assertEqual(t, "CountPushRecords(app B)", got, []*store.PushCount{
			{Day: day1, Vendor: "fcm", Decision: "push", Outcome: "accepted", Count: 1},
		})
		got, err = s.CountPushRecords(ctx, appA, day2.Add(48*time.Hour), day2.Add(72*time.Hour))
		must(t, "CountPushRecords(empty range)", err)
		if len(got) != 0 {
			t.Fatalf("CountPushRecords(empty range) = %s, want none", dump(got))
		}
	})
}

// mustCreateCertificate creates a certificate of vendor in app.
func mustCreateCertificate(tb testing.TB, s store.Store, app int64, vendor string) *store.Certificate {
	tb.Helper()
	c := &store.Certificate{SDKAppID: app, Vendor: vendor, Name: vendor, Config: json.RawMessage(`{}`)}
	must(tb, "CreateCertificate", s.CreateCertificate(context.Background(), c))
	return c
}

// mustUpsertDevices creates offline Android devices of app, each named "user/device".
func mustUpsertDevices(tb testing.TB, s store.Store, app int64, keys ...string) {
	tb.Helper()
	for _, k := range keys {
		user, device := splitKey(tb, k)
		must(tb, "UpsertDevice", s.UpsertDevice(context.Background(), &store.Device{SDKAppID: app, UserID: user,
			DeviceID: device, Platform: store.Android, State: store.Offline, LoginAt: t0}))
	}
}

// mustBind binds token of certificate cert to the device named "user/device".
func mustBind(tb testing.TB, s store.Store, app int64, key string, cert int64, token string) {
	tb.Helper()
	user, device := splitKey(tb, key)
	_, err := s.BindPushToken(context.Background(), app, user, device, cert, token)
	must(tb, "BindPushToken("+key+")", err)
}

// assertBinding fails tb unless the device named "user/device" is bound to cert and token.
func assertBinding(tb testing.TB, s store.Store, app int64, key string, cert int64, token string) {
	tb.Helper()
	user, device := splitKey(tb, key)
	d, err := s.FindDevice(context.Background(), app, user, device)
	must(tb, "FindDevice("+key+")", err)
	if d.CertificateID != cert || d.PushToken != token {
		tb.Fatalf("app %d device %s bound to %d/%q, want %d/%q", app, key, d.CertificateID, d.PushToken, cert, token)
	}
}

func splitKey(tb testing.TB, key string) (user, device string) {
	tb.Helper()
	user, device, ok := strings.Cut(key, "/")
	if !ok {
		tb.Fatalf("device key %q is not user/device", key)
	}
	return user, device
}
