package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/herald-im/herald/internal/store"
)

func testDevice(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("Upsert", func(t *testing.T) {
		s := open(t)
		d := &store.Device{SDKAppID: appA, UserID: "alice", DeviceID: "phone", Platform: store.Android,
			State: store.Online, LoginAt: t0, LastSeen: at(1), NodeID: "n1", Background: true,
			DeliveredSeq: 3, AckedSeq: 2, CertificateID: 7, PushToken: "tok", Badge: 4}
		must(t, "UpsertDevice", s.UpsertDevice(ctx, d))
		got, err := s.FindDevice(ctx, appA, "alice", "phone")
		must(t, "FindDevice", err)
		assertEqual(t, "FindDevice", got, d)

		// A new login replaces platform, state, login time and connection, and keeps
		// sequence marks and push binding.
		must(t, "UpsertDevice", s.UpsertDevice(ctx, &store.Device{SDKAppID: appA, UserID: "alice", DeviceID: "phone",
			Platform: store.IOS, State: store.Offline, LoginAt: at(10), LastSeen: at(10), NodeID: "n2"}))
		got, err = s.FindDevice(ctx, appA, "alice", "phone")
		must(t, "FindDevice", err)
		assertEqual(t, "FindDevice after second upsert", got, &store.Device{SDKAppID: appA, UserID: "alice",
			DeviceID: "phone", Platform: store.IOS, State: store.Offline, LoginAt: at(10), LastSeen: at(10),
			NodeID: "n2", DeliveredSeq: 3, AckedSeq: 2, CertificateID: 7, PushToken: "tok", Badge: 4})

		if _, err := s.FindDevice(ctx, appB, "alice", "phone"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindDevice(app B) = %v, want ErrNotFound", err)
		}
	})

	t.Run("Update", func(t *testing.T) {
		s := open(t)
		must(t, "UpsertDevice", s.UpsertDevice(ctx, &store.Device{SDKAppID: appA, UserID: "alice", DeviceID: "phone",
			Platform: store.Android, State: store.Online, LoginAt: t0}))
		must(t, "UpsertDevice", s.UpsertDevice(ctx, &store.Device{SDKAppID: appB, UserID: "alice", DeviceID: "phone",
			Platform: store.Android, State: store.Online, LoginAt: t0}))
		must(t, "UpdateDevice", s.UpdateDevice(ctx, appA, "alice", "phone", store.DeviceUpdate{
			State: ptr(store.Offline), LastSeen: ptr(at(5)), NodeID: ptr("n9"), Background: ptr(true),
			DeliveredSeq: ptr(int64(10)), AckedSeq: ptr(int64(8)), CertificateID: ptr(int64(3)),
			PushToken: ptr("tok"), Badge: ptr(2)}))
		want := &store.Device{SDKAppID: appA, UserID: "alice", DeviceID: "phone", Platform: store.Android,
			State: store.Offline, LoginAt: t0, LastSeen: at(5), NodeID: "n9", Background: true,
			DeliveredSeq: 10, AckedSeq: 8, CertificateID: 3, PushToken: "tok", Badge: 2}
		got, err := s.FindDevice(ctx, appA, "alice", "phone")
		must(t, "FindDevice", err)
		assertEqual(t, "FindDevice", got, want)

		// Sequence marks never move back; other fields are left alone.
		must(t, "UpdateDevice", s.UpdateDevice(ctx, appA, "alice", "phone", store.DeviceUpdate{
			DeliveredSeq: ptr(int64(4)), AckedSeq: ptr(int64(9)), PushToken: ptr("")}))
		want.AckedSeq, want.PushToken = 9, ""
		got, err = s.FindDevice(ctx, appA, "alice", "phone")
		must(t, "FindDevice", err)
		assertEqual(t, "FindDevice after moving DeliveredSeq back", got, want)
		must(t, "UpdateDevice", s.UpdateDevice(ctx, appA, "alice", "phone", store.DeviceUpdate{
			DeliveredSeq: ptr(int64(12)), AckedSeq: ptr(int64(5))}))
		want.DeliveredSeq = 12
		got, err = s.FindDevice(ctx, appA, "alice", "phone")
		must(t, "FindDevice", err)
		assertEqual(t, "FindDevice after moving AckedSeq back", got, want)

		got, err = s.FindDevice(ctx, appB, "alice", "phone")
		must(t, "FindDevice(app B)", err)
		assertEqual(t, "app B's device state", got.State, store.Online)
	})

	t.Run("Find", func(t *testing.T) {
		s := open(t)
		devices := []*store.Device{
			{SDKAppID: appA, UserID: "alice", DeviceID: "d1", Platform: store.Android, State: store.Online, PushToken: "t1"},
			{SDKAppID: appA, UserID: "alice", DeviceID: "d2", Platform: store.IOS, State: store.Offline, PushToken: "t2"},
			{SDKAppID: appA, UserID: "bob", DeviceID: "d1", Platform: store.Android, State: store.LoggedOut},
			{SDKAppID: appA, UserID: "carol", DeviceID: "d3", Platform: store.Web, State: store.Online, PushToken: "t2"},
			{SDKAppID: appB, UserID: "alice", DeviceID: "d1", Platform: store.Android, State: store.Online, PushToken: "t1"},
		}
		for _, d := range devices {
			must(t, "UpsertDevice", s.UpsertDevice(ctx, d))
		}
		for _, tt := range []struct {
			name string
			f    store.DeviceFilter
			want []*store.Device
		}{
			{"App", store.DeviceFilter{SDKAppID: appA}, devices[:4]},
			{"UserID", store.DeviceFilter{SDKAppID: appA, UserID: ptr("alice")}, devices[:2]},
			{"UserIDs", store.DeviceFilter{SDKAppID: appA, UserIDs: []string{"carol", "bob", "dave"}}, devices[2:4]},
			{"State", store.DeviceFilter{SDKAppID: appA, State: ptr(store.Online)}, []*store.Device{devices[0], devices[3]}},
			{"Platform", store.DeviceFilter{SDKAppID: appA, Platform: ptr(store.Android)}, []*store.Device{devices[0], devices[2]}},
			{"PushToken", store.DeviceFilter{SDKAppID: appA, PushToken: ptr("t2")}, []*store.Device{devices[1], devices[3]}},
			{"Combined", store.DeviceFilter{SDKAppID: appA, UserIDs: []string{"alice", "carol"}, State: ptr(store.Online),
				PushToken: ptr("t2")}, []*store.Device{devices[3]}},
			{"OtherApp", store.DeviceFilter{SDKAppID: appB, PushToken: ptr("t1")}, devices[4:]},
			{"None", store.DeviceFilter{SDKAppID: appB, UserID: ptr("bob")}, nil},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.FindDevices(ctx, tt.f)
				must(t, "FindDevices", err)
				if len(got) == 0 && len(tt.want) == 0 {
					return
				}
				assertEqual(t, "FindDevices", got, tt.want)
			})
		}
	})

	t.Run("Delete", func(t *testing.T) {
		s := open(t)
		must(t, "UpsertDevice", s.UpsertDevice(ctx, &store.Device{SDKAppID: appA, UserID: "alice", DeviceID: "d1"}))
		must(t, "UpsertDevice", s.UpsertDevice(ctx, &store.Device{SDKAppID: appB, UserID: "alice", DeviceID: "d1"}))
		must(t, "DeleteDevice", s.DeleteDevice(ctx, appA, "alice", "d1"))
		if _, err := s.FindDevice(ctx, appA, "alice", "d1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindDevice after delete = %v, want ErrNotFound", err)
		}
		if _, err := s.FindDevice(ctx, appB, "alice", "d1"); err != nil {
			t.Fatalf("FindDevice(app B) = %v, want the device", err)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		if _, err := s.FindDevice(ctx, appA, "alice", "d1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindDevice = %v, want ErrNotFound", err)
		}
		if err := s.UpdateDevice(ctx, appA, "alice", "d1", store.DeviceUpdate{Badge: ptr(1)}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("UpdateDevice = %v, want ErrNotFound", err)
		}
		if err := s.UpdateDevice(ctx, appA, "alice", "d1", store.DeviceUpdate{}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("UpdateDevice(empty) = %v, want ErrNotFound", err)
		}
		if err := s.DeleteDevice(ctx, appA, "alice", "d1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("DeleteDevice = %v, want ErrNotFound", err)
		}
	})
}
