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
