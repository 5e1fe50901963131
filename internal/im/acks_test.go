package im_test

import (
	"context"
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
