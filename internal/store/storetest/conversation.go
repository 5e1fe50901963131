package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/herald-im/herald/internal/store"
)

func testConversation(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("C2C", func(t *testing.T) {
		s := open(t)
		m1 := textMessage(appA, "alice", "bob", 1)
		sendC2C(t, s, m1)
		m2 := textMessage(appA, "alice", "bob", 2)
		sendC2C(t, s, m2)
		sendC2C(t, s, textMessage(appB, "alice", "bob", 3))

		got, err := s.FindConversation(ctx, appA, "bob", "c2c_alice")
		must(t, "FindConversation", err)
		assertEqual(t, "bob's conversation", got, &store.Conversation{SDKAppID: appA, UserID: "bob", ID: "c2c_alice",
			Type: store.TypeC2C, PeerID: "alice", LastMessage: m2, LastSeq: 2, Unread: 2, UpdatedAt: m2.Time})

		// The sender's copy does not count as unread.
		got, err = s.FindConversation(ctx, appA, "alice", "c2c_bob")
		must(t, "FindConversation", err)
		assertEqual(t, "alice's conversation", got, &store.Conversation{SDKAppID: appA, UserID: "alice", ID: "c2c_bob",
			Type: store.TypeC2C, PeerID: "bob", LastMessage: m2, LastSeq: 2, Unread: 0, UpdatedAt: m2.Time})

		// A reply updates both sides.
		m3 := textMessage(appA, "bob", "alice", 4)
		sendC2C(t, s, m3)
		got, err = s.FindConversation(ctx, appA, "alice", "c2c_bob")
		must(t, "FindConversation", err)
		assertEqual(t, "alice's unread", got.Unread, 1)
		assertEqual(t, "alice's last message", got.LastMessage, m3)
		got, err = s.FindConversation(ctx, appA, "bob", "c2c_alice")
		must(t, "FindConversation", err)
		assertEqual(t, "bob's unread", got.Unread, 2)
		assertEqual(t, "bob's last seq", got.LastSeq, int64(3))

		got, err = s.FindConversation(ctx, appB, "bob", "c2c_alice")
		must(t, "FindConversation(app B)", err)
		assertEqual(t, "app B's conversation", [2]int64{got.LastSeq, int64(got.Unread)}, [2]int64{1, 1})
	})

	t.Run("UnreadOnlyForUnreadDeliveries", func(t *testing.T) {
		s := open(t)
		// Whether a copy counts is the caller's choice: here carol's does not.
		m := groupMessage(appA, "alice", "g1", 1)
		must(t, "CreateMessage", s.CreateMessage(ctx, m, []store.Delivery{
			{UserID: "alice"}, {UserID: "bob", Unread: true}, {UserID: "carol"}}))
		for user, want := range map[string]int{"alice": 0, "bob": 1, "carol": 0} {
			c, err := s.FindConversation(ctx, appA, user, "group_g1")
			must(t, "FindConversation", err)
			assertEqual(t, user+"'s unread", c.Unread, want)
			assertEqual(t, user+"'s conversation type", [2]string{string(c.Type), c.GroupID}, [2]string{"group", "g1"})
		}
		// A user the message was not stored for has no conversation.
		if _, err := s.FindConversation(ctx, appA, "dave", "group_g1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindConversation(dave) = %v, want ErrNotFound", err)
		}
	})

	t.Run("NewestFirst", func(t *testing.T) {
		s := open(t)
		sendC2C(t, s, textMessage(appA, "carol", "bob", 1))
		sendGroup(t, s, groupMessage(appA, "alice", "g1", 2), "alice", "bob")
		sendC2C(t, s, textMessage(appA, "alice", "bob", 3))
		sendC2C(t, s, textMessage(appA, "bob", "carol", 4))
		sendC2C(t, s, textMessage(appB, "bob", "dave", 5))

		cs, err := s.FindConversations(ctx, appA, "bob")
		must(t, "FindConversations", err)
		var ids []string
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		assertEqual(t, "conversation IDs", ids, []string{"c2c_carol", "c2c_alice", "group_g1"})
		assertEqual(t, "unread", []int{cs[0].Unread, cs[1].Unread, cs[2].Unread}, []int{1, 1, 1})

		cs, err = s.FindConversations(ctx, appA, "dave")
		must(t, "FindConversations(none)", err)
		assertEqual(t, "dave's conversations", len(cs), 0)
	})

	t.Run("MarkRead", func(t *testing.T) {
		s := open(t)
		sendC2C(t, s, textMessage(appA, "alice", "bob", 1)) // seq 1
		sendC2C(t, s, textMessage(appA, "alice", "bob", 2)) // 2
		sendC2C(t, s, textMessage(appA, "bob", "alice", 3)) // 3, bob's own
		m4 := textMessage(appA, "alice", "bob", 4)          // 4
		sendC2C(t, s, m4)
		sendC2C(t, s, textMessage(appB, "alice", "bob", 5))

		c, err := s.MarkConversationRead(ctx, appA, "bob", "c2c_alice", 2)
		must(t, "MarkConversationRead", err)
		assertEqual(t, "after reading 2", c, &store.Conversation{SDKAppID: appA, UserID: "bob", ID: "c2c_alice",
			Type: store.TypeC2C, PeerID: "alice", LastMessage: m4, LastSeq: 4, ReadSeq: 2, Unread: 1, UpdatedAt: m4.Time})

		// The mark never moves back.
		c, err = s.MarkConversationRead(ctx, appA, "bob", "c2c_alice", 1)
		must(t, "MarkConversationRead(back)", err)
		assertEqual(t, "read seq, unread after moving back", [2]int64{c.ReadSeq, int64(c.Unread)}, [2]int64{2, 1})

		c, err = s.MarkConversationRead(ctx, appA, "bob", "c2c_alice", 4)
		must(t, "MarkConversationRead(all)", err)
		assertEqual(t, "read seq, unread after reading all", [2]int64{c.ReadSeq, int64(c.Unread)}, [2]int64{4, 0})

		// Nor past the last message: what comes next is unread.
		c, err = s.MarkConversationRead(ctx, appA, "bob", "c2c_alice", 100)
		must(t, "MarkConversationRead(past the end)", err)
		assertEqual(t, "read seq past the end", c.ReadSeq, int64(4))
		sendC2C(t, s, textMessage(appA, "alice", "bob", 6))
		c, err = s.FindConversation(ctx, appA, "bob", "c2c_alice")
		must(t, "FindConversation", err)
		assertEqual(t, "unread after a new message", c.Unread, 1)

		got, err := s.FindConversation(ctx, appA, "bob", "c2c_alice")
		must(t, "FindConversation", err)
		assertEqual(t, "stored conversation", got, &store.Conversation{SDKAppID: appA, UserID: "bob", ID: "c2c_alice",
			Type: store.TypeC2C, PeerID: "alice", LastMessage: got.LastMessage, LastSeq: 5, ReadSeq: 4, Unread: 1,
			UpdatedAt: at(6)})

		// Other users and apps are untouched.
		c, err = s.FindConversation(ctx, appA, "alice", "c2c_bob")
		must(t, "FindConversation(alice)", err)
		assertEqual(t, "alice's unread", [2]int64{c.ReadSeq, int64(c.Unread)}, [2]int64{0, 1})
		c, err = s.FindConversation(ctx, appB, "bob", "c2c_alice")
		must(t, "FindConversation(app B)", err)
		assertEqual(t, "app B's unread", [2]int64{c.ReadSeq, int64(c.Unread)}, [2]int64{0, 1})
	})

	t.Run("MarkReadRecounts", func(t *testing.T) {
		s := open(t)
		// Unread counts only Unread deliveries, but a recount counts every message from
		// others after the mark.
		for i := 1; i <= 3; i++ {
			must(t, "CreateMessage", s.CreateMessage(ctx, groupMessage(appA, "alice", "g1", i),
				[]store.Delivery{{UserID: "alice"}, {UserID: "bob"}}))
		}
		c, err := s.FindConversation(ctx, appA, "bob", "group_g1")
		must(t, "FindConversation", err)
		assertEqual(t, "unread before recount", c.Unread, 0)
		c, err = s.MarkConversationRead(ctx, appA, "bob", "group_g1", 1)
		must(t, "MarkConversationRead", err)
		assertEqual(t, "unread after recount", c.Unread, 2)
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		sendC2C(t, s, textMessage(appB, "alice", "bob", 1))
		if _, err := s.FindConversation(ctx, appA, "bob", "c2c_alice"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindConversation = %v, want ErrNotFound", err)
		}
		if _, err := s.MarkConversationRead(ctx, appA, "bob", "c2c_alice", 1); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("MarkConversationRead = %v, want ErrNotFound", err)
		}
	})
}
