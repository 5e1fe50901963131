package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/store"
)

// TestPushAttempts_GoWithTheirRecord: deleting a push record (nothing does today;
// retention keeps them) deletes its tries too, by the foreign key.
func TestPushAttempts_GoWithTheirRecord(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	rs := []*store.PushRecord{
		{SDKAppID: 1, MessageID: "m1", UserID: "bob", DeviceID: "phone", Decision: "push", Vendor: "fcm", Outcome: "queued"},
		{SDKAppID: 1, MessageID: "m1", UserID: "carol", DeviceID: "phone", Decision: "push", Vendor: "fcm", Outcome: "queued"},
	}
	if err := db.CreatePushRecords(ctx, rs); err != nil {
		t.Fatal(err)
	}
	var tries []store.PushAttempt
	for _, r := range rs {
		tries = append(tries, store.PushAttempt{RecordID: r.ID, Attempt: 1, Time: time.Now(), Outcome: "retry_later", Reason: "503"})
	}
	if err := db.AddPushAttempts(ctx, 1, tries); err != nil {
		t.Fatal(err)
	}
	if err := db.ExecForTest(ctx, "DELETE FROM push_records WHERE id = ?", rs[0].ID); err != nil {
		t.Fatal(err)
	}
	got, err := db.FindPushAttempts(ctx, 1, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].RecordID != rs[1].ID {
		t.Errorf("tries after deleting record %d: %+v, want only record %d's", rs[0].ID, got, rs[1].ID)
	}
}
