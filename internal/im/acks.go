package im

import (
	"context"
	"sync"
	"time"

	"github.com/herald-im/herald/internal/store"
)

// Acknowledgements are written asynchronously. A device acknowledges every message it
// gets; writing each ack on the spot costs a store write per message on the online
// path, the same order as storing the message. While RunAcks runs, Ack only notes the
// device's highest acked and delivered sequence numbers, and RunAcks writes what is
// noted every AckFlushEvery, one write per device however many acks it sent. The
// store's columns only grow (max), so a late write never moves a device back. An ack
// not yet written when the node dies is lost: the device gets those messages again on
// its next sync, which it deduplicates by ID — the same as an ack lost in flight.

// AckFlushEvery is how often RunAcks writes the noted acknowledgements.
const AckFlushEvery = 20 * time.Millisecond

// deviceKey names one device.
type deviceKey struct {
	app          int64
	user, device string
}

// ackSeqs is a device's highest noted acked and delivered sequence numbers.
type ackSeqs struct{ acked, delivered int64 }

// acks holds the acknowledgements noted and not yet written.
type acks struct {
	mu      sync.Mutex
	running bool // RunAcks is writing them
	pending map[deviceKey]ackSeqs
}

// note records an ack for RunAcks and reports whether it did: false when RunAcks is
// not running, and the caller writes the ack itself.
func (a *acks) note(k deviceKey, acked, delivered int64) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.running {
		return false
	}
	p := a.pending[k]
	a.pending[k] = ackSeqs{acked: max(p.acked, acked), delivered: max(p.delivered, delivered)}
	return true
}

// take returns the pending acks and forgets them; with stop, later acks are written by
// their callers.
func (a *acks) take(stop bool) map[deviceKey]ackSeqs {
	a.mu.Lock()
	defer a.mu.Unlock()
	if stop {
		a.running = false
	}
	if len(a.pending) == 0 {
		return nil
	}
	p := a.pending
	a.pending = make(map[deviceKey]ackSeqs, len(p))
	return p
}

// RunAcks writes the acknowledgements Ack notes, every AckFlushEvery, until ctx ends;
// then it writes what is left and Ack writes each ack itself again. Run one per node.
func (s *Service) RunAcks(ctx context.Context) {
	s.acks.mu.Lock()
	s.acks.running = true
	if s.acks.pending == nil {
		s.acks.pending = map[deviceKey]ackSeqs{}
	}
	s.acks.mu.Unlock()
	t := time.NewTicker(AckFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			s.writeAcks(fctx, s.acks.take(true))
			cancel()
			return
		case <-t.C:
			s.writeAcks(ctx, s.acks.take(false))
		}
	}
}

// ackWriters bounds the acknowledgements writeAcks writes at once.
const ackWriters = 8

// writeAcks writes each device's acknowledgement, up to ackWriters at once: a store
// with group commit (PostgreSQL) then commits them together, one WAL flush for all
// rather than one each. A device deleted since is skipped.
func (s *Service) writeAcks(ctx context.Context, p map[deviceKey]ackSeqs) {
	sem := make(chan struct{}, ackWriters)
	var wg sync.WaitGroup
	for k, a := range p {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			err := s.Store.UpdateDevice(ctx, k.app, k.user, k.device, store.DeviceUpdate{AckedSeq: &a.acked, DeliveredSeq: &a.delivered})
			if err != nil && ctx.Err() == nil {
				s.Logger.Warn("write ack", "app", k.app, "user", k.user, "device", k.device, "err", err)
			}
		}()
	}
	wg.Wait()
}
