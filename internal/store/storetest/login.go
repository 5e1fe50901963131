package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/herald-im/herald/internal/store"
)

func testLoginDevices(t *testing.T, open Opener) {
	ctx := context.Background()
	login := func(user, device string, platform store.Platform, session string, n int, policy store.DevicePolicy) *store.Login {
		return &store.Login{SDKAppID: appA, UserID: user, DeviceID: device, Platform: platform, Session: session,
			At: at(n), Policy: policy}
	}

	t.Run("NewUser", func(t *testing.T) {
		s := open(t)
		res, err := s.LoginDevices(ctx, []*store.Login{login("alice", "phone", store.Android, "n1/s1", 1, store.OnePerPlatform)})
		must(t, "LoginDevices", err)
		want := &store.Device{SDKAppID: appA, UserID: "alice", DeviceID: "phone", Platform: store.Android,
			State: store.Online, LoginAt: at(1), LastSeen: at(1), NodeID: "n1/s1"}
		assertEqual(t, "LoginDevices", res, []*store.LoginResult{{Device: want}})
		got, err := s.FindDevice(ctx, appA, "alice", "phone")
		must(t, "FindDevice", err)
		assertEqual(t, "FindDevice", got, want)
		a, err := s.FindAccount(ctx, appA, "alice")
		must(t, "FindAccount", err)
		assertEqual(t, "FindAccount", a, &store.Account{SDKAppID: appA, UserID: "alice", CreatedAt: at(1)})
		if _, err := s.FindAccount(ctx, appB, "alice"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindAccount(app B) = %v, want ErrNotFound", err)
		}
	})

	t.Run("ExistingAccountAndDevice", func(t *testing.T) {
		s := open(t)
		must(t, "CreateAccounts", s.CreateAccounts(ctx, []*store.Account{{SDKAppID: appA, UserID: "alice",
			Nickname: "Alice", FaceURL: "https://x/a.png", CreatedAt: t0}}))
		must(t, "UpsertDevice", s.UpsertDevice(ctx, &store.Device{SDKAppID: appA, UserID: "alice", DeviceID: "phone",
			Platform: store.IOS, State: store.Online, LoginAt: t0, LastSeen: t0, NodeID: "n0/s0", Background: true,
			DeliveredSeq: 9, AckedSeq: 7, CertificateID: 3, PushToken: "tok", Badge: 2}))
		res, err := s.LoginDevices(ctx, []*store.Login{login("alice", "phone", store.Android, "n1/s1", 5, store.OnePerPlatform)})
		must(t, "LoginDevices", err)
		// A reconnect keeps sequence marks and push binding, comes back to the
		// foreground and replaces the older connection.
		want := &store.Device{SDKAppID: appA, UserID: "alice", DeviceID: "phone", Platform: store.Android,
			State: store.Online, LoginAt: at(5), LastSeen: at(5), NodeID: "n1/s1",
			DeliveredSeq: 9, AckedSeq: 7, CertificateID: 3, PushToken: "tok", Badge: 2}
		assertEqual(t, "LoginDevices", res, []*store.LoginResult{{Device: want, Replaces: "n0/s0"}})
		got, err := s.FindDevice(ctx, appA, "alice", "phone")
		must(t, "FindDevice", err)
		assertEqual(t, "FindDevice", got, want)
		a, err := s.FindAccount(ctx, appA, "alice")
		must(t, "FindAccount", err)
		assertEqual(t, "FindAccount (left alone)", a, &store.Account{SDKAppID: appA, UserID: "alice",
			Nickname: "Alice", FaceURL: "https://x/a.png", CreatedAt: t0})
	})

	t.Run("Policies", func(t *testing.T) {
		for _, tt := range []struct {
			policy store.DevicePolicy
			kicked []string
		}{
			{store.OnePerPlatform, []string{"phone"}},
			{store.OneDevice, []string{"pad", "phone"}},
			{store.Unlimited, nil},
		} {
			t.Run(string(tt.policy), func(t *testing.T) {
				s := open(t)
				devices := []*store.Device{
					{SDKAppID: appA, UserID: "alice", DeviceID: "pad", Platform: store.IPad, State: store.Offline, NodeID: "n0/s1",
						CertificateID: 4, PushToken: "t-pad"},
					{SDKAppID: appA, UserID: "alice", DeviceID: "phone", Platform: store.Android, State: store.Online, NodeID: "n0/s2",
						CertificateID: 5, PushToken: "t-phone", DeliveredSeq: 3},
					{SDKAppID: appA, UserID: "alice", DeviceID: "web", Platform: store.Web, State: store.LoggedOut},
					{SDKAppID: appA, UserID: "bob", DeviceID: "phone", Platform: store.Android, State: store.Online, PushToken: "t-bob"},
					{SDKAppID: appB, UserID: "alice", DeviceID: "phone", Platform: store.Android, State: store.Online, PushToken: "t-b"},
				}
				for _, d := range devices {
					must(t, "UpsertDevice", s.UpsertDevice(ctx, d))
				}
				res, err := s.LoginDevices(ctx, []*store.Login{login("alice", "phone2", store.Android, "n1/s9", 1, tt.policy)})
				must(t, "LoginDevices", err)
				var kicked []string
				for _, d := range res[0].Kicked {
					kicked = append(kicked, d.DeviceID)
					var before *store.Device
					for _, e := range devices {
						if e.UserID == "alice" && e.SDKAppID == appA && e.DeviceID == d.DeviceID {
							before = e
						}
					}
					assertEqual(t, "kicked device as it was", d, before)
				}
				assertEqual(t, "kicked", kicked, tt.kicked)
				all, err := s.FindDevices(ctx, store.DeviceFilter{SDKAppID: appA})
				must(t, "FindDevices", err)
				states := map[string]store.DeviceState{}
				for _, d := range all {
					states[d.UserID+"/"+d.DeviceID] = d.State
					if d.State == store.LoggedOut && (d.PushToken != "" || d.CertificateID != 0) {
						t.Errorf("%s/%s logged out with push binding %d %q", d.UserID, d.DeviceID, d.CertificateID, d.PushToken)
					}
				}
				want := map[string]store.DeviceState{"alice/pad": store.Offline, "alice/phone": store.Online,
					"alice/phone2": store.Online, "alice/web": store.LoggedOut, "bob/phone": store.Online}
				for _, k := range tt.kicked {
					want["alice/"+k] = store.LoggedOut
				}
				assertEqual(t, "states", states, want)
				other, err := s.FindDevice(ctx, appB, "alice", "phone")
				must(t, "FindDevice(app B)", err)
				assertEqual(t, "app B's device", other, devices[4])
			})
		}
	})

	// Logins written in one call must leave the store, and answer, exactly as the same
	// logins written one call each, in order.
	t.Run("BatchIsSequential", func(t *testing.T) {
		logins := []*store.Login{
			login("alice", "phone", store.Android, "n1/s1", 1, store.OnePerPlatform),
			login("alice", "phone", store.Android, "n1/s2", 2, store.OnePerPlatform),  // reconnect of the same device
			login("alice", "phone2", store.Android, "n2/s3", 3, store.OnePerPlatform), // kicks phone
			login("alice", "pad", store.IPad, "n1/s4", 4, store.OnePerPlatform),
			login("alice", "phone", store.Android, "n1/s5", 5, store.OnePerPlatform), // kicked, back: kicks phone2
			login("bob", "phone", store.Android, "n1/s6", 6, store.OneDevice),
			login("bob", "web", store.Web, "n1/s7", 7, store.OneDevice), // kicks bob's phone
			{SDKAppID: appB, UserID: "alice", DeviceID: "phone", Platform: store.Android, Session: "n1/s8", At: at(8),
				Policy: store.OnePerPlatform},
		}
		seed := func(t *testing.T, s store.Store) {
			must(t, "UpsertDevice", s.UpsertDevice(ctx, &store.Device{SDKAppID: appA, UserID: "alice", DeviceID: "phone",
				Platform: store.Android, State: store.Offline, NodeID: "n0/s0", DeliveredSeq: 4, AckedSeq: 4,
				CertificateID: 2, PushToken: "tok", Badge: 1}))
		}
		one, batched := open(t), open(t)
		seed(t, one)
		seed(t, batched)
		var want []*store.LoginResult
		for _, l := range logins {
			res, err := one.LoginDevices(ctx, []*store.Login{l})
			must(t, "LoginDevices (one)", err)
			want = append(want, res...)
		}
		got, err := batched.LoginDevices(ctx, logins)
		must(t, "LoginDevices (batch)", err)
		assertEqual(t, "results", got, want)
		for _, app := range []int64{appA, appB} {
			wantDevices, err := one.FindDevices(ctx, store.DeviceFilter{SDKAppID: app})
			must(t, "FindDevices", err)
			gotDevices, err := batched.FindDevices(ctx, store.DeviceFilter{SDKAppID: app})
			must(t, "FindDevices", err)
			assertEqual(t, "devices", gotDevices, wantDevices)
		}
		// Spelled out: the final owners of each seat.
		phone, err := batched.FindDevice(ctx, appA, "alice", "phone")
		must(t, "FindDevice", err)
		assertEqual(t, "alice/phone", phone, &store.Device{SDKAppID: appA, UserID: "alice", DeviceID: "phone",
			Platform: store.Android, State: store.Online, LoginAt: at(5), LastSeen: at(5), NodeID: "n1/s5",
			DeliveredSeq: 4, AckedSeq: 4, Badge: 1}) // kicked in between: push binding dropped
		assertEqual(t, "first login's session", got[0].Device.NodeID, "n1/s1")
		assertEqual(t, "phone2 kicked phone", len(got[2].Kicked) == 1 && got[2].Kicked[0].NodeID == "n1/s2", true)
		assertEqual(t, "phone kicked phone2", len(got[4].Kicked) == 1 && got[4].Kicked[0].DeviceID == "phone2", true)
		assertEqual(t, "bob's web kicked his phone", len(got[6].Kicked) == 1 && got[6].Kicked[0].DeviceID == "phone", true)
		// Only a device online on another session has a session to end: the seeded
		// offline phone and the kicked one coming back have none.
		var replaces []string
		for _, r := range got {
			replaces = append(replaces, r.Replaces)
		}
		assertEqual(t, "sessions replaced", replaces, []string{"", "n1/s1", "", "", "", "", "", ""})
	})

	t.Run("InboxSeq", func(t *testing.T) {
		s := open(t)
		for i := range 3 {
			m := &store.Message{SDKAppID: appA, From: "bob", To: "alice", Type: store.TypeC2C, Time: at(i),
				Elements: json.RawMessage(`[]`)}
			must(t, "CreateMessage", s.CreateMessage(ctx, m, []store.Delivery{{UserID: "alice", Unread: true}, {UserID: "bob"}}))
		}
		res, err := s.LoginDevices(ctx, []*store.Login{
			login("alice", "phone", store.Android, "n1/s1", 5, store.OnePerPlatform),
			login("carol", "phone", store.Android, "n1/s2", 5, store.OnePerPlatform),
			login("bob", "phone", store.Android, "n1/s3", 5, store.OnePerPlatform),
			{SDKAppID: appB, UserID: "alice", DeviceID: "phone", Platform: store.Android, Session: "n1/s4", At: at(5)},
		})
		must(t, "LoginDevices", err)
		var seqs []int64
		for _, r := range res {
			seqs = append(seqs, r.InboxSeq)
		}
		assertEqual(t, "inbox sequences", seqs, []int64{3, 0, 3, 0})
	})

	disconnect := func(t *testing.T, s store.Store, device, session string, delivered int64, n int) *store.Device {
		t.Helper()
		before, err := s.DisconnectDevices(ctx, []*store.Disconnect{{SDKAppID: appA, UserID: "alice", DeviceID: device,
			Session: session, DeliveredSeq: delivered, At: at(n)}})
		must(t, "DisconnectDevices", err)
		return before[0]
	}

	t.Run("Disconnect", func(t *testing.T) {
		s := open(t)
		d := &store.Device{SDKAppID: appA, UserID: "alice", DeviceID: "phone", Platform: store.Android,
			State: store.Online, LoginAt: t0, LastSeen: t0, NodeID: "n1/s1", Background: true, DeliveredSeq: 5, AckedSeq: 3}
		must(t, "UpsertDevice", s.UpsertDevice(ctx, d))

		// Another session's end leaves the device online.
		assertEqual(t, "device before", disconnect(t, s, "phone", "n1/s0", 4, 1), d)
		got, err := s.FindDevice(ctx, appA, "alice", "phone")
		must(t, "FindDevice", err)
		want := *d
		want.LastSeen = at(1)
		assertEqual(t, "after another session's end", got, &want)

		assertEqual(t, "device before", disconnect(t, s, "phone", "n1/s1", 8, 2), &want)
		got, err = s.FindDevice(ctx, appA, "alice", "phone")
		must(t, "FindDevice", err)
		want.State, want.Background, want.LastSeen, want.DeliveredSeq = store.Offline, false, at(2), 8
		assertEqual(t, "after its session's end", got, &want)

		if before := disconnect(t, s, "pad", "n1/s1", 0, 3); before != nil {
			t.Fatalf("DisconnectDevices(missing) = %v, want nil", before)
		}
	})

	t.Run("LoggedOutStaysLoggedOut", func(t *testing.T) {
		s := open(t)
		must(t, "UpsertDevice", s.UpsertDevice(ctx, &store.Device{SDKAppID: appA, UserID: "alice", DeviceID: "phone",
			Platform: store.Android, State: store.LoggedOut, NodeID: "n1/s1"}))
		disconnect(t, s, "phone", "n1/s1", 0, 1)
		got, err := s.FindDevice(ctx, appA, "alice", "phone")
		must(t, "FindDevice", err)
		assertEqual(t, "state", got.State, store.LoggedOut)
	})

	// Disconnects written in one call leave the store, and answer, as the same ones
	// written one call each.
	t.Run("DisconnectBatchIsSequential", func(t *testing.T) {
		ds := []*store.Disconnect{
			{SDKAppID: appA, UserID: "alice", DeviceID: "phone", Session: "n1/s0", DeliveredSeq: 2, At: at(1)}, // an older session
			{SDKAppID: appA, UserID: "alice", DeviceID: "phone", Session: "n1/s1", DeliveredSeq: 7, At: at(2)}, // its own: offline
			{SDKAppID: appA, UserID: "alice", DeviceID: "phone", Session: "n1/s1", DeliveredSeq: 6, At: at(3)}, // again: stays offline
			{SDKAppID: appA, UserID: "alice", DeviceID: "pad", Session: "n1/s2", DeliveredSeq: 1, At: at(4)},
			{SDKAppID: appA, UserID: "bob", DeviceID: "phone", Session: "n1/s3", DeliveredSeq: 1, At: at(5)}, // missing
			{SDKAppID: appB, UserID: "alice", DeviceID: "phone", Session: "n1/s4", DeliveredSeq: 3, At: at(6)},
		}
		seed := func(t *testing.T, s store.Store) {
			for _, d := range []*store.Device{
				{SDKAppID: appA, UserID: "alice", DeviceID: "phone", Platform: store.Android, State: store.Online, NodeID: "n1/s1", Background: true, DeliveredSeq: 5},
				{SDKAppID: appA, UserID: "alice", DeviceID: "pad", Platform: store.IPad, State: store.Online, NodeID: "n1/s2"},
				{SDKAppID: appB, UserID: "alice", DeviceID: "phone", Platform: store.Android, State: store.Online, NodeID: "n1/s9"},
			} {
				must(t, "UpsertDevice", s.UpsertDevice(ctx, d))
			}
		}
		one, batched := open(t), open(t)
		seed(t, one)
		seed(t, batched)
		var want []*store.Device
		for _, x := range ds {
			before, err := one.DisconnectDevices(ctx, []*store.Disconnect{x})
			must(t, "DisconnectDevices (one)", err)
			want = append(want, before...)
		}
		got, err := batched.DisconnectDevices(ctx, ds)
		must(t, "DisconnectDevices (batch)", err)
		assertEqual(t, "devices before", got, want)
		for _, app := range []int64{appA, appB} {
			w, err := one.FindDevices(ctx, store.DeviceFilter{SDKAppID: app})
			must(t, "FindDevices", err)
			g, err := batched.FindDevices(ctx, store.DeviceFilter{SDKAppID: app})
			must(t, "FindDevices", err)
			assertEqual(t, "devices after", g, w)
		}
		phone, err := batched.FindDevice(ctx, appA, "alice", "phone")
		must(t, "FindDevice", err)
		assertEqual(t, "alice/phone", phone, &store.Device{SDKAppID: appA, UserID: "alice", DeviceID: "phone",
			Platform: store.Android, State: store.Offline, LastSeen: at(3), NodeID: "n1/s1", DeliveredSeq: 7})
		assertEqual(t, "bob's missing phone", got[4] == nil, true)
		other, err := batched.FindDevice(ctx, appB, "alice", "phone")
		must(t, "FindDevice", err)
		assertEqual(t, "app B's phone (another session)", other.State, store.Online)
	})
}
