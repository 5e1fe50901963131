package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/store"
)

func testPushQueue(t *testing.T, open Opener) {
	ctx := context.Background()
	// A claim's reclaimBefore: take over no "sending" record, or every one.
	never, always := time.Time{}, time.Now().Add(time.Hour)

	t.Run("PendingUntilPlanned", func(t *testing.T) {
		s := open(t)
		sendC2C(t, s, textMessage(appA, "alice", "bob", 1))
		sendC2C(t, s, textMessage(appB, "alice", "bob", 2))
		// An admin send overriding do-not-disturb keeps that for the sweep.
		admin := groupMessage(appA, "alice", "g", 3)
		admin.PushIgnoreDND = true
		sendGroup(t, s, admin, "alice", "bob")
		got, err := s.FindPushPending(ctx, at(2), 10)
		must(t, "FindPushPending", err)
		assertEqual(t, "pending at 2s, oldest first", got, []store.MessageKey{{SDKAppID: appA, ID: "alice-bob-1"}, {SDKAppID: appB, ID: "alice-bob-2"}})
		got, err = s.FindPushPending(ctx, at(3), 1)
		must(t, "FindPushPending", err)
		assertEqual(t, "pending, limit 1", got, []store.MessageKey{{SDKAppID: appA, ID: "alice-bob-1"}})

		// The same ID in the other app stays pending.
		must(t, "MarkPushPlanned", s.MarkPushPlanned(ctx, []store.MessageKey{{SDKAppID: appA, ID: "alice-bob-1"}, {SDKAppID: appB, ID: "g-alice-3"}, {SDKAppID: appA, ID: "no-such"}}))
		got, err = s.FindPushPending(ctx, at(3), 10)
		must(t, "FindPushPending", err)
		assertEqual(t, "pending after marking", got, []store.MessageKey{{SDKAppID: appB, ID: "alice-bob-2"}, {SDKAppID: appA, ID: "g-alice-3", IgnoreDND: true}})
		must(t, "MarkPushPlanned(none)", s.MarkPushPlanned(ctx, nil))
	})

	newRecords := func(t *testing.T, s store.Store, outcomes ...string) []int64 {
		t.Helper()
		var rs []*store.PushRecord
		for _, o := range outcomes {
			rs = append(rs, &store.PushRecord{SDKAppID: appA, MessageID: "m", UserID: "bob", DeviceID: o, Decision: "push",
				Vendor: "fcm", CertificateID: 1, Outcome: o})
		}
		must(t, "CreatePushRecords", s.CreatePushRecords(ctx, rs))
		ids := make([]int64, len(rs))
		for i, r := range rs {
			ids[i] = r.ID
		}
		return ids
	}

	t.Run("Claim", func(t *testing.T) {
		s := open(t)
		ids := newRecords(t, s, "queued", "accepted", "queued")
		claims, err := s.ClaimPushRecords(ctx, appA, append(ids, 999_999), 1, never)
		must(t, "ClaimPushRecords", err)
		assertEqual(t, "first claim", claims, map[int64]store.Claim{
			ids[0]: {Claimed: true, Outcome: "queued"},
			ids[1]: {Outcome: "accepted"},
			ids[2]: {Claimed: true, Outcome: "queued"},
		})
		// A second job with the same records (a republished job) claims none of them.
		claims, err = s.ClaimPushRecords(ctx, appA, ids, 1, never)
		must(t, "ClaimPushRecords", err)
		assertEqual(t, "second claim", claims, map[int64]store.Claim{
			ids[0]: {Busy: true, Outcome: store.OutcomeSending, Attempts: 1},
			ids[1]: {Outcome: "accepted"},
			ids[2]: {Busy: true, Outcome: store.OutcomeSending, Attempts: 1},
		})
		// Another app's claim sees nothing.
		claims, err = s.ClaimPushRecords(ctx, appB, ids, 1, always)
		must(t, "ClaimPushRecords(app B)", err)
		assertEqual(t, "app B's claim", len(claims), 0)

		// A redelivered job (after a crash) reclaims what was being sent at its attempt.
		claims, err = s.ClaimPushRecords(ctx, appA, ids[:1], 1, always)
		must(t, "ClaimPushRecords(reclaim)", err)
		assertEqual(t, "reclaim", claims, map[int64]store.Claim{ids[0]: {Claimed: true, Reclaimed: true, Outcome: store.OutcomeSending, Attempts: 1}})
		rs, err := s.FindPushRecords(ctx, appA, "m")
		must(t, "FindPushRecords", err)
		assertEqual(t, "duplicate possible", []bool{rs[0].DuplicatePossible, rs[1].DuplicatePossible, rs[2].DuplicatePossible}, []bool{true, false, false})
		assertEqual(t, "outcome", rs[0].Outcome, store.OutcomeSending)

		// A first delivery takes over a claim older than reclaimBefore (a dead node's).
		claims, err = s.ClaimPushRecords(ctx, appA, ids[2:], 1, time.Now().Add(time.Minute))
		must(t, "ClaimPushRecords(stale)", err)
		assertEqual(t, "stale claim taken over", claims[ids[2]], store.Claim{Claimed: true, Reclaimed: true, Outcome: store.OutcomeSending, Attempts: 1})

		// The answer of attempt 1 does not overwrite attempt 2's claim: a job for attempt 2
		// may claim the record while attempt 1's answer is still being written.
		claims, err = s.ClaimPushRecords(ctx, appA, ids[:1], 2, never)
		must(t, "ClaimPushRecords(attempt 2 while 1 is sending)", err)
		assertEqual(t, "claim of a record sending at attempt 1 by attempt 2", claims[ids[0]].Claimed, true)
		n, err := s.UpdatePushRecords(ctx, appA, map[int64]store.PushRecordUpdate{ids[0]: {Outcome: ptr("queued"), Attempts: ptr(1), IfSending: ptr(1)}})
		must(t, "UpdatePushRecords(if sending at 1)", err)
		assertEqual(t, "late answer of attempt 1 applied", n, 0)
		n, err = s.UpdatePushRecords(ctx, appA, map[int64]store.PushRecordUpdate{ids[0]: {Outcome: ptr("accepted"), IfSending: ptr(2)}})
		must(t, "UpdatePushRecords(if sending at 2)", err)
		assertEqual(t, "answer of attempt 2 applied", n, 1)

		// A retry queued at attempt 1 is claimed by attempt 2, not by a replay of 1.
		_, err = s.UpdatePushRecords(ctx, appA, map[int64]store.PushRecordUpdate{ids[2]: {Outcome: ptr("queued"), Attempts: ptr(1)}})
		must(t, "UpdatePushRecords", err)
		claims, err = s.ClaimPushRecords(ctx, appA, ids[2:], 1, always)
		must(t, "ClaimPushRecords(replay 1)", err)
		assertEqual(t, "replay of attempt 1", claims[ids[2]].Claimed, false)
		claims, err = s.ClaimPushRecords(ctx, appA, ids[2:], 2, never)
		must(t, "ClaimPushRecords(attempt 2)", err)
		assertEqual(t, "attempt 2", claims[ids[2]], store.Claim{Claimed: true, Outcome: "queued", Attempts: 1})
	})

	t.Run("ClaimConcurrent", func(t *testing.T) {
		s := open(t)
		ids := newRecords(t, s, "queued", "queued", "queued", "queued", "queued", "queued", "queued", "queued")
		var mu sync.Mutex
		won := map[int64]int{}
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				claims, err := s.ClaimPushRecords(ctx, appA, ids, 1, never)
				if err != nil {
					t.Errorf("ClaimPushRecords: %v", err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				for id, c := range claims {
					if c.Claimed {
						won[id]++
					}
				}
			})
		}
		wg.Wait()
		for _, id := range ids {
			if won[id] != 1 {
				t.Fatalf("record %d claimed %d times by concurrent claims, want once", id, won[id])
			}
		}
	})

	t.Run("DeploymentID", func(t *testing.T) {
		s := open(t)
		id, err := s.DeploymentID(ctx)
		must(t, "DeploymentID", err)
		if len(id) < 8 {
			t.Fatalf("DeploymentID() = %q, want a generated ID", id)
		}
		again, err := s.DeploymentID(ctx)
		must(t, "DeploymentID again", err)
		assertEqual(t, "DeploymentID is kept", again, id)
	})
}
