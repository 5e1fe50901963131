package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/internal/store/postgres"
)

const testApp = 1400000001

func testMessage(id, from, to string, i int) *store.Message {
	return &store.Message{SDKAppID: testApp, ID: id, Type: store.TypeC2C, From: from, To: to,
		Time: time.UnixMilli(1_700_000_000_000 + int64(i)), Elements: []byte(`[{"type":"text","text":"hi"}]`)}
}

// Concurrent sends share transactions; one that fails (a duplicate ID) fails alone and
// the others of its batch are stored, each with its own sequence number.
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
		msgs[i] = testMessage(id, "alice", fmt.Sprint("bob", i%7), i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.CreateMessage(ctx, msgs[i], []store.Delivery{{UserID: msgs[i].To, Unread: true}, {UserID: "alice"}})
		}()
	}
	wg.Wait()
	stored, conflicts := 0, 0
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
		case errors.Is(err, store.ErrConflict):
			conflicts++
		default:
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if stored != n-n/10 || conflicts != n/10 {
		t.Fatalf("stored %d, conflicts %d; want %d and %d", stored, conflicts, n-n/10, n/10)
	}
	checkGapFree(t, db, "alice", stored)
	groups, writes := db.GroupCommits()
	t.Logf("%d group transactions held %d of %d writes", groups, writes, n)
	if groups == 0 || writes < 2*groups {
		t.Errorf("group commits %d holding %d writes; want concurrent sends to share transactions", groups, writes)
	}
}

// Two nodes on one database send among the same users, each send to several of them
// listed in a different order: their committers take counters in one order, so no
// send fails (a deadlock would fail one), and every inbox and channel is numbered
// 1, 2, 3... without a gap.
func TestCreateMessage_GroupCommitTwoNodes(t *testing.T) {
	ctx := context.Background()
	a := MustOpenDB(t)
	var schema string
	if err := a.QueryRowForTest(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	b, err := postgres.OpenSchema(ctx, testURL(t), schema)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	users := []string{"u0", "u1", "u2", "u3", "u4", "u5"}
	const n = 600
	errs := make([]error, n)
	received := make([]map[string]int, 2) // per node: user → messages delivered
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range n {
		db := a
		if i%2 == 1 {
			db = b
		}
		from, to := users[i%6], users[(i*5+1)%6]
		if from == to {
			to = users[(i+3)%6]
		}
		// The sender, the peer and two more users, in an order that changes.
		ds := []store.Delivery{{UserID: users[(i+4)%6]}, {UserID: to, Unread: true}, {UserID: from}, {UserID: users[(i+2)%6]}}
		m := testMessage(fmt.Sprint("m", i), from, to, i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.CreateMessage(ctx, m, ds)
			if errs[i] == nil {
				mu.Lock()
				if received[i%2] == nil {
					received[i%2] = map[string]int{}
				}
				for _, u := range uniqueUsers(ds) {
					received[i%2][u]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	for _, u := range users {
		checkGapFree(t, a, u, received[0][u]+received[1][u])
	}
	for _, db := range []*postgres.DB{a, b} {
		if groups, _ := db.GroupCommits(); groups == 0 {
			t.Errorf("a node ran no group transaction; the test did not test them")
		}
		if n := db.GroupRerunsForTest(); n != 0 {
			t.Errorf("%d batches deadlocked and ran again, want 0", n)
		}
	}
}

// checkGapFree checks that user's inbox holds want entries numbered 1 to want.
func checkGapFree(tb testing.TB, db *postgres.DB, user string, want int) {
	tb.Helper()
	es, err := db.FindInbox(context.Background(), testApp, user, 0, want+10)
	if err != nil {
		tb.Fatal(err)
	}
	if len(es) != want {
		tb.Fatalf("inbox of %s holds %d entries, want %d", user, len(es), want)
	}
	for i, e := range es {
		if e.InboxSeq != int64(i+1) {
			tb.Fatalf("inbox of %s: entry %d has seq %d, want %d (no gap)", user, i, e.InboxSeq, i+1)
		}
	}
}

func uniqueUsers(ds []store.Delivery) []string {
	seen := map[string]bool{}
	var us []string
	for _, d := range ds {
		if !seen[d.UserID] {
			seen[d.UserID] = true
			us = append(us, d.UserID)
		}
	}
	return us
}

// A send whose context has ended before its turn is not stored, and says why.
func TestCreateMessage_GroupCommitCanceled(t *testing.T) {
	db := MustOpenDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m := testMessage("late", "alice", "bob", 0)
	if err := db.CreateMessage(ctx, m, []store.Delivery{{UserID: "bob"}}); !errors.Is(err, context.Canceled) {
		t.Fatalf("CreateMessage(canceled) = %v, want context.Canceled", err)
	}
	if _, err := db.FindMessageByID(context.Background(), m.SDKAppID, "late"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("FindMessageByID(late) = %v, want ErrNotFound", err)
	}
}

// A write after Close fails with ErrClosed.
func TestCreateMessage_Closed(t *testing.T) {
	db := MustOpenDB(t)
	db.Close()
	err := db.CreateMessage(context.Background(), testMessage("x", "alice", "bob", 0), []store.Delivery{{UserID: "bob"}})
	if !errors.Is(err, postgres.ErrClosed) {
		t.Fatalf("CreateMessage after Close = %v, want ErrClosed", err)
	}
}

// Acknowledgements from two nodes at once share transactions, never deadlock (device
// rows are taken in one order), keep each device's highest value, and one for a
// device that does not exist fails alone with ErrNotFound.
func TestUpdateDevice_GroupCommit(t *testing.T) {
	ctx := context.Background()
	a := MustOpenDB(t)
	var schema string
	if err := a.QueryRowForTest(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	b, err := postgres.OpenSchema(ctx, testURL(t), schema)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const devices, n = 12, 600
	for i := range devices {
		d := &store.Device{SDKAppID: testApp, UserID: fmt.Sprint("u", i%4), DeviceID: fmt.Sprint("d", i), Platform: store.Android}
		if err := a.UpsertDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		db := a
		if i%2 == 1 {
			db = b
		}
		dev := i % (devices + 1) // devices is the one that does not exist
		seq := int64(i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.UpdateDevice(ctx, testApp, fmt.Sprint("u", dev%4), fmt.Sprint("d", dev),
				store.DeviceUpdate{AckedSeq: &seq, DeliveredSeq: &seq})
		}()
	}
	wg.Wait()
	want := map[int]int64{}
	for i, err := range errs {
		dev := i % (devices + 1)
		switch {
		case dev == devices && !errors.Is(err, store.ErrNotFound):
			t.Fatalf("update %d of a missing device = %v, want ErrNotFound", i, err)
		case dev < devices && err != nil:
			t.Fatalf("update %d: %v", i, err)
		}
		want[dev] = max(want[dev], int64(i))
	}
	for dev := range devices {
		d, err := a.FindDevice(ctx, testApp, fmt.Sprint("u", dev%4), fmt.Sprint("d", dev))
		if err != nil {
			t.Fatal(err)
		}
		if d.AckedSeq != want[dev] || d.DeliveredSeq != want[dev] {
			t.Errorf("device d%d: acked %d delivered %d, want %d (the highest)", dev, d.AckedSeq, d.DeliveredSeq, want[dev])
		}
	}
	var groups uint64
	for _, db := range []*postgres.DB{a, b} {
		g, _ := db.GroupCommits()
		groups += g
		if n := db.GroupRerunsForTest(); n != 0 {
			t.Errorf("%d batches deadlocked and ran again, want 0", n)
		}
	}
	if groups == 0 {
		t.Errorf("no group transaction; want concurrent updates to share them")
	}
}

// Push records written concurrently share transactions, and each record gets the ID
// of its own row.
func TestCreatePushRecords_GroupCommit(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	const n = 200
	batches := make([][]*store.PushRecord, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		for j := range 3 {
			batches[i] = append(batches[i], &store.PushRecord{SDKAppID: testApp, MessageID: fmt.Sprint("m", i),
				UserID: fmt.Sprint("u", j), DeviceID: fmt.Sprint("d", i, "-", j), Decision: "foreground"})
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.CreatePushRecords(ctx, batches[i])
		}()
	}
	wg.Wait()
	ids := map[int64]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
		stored, err := db.FindPushRecords(ctx, testApp, fmt.Sprint("m", i))
		if err != nil {
			t.Fatal(err)
		}
		byID := map[int64]*store.PushRecord{}
		for _, r := range stored {
			byID[r.ID] = r
		}
		for _, r := range batches[i] {
			if ids[r.ID] {
				t.Fatalf("record ID %d given twice", r.ID)
			}
			ids[r.ID] = true
			got := byID[r.ID]
			if got == nil || got.DeviceID != r.DeviceID || got.UserID != r.UserID {
				t.Fatalf("record %d of %s: stored row %+v, want device %s", r.ID, r.MessageID, got, r.DeviceID)
			}
		}
	}
	if groups, _ := db.GroupCommits(); groups == 0 {
		t.Errorf("no group transaction; want concurrent writes to share them")
	}
}
