package gateway

import (
	"context"
	"time"

	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/protocol"
)

// DefaultAckTimeout is how long a device has to acknowledge a stored message written to
// it before it is pushed as if it had been offline.
const DefaultAckTimeout = 5 * time.Second

// pendingAck is a stored message written to the session and not yet acknowledged.
type pendingAck struct {
	seq int64
	id  string
	due time.Time
}

// The ack window. A socket that died without a FIN looks online and foreground until
// the heartbeat times out, so the push planner skips it; what was written to it in
// that time would never reach the phone. Each session keeps the messages it wrote and
// not yet saw acknowledged, in write order (so sorted by deadline); one ticker per
// server, not a timer per message, hands the overdue ones to im.NotAcknowledged, and a
// connection that ends hands over all it still holds.

// track records that m is about to be written to the session. The sender's own devices
// are never pushed, and online-only messages are best effort: neither is tracked.
func (s *session) track(m *protocol.Message) {
	if s.g.AckTimeout <= 0 || m.InboxSeq == 0 || m.From == s.user {
		return
	}
	s.ackMu.Lock()
	defer s.ackMu.Unlock()
	if m.InboxSeq <= s.acked.Load() {
		return
	}
	s.unacked = append(s.unacked, pendingAck{seq: m.InboxSeq, id: m.ID, due: time.Now().Add(s.g.AckTimeout)})
	if !s.ackWatched {
		s.ackWatched = true
		s.g.watchAcks(s, true)
	}
}

// ackedUpTo forgets the messages up to seq, which the client acknowledged.
func (s *session) ackedUpTo(seq int64) {
	s.ackMu.Lock()
	defer s.ackMu.Unlock()
	i := 0
	for i < len(s.unacked) && s.unacked[i].seq <= seq {
		i++
	}
	s.dropAcks(i)
}

// takeAcks removes and returns the pending messages due by now (all with a zero now).
func (s *session) takeAcks(now time.Time) []pendingAck {
	s.ackMu.Lock()
	defer s.ackMu.Unlock()
	i := len(s.unacked)
	if !now.IsZero() {
		i = 0
		for i < len(s.unacked) && !s.unacked[i].due.After(now) {
			i++
		}
	}
	out := append([]pendingAck(nil), s.unacked[:i]...)
	s.dropAcks(i)
	return out
}

// dropAcks drops the first n pending messages; s.ackMu is held.
func (s *session) dropAcks(n int) {
	if n == 0 {
		return
	}
	if n == len(s.unacked) {
		s.unacked = nil // an idle session holds no array
		if s.ackWatched {
			s.ackWatched = false
			s.g.watchAcks(s, false)
		}
		return
	}
	s.unacked = append(s.unacked[:0], s.unacked[n:]...)
}

// reportUnacked hands pending messages to the chat core, to be pushed.
func (s *session) reportUnacked(ctx context.Context, ps []pendingAck, disconnected bool) {
	if len(ps) == 0 {
		return
	}
	ds := make([]im.UnackedDelivery, len(ps))
	for i, p := range ps {
		ds[i] = im.UnackedDelivery{
			SDKAppID: s.app, UserID: s.user, DeviceID: s.device, Session: s.nodeSession(),
			MessageID: p.id, InboxSeq: p.seq, Disconnected: disconnected,
		}
	}
	s.g.IM.NotAcknowledged(ctx, ds)
}

// watchAcks adds a session with pending messages to the ticker's set, or removes it.
// The session's ackMu is held (lock order: session, then server).
func (g *Server) watchAcks(s *session, on bool) {
	g.acksMu.Lock()
	defer g.acksMu.Unlock()
	if !on {
		delete(g.ackSessions, s)
		return
	}
	if g.ackSessions == nil {
		g.ackSessions = map[*session]struct{}{}
	}
	g.ackSessions[s] = struct{}{}
	if !g.ackTicking {
		g.ackTicking = true
		g.wg.Add(1)
		go g.ackLoop()
	}
}

// ackLoop checks the sessions with pending messages a few times per ack window, until
// the server closes.
func (g *Server) ackLoop() {
	defer g.wg.Done()
	tick := min(max(g.AckTimeout/4, 50*time.Millisecond), time.Second)
	t := time.NewTicker(tick)
	defer t.Stop()
	var batch []*session
	for {
		select {
		case <-g.ctx.Done():
			return
		case now := <-t.C:
			g.acksMu.Lock()
			batch = batch[:0]
			for s := range g.ackSessions {
				batch = append(batch, s)
			}
			g.acksMu.Unlock()
			for _, s := range batch {
				s.reportUnacked(g.ctx, s.takeAcks(now), false)
			}
			clear(batch)
		}
	}
}
