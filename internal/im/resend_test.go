package im_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// clientIDStore is a real store that counts the look-ups by client message ID.
type clientIDStore struct {
	store.Store
	finds atomic.Int32
}

func (s *clientIDStore) FindMessageByClientID(ctx context.Context, sdkAppID int64, from, clientMsgID string) (*store.Message, error) {
	s.finds.Add(1)
	return s.Store.FindMessageByClientID(ctx, sdkAppID, from, clientMsgID)
}

// TestService_Send_Resend: a resend with a client message ID already used answers with
// the stored message and stores nothing, in a one-to-one and in a group conversation,
// also once the sender is muted; a first send does not look for an earlier one.
func TestService_Send_Resend(t *testing.T) {
	for kind, st := range openStores(t) {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			mustGroup(t, st, "g", "alice", 1)
			must(t, "create accounts", st.CreateAccounts(ctx, []*store.Account{{SDKAppID: testApp, UserID: "bob"}}))
			cs := &clientIDStore{Store: st}
			s := im.NewService(cs, nopRouter{})
			send := func(to, group, clientID string) (*protocol.Message, error) {
				req := text("hello")
				req.To, req.GroupID, req.ClientMsgID = to, group, clientID
				return s.Send(ctx, im.SendParams{SDKAppID: testApp, From: "alice", FromDevice: "d1", Request: req})
			}
			first, err := send("bob", "", "c-1")
			must(t, "send", err)
			firstGroup, err := send("", "g", "c-2")
			must(t, "group send", err)
			if n := cs.finds.Load(); n != 0 {
				t.Fatalf("first sends looked for an earlier message %d times; want 0 (the store refuses a resend)", n)
			}
			for _, c := range []struct {
				to, group, clientID string
				want                *protocol.Message
			}{{"bob", "", "c-1", first}, {"", "g", "c-2", firstGroup}} {
				again, err := send(c.to, c.group, c.clientID)
				must(t, "resend", err)
				if again.ID != c.want.ID || again.Seq != c.want.Seq {
					t.Fatalf("resend of %s = %s seq %d; want the stored %s seq %d", c.clientID, again.ID, again.Seq, c.want.ID, c.want.Seq)
				}
			}
			if got := syncAll(t, s, "bob"); len(got) != 1 {
				t.Fatalf("bob has %d messages after a resend; want 1", len(got))
			}
			// Muted since: the resend still answers with what was stored; a new message is refused.
			minute := time.Minute
			must(t, "mute", s.SetNoSpeaking(ctx, testApp, "alice", &minute, &minute))
			if again, err := send("bob", "", "c-1"); err != nil || again.ID != first.ID {
				t.Fatalf("resend while muted = %v, %v; want the stored %s", again, err, first.ID)
			}
			if _, err := send("bob", "", "c-3"); err == nil {
				t.Fatal("a new message while muted was sent")
			}
		})
	}
}
