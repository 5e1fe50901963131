package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/store"
)

// Concurrent sends share transactions; one that fails (a duplicate ID) fails alone and
// the others of its group are stored, each with its own sequence number.
func TestCreateMessage_GroupCommit(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	const n = 400
	errs := make([]error, n)
	msgs := make([]*store.Message, n)
	var wg sync.WaitGroup
	for i := range n {
		id := fmt.Sprint("m", i)
		if i%10 == 9 {
			id = fmt.Sprint("m", i-1) // the same ID as the one before: one of the two conflicts
		}
		msgs[i] = &store.Message{SDKAppID: 1400000001, ID: id, Type: store.TypeC2C, From: "alice", To: fmt.Sprint("bob", i%7),
			Time: time.UnixMilli(1_700_000_000_000 + int64(i)), Elements: []byte(`[{"type":"text","text":"hi"}]`)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.CreateMessage(ctx, msgs[i], []store.Delivery{{UserID: msgs[i].To, Unread: true}, {UserID: "alice"}})
		}()
	}
	wg.Wait()
	stored, conflicts := 0, 0
	seqs := map[string]map[int64]bool{}
	for i, err := range errs {
		switch {
		case err == nil:
			stored++
			m := msgs[i]
			got, ferr := db.FindMessageByID(ctx, m.SDKAppID, m.ID)
			if ferr != nil {
				t.Fatalf("message %d (%s) answered stored but: %v", i, m.ID, ferr)
			}
			if got.Seq != m.Seq || got.To != m.To {
				t.Fatalf("message %d: stored seq %d to %s, answered seq %d to %s", i, got.Seq, got.To, m.Seq, m.To)
			}
			ch := m.Channel()
			if seqs[ch] == nil {
				seqs[ch] = map[int64]bool{}
			}
			if seqs[ch][m.Seq] {
				t.Fatalf("message %d: seq %d of %s given twice", i, m.Seq, ch)
			}
			seqs[ch][m.Seq] = true
		case errors.Is(err, store.ErrConflict):
			conflicts++
		default:
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if stored != n-n/10 || conflicts != n/10 {
		t.Fatalf("stored %d, conflicts %d; want %d and %d", stored, conflicts, n-n/10, n/10)
	}
	groups, writes := db.GroupCommits()
	t.Logf("%d group transactions held %d of %d writes", groups, writes, n)
	if groups == 0 || writes < 2*groups {
		t.Errorf("group commits %d holding %d writes; want concurrent sends to share transactions", groups, writes)
	}
}

// A send whose context has ended before its turn is not stored, and says why.
func TestCreateMessage_GroupCommitCanceled(t *testing.T) {
	db := MustOpenDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m := &store.Message{SDKAppID: 1400000001, ID: "late", Type: store.TypeC2C, From: "alice", To: "bob",
		Time: time.UnixMilli(1_700_000_000_000), Elements: []byte(`[{"type":"text","text":"hi"}]`)}
	if err := db.CreateMessage(ctx, m, []store.Delivery{{UserID: "bob"}}); !errors.Is(err, context.Canceled) {
		t.Fatalf("CreateMessage(canceled) = %v, want context.Canceled", err)
	}
	if _, err := db.FindMessageByID(context.Background(), m.SDKAppID, "late"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("FindMessageByID(late) = %v, want ErrNotFound", err)
	}
}

// Every write shares the group transactions, not only sends: single statements
// (device upserts, badges, app inserts) and the push pipeline's transactions. A
// statement that fails (a duplicate app) fails alone; the writes of its group commit.
func TestGroupCommit_EveryWrite(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	const n = 300
	errs := make([]error, n)
	appErrs := make([]error, n)
	badges := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := &store.Device{SDKAppID: 1400000001, UserID: fmt.Sprint("u", i), DeviceID: "phone", Platform: store.Android, State: store.Online}
			if errs[i] = db.UpsertDevice(ctx, d); errs[i] != nil {
				return
			}
			if badges[i], errs[i] = db.IncrementBadge(ctx, d.SDKAppID, d.UserID, d.DeviceID); errs[i] != nil {
				return
			}
			errs[i] = db.CreatePushRecords(ctx, []*store.PushRecord{{SDKAppID: d.SDKAppID, MessageID: "m", UserID: d.UserID,
				DeviceID: d.DeviceID, Decision: "push", Vendor: "fcm", Outcome: "queued"}})
			if i%30 == 0 {
				appErrs[i] = db.CreateApp(ctx, &store.App{SDKAppID: 1400000002, SecretKey: "k", Name: "dup"})
			}
		}()
	}
	wg.Wait()
	created := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("writes of device %d: %v", i, errs[i])
		}
		if badges[i] != 1 {
			t.Fatalf("device %d: badge %d after one increment", i, badges[i])
		}
		switch err := appErrs[i]; {
		case err == nil && i%30 == 0:
			created++
		case err != nil && !errors.Is(err, store.ErrConflict):
			t.Fatalf("create app %d: %v", i, err)
		}
	}
	if created != 1 {
		t.Fatalf("the same app created %d times, want once", created)
	}
	devices, err := db.FindDevices(ctx, store.DeviceFilter{SDKAppID: 1400000001})
	if err != nil || len(devices) != n {
		t.Fatalf("FindDevices = %d devices, %v; want %d", len(devices), err, n)
	}
	records, err := db.FindPushRecords(ctx, 1400000001, "m")
	if err != nil || len(records) != n {
		t.Fatalf("FindPushRecords = %d records, %v; want %d", len(records), err, n)
	}
	groups, writes := db.GroupCommits()
	t.Logf("%d group transactions held %d of %d writes", groups, writes, 3*n+n/30)
	if groups == 0 || writes < 2*groups {
		t.Errorf("group commits %d holding %d writes; want concurrent writes to share transactions", groups, writes)
	}
}

// The writer's sub-journal (savepoints) is in memory and its page cache is larger
// than SQLite's default.
func TestOpen_WriterPragmas(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	for name, want := range map[string]string{"temp_store": "2", "cache_size": "-32768", "journal_mode": "wal", "wal_autocheckpoint": "10000"} {
		got, err := db.WriterPragmaForTest(ctx, name)
		if err != nil || got != want {
			t.Errorf("PRAGMA %s = %q, %v; want %q", name, got, err, want)
		}
	}
}
