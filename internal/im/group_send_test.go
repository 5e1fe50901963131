package im_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/internal/store/postgres"
	"github.com/herald-im/herald/internal/store/sqlite"
	"github.com/herald-im/herald/protocol"
)

const testApp int64 = 1400000001

// nopRouter drops every event: the tests read what was stored.
type nopRouter struct{}

func (nopRouter) Route(context.Context, int64, string, *im.Event) error { return nil }

// openStores opens a fresh SQLite store and, when HERALD_TEST_POSTGRES is set, a fresh
// PostgreSQL schema, by name.
func openStores(tb testing.TB) map[string]store.Store {
	tb.Helper()
	ctx := context.Background()
	out := map[string]store.Store{}
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "herald.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	out["sqlite"] = db
	if url := os.Getenv("HERALD_TEST_POSTGRES"); url != "" {
		schema := fmt.Sprintf("herald_im_test_%d", time.Now().UnixNano())
		pg, err := postgres.OpenSchema(ctx, url, schema)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() {
			pg.Close()
			if conn, err := pgx.Connect(ctx, url); err == nil {
				conn.Exec(ctx, `DROP SCHEMA `+pgx.Identifier{schema}.Sanitize()+` CASCADE`)
				conn.Close(ctx)
			}
		})
		out["postgres"] = pg
	}
	return out
}

// mustGroup creates group gid owned by owner with n more members m0000…, in pages.
func mustGroup(tb testing.TB, st store.Store, gid, owner string, n int) []string {
	tb.Helper()
	ctx := context.Background()
	must(tb, "create accounts", st.CreateAccounts(ctx, []*store.Account{{SDKAppID: testApp, UserID: owner}}))
	now := time.Now()
	must(tb, "create group", st.CreateGroup(ctx, &store.Group{SDKAppID: testApp, ID: gid, Name: gid, OwnerID: owner, CreatedAt: now},
		[]*store.GroupMember{{SDKAppID: testApp, GroupID: gid, UserID: owner, Role: store.Owner, JoinedAt: now}}))
	users := make([]string, n)
	for i := 0; i < n; i += 1000 {
		var page []*store.GroupMember
		for j := i; j < min(i+1000, n); j++ {
			users[j] = fmt.Sprintf("m%06d", j)
			page = append(page, &store.GroupMember{SDKAppID: testApp, GroupID: gid, UserID: users[j], Role: store.Member, JoinedAt: now})
		}
		_, err := st.AddGroupMembers(ctx, testApp, gid, page)
		must(tb, "add members", err)
	}
	return users
}

func must(tb testing.TB, what string, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("%s: %v", what, err)
	}
}

func text(s string) protocol.SendRequest {
	return protocol.SendRequest{Elements: []protocol.Element{{Type: "text", Text: s}}}
}

// BenchmarkService_SendGroup times the group send call, the sender's round trip, at
// group sizes far apart: it must not grow with the group. RunFanOut runs beside it, as
// on a node. Drained: each send waits (untimed) for the previous message's fan-out to
// end, so every send is the group's only one. Busy: sends follow each other while the
// fan-outs run and compete for the store.
func BenchmarkService_SendGroup(b *testing.B) {
	for kind, st := range openStores(b) {
		for _, n := range []int{10_000, 50_000, 100_000} {
			gid := fmt.Sprintf("g%d", n)
			mustGroup(b, st, gid, "owner", n)
			for _, mode := range []string{"Drained", "Busy"} {
				b.Run(fmt.Sprintf("%s/%d/%s", kind, n, mode), func(b *testing.B) {
					s := im.NewService(st, nopRouter{})
					ctx, cancel := context.WithCancel(context.Background())
					done := make(chan struct{})
					go func() { s.RunFanOut(ctx); close(done) }()
					defer func() { cancel(); <-done }()
					b.ResetTimer()
					for i := range b.N {
						if mode == "Drained" {
							b.StopTimer()
							waitFanOuts(b, st)
							b.StartTimer()
						}
						req := text(fmt.Sprint(i))
						req.GroupID = gid
						if _, err := s.Send(ctx, im.SendParams{SDKAppID: testApp, From: "owner", Request: req}); err != nil {
							b.Fatal(err)
						}
					}
					b.StopTimer()
					waitFanOuts(b, st)
				})
			}
		}
	}
}

// waitFanOuts waits until no fan-out is pending.
func waitFanOuts(tb testing.TB, st store.Store) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		fs, err := st.FindFanOuts(context.Background(), 0)
		must(tb, "find fan-outs", err)
		if len(fs) == 0 {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("fan-outs still pending: %d", len(fs))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// recordRouter keeps, per user, the inbox sequences of the messages routed to them.
type recordRouter struct {
	mu   sync.Mutex // protects seqs
	seqs map[string][]int64
}

func (r *recordRouter) Route(_ context.Context, _ int64, user string, ev *im.Event) error {
	if ev.Kind == im.EventMessage {
		r.mu.Lock()
		r.seqs[user] = append(r.seqs[user], ev.Message.InboxSeq)
		r.mu.Unlock()
	}
	return nil
}

// TestService_Send_LargeGroup sends to a group larger than InlineFanOut: the send
// stores the inline members' copies only, and RunFanOut then gives every member every
// message once, in order, with unread counts, sync, mark-read and conversations
// right.
func TestService_Send_LargeGroup(t *testing.T) {
	for kind, st := range openStores(t) {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			const n = 1200
			users := mustGroup(t, st, "big", "owner", n)
			must(t, "create accounts", st.CreateAccounts(ctx, []*store.Account{{SDKAppID: testApp, UserID: users[n-1]}, {SDKAppID: testApp, UserID: "x"}}))
			r := &recordRouter{seqs: map[string][]int64{}}
			s := im.NewService(st, r)
			s.InlineFanOut, s.FanOutPage = 100, 250

			send := func(from, textS string) *protocol.Message {
				t.Helper()
				req := text(textS)
				req.GroupID = "big"
				m, err := s.Send(ctx, im.SendParams{SDKAppID: testApp, From: from, Request: req})
				must(t, "send", err)
				return m
			}
			m1 := send("owner", "one")
			if m1.InboxSeq != 1 {
				t.Fatalf("sender's inbox seq = %d, want 1", m1.InboxSeq)
			}
			// Before the fan-out runs, only the first 100 members have the message: the
			// send call did not write a row per member.
			if got := syncAll(t, s, users[0]); len(got) != 1 {
				t.Fatalf("first member has %d messages before the fan-out, want 1", len(got))
			}
			if got := syncAll(t, s, users[n-1]); len(got) != 0 {
				t.Fatalf("last member has %d messages before the fan-out, want 0", len(got))
			}
			// The last member sends and reads before the fan-out reached it.
			m2 := send(users[n-1], "two")
			if _, err := s.MarkRead(ctx, testApp, users[n-1], "", protocol.MarkReadRequest{ConversationID: "group_big"}); err != nil {
				t.Fatal(err)
			}
			m3 := send("owner", "three")
			// A one-to-one message to the last member in between.
			creq := text("c2c")
			creq.To = users[n-1]
			if _, err := s.Send(ctx, im.SendParams{SDKAppID: testApp, From: "x", Request: creq}); err != nil {
				t.Fatal(err)
			}

			runCtx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { s.RunFanOut(runCtx); close(done) }()
			defer func() { cancel(); <-done }()
			deadline := time.Now().Add(time.Minute)
			for {
				fs, err := st.FindFanOuts(ctx, 0)
				must(t, "find fan-outs", err)
				if len(fs) == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("fan-outs still pending: %d", len(fs))
				}
				time.Sleep(20 * time.Millisecond)
			}

			ids := func(ms []*protocol.Message) []string {
				var out []string
				for _, m := range ms {
					out = append(out, m.ID)
				}
				return out
			}
			for i, u := range users {
				got := syncAll(t, s, u)
				want := []string{m1.ID, m2.ID, m3.ID}
				if i == n-1 {
					want = []string{m2.ID, m1.ID, m3.ID} // its own first; the c2c one is not in the group
				}
				var group []string
				for _, m := range got {
					if m.GroupID == "big" {
						group = append(group, m.ID)
					}
				}
				if fmt.Sprint(group) != fmt.Sprint(want) {
					t.Fatalf("%s: group messages %v, want %v (all %v)", u, group, want, ids(got))
				}
				// Every stored copy was routed once, with its inbox seq, in order.
				r.mu.Lock()
				routed := append([]int64(nil), r.seqs[u]...)
				r.mu.Unlock()
				var stored []int64
				for _, m := range got {
					stored = append(stored, m.InboxSeq)
				}
				sortInts(routed)
				if fmt.Sprint(routed) != fmt.Sprint(stored) {
					t.Fatalf("%s: routed inbox seqs %v, stored %v", u, routed, stored)
				}
			}
			cs, err := s.Conversations(ctx, testApp, users[500])
			must(t, "conversations", err)
			if len(cs.Conversations) != 1 || cs.TotalUnread != 3 || cs.Conversations[0].LastMessage.ID != m3.ID {
				t.Fatalf("member 500: %d conversations, unread %d, want 1 with 3 unread, last %s", len(cs.Conversations), cs.TotalUnread, m3.ID)
			}
			// The last member read the group up to its own m2 (seq 2) before m1 reached
			// it: m1 is not unread, m3 is; and the c2c conversation has 1.
			cs, err = s.Conversations(ctx, testApp, users[n-1])
			must(t, "conversations", err)
			if cs.TotalUnread != 2 {
				t.Fatalf("last member: total unread %d, want 2 (m3 and the c2c message): %+v", cs.TotalUnread, cs.Conversations)
			}
			c, err := s.MarkRead(ctx, testApp, users[500], "", protocol.MarkReadRequest{ConversationID: "group_big"})
			must(t, "mark read", err)
			if c.Unread != 0 || c.ReadSeq != 3 {
				t.Fatalf("after mark read: unread %d read seq %d, want 0 and 3", c.Unread, c.ReadSeq)
			}
		})
	}
}

// syncAll returns every message in the user's inbox, paging like a device.
func syncAll(tb testing.TB, s *im.Service, user string) []*protocol.Message {
	tb.Helper()
	var out []*protocol.Message
	for after := int64(0); ; {
		res, err := s.Sync(context.Background(), testApp, user, after, 0)
		must(tb, "sync", err)
		for _, m := range res.Messages {
			if m.InboxSeq != after+1 {
				tb.Fatalf("%s: inbox seq %d after %d: a gap", user, m.InboxSeq, after)
			}
			after = m.InboxSeq
		}
		out = append(out, res.Messages...)
		if !res.More {
			return out
		}
	}
}

func sortInts(s []int64) { slices.Sort(s) }
