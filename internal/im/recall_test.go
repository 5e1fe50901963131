package im_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/internal/store/sqlite"
	"github.com/herald-im/herald/protocol"
)

// router records routed events.
type router struct {
	mu     sync.Mutex
	events map[string][]*im.Event
}

func (r *router) Route(_ context.Context, _ int64, userID string, ev *im.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.events == nil {
		r.events = map[string][]*im.Event{}
	}
	r.events[userID] = append(r.events[userID], ev)
	return nil
}

const app int64 = 1400000001

// mustService returns a service on a fresh SQLite store with a clock the test moves.
func mustService(t *testing.T, users ...string) (*im.Service, *router, *time.Time) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "herald.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.CreateApp(ctx, &store.App{SDKAppID: app, SecretKey: "k"}); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if err := db.CreateAccounts(ctx, []*store.Account{{SDKAppID: app, UserID: u}}); err != nil {
			t.Fatal(err)
		}
	}
	r := &router{}
	s := im.NewService(db, r)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	return s, r, &now
}

func textElems(s string) []protocol.Element {
	return []protocol.Element{{Type: protocol.ElemText, Text: s}}
}

func code(err error) errcode.Code { c, _ := errcode.Of(err); return c }

func TestService_Recall(t *testing.T) {
	ctx := context.Background()
	t.Run("ErrWindow", func(t *testing.T) {
		s, _, now := mustService(t, "alice", "bob")
		m, err := s.Send(ctx, im.SendParams{SDKAppID: app, From: "alice", Request: protocol.SendRequest{To: "bob", Elements: textElems("hi")}})
		if err != nil {
			t.Fatal(err)
		}
		*now = now.Add(im.DefaultRecallWindow + time.Second)
		if _, err := s.Recall(ctx, im.RecallParams{SDKAppID: app, By: "alice", MessageID: m.ID}); code(err) != errcode.PermissionDenied {
			t.Errorf("recall after the window: %v, want permission_denied", err)
		}
		if _, err := s.Recall(ctx, im.RecallParams{SDKAppID: app, By: "administrator", MessageID: m.ID, ByAdmin: true}); err != nil {
			t.Errorf("admin recall after the window: %v", err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		s, r, _ := mustService(t, "alice", "bob")
		var hooked *store.Recall
		s.Recalled = func(_ context.Context, _ *store.Message, rc *store.Recall) { hooked = rc }
		m, err := s.Send(ctx, im.SendParams{SDKAppID: app, From: "alice", FromDevice: "a1", Request: protocol.SendRequest{To: "bob", Elements: textElems("hi")}})
		if err != nil {
			t.Fatal(err)
		}
		w, err := s.Recall(ctx, im.RecallParams{SDKAppID: app, By: "alice", ByDevice: "a1", MessageID: m.ID})
		if err != nil || !w.Recalled || len(w.Elements) != 0 {
			t.Fatalf("Recall = %+v, %v", w, err)
		}
		if hooked == nil || hooked.MessageID != m.ID {
			t.Errorf("Recalled hook got %+v", hooked)
		}
		ev := r.events["bob"][len(r.events["bob"])-1]
		if ev.Kind != im.EventMessage || !ev.Message.Recalled || ev.Message.InboxSeq != 2 {
			t.Errorf("bob's last event %+v, want the recalled message at inbox seq 2", ev.Message)
		}
		if own := r.events["alice"][len(r.events["alice"])-1]; own.SourceDevice != "a1" {
			t.Errorf("alice's recall event skips %q, want the recalling device", own.SourceDevice)
		}
		sync, err := s.Sync(ctx, app, "bob", 0, 0)
		if err != nil || len(sync.Messages) != 2 || !sync.Messages[0].Recalled || sync.Messages[0].Elements == nil || len(sync.Messages[0].Elements) != 0 {
			t.Errorf("bob's sync %+v, %v: want the original and the notice, both recalled", sync, err)
		}
	})
}

func TestService_Mute(t *testing.T) {
	ctx := context.Background()
	s, _, now := mustService(t, "alice", "bob")
	if _, err := s.CreateGroup(ctx, app, "alice", protocol.CreateGroupRequest{GroupID: "g", Name: "G", MemberIDs: []string{"bob"}}); err != nil {
		t.Fatal(err)
	}
	d := time.Minute
	if err := s.ModifyMember(ctx, app, "g", "bob", im.MemberChange{MuteFor: &d}); err != nil {
		t.Fatal(err)
	}
	send := func() error {
		_, err := s.Send(ctx, im.SendParams{SDKAppID: app, From: "bob", Request: protocol.SendRequest{GroupID: "g", Elements: textElems("x")}})
		return err
	}
	if err := send(); code(err) != errcode.PermissionDenied {
		t.Errorf("a muted member's send: %v, want permission_denied", err)
	}
	*now = now.Add(time.Minute + time.Second)
	if err := send(); err != nil {
		t.Errorf("send after the mute ran out: %v", err)
	}
}
