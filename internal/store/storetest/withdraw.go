package storetest

import (
	"context"
	"testing"

	"github.com/herald-im/herald/internal/store"
)

// testWithdrawQueue: a recall is pending until its replacements are planned, per app;
// a recall push record keeps its kind apart from the message's own.
func testWithdrawQueue(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("PendingUntilPlanned", func(t *testing.T) {
		s := open(t)
		a1, b1, a3 := textMessage(appA, "alice", "bob", 1), textMessage(appB, "alice", "bob", 1), textMessage(appA, "alice", "bob", 3)
		for _, m := range []*store.Message{a1, b1, a3} {
			sendC2C(t, s, m)
		}
		for _, r := range []struct {
			app int64
			m   *store.Message
			sec int
		}{{appA, a3, 4}, {appB, b1, 6}, {appA, a1, 5}} {
			_, err := s.RecallMessage(ctx, r.app, &store.Recall{MessageID: r.m.ID, By: "alice", At: at(r.sec)}, []string{"alice", "bob"})
			must(t, "RecallMessage", err)
		}
		got, err := s.FindWithdrawPending(ctx, at(5), 10)
		must(t, "FindWithdrawPending", err)
		assertEqual(t, "pending at 5s, oldest recall first", got, []store.MessageKey{{SDKAppID: appA, ID: a3.ID}, {SDKAppID: appA, ID: a1.ID}})
		got, err = s.FindWithdrawPending(ctx, at(9), 1)
		must(t, "FindWithdrawPending", err)
		assertEqual(t, "pending, limit 1", got, []store.MessageKey{{SDKAppID: appA, ID: a3.ID}})

		// The same ID in the other app stays pending; an unknown key is ignored.
		must(t, "MarkWithdrawPlanned", s.MarkWithdrawPlanned(ctx, store.MessageKey{SDKAppID: appA, ID: a1.ID}))
		must(t, "MarkWithdrawPlanned(unknown)", s.MarkWithdrawPlanned(ctx, store.MessageKey{SDKAppID: appA, ID: "no-such"}))
		got, err = s.FindWithdrawPending(ctx, at(9), 10)
		must(t, "FindWithdrawPending", err)
		assertEqual(t, "pending after marking", got, []store.MessageKey{{SDKAppID: appA, ID: a3.ID}, {SDKAppID: appB, ID: b1.ID}})
	})

	t.Run("RecordKind", func(t *testing.T) {
		s := open(t)
		rs := []*store.PushRecord{
			{SDKAppID: appA, MessageID: "m", UserID: "bob", DeviceID: "d", Decision: "push", Vendor: "fcm", CertificateID: 1, Outcome: "accepted"},
			{SDKAppID: appA, MessageID: "m", UserID: "bob", DeviceID: "d", Kind: store.KindRecall, Decision: "push", Vendor: "fcm", CertificateID: 1, Outcome: "queued"},
		}
		must(t, "CreatePushRecords", s.CreatePushRecords(ctx, rs))
		got, err := s.FindPushRecords(ctx, appA, "m")
		must(t, "FindPushRecords", err)
		if len(got) != 2 || got[0].Kind != store.KindMessage || got[1].Kind != store.KindRecall {
			t.Fatalf("kinds of the records: %+v, want message then recall", got)
		}
		// A device's record of the message is its own notification's, not the recall's.
		r, err := s.FindDevicePushRecord(ctx, appA, "m", "bob", "d")
		must(t, "FindDevicePushRecord", err)
		if r.Kind != store.KindMessage || r.ID != rs[0].ID {
			t.Errorf("FindDevicePushRecord = %+v, want the message's record %d", r, rs[0].ID)
		}
	})
}
