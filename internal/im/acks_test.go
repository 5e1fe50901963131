package im_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/store"
)

// While RunAcks runs, acks are written in batches, a device's highest once; when it
// stops it writes what is left, and later acks are written at once.
func TestService_Ack_Batched(t *testing.T) {
	for name, st := range openStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			const app = 1400000001
			for _, d := range []string{"phone", "pad"} {
				must(t, "UpsertDevice", st.UpsertDevice(ctx, &store.Device{SDKAppID: app, UserID: "bob", DeviceID: d, Platform: "Android", State: store.Online}))
			}
			s := im.NewService(st, nopRouter{})
			rctx, stop := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { s.RunAcks(rctx); close(done) }()
			// Until RunAcks has started, acks are written at once; either way they land.
			for i := int64(1); i <= 50; i++ {
				must(t, "Ack", s.Ack(ctx, app, "bob", "phone", i, i+1))
			}
			must(t, "Ack(older)", s.Ack(ctx, app, "bob", "phone", 7, 8)) // never moves the device back
			deadline := time.Now().Add(5 * time.Second)
			for {
				d, err := st.FindDevice(ctx, app, "bob", "phone")
				must(t, "FindDevice", err)
				if d.AckedSeq == 50 && d.DeliveredSeq == 51 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("acked %d, delivered %d; want 50, 51", d.AckedSeq, d.DeliveredSeq)
				}
				time.Sleep(5 * time.Millisecond)
			}
			// Noted right before the stop: written on the way out.
			must(t, "Ack(pad)", s.Ack(ctx, app, "bob", "pad", 3, 4))
			stop()
			<-done
			d, err := st.FindDevice(ctx, app, "bob", "pad")
			must(t, "FindDevice", err)
			if d.AckedSeq != 3 || d.DeliveredSeq != 4 {
				t.Fatalf("pad after RunAcks stopped: acked %d, delivered %d; want 3, 4", d.AckedSeq, d.DeliveredSeq)
			}
			// Stopped: written at once.
			must(t, "Ack(after stop)", s.Ack(ctx, app, "bob", "pad", 4, 5))
			d, err = st.FindDevice(ctx, app, "bob", "pad")
			must(t, "FindDevice", err)
			if d.AckedSeq != 4 {
				t.Fatalf("pad acked %d after a synchronous ack; want 4", d.AckedSeq)
			}
			if err := s.Ack(ctx, app, "bob", "phone", 9, 8); err == nil {
				t.Fatal("Ack(acked beyond delivered) = nil, want an error")
			}
		})
	}
}

// gatedStore holds UpdateDevice of a gated device until its gate is closed, saying on
// arrived that it came, and counts every UpdateDevice call.
type gatedStore struct {
	store.Store
	gates   map[string]chan struct{}
	arrived chan string
	calls   atomic.Int64
}

func (g *gatedStore) UpdateDevice(ctx context.Context, app int64, user, device string, upd store.DeviceUpdate) error {
	g.calls.Add(1)
	if gate := g.gates[device]; gate != nil {
		g.arrived <- device
		<-gate
	}
	return g.Store.UpdateDevice(ctx, app, user, device, upd)
}

// RunAcks writes the acks of several devices at once, so that a store with group
// commit can commit them together: the second device's write starts while the first
// is still in the store.
func TestService_Ack_Concurrent(t *testing.T) {
	ctx := context.Background()
	const app = 1400000001
	base := openStores(t)["sqlite"]
	for _, d := range []string{"probe", "hold", "phone", "pad"} {
		must(t, "UpsertDevice", base.UpsertDevice(ctx, &store.Device{SDKAppID: app, UserID: "bob", DeviceID: d, Platform: "Android", State: store.Online}))
	}
	hold, both := make(chan struct{}), make(chan struct{})
	st := &gatedStore{Store: base, gates: map[string]chan struct{}{"hold": hold, "phone": both, "pad": both},
		arrived: make(chan string, 3)}
	s := im.NewService(st, nopRouter{})
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { s.RunAcks(rctx); close(done) }()
	var opened []chan struct{}
	defer func() {
		for _, c := range []chan struct{}{hold, both} {
			if !slices.Contains(opened, c) {
				close(c)
			}
		}
		stop()
		<-done
	}()
	waitArrival := func(what string) {
		t.Helper()
		select {
		case <-st.arrived:
		case <-time.After(5 * time.Second):
			t.Fatal(what)
		}
	}
	// An ack that returns without having been written was noted: RunAcks is running.
	for seq := int64(1); ; seq++ {
		before := st.calls.Load()
		must(t, "Ack(probe)", s.Ack(ctx, app, "bob", "probe", seq, seq))
		if st.calls.Load() == before {
			break
		}
	}
	// RunAcks is held writing one ack while two more are noted, so that its next
	// round takes both.
	must(t, "Ack(hold)", s.Ack(ctx, app, "bob", "hold", 1, 1))
	waitArrival("the held ack was never written")
	must(t, "Ack(phone)", s.Ack(ctx, app, "bob", "phone", 1, 1))
	must(t, "Ack(pad)", s.Ack(ctx, app, "bob", "pad", 1, 1))
	close(hold)
	opened = append(opened, hold)
	waitArrival("the noted acks were never written")
	waitArrival("one ack write in the store at a time; want both devices' writes at once")
	close(both)
	opened = append(opened, both)
}
