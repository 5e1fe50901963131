package storetest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"

	"github.com/herald-im/herald/internal/store"
)

func testGroup(t *testing.T, open Opener) {
	ctx := context.Background()

	newGroup := func(app int64, id string) *store.Group {
		return &store.Group{SDKAppID: app, ID: id, Name: "Group " + id, FaceURL: "f", OwnerID: "alice", CreatedAt: t0}
	}
	member := func(app int64, g, u string, role store.GroupRole) *store.GroupMember {
		return &store.GroupMember{SDKAppID: app, GroupID: g, UserID: u, Role: role, JoinedAt: t0}
	}

	t.Run("OK", func(t *testing.T) {
		s := open(t)
		g := newGroup(appA, "g1")
		alice, bob := member(appA, "g1", "alice", store.Owner), member(appA, "g1", "bob", store.Member)
		bob.RecvOpt = store.ReceiveNoNotifyExceptAt
		must(t, "CreateGroup", s.CreateGroup(ctx, g, []*store.GroupMember{alice, bob}))
		must(t, "CreateGroup", s.CreateGroup(ctx, newGroup(appB, "g1"), []*store.GroupMember{member(appB, "g1", "carol", store.Owner)}))

		got, err := s.FindGroup(ctx, appA, "g1")
		must(t, "FindGroup", err)
		assertEqual(t, "FindGroup", got, g)

		m, err := s.FindGroupMember(ctx, appA, "g1", "bob")
		must(t, "FindGroupMember", err)
		assertEqual(t, "FindGroupMember", m, bob)

		ms, err := s.FindGroupMembers(ctx, appA, "g1", "", 0)
		must(t, "FindGroupMembers", err)
		assertEqual(t, "FindGroupMembers", ms, []*store.GroupMember{alice, bob})

		if _, err := s.FindGroupMember(ctx, appA, "g1", "carol"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindGroupMember(app B's member) = %v, want ErrNotFound", err)
		}
	})

	t.Run("ErrConflict", func(t *testing.T) {
		s := open(t)
		must(t, "CreateGroup", s.CreateGroup(ctx, newGroup(appA, "g1"), []*store.GroupMember{member(appA, "g1", "alice", store.Owner)}))
		g := newGroup(appA, "g1")
		g.Name = "second"
		err := s.CreateGroup(ctx, g, []*store.GroupMember{member(appA, "g1", "bob", store.Owner)})
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("CreateGroup(existing) = %v, want ErrConflict", err)
		}
		got, err := s.FindGroup(ctx, appA, "g1")
		must(t, "FindGroup", err)
		assertEqual(t, "Name", got.Name, "Group g1")
		if _, err := s.FindGroupMember(ctx, appA, "g1", "bob"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindGroupMember(bob) = %v, want ErrNotFound: nothing of the conflicting group stored", err)
		}
	})

	t.Run("Update", func(t *testing.T) {
		s := open(t)
		must(t, "CreateGroup", s.CreateGroup(ctx, newGroup(appA, "g1"), nil))
		must(t, "CreateGroup", s.CreateGroup(ctx, newGroup(appB, "g1"), nil))
		must(t, "UpdateGroup", s.UpdateGroup(ctx, appA, "g1", store.GroupUpdate{Name: ptr("New"), OwnerID: ptr("bob")}))
		must(t, "UpdateGroup", s.UpdateGroup(ctx, appA, "g1", store.GroupUpdate{FaceURL: ptr("f2")}))
		got, err := s.FindGroup(ctx, appA, "g1")
		must(t, "FindGroup", err)
		assertEqual(t, "FindGroup", got, &store.Group{SDKAppID: appA, ID: "g1", Name: "New", FaceURL: "f2",
			OwnerID: "bob", CreatedAt: t0})
		got, err = s.FindGroup(ctx, appB, "g1")
		must(t, "FindGroup(app B)", err)
		assertEqual(t, "app B's group", got, newGroup(appB, "g1"))
	})

	t.Run("Members", func(t *testing.T) {
		s := open(t)
		must(t, "CreateGroup", s.CreateGroup(ctx, newGroup(appA, "g1"), []*store.GroupMember{
			member(appA, "g1", "alice", store.Owner), member(appA, "g1", "bob", store.Member)}))
		must(t, "CreateGroup", s.CreateGroup(ctx, newGroup(appA, "g2"), []*store.GroupMember{
			member(appA, "g2", "bob", store.Member)}))

		// Existing members are left as they are.
		added, err := s.AddGroupMembers(ctx, appA, "g1", []*store.GroupMember{
			member(appA, "g1", "bob", store.Admin), member(appA, "g1", "carol", store.Admin), member(appA, "g1", "dave", store.Member)})
		must(t, "AddGroupMembers", err)
		sort.Strings(added) // in no particular order
		assertEqual(t, "added", added, []string{"carol", "dave"})
		m, err := s.FindGroupMember(ctx, appA, "g1", "bob")
		must(t, "FindGroupMember", err)
		assertEqual(t, "bob's role", m.Role, store.Member)
		added, err = s.AddGroupMembers(ctx, appA, "g1", []*store.GroupMember{member(appA, "g1", "carol", store.Member)})
		must(t, "AddGroupMembers(again)", err)
		assertEqual(t, "added again", len(added), 0)

		removed, err := s.RemoveGroupMembers(ctx, appA, "g1", []string{"bob", "erin"})
		must(t, "RemoveGroupMembers", err)
		assertEqual(t, "removed", removed, []string{"bob"})
		if _, err := s.FindGroupMember(ctx, appA, "g1", "bob"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindGroupMember(removed) = %v, want ErrNotFound", err)
		}
		if _, err := s.FindGroupMember(ctx, appA, "g2", "bob"); err != nil {
			t.Fatalf("FindGroupMember(bob in g2) = %v, want the member", err)
		}

		must(t, "UpdateGroupMember", s.UpdateGroupMember(ctx, appA, "g1", "carol",
			store.GroupMemberUpdate{RecvOpt: ptr(store.ReceiveNoNotify)}))
		must(t, "UpdateGroupMember", s.UpdateGroupMember(ctx, appA, "g1", "dave",
			store.GroupMemberUpdate{Role: ptr(store.Admin)}))
		ms, err := s.FindGroupMembers(ctx, appA, "g1", "", 0)
		must(t, "FindGroupMembers", err)
		carol, dave := member(appA, "g1", "carol", store.Admin), member(appA, "g1", "dave", store.Admin)
		carol.RecvOpt = store.ReceiveNoNotify
		assertEqual(t, "members", ms, []*store.GroupMember{member(appA, "g1", "alice", store.Owner), carol, dave})

		gs, err := s.FindUserGroups(ctx, appA, "bob")
		must(t, "FindUserGroups(bob)", err)
		assertEqual(t, "bob's groups", gs, []*store.Group{newGroup(appA, "g2")})
		gs, err = s.FindUserGroups(ctx, appA, "carol")
		must(t, "FindUserGroups(carol)", err)
		assertEqual(t, "carol's groups", gs, []*store.Group{newGroup(appA, "g1")})
	})

	t.Run("Paging", func(t *testing.T) {
		s := open(t)
		var all []*store.GroupMember
		for i := range 25 {
			all = append(all, member(appA, "g1", fmt.Sprintf("u%02d", i), store.Member))
		}
		// Added out of order; pages come by user ID.
		must(t, "CreateGroup", s.CreateGroup(ctx, newGroup(appA, "g1"), append(all[10:], all[:10]...)))
		must(t, "CreateGroup", s.CreateGroup(ctx, newGroup(appA, "g0"), []*store.GroupMember{member(appA, "g0", "u99", store.Owner)}))
		must(t, "CreateGroup", s.CreateGroup(ctx, newGroup(appB, "g1"), []*store.GroupMember{member(appB, "g1", "u05x", store.Owner)}))

		var got []*store.GroupMember
		var pages int
		for after := ""; ; pages++ {
			page, err := s.FindGroupMembers(ctx, appA, "g1", after, 10)
			must(t, "FindGroupMembers", err)
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			after = page[len(page)-1].UserID
		}
		assertEqual(t, "pages", pages, 3)
		assertEqual(t, "members", got, all)
	})

	t.Run("Delete", func(t *testing.T) {
		s := open(t)
		must(t, "CreateGroup", s.CreateGroup(ctx, newGroup(appA, "g1"), []*store.GroupMember{member(appA, "g1", "alice", store.Owner)}))
		must(t, "CreateGroup", s.CreateGroup(ctx, newGroup(appB, "g1"), []*store.GroupMember{member(appB, "g1", "alice", store.Owner)}))
		must(t, "DeleteGroup", s.DeleteGroup(ctx, appA, "g1"))
		if _, err := s.FindGroup(ctx, appA, "g1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindGroup(deleted) = %v, want ErrNotFound", err)
		}
		ms, err := s.FindGroupMembers(ctx, appA, "g1", "", 0)
		must(t, "FindGroupMembers(deleted)", err)
		assertEqual(t, "members of a deleted group", len(ms), 0)
		gs, err := s.FindUserGroups(ctx, appA, "alice")
		must(t, "FindUserGroups", err)
		assertEqual(t, "alice's groups", len(gs), 0)
		gs, err = s.FindUserGroups(ctx, appB, "alice")
		must(t, "FindUserGroups(app B)", err)
		assertEqual(t, "alice's groups in app B", gs, []*store.Group{newGroup(appB, "g1")})

		// A group can be created again under the same ID.
		must(t, "CreateGroup", s.CreateGroup(ctx, newGroup(appA, "g1"), nil))
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		must(t, "CreateGroup", s.CreateGroup(ctx, newGroup(appB, "g1"), []*store.GroupMember{member(appB, "g1", "alice", store.Owner)}))
		if _, err := s.FindGroup(ctx, appA, "g1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("FindGroup = %v, want ErrNotFound", err)
		}
		if err := s.UpdateGroup(ctx, appA, "g1", store.GroupUpdate{Name: ptr("x")}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateGroup = %v, want ErrNotFound", err)
		}
		if err := s.DeleteGroup(ctx, appA, "g1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteGroup = %v, want ErrNotFound", err)
		}
		if _, err := s.AddGroupMembers(ctx, appA, "g1", []*store.GroupMember{member(appA, "g1", "bob", store.Member)}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("AddGroupMembers = %v, want ErrNotFound", err)
		}
		if _, err := s.RemoveGroupMembers(ctx, appA, "g1", []string{"alice"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RemoveGroupMembers = %v, want ErrNotFound", err)
		}
		if _, err := s.FindGroupMember(ctx, appA, "g1", "alice"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("FindGroupMember = %v, want ErrNotFound", err)
		}
		if err := s.UpdateGroupMember(ctx, appA, "g1", "alice", store.GroupMemberUpdate{Role: ptr(store.Admin)}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateGroupMember = %v, want ErrNotFound", err)
		}
		m, err := s.FindGroupMember(ctx, appB, "g1", "alice")
		must(t, "FindGroupMember(app B)", err)
		assertEqual(t, "app B's member", m.Role, store.Owner)
	})
}
