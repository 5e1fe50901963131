package gateway

import (
	"sync"
	"sync/atomic"
	"time"
)

// wheel is a timing wheel holding the deadlines of every event-layer connection: one
// goroutine and one ticker for all of them, instead of a runtime timer each.
//
// A connection is filed in the slot of its deadline. Moving a deadline later (every
// incoming message moves the heartbeat deadline) is one atomic store on the connection:
// the wheel notices when it reaches the old slot and files the connection again at its
// new deadline, so a busy connection is refiled at most once per heartbeat period.
// Moving a deadline earlier (a close waiting for the peer's answer) refiles at once.
type wheel struct {
	tick time.Duration
	now  atomic.Int64 // ticks since the wheel started

	mu    sync.Mutex // protects slots and every eventConn.slot
	slots [][]*eventConn
	spare []*eventConn // the slot array last emptied, reused
}

// noSlot is eventConn.slot of a connection not in the wheel.
const noSlot = -1

// newWheel returns a wheel of the given resolution covering deadlines up to span ahead
// (later ones are checked again when the span has passed).
func newWheel(tick, span time.Duration) *wheel {
	n := int(span/tick) + 2
	n = min(max(n, 8), 1<<16)
	return &wheel{tick: tick, slots: make([][]*eventConn, n)}
}

// after returns the tick d from now, rounded up.
func (w *wheel) after(d time.Duration) int64 {
	return w.now.Load() + int64((d+w.tick-1)/w.tick)
}

// file puts c in the slot of tick at; w.mu is held.
func (w *wheel) file(c *eventConn, at int64) {
	now := w.now.Load()
	n := int64(len(w.slots))
	if at <= now {
		at = now + 1
	}
	if at-now >= n {
		at = now + n - 1 // beyond the span: look again then
	}
	i := int32(at % n)
	w.slots[i] = append(w.slots[i], c)
	c.slot = i
}

// add files a new connection at its deadline.
func (w *wheel) add(c *eventConn) {
	w.mu.Lock()
	w.file(c, c.deadline())
	w.mu.Unlock()
}

// refile moves c to its deadline at once (after the deadline moved earlier). A
// connection no longer in the wheel stays out.
func (w *wheel) refile(c *eventConn) {
	w.mu.Lock()
	if c.slot != noSlot {
		w.file(c, c.deadline()) // the old slot's entry is now stale and skipped
	}
	w.mu.Unlock()
}

// advance moves the wheel one tick and returns the connections whose deadline passed;
// they are out of the wheel.
func (w *wheel) advance(expired []*eventConn) []*eventConn {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now.Add(1)
	i := int32(now % int64(len(w.slots)))
	list := w.slots[i]
	w.slots[i] = w.spare[:0]
	for _, c := range list {
		if c.slot != i || c.gone.Load() {
			if c.slot == i {
				c.slot = noSlot
			}
			continue // stale: refiled elsewhere, or the connection is gone
		}
		if at := c.deadline(); at > now {
			w.file(c, at)
			continue
		}
		c.slot = noSlot
		expired = append(expired, c)
	}
	clear(list)
	w.spare = list
	return expired
}

// all returns every connection in the wheel.
func (w *wheel) all() []*eventConn {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []*eventConn
	for i, list := range w.slots {
		for _, c := range list {
			if c.slot == int32(i) && !c.gone.Load() {
				out = append(out, c)
			}
		}
	}
	return out
}

// wheelTick is the wheel's resolution for a heartbeat period and login deadline: a
// tenth of the shorter, between 10 ms and 1 s.
func wheelTick(heartbeat, login time.Duration) time.Duration {
	d := heartbeat
	if login > 0 && login < d {
		d = login
	}
	return min(max(d/10, 10*time.Millisecond), time.Second)
}
