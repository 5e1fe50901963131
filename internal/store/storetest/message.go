package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/herald-im/herald/internal/store"
)

// textMessage returns a C2C message from → to sent at at(n), whose text is n.
func textMessage(app int64, from, to string, n int) *store.Message {
	return &store.Message{SDKAppID: app, ID: fmt.Sprintf("%s-%s-%d", from, to, n), Type: store.TypeC2C,
		From: from, To: to, Time: at(n), Elements: json.RawMessage(fmt.Sprintf(`[{"Text":"%d"}]`, n))}
}

// groupMessage returns a message from sender to group g sent at at(n).
func groupMessage(app int64, from, g string, n int) *store.Message {
	return &store.Message{SDKAppID: app, ID: fmt.Sprintf("%s-%s-%d", g, from, n), Type: store.TypeGroup,
		From: from, GroupID: g, Time: at(n), Elements: json.RawMessage(fmt.Sprintf(`[{"Text":"%d"}]`, n))}
}

// sendC2C stores m for its recipient (unread) and its sender and returns the
// deliveries with their inbox sequences.
func sendC2C(tb testing.TB, s store.Store, m *store.Message) []store.Delivery {
	tb.Helper()
	ds := []store.Delivery{{UserID: m.To, Unread: true}, {UserID: m.From}}
	must(tb, "CreateMessage", s.CreateMessage(context.Background(), m, ds))
	return ds
}

// sendGroup stores m for each member: unread for all but the sender.
func sendGroup(tb testing.TB, s store.Store, m *store.Message, members ...string) []store.Delivery {
	tb.Helper()
	var ds []store.Delivery
	for _, u := range members {
		ds = append(ds, store.Delivery{UserID: u, Unread: u != m.From})
	}
	must(tb, "CreateMessage", s.CreateMessage(context.Background(), m, ds))
	return ds
}

// seqs returns the Seq of each message.
func seqs(ms []*store.Message) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.Seq
	}
	return out
}

func inboxSeqs(es []*store.InboxEntry) []int64 {
	out := make([]int64, len(es))
	for i, e := range es {
		out[i] = e.InboxSeq
	}
	return out
}

// span returns the integers from a to b, counting down when b < a.
func span(a, b int64) []int64 {
	var out []int64
	for i := a; ; {
		out = append(out, i)
		if i == b {
			return out
		}
		if a < b {
			i++
		} else {
			i--
		}
	}
}

func testMessage(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("RoundTrip", func(t *testing.T) {
		s := open(t)
		// Raw JSON comes back byte for byte: key order and spacing kept.
		m := &store.Message{SDKAppID: appA, ID: "m1", ClientMsgID: "r1", Type: store.TypeGroup, From: "alice",
			GroupID: "g1", Time: t0, Elements: json.RawMessage(`[{"z":1, "a":{"y":2,"b":3}}]`),
			AtUserIDs: []string{"bob", "carol"}, AtAll: true, Priority: "High",
			PushInfo: json.RawMessage(`{"Title":"t","Ext":"e"}`), CloudCustomData: "ccd"}
		ds := []store.Delivery{{UserID: "bob", Unread: true}, {UserID: "alice"}}
		must(t, "CreateMessage", s.CreateMessage(ctx, m, ds))
		assertEqual(t, "Seq", m.Seq, int64(1))
		assertEqual(t, "deliveries", ds, []store.Delivery{{UserID: "bob", Unread: true, InboxSeq: 1}, {UserID: "alice", InboxSeq: 1}})

		got, err := s.FindMessageByID(ctx, appA, "m1")
		must(t, "FindMessageByID", err)
		assertEqual(t, "FindMessageByID", got, m)
		got, err = s.FindMessageByClientID(ctx, appA, "alice", "r1")
		must(t, "FindMessageByClientID", err)
		assertEqual(t, "FindMessageByClientID", got, m)

		// Empty optional fields come back empty.
		bare := &store.Message{SDKAppID: appA, ID: "m2", Type: store.TypeC2C, From: "alice", To: "bob", Time: t0}
		must(t, "CreateMessage", s.CreateMessage(ctx, bare, nil))
		got, err = s.FindMessageByID(ctx, appA, "m2")
		must(t, "FindMessageByID", err)
		assertEqual(t, "bare message", got, bare)
	})

	t.Run("Defaults", func(t *testing.T) {
		s := open(t)
		m := &store.Message{SDKAppID: appA, Type: store.TypeC2C, From: "alice", To: "bob"}
		must(t, "CreateMessage", s.CreateMessage(ctx, m, nil))
		if m.ID == "" || m.Time.IsZero() {
			t.Fatalf("CreateMessage left ID %q, Time %v; want both set", m.ID, m.Time)
		}
		got, err := s.FindMessageByID(ctx, appA, m.ID)
		must(t, "FindMessageByID", err)
		assertEqual(t, "FindMessageByID", got, m)
	})

	t.Run("C2CSeq", func(t *testing.T) {
		s := open(t)
		// Both sides of a conversation share one channel; other channels count apart.
		var got []int64
		for i, m := range []*store.Message{
			textMessage(appA, "alice", "bob", 1),
			textMessage(appA, "bob", "alice", 2),
			textMessage(appA, "alice", "carol", 3),
			textMessage(appA, "alice", "bob", 4),
			textMessage(appB, "alice", "bob", 5),
		} {
			ds := sendC2C(t, s, m)
			got = append(got, m.Seq)
			if i == 3 {
				assertEqual(t, "inbox seqs of the 4th message", ds, []store.Delivery{
					{UserID: "bob", Unread: true, InboxSeq: 3}, {UserID: "alice", InboxSeq: 4}})
			}
		}
		assertEqual(t, "seqs", got, []int64{1, 2, 1, 3, 1})

		ms, err := s.FindMessages(ctx, store.MessageFilter{SDKAppID: appA, Channel: store.C2CChannel("bob", "alice")})
		must(t, "FindMessages", err)
		assertEqual(t, "FindMessages", seqs(ms), []int64{3, 2, 1})
	})

	t.Run("ConcurrentSeq", func(t *testing.T) {
		s := open(t)
		const senders, each = 4, 10
		var wg sync.WaitGroup
		errs := make(chan error, senders*each)
		for i := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range each {
					// Senders alternate sides of one conversation and also write
					// other users' inboxes.
					from, to := "alice", "bob"
					if i%2 == 1 {
						from, to = to, from
					}
					m := textMessage(appA, from, to, i*each+j)
					ds := []store.Delivery{{UserID: to, Unread: true}, {UserID: from}, {UserID: fmt.Sprint("watcher", j%3)}}
					if err := s.CreateMessage(ctx, m, ds); err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("CreateMessage: %v", err)
		}

		ms, err := s.FindMessages(ctx, store.MessageFilter{SDKAppID: appA, Channel: store.C2CChannel("alice", "bob"),
			Limit: 1000})
		must(t, "FindMessages", err)
		assertEqual(t, "seqs", seqs(ms), span(senders*each, 1))

		for _, u := range []string{"alice", "bob"} {
			es, err := s.FindInbox(ctx, appA, u, 0, 1000)
			must(t, "FindInbox", err)
			assertEqual(t, u+"'s inbox seqs", inboxSeqs(es), span(1, senders*each))
		}
		var total int
		for j := range 3 {
			es, err := s.FindInbox(ctx, appA, fmt.Sprint("watcher", j), 0, 1000)
			must(t, "FindInbox", err)
			assertEqual(t, "watcher's inbox seqs", inboxSeqs(es), span(1, int64(len(es))))
			total += len(es)
		}
		assertEqual(t, "watchers' entries", total, senders*each)

		c, err := s.FindConversation(ctx, appA, "bob", "c2c_alice")
		must(t, "FindConversation", err)
		assertEqual(t, "bob's last seq", c.LastSeq, int64(senders*each))
		assertEqual(t, "bob's unread", c.Unread, senders*each/2)
	})

	t.Run("ClientMsgID", func(t *testing.T) {
		s := open(t)
		m := textMessage(appA, "alice", "bob", 1)
		m.ClientMsgID = "r1"
		sendC2C(t, s, m)

		dup := textMessage(appA, "alice", "bob", 2)
		dup.ClientMsgID = "r1"
		ds := []store.Delivery{{UserID: "bob", Unread: true}, {UserID: "alice"}}
		if err := s.CreateMessage(ctx, dup, ds); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("CreateMessage(same ClientMsgID) = %v, want ErrConflict", err)
		}
		assertEqual(t, "dup's Seq", dup.Seq, int64(0))
		assertEqual(t, "dup's deliveries", ds, []store.Delivery{{UserID: "bob", Unread: true}, {UserID: "alice"}})

		// Nothing of the duplicate was stored.
		if _, err := s.FindMessageByID(ctx, appA, dup.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindMessageByID(dup) = %v, want ErrNotFound", err)
		}
		es, err := s.FindInbox(ctx, appA, "bob", 0, 0)
		must(t, "FindInbox", err)
		assertEqual(t, "bob's inbox", inboxSeqs(es), []int64{1})
		c, err := s.FindConversation(ctx, appA, "bob", "c2c_alice")
		must(t, "FindConversation", err)
		assertEqual(t, "bob's unread", c.Unread, 1)
		assertEqual(t, "bob's last message", c.LastMessage.ID, m.ID)

		got, err := s.FindMessageByClientID(ctx, appA, "alice", "r1")
		must(t, "FindMessageByClientID", err)
		assertEqual(t, "FindMessageByClientID", got, m)

		// The same client ID from another sender, in another app, or none at all is fine,
		// and the channel's numbering did not skip.
		other := textMessage(appA, "bob", "alice", 3)
		other.ClientMsgID = "r1"
		sendC2C(t, s, other)
		assertEqual(t, "next seq", other.Seq, int64(2))
		inB := textMessage(appB, "alice", "bob", 4)
		inB.ClientMsgID = "r1"
		sendC2C(t, s, inB)
		sendC2C(t, s, textMessage(appA, "alice", "bob", 5))
		sendC2C(t, s, textMessage(appA, "alice", "bob", 6))

		if _, err := s.FindMessageByClientID(ctx, appA, "alice", "r2"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindMessageByClientID(unknown) = %v, want ErrNotFound", err)
		}
		if _, err := s.FindMessageByClientID(ctx, appA, "alice", ""); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindMessageByClientID(\"\") = %v, want ErrNotFound", err)
		}
	})

	t.Run("ErrConflictOnID", func(t *testing.T) {
		s := open(t)
		sendC2C(t, s, textMessage(appA, "alice", "bob", 1))
		if err := s.CreateMessage(ctx, textMessage(appA, "alice", "bob", 1), nil); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("CreateMessage(same ID) = %v, want ErrConflict", err)
		}
		// The same ID in another app is another message.
		sendC2C(t, s, textMessage(appB, "alice", "bob", 1))
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		sendC2C(t, s, textMessage(appB, "alice", "bob", 1))
		if _, err := s.FindMessageByID(ctx, appA, "alice-bob-1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindMessageByID(other app) = %v, want ErrNotFound", err)
		}
	})

	t.Run("FindMessages", func(t *testing.T) {
		s := open(t)
		for i := 1; i <= 25; i++ {
			sendGroup(t, s, groupMessage(appA, "alice", "g1", i), "alice", "bob")
		}
		sendGroup(t, s, groupMessage(appA, "alice", "g2", 26), "alice", "bob")
		sendGroup(t, s, groupMessage(appB, "alice", "g1", 27), "alice", "bob")
		ch := store.GroupChannel("g1")
		for _, tt := range []struct {
			name string
			f    store.MessageFilter
			want []int64
		}{
			{"Newest", store.MessageFilter{SDKAppID: appA, Channel: ch}, span(25, 6)},
			{"Before", store.MessageFilter{SDKAppID: appA, Channel: ch, BeforeSeq: 6}, span(5, 1)},
			{"BeforeLimit", store.MessageFilter{SDKAppID: appA, Channel: ch, BeforeSeq: 20, Limit: 3}, span(19, 17)},
			{"After", store.MessageFilter{SDKAppID: appA, Channel: ch, AfterSeq: 22}, span(25, 23)},
			{"Between", store.MessageFilter{SDKAppID: appA, Channel: ch, AfterSeq: 10, BeforeSeq: 13}, span(12, 11)},
			{"OtherApp", store.MessageFilter{SDKAppID: appB, Channel: ch}, []int64{1}},
			{"OtherChannel", store.MessageFilter{SDKAppID: appA, Channel: store.GroupChannel("g2")}, []int64{1}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				ms, err := s.FindMessages(ctx, tt.f)
				must(t, "FindMessages", err)
				assertEqual(t, "seqs", seqs(ms), tt.want)
			})
		}
		ms, err := s.FindMessages(ctx, store.MessageFilter{SDKAppID: appA, Channel: ch, Limit: 1})
		must(t, "FindMessages", err)
		want, err := s.FindMessageByID(ctx, appA, "g1-alice-25")
		must(t, "FindMessageByID", err)
		assertEqual(t, "newest message", ms, []*store.Message{want})
	})

	t.Run("FindInbox", func(t *testing.T) {
		s := open(t)
		var sent []*store.Message
		for i := 1; i <= 5; i++ {
			m := textMessage(appA, "alice", "bob", i)
			if i%2 == 0 {
				m = groupMessage(appA, "carol", "g1", i)
			}
			sendGroup(t, s, m, "bob", m.From)
			sent = append(sent, m)
		}
		sendC2C(t, s, textMessage(appB, "alice", "bob", 9))

		es, err := s.FindInbox(ctx, appA, "bob", 0, 0)
		must(t, "FindInbox", err)
		var want []*store.InboxEntry
		for i, m := range sent {
			want = append(want, &store.InboxEntry{InboxSeq: int64(i + 1), Message: m})
		}
		assertEqual(t, "FindInbox", es, want)

		es, err = s.FindInbox(ctx, appA, "bob", 2, 2)
		must(t, "FindInbox(after 2, limit 2)", err)
		assertEqual(t, "FindInbox(after 2, limit 2)", es, want[2:4])

		es, err = s.FindInbox(ctx, appA, "bob", 5, 0)
		must(t, "FindInbox(after the end)", err)
		assertEqual(t, "FindInbox(after the end)", len(es), 0)

		es, err = s.FindInbox(ctx, appA, "carol", 0, 0)
		must(t, "FindInbox(carol)", err)
		assertEqual(t, "carol's inbox", inboxSeqs(es), []int64{1, 2})
		assertEqual(t, "carol's first message", es[0].Message.ID, sent[1].ID)

		es, err = s.FindInbox(ctx, appB, "bob", 0, 0)
		must(t, "FindInbox(app B)", err)
		assertEqual(t, "app B's inbox", inboxSeqs(es), []int64{1})
	})

	t.Run("FindInboxDefaultLimit", func(t *testing.T) {
		s := open(t)
		for i := 1; i <= 101; i++ {
			must(t, "CreateMessage", s.CreateMessage(ctx, textMessage(appA, "alice", "bob", i),
				[]store.Delivery{{UserID: "bob", Unread: true}}))
		}
		es, err := s.FindInbox(ctx, appA, "bob", 0, 0)
		must(t, "FindInbox", err)
		assertEqual(t, "FindInbox", inboxSeqs(es), span(1, 100))
	})

	t.Run("DeleteBefore", func(t *testing.T) {
		s := open(t)
		for i := 1; i <= 5; i++ {
			sendC2C(t, s, textMessage(appA, "alice", "bob", i))
			sendC2C(t, s, textMessage(appB, "alice", "bob", i))
		}
		sendGroup(t, s, groupMessage(appA, "carol", "g1", 1), "carol", "bob")

		n, err := s.DeleteMessagesBefore(ctx, appA, at(3))
		must(t, "DeleteMessagesBefore", err)
		assertEqual(t, "deleted", n, 3) // alice-bob 1, 2 and the group message

		if _, err := s.FindMessageByID(ctx, appA, "alice-bob-2"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindMessageByID(deleted) = %v, want ErrNotFound", err)
		}
		ms, err := s.FindMessages(ctx, store.MessageFilter{SDKAppID: appA, Channel: store.C2CChannel("alice", "bob")})
		must(t, "FindMessages", err)
		assertEqual(t, "remaining seqs", seqs(ms), []int64{5, 4, 3})
		es, err := s.FindInbox(ctx, appA, "bob", 0, 0)
		must(t, "FindInbox", err)
		assertEqual(t, "bob's remaining inbox", inboxSeqs(es), []int64{3, 4, 5})
		ms, err = s.FindMessages(ctx, store.MessageFilter{SDKAppID: appB, Channel: store.C2CChannel("alice", "bob")})
		must(t, "FindMessages(app B)", err)
		assertEqual(t, "app B's seqs", seqs(ms), span(5, 1))

		// Conversations keep working: a conversation whose last message went has none,
		// and numbering continues where it was.
		c, err := s.FindConversation(ctx, appA, "bob", "group_g1")
		must(t, "FindConversation", err)
		if c.LastMessage != nil {
			t.Fatalf("LastMessage = %+v, want nil after it was deleted", c.LastMessage)
		}
		assertEqual(t, "group conversation's LastSeq", c.LastSeq, int64(1))
		m := groupMessage(appA, "carol", "g1", 10)
		ds := sendGroup(t, s, m, "carol", "bob")
		assertEqual(t, "group seq after delete", m.Seq, int64(2))
		assertEqual(t, "bob's inbox seq after delete", ds[1].InboxSeq, int64(7))
		c, err = s.MarkConversationRead(ctx, appA, "bob", "group_g1", 2)
		must(t, "MarkConversationRead", err)
		assertEqual(t, "group conversation", c, &store.Conversation{SDKAppID: appA, UserID: "bob", ID: "group_g1",
			Type: store.TypeGroup, GroupID: "g1", LastMessage: m, LastSeq: 2, ReadSeq: 2, UpdatedAt: m.Time})

		n, err = s.DeleteMessagesBefore(ctx, appA, at(3))
		must(t, "DeleteMessagesBefore again", err)
		assertEqual(t, "deleted again", n, 0)
	})

	t.Run("DuplicateDelivery", func(t *testing.T) {
		s := open(t)
		m := textMessage(appA, "alice", "alice", 1) // a note to self
		ds := []store.Delivery{{UserID: "alice"}, {UserID: "alice"}}
		must(t, "CreateMessage", s.CreateMessage(ctx, m, ds))
		assertEqual(t, "deliveries", ds, []store.Delivery{{UserID: "alice", InboxSeq: 1}, {UserID: "alice", InboxSeq: 1}})
		es, err := s.FindInbox(ctx, appA, "alice", 0, 0)
		must(t, "FindInbox", err)
		assertEqual(t, "alice's inbox", inboxSeqs(es), []int64{1})
	})
}
