package im

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// ImportParams is one message moved over from another system: stored with its own
// time, never routed to devices and never pushed.
type ImportParams struct {
	SDKAppID int64
	From     string
	Request  protocol.SendRequest // To or GroupID, Elements, ClientMsgID, CloudCustomData
	Time     time.Time            // when it was sent; not in the future
	// Unread counts it toward the recipients' unread (a live import); otherwise it is
	// history only.
	Unread bool
}

// Import stores a message from another system for the recipient and the sender (a
// one-to-one message) or every member (a group message). A repeated ClientMsgID
// returns the stored message. The sender of a group message need not be a member
// any more. Its channel sequence follows the order of import, not of Time.
func (s *Service) Import(ctx context.Context, p ImportParams) (*protocol.Message, error) {
	req := &p.Request
	if err := checkUserID(p.From, "from"); err != nil {
		return nil, err
	}
	if p.Time.IsZero() || p.Time.After(s.Now()) {
		return nil, invalid("time must be set and not in the future")
	}
	elems, pushInfo, err := s.validateSend(req)
	if err != nil {
		return nil, err
	}
	if _, err := s.Store.FindAccount(ctx, p.SDKAppID, p.From); err != nil {
		return nil, notFound(err, errcode.UserNotFound, "sender %q does not exist; import the account first", p.From)
	}
	if req.ClientMsgID != "" {
		if m, err := s.Store.FindMessageByClientID(ctx, p.SDKAppID, p.From, req.ClientMsgID); err == nil {
			return wireMessage(m, 0), nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("find message by client id: %w", err)
		}
	}
	m := &store.Message{
		SDKAppID: p.SDKAppID, ID: newMessageID(), ClientMsgID: req.ClientMsgID, From: p.From, Time: p.Time,
		Elements: elems, PushInfo: pushInfo, CloudCustomData: req.CloudCustomData,
	}
	var users []string
	if req.To != "" {
		if req.To == p.From {
			return nil, invalid("to: a message cannot go to its sender")
		}
		if _, err := s.Store.FindAccount(ctx, p.SDKAppID, req.To); err != nil {
			return nil, notFound(err, errcode.UserNotFound, "recipient %q does not exist", req.To)
		}
		m.Type, m.To = store.TypeC2C, req.To
		users = []string{req.To, p.From}
	} else {
		if err := checkGroupID(req.GroupID); err != nil {
			return nil, err
		}
		if _, err := s.Store.FindGroup(ctx, p.SDKAppID, req.GroupID); err != nil {
			return nil, notFound(err, errcode.GroupNotFound, "group %q does not exist", req.GroupID)
		}
		m.Type, m.GroupID = store.TypeGroup, req.GroupID
		if users, err = s.storedFor(ctx, m); err != nil {
			return nil, err
		}
	}
	ds := make([]store.Delivery, 0, len(users))
	for _, u := range users {
		ds = append(ds, store.Delivery{UserID: u, Unread: p.Unread && u != p.From})
	}
	if err := s.Store.CreateMessage(ctx, m, ds); err != nil {
		if errors.Is(err, store.ErrConflict) && req.ClientMsgID != "" {
			if prev, ferr := s.Store.FindMessageByClientID(ctx, p.SDKAppID, p.From, req.ClientMsgID); ferr == nil {
				return wireMessage(prev, 0), nil
			}
		}
		return nil, fmt.Errorf("create message: %w", err)
	}
	// An imported message is never pushed: it is not left pending for the push sweep.
	// (Were this lost to a crash, the planner still skips a message older than its
	// push TTL, as imported history is.)
	if err := s.Store.MarkPushPlanned(ctx, []store.MessageKey{{SDKAppID: m.SDKAppID, ID: m.ID}}); err != nil {
		return nil, fmt.Errorf("mark imported message: %w", err)
	}
	return wireMessage(m, 0), nil
}

// MessageQuery pages back through one conversation for the admin API.
type MessageQuery struct {
	SDKAppID int64
	// Channel is store.C2CChannel(a, b) or store.GroupChannel(id).
	Channel string
	// From and To bound the messages' time (zero: unbounded).
	From, To time.Time
	// BeforeSeq: only messages with a smaller channel sequence (0: from the newest).
	BeforeSeq int64
	Limit     int // at most MaxHistoryPage
}

// Messages returns a conversation's messages newest first, recalled ones marked, and
// whether older ones match too.
func (s *Service) Messages(ctx context.Context, q MessageQuery) ([]*protocol.Message, bool, error) {
	if q.Limit <= 0 || q.Limit > MaxHistoryPage {
		q.Limit = MaxHistoryPage
	}
	var out []*protocol.Message
	before := q.BeforeSeq
	for {
		ms, err := s.Store.FindMessages(ctx, store.MessageFilter{SDKAppID: q.SDKAppID, Channel: q.Channel, BeforeSeq: before, Limit: MaxHistoryPage})
		if err != nil {
			return nil, false, fmt.Errorf("find messages: %w", err)
		}
		for _, m := range ms {
			if !q.To.IsZero() && m.Time.After(q.To) {
				continue
			}
			if !q.From.IsZero() && m.Time.Before(q.From) {
				// Older still are older in time too (sequence follows sending), but
				// imported messages may not: keep looking within this page only.
				continue
			}
			if len(out) == q.Limit {
				return out, true, s.applyRecalls(ctx, q.SDKAppID, out)
			}
			out = append(out, wireMessage(m, 0))
		}
		if len(ms) < MaxHistoryPage {
			return out, false, s.applyRecalls(ctx, q.SDKAppID, out)
		}
		before = ms[len(ms)-1].Seq
	}
}

// FindGroupMessage returns the message of a group at channel sequence seq, or
// MessageNotFound.
func (s *Service) FindGroupMessage(ctx context.Context, sdkAppID int64, groupID string, seq int64) (*store.Message, error) {
	ms, err := s.Store.FindMessages(ctx, store.MessageFilter{SDKAppID: sdkAppID, Channel: store.GroupChannel(groupID), BeforeSeq: seq + 1, Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("find messages: %w", err)
	}
	if len(ms) == 0 || ms[0].Seq != seq {
		return nil, errcode.Errorf(errcode.MessageNotFound, "group %q has no message %d (or it expired)", groupID, seq)
	}
	return ms[0], nil
}
