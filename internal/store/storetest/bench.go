package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

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

	// C2CConcurrent: one-to-one messages among 100 pairs from 64 senders at once, as on
	// a busy node: the writes share group transactions, so this is the store's cost
	// per message when commits are shared.
	b.Run("C2CConcurrent", func(b *testing.B) {
		s := open(b)
		var n atomic.Int64
		b.SetParallelism(32) // 64 goroutines on 2 cores
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				pair := i % 100
				from, to := fmt.Sprintf("a%03d", pair), fmt.Sprintf("b%03d", pair)
				m := &store.Message{SDKAppID: appA, ID: fmt.Sprint("m", i), Type: store.TypeC2C, From: from, To: to,
					Time: at(int(i)), Elements: []byte(`[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hello"}}]`)}
				ds := []store.Delivery{{UserID: to, Unread: true}, {UserID: from}}
				if err := s.CreateMessage(ctx, m, ds); err != nil {
					b.Error(err)
					return
				}
			}
		})
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

// BenchmarkIncrementBadges measures counting the badges of a page of 500 devices: 500
// IncrementBadge calls (One) against one IncrementBadges (Batch). An op is the page.
func BenchmarkIncrementBadges(b *testing.B, open Opener) {
	ctx := context.Background()
	const n = 500
	keys := make([]store.DeviceKey, n)
	for i := range keys {
		keys[i] = store.DeviceKey{UserID: fmt.Sprintf("u%04d", i), DeviceID: "phone"}
	}
	setup := func(b *testing.B) store.Store {
		s := open(b)
		for _, k := range keys {
			must(b, "UpsertDevice", s.UpsertDevice(ctx, &store.Device{SDKAppID: appA, UserID: k.UserID,
				DeviceID: k.DeviceID, Platform: store.IOS, State: store.Offline, LoginAt: t0}))
		}
		return s
	}

	b.Run("One", func(b *testing.B) {
		s := setup(b)
		for b.Loop() {
			for _, k := range keys {
				if _, err := s.IncrementBadge(ctx, appA, k.UserID, k.DeviceID); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("Batch", func(b *testing.B) {
		s := setup(b)
		for b.Loop() {
			badges, err := s.IncrementBadges(ctx, appA, keys)
			if err != nil {
				b.Fatal(err)
			} else if len(badges) != n {
				b.Fatalf("IncrementBadges returned %d badges, want %d", len(badges), n)
			}
		}
	})
}

// BenchmarkUpdatePushRecords measures recording the answers of a send job of 100
// tokens: 100 UpdatePushRecord calls (One) against one UpdatePushRecords (Batch). An
// op is the job.
func BenchmarkUpdatePushRecords(b *testing.B, open Opener) {
	ctx := context.Background()
	const n = 100
	setup := func(b *testing.B) (store.Store, []int64) {
		s := open(b)
		rs := make([]*store.PushRecord, n)
		for i := range rs {
			rs[i] = &store.PushRecord{SDKAppID: appA, MessageID: "m1", UserID: fmt.Sprintf("u%04d", i), DeviceID: "phone",
				Decision: "push", Vendor: "huawei", CertificateID: 1, Outcome: "queued"}
		}
		must(b, "CreatePushRecords", s.CreatePushRecords(ctx, rs))
		ids := make([]int64, n)
		for i, r := range rs {
			ids[i] = r.ID
		}
		return s, ids
	}
	upd := store.PushRecordUpdate{Outcome: ptr("accepted"), Reason: ptr(""), VendorMessageID: ptr("v1"), Attempts: ptr(1)}

	b.Run("One", func(b *testing.B) {
		s, ids := setup(b)
		for b.Loop() {
			for _, id := range ids {
				if err := s.UpdatePushRecord(ctx, appA, id, upd); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("Batch", func(b *testing.B) {
		s, ids := setup(b)
		upds := make(map[int64]store.PushRecordUpdate, n)
		for _, id := range ids {
			upds[id] = upd
		}
		for b.Loop() {
			if k, err := s.UpdatePushRecords(ctx, appA, upds); err != nil {
				b.Fatal(err)
			} else if k != n {
				b.Fatalf("UpdatePushRecords updated %d records, want %d", k, n)
			}
		}
	})
}

// BenchmarkPushRecordLife measures the store side of one fan-out page of 500
// pushes: the records created queued, claimed for their first try, and answered
// accepted — the three writes each push costs the writer. An op is the page.
func BenchmarkPushRecordLife(b *testing.B, open Opener) {
	ctx := context.Background()
	const n = 500
	s := open(b)
	accepted := store.PushRecordUpdate{Outcome: ptr("accepted"), Reason: ptr(""), VendorMessageID: ptr("v1"), IfSending: ptr(1)}
	page := 0
	for b.Loop() {
		page++
		rs := make([]*store.PushRecord, n)
		for i := range rs {
			rs[i] = &store.PushRecord{SDKAppID: appA, MessageID: fmt.Sprintf("m%d", page), UserID: fmt.Sprintf("u%04d", i),
				DeviceID: "phone", Decision: "push", Vendor: "huawei", CertificateID: 1, Outcome: "queued"}
		}
		must(b, "CreatePushRecords", s.CreatePushRecords(ctx, rs))
		ids := make([]int64, n)
		upds := make(map[int64]store.PushRecordUpdate, n)
		for i, r := range rs {
			ids[i] = r.ID
			upds[r.ID] = accepted
		}
		claims, err := s.ClaimPushRecords(ctx, appA, ids, 1, time.Time{})
		must(b, "ClaimPushRecords", err)
		if len(claims) != n {
			b.Fatalf("ClaimPushRecords returned %d claims, want %d", len(claims), n)
		}
		if k, err := s.UpdatePushRecords(ctx, appA, upds); err != nil {
			b.Fatal(err)
		} else if k != n {
			b.Fatalf("UpdatePushRecords updated %d records, want %d", k, n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/push")
}

// BenchmarkReadsWhileWriting measures the reads of a one-to-one message's push (the
// recipient's devices and account) while another goroutine stores messages without a
// pause, as on a busy node: every write invalidates what a reader had cached. An op
// is the two reads.
func BenchmarkReadsWhileWriting(b *testing.B, open Opener) {
	ctx := context.Background()
	s := open(b)
	const users = 1000
	var as []*store.Account
	for i := range users {
		u := fmt.Sprintf("u%04d", i)
		as = append(as, &store.Account{SDKAppID: appA, UserID: u, Nickname: "User " + u})
		must(b, "UpsertDevice", s.UpsertDevice(ctx, &store.Device{SDKAppID: appA, UserID: u, DeviceID: "phone",
			Platform: store.Android, State: store.Offline, LoginAt: t0}))
	}
	must(b, "CreateAccounts", s.CreateAccounts(ctx, as))
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			to := fmt.Sprintf("u%04d", i%users)
			m := &store.Message{SDKAppID: appA, ID: fmt.Sprint("w", i), Type: store.TypeC2C, From: "u0000", To: to,
				Time: t0, Elements: []byte(`[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hello"}}]`)}
			if err := s.CreateMessage(ctx, m, []store.Delivery{{UserID: to, Unread: true}}); err != nil {
				b.Error(err)
				return
			}
		}
	}()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		u := fmt.Sprintf("u%04d", (i*7919)%users)
		ds, err := s.FindDevices(ctx, store.DeviceFilter{SDKAppID: appA, UserIDs: []string{u}})
		if err != nil || len(ds) != 1 {
			b.Fatalf("FindDevices(%s) = %d devices, %v", u, len(ds), err)
		}
		if _, err := s.FindAccount(ctx, appA, u); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	close(stop)
	<-done
}
