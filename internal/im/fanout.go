package im

import (
	"context"
	"time"

	"github.com/herald-im/herald/internal/store"
)

// Defaults of the group fan-out.
const (
	// DefaultInlineFanOut is how many members' copies a group send writes with the
	// message itself. A group up to this size (a chat among friends, a team) is stored
	// for everyone before the send returns, as a one-to-one message is; the members of a
	// larger group get theirs from RunFanOut moments later.
	DefaultInlineFanOut = 200
	// DefaultFanOutPage is how many members RunFanOut stores in one transaction. A
	// send on SQLite's single writer may wait for one page's transaction, so a page is
	// kept to a few milliseconds of writing (about 25 µs a member on an idle core).
	DefaultFanOutPage = 250
	// FanOutPoll is how often RunFanOut looks for fan-outs it was not told of: those of
	// other nodes, and those a stopped node left.
	FanOutPoll = time.Second
)

func (s *Service) inlineFanOut() int {
	if s.InlineFanOut > 0 {
		return s.InlineFanOut
	}
	return DefaultInlineFanOut
}

func (s *Service) fanOutPage() int {
	if s.FanOutPage > 0 {
		return s.FanOutPage
	}
	return DefaultFanOutPage
}

// wakeFanOut tells RunFanOut a fan-out is pending; it never blocks.
func (s *Service) wakeFanOut() {
	select {
	case s.fanOutWake <- struct{}{}:
	default:
	}
}

// RunFanOut stores the members' copies of group messages whose send deferred them (a
// store.FanOut each) and routes each copy to the member's devices once it is
// committed, until ctx ends. Pending groups take turns, one page each, so a small
// group's message does not wait behind a large one's; within a group, messages go in
// order. Run one per node: with PostgreSQL, nodes share the fan-outs, each held by one
// node at a time, and a node that stops leaves its fan-outs to the others (or to
// itself on restart).
func (s *Service) RunFanOut(ctx context.Context) {
	t := time.NewTicker(FanOutPoll)
	defer t.Stop()
	msgs := map[string]*store.Message{} // the messages being fanned out, by ID
	for ctx.Err() == nil {
		if s.fanOutRound(ctx, msgs) {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-s.fanOutWake:
		case <-t.C:
		}
	}
}

// fanOutRound advances every pending fan-out by one page and reports whether any
// advanced.
func (s *Service) fanOutRound(ctx context.Context, msgs map[string]*store.Message) bool {
	fs, err := s.Store.FindFanOuts(ctx, 0)
	if err != nil {
		if ctx.Err() == nil {
			s.Logger.Warn("find fan-outs", "err", err)
		}
		return false
	}
	if len(fs) == 0 {
		clear(msgs)
		return false
	}
	advanced := false
	for _, f := range fs {
		ds, more, err := s.Store.FanOutMessage(ctx, f.SDKAppID, f.MessageID, s.fanOutPage())
		if err != nil {
			if ctx.Err() == nil {
				s.Logger.Warn("fan out message", "app", f.SDKAppID, "message", f.MessageID, "err", err)
			}
			continue
		}
		advanced = advanced || len(ds) > 0 || more
		if len(ds) > 0 {
			m := msgs[f.MessageID]
			if m == nil {
				if m, err = s.Store.FindMessageByID(ctx, f.SDKAppID, f.MessageID); err != nil {
					// Stored, not routed: the members' devices get it by sync.
					s.Logger.Warn("find fanned-out message", "app", f.SDKAppID, "message", f.MessageID, "err", err)
					continue
				}
				msgs[f.MessageID] = m
			}
			for _, d := range ds {
				s.route(ctx, f.SDKAppID, d.UserID, &Event{Kind: EventMessage, Message: wireMessage(m, d.InboxSeq)})
			}
		}
		if !more {
			delete(msgs, f.MessageID)
		}
	}
	return advanced
}
