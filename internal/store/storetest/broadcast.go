package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/herald-im/herald/internal/store"
)

func testUserTags(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		s := open(t)
		must(t, "AddUserTags", s.AddUserTags(ctx, appA, "alice", []string{"vip", "beta", "vip"}))
		must(t, "AddUserTags", s.AddUserTags(ctx, appA, "alice", []string{"beta", "cn"}))
		must(t, "AddUserTags(app B)", s.AddUserTags(ctx, appB, "alice", []string{"other"}))
		got, err := s.FindUserTags(ctx, appA, "alice")
		must(t, "FindUserTags", err)
		assertEqual(t, "FindUserTags", got, []string{"beta", "cn", "vip"})

		must(t, "RemoveUserTags", s.RemoveUserTags(ctx, appA, "alice", []string{"cn", "none"}))
		got, err = s.FindUserTags(ctx, appA, "alice")
		must(t, "FindUserTags", err)
		assertEqual(t, "FindUserTags after remove", got, []string{"beta", "vip"})

		must(t, "RemoveUserTags(all)", s.RemoveUserTags(ctx, appA, "alice", nil))
		got, err = s.FindUserTags(ctx, appA, "alice")
		must(t, "FindUserTags", err)
		assertEqual(t, "FindUserTags after remove all", len(got), 0)
		got, err = s.FindUserTags(ctx, appB, "alice")
		must(t, "FindUserTags(app B)", err)
		assertEqual(t, "FindUserTags(app B)", got, []string{"other"})
	})

	t.Run("ErrLimit", func(t *testing.T) {
		s := open(t)
		var tags []string
		for i := range store.MaxUserTags - 1 {
			tags = append(tags, fmt.Sprintf("t%02d", i))
		}
		must(t, "AddUserTags", s.AddUserTags(ctx, appA, "alice", tags))
		// Two more would make 11: neither is added.
		err := s.AddUserTags(ctx, appA, "alice", []string{"x", "y"})
		if !errors.Is(err, store.ErrLimit) {
			t.Fatalf("AddUserTags(past the limit) = %v, want ErrLimit", err)
		}
		got, err := s.FindUserTags(ctx, appA, "alice")
		must(t, "FindUserTags", err)
		assertEqual(t, "FindUserTags after refused add", got, tags)
		// One more, and a tag it has, fit.
		must(t, "AddUserTags(to the limit)", s.AddUserTags(ctx, appA, "alice", []string{"x", "t00"}))
		got, err = s.FindUserTags(ctx, appA, "alice")
		must(t, "FindUserTags", err)
		assertEqual(t, "tags at the limit", len(got), store.MaxUserTags)
	})
}

func testUserAttrs(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		s := open(t)
		must(t, "SetAttrNames", s.SetAttrNames(ctx, appA, []string{"sex", "city", "level"}))
		names, err := s.FindAttrNames(ctx, appA)
		must(t, "FindAttrNames", err)
		assertEqual(t, "FindAttrNames", names, []string{"city", "level", "sex"})
		names, err = s.FindAttrNames(ctx, appB)
		must(t, "FindAttrNames(app B)", err)
		assertEqual(t, "FindAttrNames(app B)", len(names), 0)

		must(t, "SetUserAttrs", s.SetUserAttrs(ctx, appA, "alice", map[string]string{"city": "sz", "level": "3"}))
		must(t, "SetUserAttrs", s.SetUserAttrs(ctx, appA, "alice", map[string]string{"level": "4", "sex": "f"}))
		got, err := s.FindUserAttrs(ctx, appA, "alice")
		must(t, "FindUserAttrs", err)
		assertEqual(t, "FindUserAttrs", got, map[string]string{"city": "sz", "level": "4", "sex": "f"})

		// An empty value removes the attribute.
		must(t, "SetUserAttrs(remove)", s.SetUserAttrs(ctx, appA, "alice", map[string]string{"sex": ""}))
		got, err = s.FindUserAttrs(ctx, appA, "alice")
		must(t, "FindUserAttrs", err)
		assertEqual(t, "FindUserAttrs after remove", got, map[string]string{"city": "sz", "level": "4"})

		// A name that goes takes the users' values with it.
		must(t, "SetAttrNames", s.SetAttrNames(ctx, appA, []string{"city", "sex"}))
		got, err = s.FindUserAttrs(ctx, appA, "alice")
		must(t, "FindUserAttrs", err)
		assertEqual(t, "FindUserAttrs after names changed", got, map[string]string{"city": "sz"})
		must(t, "SetAttrNames(none)", s.SetAttrNames(ctx, appA, nil))
		got, err = s.FindUserAttrs(ctx, appA, "alice")
		must(t, "FindUserAttrs", err)
		assertEqual(t, "FindUserAttrs after names removed", len(got), 0)
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		must(t, "SetAttrNames", s.SetAttrNames(ctx, appA, []string{"city"}))
		must(t, "SetAttrNames(app B)", s.SetAttrNames(ctx, appB, []string{"level"}))
		err := s.SetUserAttrs(ctx, appA, "alice", map[string]string{"city": "sz", "level": "3"})
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("SetUserAttrs(undefined name) = %v, want ErrNotFound", err)
		}
		got, err := s.FindUserAttrs(ctx, appA, "alice")
		must(t, "FindUserAttrs", err)
		assertEqual(t, "FindUserAttrs after refused set", len(got), 0)
	})

	t.Run("ErrLimit", func(t *testing.T) {
		s := open(t)
		var names []string
		for i := range store.MaxAttrNames + 1 {
			names = append(names, fmt.Sprintf("a%02d", i))
		}
		if err := s.SetAttrNames(ctx, appA, names); !errors.Is(err, store.ErrLimit) {
			t.Fatalf("SetAttrNames(%d names) = %v, want ErrLimit", len(names), err)
		}
		must(t, "SetAttrNames(at the limit)", s.SetAttrNames(ctx, appA, names[:store.MaxAttrNames]))
	})
}

func testAudience(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	// u0..u9; tags: even users "even", u0..u4 "low", u3 "vip"; attrs: city sz for
	// u0..u2, level 1 for odd users.
	var as []*store.Account
	for i := range 10 {
		as = append(as, &store.Account{SDKAppID: appA, UserID: fmt.Sprintf("u%d", i), CreatedAt: t0})
	}
	as = append(as, &store.Account{SDKAppID: appB, UserID: "u0", CreatedAt: t0})
	must(t, "CreateAccounts", s.CreateAccounts(ctx, as))
	must(t, "SetAttrNames", s.SetAttrNames(ctx, appA, []string{"city", "level"}))
	for i := range 10 {
		u := fmt.Sprintf("u%d", i)
		var tags []string
		if i%2 == 0 {
			tags = append(tags, "even")
		}
		if i < 5 {
			tags = append(tags, "low")
		}
		if i == 3 {
			tags = append(tags, "vip")
		}
		must(t, "AddUserTags", s.AddUserTags(ctx, appA, u, tags))
		attrs := map[string]string{}
		if i < 3 {
			attrs["city"] = "sz"
		}
		if i%2 == 1 {
			attrs["level"] = "1"
		}
		must(t, "SetUserAttrs", s.SetUserAttrs(ctx, appA, u, attrs))
	}
	// Tags of a user without an account never match.
	must(t, "AddUserTags(no account)", s.AddUserTags(ctx, appA, "ghost", []string{"vip", "even", "low"}))
	must(t, "AddUserTags(app B)", s.AddUserTags(ctx, appB, "u0", []string{"vip"}))

	all := func(a store.Audience, page int) []string {
		t.Helper()
		var got []string
		for after := ""; ; {
			ids, err := s.FindAudience(ctx, appA, a, after, page)
			must(t, "FindAudience", err)
			if len(ids) > page {
				t.Fatalf("FindAudience(limit %d) = %d ids", page, len(ids))
			}
			got = append(got, ids...)
			if len(ids) < page {
				return got
			}
			after = ids[len(ids)-1]
		}
	}
	for _, tc := range []struct {
		name string
		a    store.Audience
		want []string
	}{
		{"All", store.Audience{}, []string{"u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"}},
		{"TagsAnd", store.Audience{TagsAnd: []string{"even", "low"}}, []string{"u0", "u2", "u4"}},
		{"TagsAndRepeated", store.Audience{TagsAnd: []string{"vip", "vip"}}, []string{"u3"}},
		{"TagsOr", store.Audience{TagsOr: []string{"vip", "even"}}, []string{"u0", "u2", "u3", "u4", "u6", "u8"}},
		{"TagsNot", store.Audience{TagsNot: []string{"low"}}, []string{"u5", "u6", "u7", "u8", "u9"}},
		{"TagsOrNot", store.Audience{TagsOr: []string{"low"}, TagsNot: []string{"even"}}, []string{"u1", "u3"}},
		{"AttrsAnd", store.Audience{AttrsAnd: map[string]string{"city": "sz", "level": "1"}}, []string{"u1"}},
		{"AttrsOr", store.Audience{AttrsOr: map[string]string{"city": "sz", "level": "1"}}, []string{"u0", "u1", "u2", "u3", "u5", "u7", "u9"}},
		{"TagsAndAttrs", store.Audience{TagsAnd: []string{"even"}, AttrsAnd: map[string]string{"city": "sz"}}, []string{"u0", "u2"}},
		{"NoMatch", store.Audience{TagsAnd: []string{"nobody"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, page := range []int{3, 100} {
				assertEqual(t, fmt.Sprintf("FindAudience(%s, pages of %d)", dump(tc.a), page), all(tc.a, page), tc.want)
			}
		})
	}
}

func testPushTask(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		s := open(t)
		task := &store.PushTask{SDKAppID: appA, ID: "task-1", Audience: store.Audience{TagsOr: []string{"vip"}, AttrsAnd: map[string]string{"city": "sz"}},
			Content: json.RawMessage(`{"title":"Sale","desc":"50% off"}`), OnlineOnly: true, Status: store.TaskQueued, CreatedAt: at(1)}
		must(t, "CreatePushTask", s.CreatePushTask(ctx, task))
		if err := s.CreatePushTask(ctx, &store.PushTask{SDKAppID: appA, ID: "task-1", Status: store.TaskQueued}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("CreatePushTask(same ID) = %v, want ErrConflict", err)
		}
		got, err := s.FindPushTask(ctx, appA, "task-1")
		must(t, "FindPushTask", err)
		assertEqual(t, "FindPushTask", got, task)
		if _, err := s.FindPushTask(ctx, appB, "task-1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindPushTask(app B) = %v, want ErrNotFound", err)
		}

		planning := store.TaskPlanning
		must(t, "UpdatePushTask", s.UpdatePushTask(ctx, appA, "task-1", store.PushTaskUpdate{Status: &planning, Cursor: ptr("u5"), AddTargets: 5, AddPushed: 4}))
		must(t, "UpdatePushTask", s.UpdatePushTask(ctx, appA, "task-1", store.PushTaskUpdate{Cursor: ptr("u9"), AddTargets: 3, AddPushed: 2}))
		done := store.TaskDone
		must(t, "UpdatePushTask", s.UpdatePushTask(ctx, appA, "task-1", store.PushTaskUpdate{Status: &done, Accepted: ptr(5), Failed: ptr(1), FinishedAt: ptr(at(9))}))
		got, err = s.FindPushTask(ctx, appA, "task-1")
		must(t, "FindPushTask", err)
		want := *task
		want.Status, want.Cursor, want.Targets, want.Pushed, want.Accepted, want.Failed, want.FinishedAt = store.TaskDone, "u9", 8, 6, 5, 1, at(9)
		assertEqual(t, "FindPushTask after updates", got, &want)

		if err := s.UpdatePushTask(ctx, appB, "task-1", store.PushTaskUpdate{AddTargets: 1}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("UpdatePushTask(app B) = %v, want ErrNotFound", err)
		}
	})

	t.Run("Count", func(t *testing.T) {
		s := open(t)
		for i, sec := range []int{0, 10, 20} {
			must(t, "CreatePushTask", s.CreatePushTask(ctx, &store.PushTask{SDKAppID: appA, ID: fmt.Sprint(i), Status: store.TaskQueued, CreatedAt: at(sec)}))
		}
		must(t, "CreatePushTask", s.CreatePushTask(ctx, &store.PushTask{SDKAppID: appB, ID: "b", Status: store.TaskQueued, CreatedAt: at(20)}))
		for _, tc := range []struct{ since, want int }{{0, 3}, {10, 2}, {11, 1}, {21, 0}} {
			n, err := s.CountPushTasks(ctx, appA, at(tc.since))
			must(t, "CountPushTasks", err)
			if n != tc.want {
				t.Errorf("CountPushTasks(since %ds) = %d, want %d", tc.since, n, tc.want)
			}
		}
	})

	t.Run("CountMessagePushRecords", func(t *testing.T) {
		s := open(t)
		rec := func(app int64, msg, dev, decision, outcome string) *store.PushRecord {
			return &store.PushRecord{SDKAppID: app, MessageID: msg, UserID: "u", DeviceID: dev, Decision: decision, Outcome: outcome, CreatedAt: t0}
		}
		must(t, "CreatePushRecords", s.CreatePushRecords(ctx, []*store.PushRecord{
			rec(appA, "task-1", "d1", "push", "accepted"), rec(appA, "task-1", "d2", "push", "accepted"),
			rec(appA, "task-1", "d3", "push", "failed"), rec(appA, "task-1", "d4", "no_token", ""),
			rec(appA, "task-2", "d5", "push", "accepted"), rec(appB, "task-1", "d6", "push", "accepted"),
		}))
		cs, err := s.CountMessagePushRecords(ctx, appA, "task-1")
		must(t, "CountMessagePushRecords", err)
		assertEqual(t, "CountMessagePushRecords", cs, []*store.PushCount{
			{Decision: "no_token", Outcome: "", Count: 1},
			{Decision: "push", Outcome: "accepted", Count: 2},
			{Decision: "push", Outcome: "failed", Count: 1},
		})
	})
}
