package storetest

import (
	"context"
	"testing"

	"github.com/herald-im/herald/internal/store"
)

// testPushAttempts checks the earlier tries of pushes: stored in one call, scoped to the
// app's records, kept once per record and attempt, found by message in device and
// attempt order.
func testPushAttempts(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	must(t, "AddPushAttempts(none)", s.AddPushAttempts(ctx, appA, nil))
	rs := []*store.PushRecord{
		{SDKAppID: appA, MessageID: "m1", UserID: "bob", DeviceID: "phone", Decision: "push", Vendor: "fcm", Outcome: "queued"},
		{SDKAppID: appA, MessageID: "m1", UserID: "alice", DeviceID: "pad", Decision: "push", Vendor: "apns", Outcome: "queued"},
		{SDKAppID: appA, MessageID: "m2", UserID: "bob", DeviceID: "phone", Decision: "push", Vendor: "fcm", Outcome: "queued"},
		{SDKAppID: appB, MessageID: "m1", UserID: "bob", DeviceID: "phone", Decision: "push", Vendor: "fcm", Outcome: "queued"},
	}
	must(t, "CreatePushRecords", s.CreatePushRecords(ctx, rs))

	got, err := s.FindPushAttempts(ctx, appA, "m1")
	must(t, "FindPushAttempts(none yet)", err)
	if len(got) != 0 {
		t.Fatalf("FindPushAttempts before any = %s, want none", dump(got))
	}

	try := func(r *store.PushRecord, attempt, sec int, outcome, reason string) store.PushAttempt {
		return store.PushAttempt{SDKAppID: r.SDKAppID, RecordID: r.ID, MessageID: r.MessageID, UserID: r.UserID,
			DeviceID: r.DeviceID, Attempt: attempt, Time: at(sec), Outcome: outcome, Reason: reason}
	}
	bob1 := try(rs[0], 1, 10, "retry_later", "503 UNAVAILABLE")
	alice1 := try(rs[1], 1, 11, "quota_exceeded", "429 TooManyRequests")
	m2 := try(rs[2], 1, 12, "auth_expired", "401")
	// appB's record named under app A: skipped, not stored for either app.
	foreign := try(rs[3], 1, 13, "retry_later", "503")
	must(t, "AddPushAttempts", s.AddPushAttempts(ctx, appA, []store.PushAttempt{bob1, alice1, m2, foreign}))
	bob2 := try(rs[0], 2, 20, "retry_later", "503 again")
	alice2 := try(rs[1], 2, 21, "retry_later", "503")
	// The same try again (a re-claimed job) keeps the first.
	dup := try(rs[0], 1, 99, "failed", "overwritten?")
	must(t, "AddPushAttempts again", s.AddPushAttempts(ctx, appA, []store.PushAttempt{bob2, alice2, dup}))

	got, err = s.FindPushAttempts(ctx, appA, "m1")
	must(t, "FindPushAttempts", err)
	assertEqual(t, "FindPushAttempts(app A, m1)", got, []store.PushAttempt{alice1, alice2, bob1, bob2})
	got, err = s.FindPushAttempts(ctx, appA, "m2")
	must(t, "FindPushAttempts", err)
	assertEqual(t, "FindPushAttempts(app A, m2)", got, []store.PushAttempt{m2})
	got, err = s.FindPushAttempts(ctx, appB, "m1")
	must(t, "FindPushAttempts", err)
	if len(got) != 0 {
		t.Fatalf("FindPushAttempts(app B) = %s, want none (the try was named under app A)", dump(got))
	}

	// The record's own fields win over the caller's: a try names its record only.
	wrong := try(rs[2], 2, 30, "retry_later", "503")
	wrong.MessageID, wrong.UserID = "m1", "mallory"
	must(t, "AddPushAttempts(mislabelled)", s.AddPushAttempts(ctx, appA, []store.PushAttempt{wrong}))
	got, err = s.FindPushAttempts(ctx, appA, "m2")
	must(t, "FindPushAttempts", err)
	wrong.MessageID, wrong.UserID = "m2", "bob"
	assertEqual(t, "FindPushAttempts(app A, m2) after mislabelled", got, []store.PushAttempt{m2, wrong})
}
