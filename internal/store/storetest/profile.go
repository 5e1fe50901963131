package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/herald-im/herald/internal/store"
)

func testProfile(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	must(t, "CreateAccounts", s.CreateAccounts(ctx, []*store.Account{
		{SDKAppID: appA, UserID: "alice", CreatedAt: t0}, {SDKAppID: appA, UserID: "bob", CreatedAt: t0},
		{SDKAppID: appB, UserID: "alice", CreatedAt: t0},
	}))

	t.Run("Account", func(t *testing.T) {
		must(t, "SetAccountProfile", s.SetAccountProfile(ctx, appA, "alice", map[string]string{"gender": "f", "sign": "hi"}))
		must(t, "SetAccountProfile", s.SetAccountProfile(ctx, appA, "alice", map[string]string{"sign": "", "level": "3"}))
		must(t, "SetAccountProfile", s.SetAccountProfile(ctx, appB, "alice", map[string]string{"gender": "m"}))
		got, err := s.FindAccountProfiles(ctx, appA, []string{"alice", "bob", "ghost"})
		must(t, "FindAccountProfiles", err)
		assertEqual(t, "FindAccountProfiles", got, map[string]map[string]string{"alice": {"gender": "f", "level": "3"}})
		if err := s.SetAccountProfile(ctx, appA, "ghost", map[string]string{"a": "b"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetAccountProfile(ghost) = %v, want ErrNotFound", err)
		}
	})

	t.Run("Group", func(t *testing.T) {
		must(t, "CreateGroup", s.CreateGroup(ctx, &store.Group{SDKAppID: appA, ID: "g1", Name: "G", OwnerID: "alice", CreatedAt: t0},
			[]*store.GroupMember{{SDKAppID: appA, GroupID: "g1", UserID: "alice", Role: store.Owner, JoinedAt: t0}}))
		must(t, "SetGroupProfile", s.SetGroupProfile(ctx, appA, "g1", map[string]string{"intro": "about"}))
		got, err := s.FindGroupProfile(ctx, appA, "g1")
		must(t, "FindGroupProfile", err)
		assertEqual(t, "FindGroupProfile", got, map[string]string{"intro": "about"})
		must(t, "SetMemberProfile", s.SetMemberProfile(ctx, appA, "g1", "alice", map[string]string{"card": "boss"}))
		if err := s.SetMemberProfile(ctx, appA, "g1", "bob", map[string]string{"card": "x"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetMemberProfile(non-member) = %v, want ErrNotFound", err)
		}
		mp, err := s.FindMemberProfiles(ctx, appA, "g1", []string{"alice", "bob"})
		must(t, "FindMemberProfiles", err)
		assertEqual(t, "FindMemberProfiles", mp, map[string]map[string]string{"alice": {"card": "boss"}})
		must(t, "CreateGroup", s.CreateGroup(ctx, &store.Group{SDKAppID: appA, ID: "g2", Name: "G", OwnerID: "alice", CreatedAt: t0}, nil))
		must(t, "CreateGroup", s.CreateGroup(ctx, &store.Group{SDKAppID: appB, ID: "g0", Name: "G", OwnerID: "alice", CreatedAt: t0}, nil))
		ids, err := s.FindGroupIDs(ctx, appA, "", 1)
		must(t, "FindGroupIDs", err)
		assertEqual(t, "FindGroupIDs first page", ids, []string{"g1"})
		ids, err = s.FindGroupIDs(ctx, appA, "g1", 0)
		must(t, "FindGroupIDs", err)
		assertEqual(t, "FindGroupIDs after g1", ids, []string{"g2"})
		if n, err := s.CountGroups(ctx, appA); err != nil || n != 2 {
			t.Errorf("CountGroups = %d, %v; want 2", n, err)
		}
		must(t, "DeleteGroup", s.DeleteGroup(ctx, appA, "g1"))
		if err := s.SetGroupProfile(ctx, appA, "g1", map[string]string{"intro": "x"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetGroupProfile(deleted group) = %v, want ErrNotFound", err)
		}
	})

	t.Run("DeleteAccount", func(t *testing.T) {
		sendC2C(t, s, textMessage(appA, "bob", "alice", 1))
		must(t, "AddUserTags", s.AddUserTags(ctx, appA, "alice", []string{"vip"}))
		must(t, "UpsertDevice", s.UpsertDevice(ctx, &store.Device{SDKAppID: appA, UserID: "alice", DeviceID: "d", Platform: store.Android, State: store.Online, LoginAt: t0, LastSeen: t0}))
		must(t, "DeleteAccount", s.DeleteAccount(ctx, appA, "alice"))
		if _, err := s.FindAccount(ctx, appA, "alice"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("FindAccount after delete = %v, want ErrNotFound", err)
		}
		if ds, _ := s.FindDevices(ctx, store.DeviceFilter{SDKAppID: appA, UserIDs: []string{"alice"}}); len(ds) != 0 {
			t.Errorf("%d devices after delete", len(ds))
		}
		if es, _ := s.FindInbox(ctx, appA, "alice", 0, 0); len(es) != 0 {
			t.Errorf("%d inbox entries after delete", len(es))
		}
		if tags, _ := s.FindUserTags(ctx, appA, "alice"); len(tags) != 0 {
			t.Errorf("tags after delete: %v", tags)
		}
		if _, err := s.FindAccount(ctx, appB, "alice"); err != nil {
			t.Errorf("app B's alice went too: %v", err)
		}
		if err := s.DeleteAccount(ctx, appA, "alice"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second DeleteAccount = %v, want ErrNotFound", err)
		}
		must(t, "CreateAccounts", s.CreateAccounts(ctx, []*store.Account{{SDKAppID: appA, UserID: "alice", CreatedAt: t0}}))
		if p, _ := s.FindAccountProfiles(ctx, appA, []string{"alice"}); len(p) != 0 {
			t.Errorf("re-imported alice has the old profile %v", p)
		}
	})

	t.Run("Recall", func(t *testing.T) {
		m := textMessage(appA, "bob", "alice", 2)
		sent := sendC2C(t, s, m)
		ds, err := s.RecallMessage(ctx, appA, &store.Recall{MessageID: m.ID, By: "bob", At: at(5)}, []string{"bob", "alice"})
		must(t, "RecallMessage", err)
		want := map[string]int64{}
		for _, d := range sent {
			want[d.UserID] = d.InboxSeq + 1
		}
		got0 := map[string]int64{}
		for _, d := range ds {
			got0[d.UserID] = d.InboxSeq
		}
		assertEqual(t, "RecallMessage inbox seqs", got0, want)
		es, err := s.FindInbox(ctx, appA, "alice", want["alice"]-1, 0)
		must(t, "FindInbox", err)
		if len(es) != 1 || es[0].Message.ID != m.ID || es[0].InboxSeq != want["alice"] {
			t.Errorf("alice's inbox after the recall: %s, want the message again at %d", dump(es), want["alice"])
		}
		if _, err := s.RecallMessage(ctx, appA, &store.Recall{MessageID: m.ID, By: "bob"}, []string{"alice"}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second RecallMessage = %v, want ErrConflict", err)
		}
		if es, _ := s.FindInbox(ctx, appA, "alice", want["alice"], 0); len(es) != 0 {
			t.Errorf("a refused recall appended to the inbox: %s", dump(es))
		}
		if _, err := s.RecallMessage(ctx, appB, &store.Recall{MessageID: m.ID, By: "bob"}, nil); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RecallMessage in another app = %v, want ErrNotFound", err)
		}
		got, err := s.FindRecalls(ctx, appA, []string{m.ID, "other"})
		must(t, "FindRecalls", err)
		assertEqual(t, "FindRecalls", got, map[string]*store.Recall{m.ID: {MessageID: m.ID, By: "bob", At: at(5)}})
		if n, err := s.DeleteMessagesBefore(ctx, appA, at(1e6)); err != nil || n == 0 {
			t.Fatalf("DeleteMessagesBefore = %d, %v", n, err)
		}
		if got, _ := s.FindRecalls(ctx, appA, []string{m.ID}); len(got) != 0 {
			t.Errorf("recall outlived its message: %v", got)
		}
	})
}
