package pipeline_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/push/pipeline"
	"github.com/herald-im/herald/internal/store"
)

// recall commits m's recall in the store, as im.Service.Recall does, without the hook.
func (e *env) recall(tb testing.TB, m *store.Message) {
	tb.Helper()
	if _, err := e.st.RecallMessage(context.Background(), testAppID, &store.Recall{MessageID: m.ID, By: m.From, At: time.Now()}, []string{m.From, m.To}); err != nil {
		tb.Fatal(err)
	}
}

// waitKinds waits until the message has a record of each kind with an answer.
func (e *env) waitKinds(tb testing.TB, messageID string) (orig, recall *store.PushRecord) {
	tb.Helper()
	waitFor(tb, "the push and its replacement answered", func() bool {
		orig, recall = nil, nil
		rs, _ := e.st.FindPushRecords(context.Background(), testAppID, messageID)
		for _, r := range rs {
			if r.Outcome == "queued" || r.Outcome == store.OutcomeSending {
				continue
			}
			switch r.Kind {
			case store.KindMessage:
				orig = r
			case store.KindRecall:
				recall = r
			}
		}
		return orig != nil && recall != nil
	})
	return orig, recall
}

func TestPipeline_Recall(t *testing.T) {
	t.Run("ReplayedPlanSendsOnce", func(t *testing.T) {
		e := MustOpenEnv(t, nil)
		ctx := context.Background()
		e.MustCreateDevice(t, "alice", push.Xiaomi, 0)
		tok := e.MustCreateDevice(t, "bob", push.Huawei, 0)
		m := e.MustCreateMessage(t, "alice", "bob")
		e.p.Stored(ctx, m, nil, im.SentHow{})
		e.waitRecords(t, m.ID, 1)
		e.recall(t, m)
		before := recallsQueued(t)
		for range 3 { // the first plan, then two replays (a crash before the ack, a sweep)
			done, err := e.p.ReplanRecall(ctx, testAppID, m.ID)
			if err != nil || !done {
				t.Fatalf("ReplanRecall = %v, %v; want done", done, err)
			}
		}
		orig, rec := e.waitKinds(t, m.ID)
		if orig.Outcome != "accepted" || rec.Outcome != "accepted" || rec.Attempts != 1 || rec.Vendor != "huawei" || rec.VendorMessageID != "fake-"+tok {
			t.Errorf("records %+v and %+v; want both accepted, the replacement at its first try", orig, rec)
		}
		calls := e.senders[push.Huawei].sent()
		if len(calls) != 2 || calls[1].n.Body != push.RecalledBody || calls[1].n.CollapseID != calls[0].n.CollapseID || calls[1].n.Badge != nil {
			t.Fatalf("%d Huawei requests (%+v); want the push, then one replacement with its key and no badge", len(calls), calls)
		}
		if rs, _ := e.st.FindPushRecords(ctx, testAppID, m.ID); len(rs) != 2 {
			t.Errorf("%d records after planning three times; want 2", len(rs))
		}
		if got := recallsQueued(t) - before; got != 1 {
			t.Errorf("herald_push_recall_replacements_total rose by %v; want 1", got)
		}
	})

	t.Run("InFlightThenReplaced", func(t *testing.T) {
		e := MustOpenEnv(t, nil)
		ctx := context.Background()
		hold := make(chan struct{})
		e.senders[push.Huawei].hold = hold
		e.MustCreateDevice(t, "alice", push.Xiaomi, 0)
		e.MustCreateDevice(t, "bob", push.Huawei, 0)
		m := e.MustCreateMessage(t, "alice", "bob")
		e.p.Stored(ctx, m, nil, im.SentHow{})
		waitFor(t, "the push at the vendor", func() bool { return e.senders[push.Huawei].heldCalls() > 0 })
		// Recalled while the vendor request is in flight: the push may reach the phone,
		// so the recall waits for its answer.
		e.recall(t, m)
		if done, err := e.p.ReplanRecall(ctx, testAppID, m.ID); err != nil || done {
			t.Fatalf("ReplanRecall during the send = %v, %v; want not done", done, err)
		}
		if n := len(e.senders[push.Huawei].sent()); n != 0 {
			t.Fatalf("%d requests answered; want the held one only", n)
		}
		e.senders[push.Huawei].mu.Lock()
		e.senders[push.Huawei].hold = nil
		e.senders[push.Huawei].mu.Unlock()
		close(hold)
		e.waitRecords(t, m.ID, 1)
		if done, err := e.p.ReplanRecall(ctx, testAppID, m.ID); err != nil || !done {
			t.Fatalf("ReplanRecall after the answer = %v, %v; want done", done, err)
		}
		_, rec := e.waitKinds(t, m.ID)
		if rec.Outcome != "accepted" {
			t.Errorf("replacement %+v; want accepted", rec)
		}
		if calls := e.senders[push.Huawei].sent(); len(calls) != 2 || calls[1].n.Body != push.RecalledBody {
			t.Errorf("%d requests; want the push, then its replacement", len(calls))
		}
	})

	t.Run("LargeGroupPaged", func(t *testing.T) {
		e := MustOpenEnv(t, nil)
		ctx := context.Background()
		e.MustCreateDevice(t, "alice", push.Xiaomi, 0)
		var members []string
		for i := range 620 { // more than a page of devices
			u := fmt.Sprintf("m%03d", i)
			e.MustCreateDevice(t, u, push.Huawei, 0)
			members = append(members, u)
		}
		e.MustCreateGroup(t, "big", "alice", members)
		m := e.MustCreateMessage(t, "alice", "group:big")
		e.p.Stored(ctx, m, nil, im.SentHow{})
		e.waitRecords(t, m.ID, len(members))
		if _, err := e.st.RecallMessage(ctx, testAppID, &store.Recall{MessageID: m.ID, By: "alice", At: time.Now()}, append(members, "alice")); err != nil {
			t.Fatal(err)
		}
		if done, err := e.p.ReplanRecall(ctx, testAppID, m.ID); err != nil || !done {
			t.Fatalf("ReplanRecall = %v, %v; want done", done, err)
		}
		waitFor(t, "every replacement answered", func() bool {
			rs, _ := e.st.FindPushRecords(ctx, testAppID, m.ID)
			n := 0
			for _, r := range rs {
				if r.Kind == store.KindRecall && r.Outcome == "accepted" {
					n++
				}
			}
			return n == len(members)
		})
		replaced := map[string]int{}
		for _, c := range e.senders[push.Huawei].sent() {
			if c.n.Body == push.RecalledBody {
				for _, tok := range c.tokens {
					replaced[tok]++
				}
			}
		}
		for _, u := range members {
			if replaced["tok-"+u] != 1 {
				t.Fatalf("%s's phone got %d replacements; want 1", u, replaced["tok-"+u])
			}
		}
	})

	t.Run("QueuedNotSent", func(t *testing.T) {
		e := MustOpenEnv(t, nil)
		ctx := context.Background()
		before := recallsQueued(t)
		e.MustCreateDevice(t, "alice", push.Xiaomi, 0)
		e.MustCreateDevice(t, "bob", push.Huawei, 0)
		m := e.MustCreateMessage(t, "alice", "bob")
		e.recall(t, m) // recalled before planning: the push is planned, then dropped at its try
		e.p.Stored(ctx, m, nil, im.SentHow{})
		rs := e.waitRecords(t, m.ID, 1)
		if rs[0].Outcome != pipeline.OutcomeRecalled || rs[0].Kind != store.KindMessage {
			t.Errorf("record %+v; want the push answered recalled", rs[0])
		}
		if n := len(e.senders[push.Huawei].sent()); n != 0 {
			t.Errorf("%d Huawei requests; want none", n)
		}
		if done, err := e.p.ReplanRecall(ctx, testAppID, m.ID); err != nil || !done {
			t.Fatalf("ReplanRecall = %v, %v; want done with nothing to replace", done, err)
		}
		if rs, _ := e.st.FindPushRecords(ctx, testAppID, m.ID); len(rs) != 1 {
			t.Errorf("%d records; want no replacement", len(rs))
		}
		if got := recallsQueued(t) - before; got != 0 {
			t.Errorf("herald_push_recall_replacements_total rose by %v; want 0", got)
		}
	})
}

// recallsQueued reads herald_push_recall_replacements_total.
func recallsQueued(tb testing.TB) float64 {
	tb.Helper()
	var m dto.Metric
	if err := pipeline.RecallsQueuedTotal.Write(&m); err != nil {
		tb.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
