package gateway

import (
	"testing"
	"time"
)

func TestWheel_ExpiresAtDeadline(t *testing.T) {
	w := newWheel(10*time.Millisecond, 100*time.Millisecond)
	a := &eventConn{slot: noSlot}
	b := &eventConn{slot: noSlot}
	far := &eventConn{slot: noSlot}
	a.due.Store(w.after(30 * time.Millisecond)) // tick 3
	b.due.Store(w.after(50 * time.Millisecond)) // tick 5
	far.due.Store(w.after(time.Second))         // beyond the span: refiled until tick 100
	for _, c := range []*eventConn{a, b, far} {
		w.add(c)
	}
	expiredAt := map[*eventConn]int64{}
	for range 120 {
		for _, c := range w.advance(nil) {
			if _, dup := expiredAt[c]; dup {
				t.Fatalf("expired twice")
			}
			expiredAt[c] = w.now.Load()
		}
		if w.now.Load() == 4 {
			b.due.Store(w.after(50 * time.Millisecond)) // a message moved b's deadline to tick 9
		}
	}
	if expiredAt[a] != 3 || expiredAt[b] != 9 || expiredAt[far] != 100 {
		t.Errorf("expired at a=%d b=%d far=%d, want 3, 9, 100", expiredAt[a], expiredAt[b], expiredAt[far])
	}
}

func TestWheel_RefileEarlierAndGone(t *testing.T) {
	w := newWheel(10*time.Millisecond, 100*time.Millisecond)
	c := &eventConn{slot: noSlot}
	gone := &eventConn{slot: noSlot}
	c.due.Store(w.after(80 * time.Millisecond))
	gone.due.Store(w.after(20 * time.Millisecond))
	w.add(c)
	w.add(gone)
	gone.gone.Store(true)
	if n := len(w.all()); n != 1 {
		t.Fatalf("all: %d connections, want 1 (one is gone)", n)
	}
	c.due.Store(w.after(20 * time.Millisecond)) // a close: earlier
	w.refile(c)
	var got []int64
	for range 12 {
		for range w.advance(nil) {
			got = append(got, w.now.Load())
		}
	}
	if len(got) != 1 || got[0] != 2 {
		t.Errorf("expiries at %v, want one at tick 2 (the stale entry at tick 8 is skipped, the gone one dropped)", got)
	}
}

func TestWheelTick(t *testing.T) {
	for _, tc := range []struct{ hb, login, want time.Duration }{
		{30 * time.Second, 10 * time.Second, time.Second},
		{time.Second, 10 * time.Second, 100 * time.Millisecond},
		{30 * time.Second, 0, time.Second},
		{time.Second, 50 * time.Millisecond, 10 * time.Millisecond},
	} {
		if got := wheelTick(tc.hb, tc.login); got != tc.want {
			t.Errorf("wheelTick(%v, %v) = %v, want %v", tc.hb, tc.login, got, tc.want)
		}
	}
}
