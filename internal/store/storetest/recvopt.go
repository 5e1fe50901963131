package storetest

import (
	"context"
	"testing"

	"github.com/herald-im/herald/internal/store"
)

func testRecvOpt(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("C2C", func(t *testing.T) {
		s := open(t)
		must(t, "SetC2CRecvOpt", s.SetC2CRecvOpt(ctx, appA, "alice", []string{"bob", "carol"}, store.NotReceive))
		must(t, "SetC2CRecvOpt", s.SetC2CRecvOpt(ctx, appA, "alice", []string{"bob"}, store.ReceiveNoNotify))
		must(t, "SetC2CRecvOpt", s.SetC2CRecvOpt(ctx, appA, "dave", []string{"bob"}, store.ReceiveNoNotifyExceptAt))
		must(t, "SetC2CRecvOpt", s.SetC2CRecvOpt(ctx, appB, "erin", []string{"bob"}, store.NotReceive))
		must(t, "SetC2CRecvOpt(none)", s.SetC2CRecvOpt(ctx, appA, "alice", nil, store.NotReceive))

		opts, err := s.FindC2CRecvOpts(ctx, appA, "alice", []string{"bob", "carol", "dave"})
		must(t, "FindC2CRecvOpts", err)
		assertEqual(t, "alice's options", opts, map[string]store.RecvOpt{"bob": store.ReceiveNoNotify, "carol": store.NotReceive})

		// The other direction: what bob's recipients set for bob.
		opts, err = s.FindRecvOptsOfPeer(ctx, appA, []string{"alice", "carol", "dave", "erin"}, "bob")
		must(t, "FindRecvOptsOfPeer", err)
		assertEqual(t, "options for bob", opts, map[string]store.RecvOpt{"alice": store.ReceiveNoNotify,
			"dave": store.ReceiveNoNotifyExceptAt})

		opts, err = s.FindC2CRecvOpts(ctx, appA, "bob", []string{"alice"})
		must(t, "FindC2CRecvOpts(bob)", err)
		assertEqual(t, "bob's options", opts, map[string]store.RecvOpt{})

		// Setting Receive again is remembered as Receive.
		must(t, "SetC2CRecvOpt", s.SetC2CRecvOpt(ctx, appA, "alice", []string{"carol"}, store.Receive))
		opts, err = s.FindC2CRecvOpts(ctx, appA, "alice", []string{"carol"})
		must(t, "FindC2CRecvOpts", err)
		assertEqual(t, "alice's option for carol", opts, map[string]store.RecvOpt{"carol": store.Receive})

		opts, err = s.FindRecvOptsOfPeer(ctx, appB, []string{"alice", "erin"}, "bob")
		must(t, "FindRecvOptsOfPeer(app B)", err)
		assertEqual(t, "app B's options for bob", opts, map[string]store.RecvOpt{"erin": store.NotReceive})
	})
}
