package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/herald-im/herald/internal/store"
)

// mustFanOutGroup creates group g of app with owner "a-owner" and members u00…u(n-1);
// member u03 does not receive the group's messages.
func mustFanOutGroup(tb testing.TB, s store.Store, app int64, g string, n int) []string {
	tb.Helper()
	ms := []*store.GroupMember{{SDKAppID: app, GroupID: g, UserID: "a-owner", Role: store.Owner, JoinedAt: t0}}
	users := []string{}
	for i := range n {
		u := fmt.Sprintf("u%02d", i)
		m := &store.GroupMember{SDKAppID: app, GroupID: g, UserID: u, Role: store.Member, JoinedAt: t0}
		if i == 3 {
			m.RecvOpt = store.NotReceive
		}
		ms, users = append(ms, m), append(users, u)
	}
	must(tb, "CreateGroup", s.CreateGroup(context.Background(),
		&store.Group{SDKAppID: app, ID: g, Name: g, OwnerID: "a-owner", CreatedAt: t0}, ms))
	return users
}

// drainFanOuts runs every pending fan-out to its end, limit members at a time, and
// returns the deliveries made.
func drainFanOuts(tb testing.TB, s store.Store, limit int) []store.Delivery {
	tb.Helper()
	ctx := context.Background()
	var all []store.Delivery
	for range 1000 {
		fs, err := s.FindFanOuts(ctx, 0)
		must(tb, "FindFanOuts", err)
		if len(fs) == 0 {
			return all
		}
		for _, f := range fs {
			ds, _, err := s.FanOutMessage(ctx, f.SDKAppID, f.MessageID, limit)
			must(tb, "FanOutMessage", err)
			all = append(all, ds...)
		}
	}
	tb.Fatal("fan-outs never ended")
	return nil
}

func inboxIDs(tb testing.TB, s store.Store, app int64, user string) []string {
	tb.Helper()
	es, err := s.FindInbox(context.Background(), app, user, 0, 0)
	must(tb, "FindInbox", err)
	ids := []string{}
	for i, e := range es {
		if e.InboxSeq != int64(i+1) {
			tb.Fatalf("inbox of %s: entry %d has InboxSeq %d, want %d (no gaps)", user, i, e.InboxSeq, i+1)
		}
		ids = append(ids, e.Message.ID)
	}
	return ids
}

func testFanOut(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		s := open(t)
		users := mustFanOutGroup(t, s, appA, "g1", 25)
		m1 := groupMessage(appA, "a-owner", "g1", 1)
		ds, pending, err := s.CreateGroupMessage(ctx, m1, &store.Delivery{UserID: "a-owner"}, 5)
		must(t, "CreateGroupMessage", err)
		// The owner's copy and the first five members read (a-owner is one of them; u03
		// does not receive): u00, u01, u02.
		got := []string{}
		for _, d := range ds {
			if d.InboxSeq != 1 {
				t.Errorf("delivery %s: InboxSeq %d, want 1", d.UserID, d.InboxSeq)
			}
			got = append(got, fmt.Sprintf("%s/%v", d.UserID, d.Unread))
		}
		assertEqual(t, "inline deliveries", got, []string{"a-owner/false", "u00/true", "u01/true", "u02/true"})
		assertEqual(t, "pending", pending, true)
		assertEqual(t, "m1.Seq", m1.Seq, int64(1))

		fs, err := s.FindFanOuts(ctx, 0)
		must(t, "FindFanOuts", err)
		assertEqual(t, "fan-outs", len(fs), 1)
		assertEqual(t, "fan-out", *fs[0], store.FanOut{SDKAppID: appA, MessageID: m1.ID, GroupID: "g1", From: "a-owner",
			After: "u03", CreatedAt: fs[0].CreatedAt})

		// A member the fan-out has not reached has no conversation yet; one it reached
		// has m1 only.
		if _, err := s.FindConversation(ctx, appA, "u20", "group_g1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindConversation(u20) = %v, want ErrNotFound", err)
		}
		// A second message waits behind the first: its members get the group in order.
		m2 := groupMessage(appA, "a-owner", "g1", 2)
		ds, pending, err = s.CreateGroupMessage(ctx, m2, &store.Delivery{UserID: "a-owner"}, 5)
		must(t, "CreateGroupMessage", err)
		assertEqual(t, "deliveries behind a pending fan-out", len(ds), 1)
		assertEqual(t, "pending", pending, true)
		fs, err = s.FindFanOuts(ctx, 0)
		must(t, "FindFanOuts", err)
		assertEqual(t, "oldest fan-out of the group only", []string{fs[0].MessageID}, []string{m1.ID})

		// Marking read where m2 has not arrived counts only what the user has.
		c, err := s.MarkConversationRead(ctx, appA, "u01", "group_g1", 99)
		must(t, "MarkConversationRead", err)
		assertEqual(t, "u01 read/last/unread", []int64{c.ReadSeq, c.LastSeq, int64(c.Unread)}, []int64{1, 1, 0})

		// u15 sends before either fan-out reached it: its own copy comes first.
		m3 := groupMessage(appA, "u15", "g1", 3)
		_, _, err = s.CreateGroupMessage(ctx, m3, &store.Delivery{UserID: "u15"}, 5)
		must(t, "CreateGroupMessage", err)
		// A one-to-one message in between lands in u20's inbox in arrival order.
		c2c := textMessage(appA, "x", "u20", 4)
		sendC2C(t, s, c2c)

		drainFanOuts(t, s, 4)
		for _, u := range users {
			switch u {
			case "u03":
				assertEqual(t, "inbox of u03 (not receive)", inboxIDs(t, s, appA, u), []string{})
				continue
			case "u00", "u01", "u02":
				assertEqual(t, "inbox of "+u, inboxIDs(t, s, appA, u), []string{m1.ID, m2.ID, m3.ID})
			case "u15":
				assertEqual(t, "inbox of u15", inboxIDs(t, s, appA, u), []string{m3.ID, m1.ID, m2.ID})
			case "u20":
				assertEqual(t, "inbox of u20", inboxIDs(t, s, appA, u), []string{c2c.ID, m1.ID, m2.ID, m3.ID})
			default:
				assertEqual(t, "inbox of "+u, inboxIDs(t, s, appA, u), []string{m1.ID, m2.ID, m3.ID})
			}
			c, err := s.FindConversation(ctx, appA, u, "group_g1")
			must(t, "FindConversation "+u, err)
			want := []int64{3, 0, 3} // last seq, read seq, unread
			switch u {
			case "u01":
				want = []int64{3, 1, 2}
			case "u15": // its conversation began with its own m3: read up to 2
				want = []int64{3, 2, 0}
			}
			assertEqual(t, u+" last/read/unread", []int64{c.LastSeq, c.ReadSeq, int64(c.Unread)}, want)
			assertEqual(t, u+" last message", c.LastMessage.ID, m3.ID)
		}
		assertEqual(t, "owner's inbox", inboxIDs(t, s, appA, "a-owner"), []string{m1.ID, m2.ID, m3.ID})
		c, err = s.FindConversation(ctx, appA, "a-owner", "group_g1")
		must(t, "FindConversation", err)
		assertEqual(t, "owner unread", c.Unread, 1) // m3

		fs, err = s.FindFanOuts(ctx, 0)
		must(t, "FindFanOuts", err)
		assertEqual(t, "fan-outs after the drain", len(fs), 0)
		ds, more, err := s.FanOutMessage(ctx, appA, m1.ID, 10)
		must(t, "FanOutMessage(done)", err)
		assertEqual(t, "a done fan-out stores nothing", []any{len(ds), more}, []any{0, false})
	})

	t.Run("SmallGroupInline", func(t *testing.T) {
		s := open(t)
		mustFanOutGroup(t, s, appA, "g1", 3)
		m := groupMessage(appA, "a-owner", "g1", 1)
		ds, pending, err := s.CreateGroupMessage(ctx, m, nil, 10)
		must(t, "CreateGroupMessage", err)
		assertEqual(t, "pending", pending, false)
		assertEqual(t, "deliveries (no sender copy)", len(ds), 3)
		assertEqual(t, "owner's inbox", inboxIDs(t, s, appA, "a-owner"), []string{})
		fs, err := s.FindFanOuts(ctx, 0)
		must(t, "FindFanOuts", err)
		assertEqual(t, "fan-outs", len(fs), 0)
	})

	t.Run("MessageGone", func(t *testing.T) {
		s := open(t)
		mustFanOutGroup(t, s, appA, "g1", 10)
		m := groupMessage(appA, "a-owner", "g1", 1)
		_, _, err := s.CreateGroupMessage(ctx, m, nil, 2)
		must(t, "CreateGroupMessage", err)
		_, err = s.DeleteMessagesBefore(ctx, appA, at(2))
		must(t, "DeleteMessagesBefore", err)
		ds, more, err := s.FanOutMessage(ctx, appA, m.ID, 100)
		must(t, "FanOutMessage", err)
		assertEqual(t, "deliveries of a deleted message", []any{len(ds), more}, []any{0, false})
		fs, err := s.FindFanOuts(ctx, 0)
		must(t, "FindFanOuts", err)
		assertEqual(t, "fan-outs", len(fs), 0)
	})

	t.Run("ErrConflict", func(t *testing.T) {
		s := open(t)
		mustFanOutGroup(t, s, appA, "g1", 3)
		m := groupMessage(appA, "a-owner", "g1", 1)
		m.ClientMsgID = "c1"
		_, _, err := s.CreateGroupMessage(ctx, m, nil, 10)
		must(t, "CreateGroupMessage", err)
		dup := groupMessage(appA, "a-owner", "g1", 2)
		dup.ClientMsgID = "c1"
		if _, _, err := s.CreateGroupMessage(ctx, dup, nil, 10); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("CreateGroupMessage(same client ID) = %v, want ErrConflict", err)
		}
	})
}
