package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/herald-im/herald/internal/store"
)

// BenchmarkCreateMessage measures CreateMessage for a one-to-one message (two
// deliveries) and a message to a group of 100 members (100 deliveries).
func BenchmarkCreateMessage(b *testing.B, open Opener) {
	ctx := context.Background()

	b.Run("C2C", func(b *testing.B) {
		s := open(b)
		var i int
		for b.Loop() {
			i++
			m := &store.Message{SDKAppID: appA, ID: fmt.Sprint("m", i), Type: store.TypeC2C, From: "alice", To: "bob",
				Time: at(i), Elements: []byte(`[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hello"}}]`)}
			ds := []store.Delivery{{UserID: "bob", Unread: true}, {UserID: "alice"}}
			if err := s.CreateMessage(ctx, m, ds); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("Group100", func(b *testing.B) {
		s := open(b)
		var i int
		for b.Loop() {
			i++
			from := fmt.Sprintf("u%03d", i%100)
			m := &store.Message{SDKAppID: appA, ID: fmt.Sprint("m", i), Type: store.TypeGroup, From: from, GroupID: "g1",
				Time: at(i), Elements: []byte(`[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hello"}}]`)}
			ds := make([]store.Delivery, 100)
			for j := range ds {
				u := fmt.Sprintf("u%03d", j)
				ds[j] = store.Delivery{UserID: u, Unread: u != from}
			}
			if err := s.CreateMessage(ctx, m, ds); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkFindInbox measures parallel reads of a page of 50 inbox entries while
// nothing writes.
func BenchmarkFindInbox(b *testing.B, open Opener) {
	ctx := context.Background()
	s := open(b)
	for i := 1; i <= 200; i++ {
		m := &store.Message{SDKAppID: appA, ID: fmt.Sprint("m", i), Type: store.TypeC2C, From: "alice", To: "bob",
			Time: at(i), Elements: []byte(`[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hello"}}]`)}
		if err := s.CreateMessage(ctx, m, []store.Delivery{{UserID: "bob", Unread: true}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			es, err := s.FindInbox(ctx, appA, "bob", 100, 50)
			if err != nil {
				b.Error(err)
				return
			} else if len(es) != 50 {
				b.Errorf("FindInbox returned %d entries, want 50", len(es))
				return
			}
		}
	})
}
