package im

import (
	"context"
	"errors"
	"fmt"

	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// SendParams is one message to send.
type SendParams struct {
	SDKAppID int64
	From     string
	// FromDevice is the sending device; it gets the message in the reply, so its live
	// copy is skipped. Empty for the admin API.
	FromDevice string
	Request    protocol.SendRequest
	// ByAdmin: sent through the admin API on behalf of From, who need not be a group
	// member.
	ByAdmin bool
	// NoSenderSync: do not store a copy for the sender's other devices (the admin API's
	// SyncOtherMachine=2).
	NoSenderSync bool
	// WithMuteNotifications: an admin send honours the recipients' do-not-disturb and
	// no-notification settings, which it otherwise overrides.
	WithMuteNotifications bool
}

// Send validates, stores and routes one message and returns it as stored. A resend with
// a ClientMsgID the sender already used returns the stored message and stores nothing.
// Online-only messages are routed to connected devices and never stored.
func (s *Service) Send(ctx context.Context, p SendParams) (*protocol.Message, error) {
	req := &p.Request
	if err := checkUserID(p.From, "from"); err != nil {
		return nil, err
	}
	elems, pushInfo, err := s.validateSend(req)
	if err != nil {
		return nil, err
	}
	if _, err := s.Store.FindAccount(ctx, p.SDKAppID, p.From); err != nil {
		return nil, notFound(err, errcode.UserNotFound, "sender %q does not exist; import the account first", p.From)
	}
	w, err := s.send(ctx, p, elems, pushInfo)
	if err != nil && req.ClientMsgID != "" {
		// A resend is not looked for before storing (one read per message saved): the
		// store's unique client message IDs refuse it, and so may a check that has
		// changed since the first send; either way the stored message is the answer.
		if prev, ferr := s.Store.FindMessageByClientID(ctx, p.SDKAppID, p.From, req.ClientMsgID); ferr == nil {
			return wireMessage(prev, 0), nil
		}
	}
	return w, err
}

// send is Send after the request and the sender are checked.
func (s *Service) send(ctx context.Context, p SendParams, elems, pushInfo []byte) (*protocol.Message, error) {
	req := &p.Request
	m := &store.Message{
		SDKAppID:        p.SDKAppID,
		ID:              newMessageID(),
		ClientMsgID:     req.ClientMsgID,
		From:            p.From,
		Time:            s.Now(),
		Elements:        elems,
		AtUserIDs:       req.AtUserIDs,
		AtAll:           req.AtAll,
		Priority:        req.Priority,
		PushInfo:        pushInfo,
		CloudCustomData: req.CloudCustomData,
	}
	var recipients []string
	var err error
	if req.To != "" {
		if req.To == p.From {
			return nil, invalid("to: you cannot send a message to yourself")
		}
		m.Type, m.To = store.TypeC2C, req.To
		recipients, err = s.c2cRecipients(ctx, p.SDKAppID, p.From, req.To)
	} else {
		m.Type, m.GroupID = store.TypeGroup, req.GroupID
		err = s.checkGroupSend(ctx, p, req.AtUserIDs)
		if err == nil && req.OnlineOnly {
			recipients, err = s.groupRecipients(ctx, p)
		}
	}
	if err != nil {
		return nil, err
	}
	if err := s.checkNoSpeaking(ctx, p); err != nil {
		return nil, err
	}

	if req.OnlineOnly {
		if req.ClientMsgID != "" {
			// Never stored, so the store cannot refuse a resend of a stored message.
			if prev, err := s.Store.FindMessageByClientID(ctx, p.SDKAppID, p.From, req.ClientMsgID); err == nil {
				return wireMessage(prev, 0), nil
			} else if !errors.Is(err, store.ErrNotFound) {
				return nil, fmt.Errorf("find message by client id: %w", err)
			}
		}
		return s.sendOnline(ctx, p, m, recipients), nil
	}

	how := SentHow{IgnoreDND: p.ByAdmin && !p.WithMuteNotifications}
	m.PushIgnoreDND = how.IgnoreDND // kept for a push the sweep plans
	var ds []store.Delivery
	var pending bool
	if m.Type == store.TypeGroup {
		// The group's members are not read here: the store writes the copies of the
		// first InlineFanOut members with the message and RunFanOut the rest, so the
		// send call costs the same in a group of 10 or of 100,000.
		var sender *store.Delivery
		if !p.NoSenderSync {
			sender = &store.Delivery{UserID: p.From}
		}
		ds, pending, err = s.Store.CreateGroupMessage(ctx, m, sender, s.inlineFanOut())
	} else {
		ds = make([]store.Delivery, 0, len(recipients)+1)
		for _, u := range recipients {
			ds = append(ds, store.Delivery{UserID: u, Unread: true})
		}
		if !p.NoSenderSync {
			ds = append(ds, store.Delivery{UserID: p.From})
		}
		err = s.Store.CreateMessage(ctx, m, ds)
	}
	if err != nil {
		return nil, fmt.Errorf("create message: %w", err) // ErrConflict: a resend (see Send)
	}
	if pending {
		s.wakeFanOut()
	}
	if s.Stored != nil {
		s.Stored(ctx, m, ds, how)
	}
	var own *protocol.Message
	for _, d := range ds {
		w := wireMessage(m, d.InboxSeq)
		if d.UserID == p.From {
			own = w
		}
		s.route(ctx, p.SDKAppID, d.UserID, &Event{Kind: EventMessage, SourceDevice: sourceFor(d.UserID, p), Message: w})
	}
	if own == nil {
		own = wireMessage(m, 0)
	}
	return own, nil
}

// sourceFor names the device to skip when routing to userID: the sending device, only
// among the sender's own devices.
func sourceFor(userID string, p SendParams) string {
	if userID == p.From {
		return p.FromDevice
	}
	return ""
}

func (s *Service) sendOnline(ctx context.Context, p SendParams, m *store.Message, recipients []string) *protocol.Message {
	w := wireMessage(m, 0)
	w.OnlineOnly = true
	for _, u := range recipients {
		s.route(ctx, p.SDKAppID, u, &Event{Kind: EventMessage, Message: w})
	}
	if !p.NoSenderSync {
		s.route(ctx, p.SDKAppID, p.From, &Event{Kind: EventMessage, SourceDevice: p.FromDevice, Message: w})
	}
	return w
}

// c2cRecipients returns [to], or none when to chose not to receive from from.
func (s *Service) c2cRecipients(ctx context.Context, sdkAppID int64, from, to string) ([]string, error) {
	if _, err := s.Store.FindAccount(ctx, sdkAppID, to); err != nil {
		return nil, notFound(err, errcode.UserNotFound, "recipient %q does not exist", to)
	}
	opts, err := s.Store.FindRecvOptsOfPeer(ctx, sdkAppID, []string{to}, from)
	if err != nil {
		return nil, fmt.Errorf("find receive options: %w", err)
	}
	if opts[to] == store.NotReceive {
		return nil, nil
	}
	return []string{to}, nil
}

// checkGroupSend checks that the group exists, that p.From may send to it and that
// every @-mentioned user is a member (at most 30, one look-up each: the group's
// members are not read on the send path).
func (s *Service) checkGroupSend(ctx context.Context, p SendParams, atUsers []string) error {
	gid := p.Request.GroupID
	if _, err := s.Store.FindGroup(ctx, p.SDKAppID, gid); err != nil {
		return notFound(err, errcode.GroupNotFound, "group %q does not exist", gid)
	}
	if !p.ByAdmin {
		if _, err := s.member(ctx, p.SDKAppID, gid, p.From); err != nil {
			return err
		}
		if err := s.checkNotMuted(ctx, p.SDKAppID, gid, p.From); err != nil {
			return err
		}
	}
	for _, u := range atUsers {
		if _, err := s.Store.FindGroupMember(ctx, p.SDKAppID, gid, u); errors.Is(err, store.ErrNotFound) {
			return invalid("at_user_ids: %q is not a member of group %q", u, gid)
		} else if err != nil {
			return fmt.Errorf("find member: %w", err)
		}
	}
	return nil
}

// groupRecipients pages through the group's members and returns those who receive an
// online-only message: everyone but the sender and members who chose not to receive.
func (s *Service) groupRecipients(ctx context.Context, p SendParams) ([]string, error) {
	gid := p.Request.GroupID
	var out []string
	for after := ""; ; {
		page, err := s.Store.FindGroupMembers(ctx, p.SDKAppID, gid, after, 1000)
		if err != nil {
			return nil, fmt.Errorf("find members: %w", err)
		}
		for _, m := range page {
			if m.UserID != p.From && m.RecvOpt != store.NotReceive {
				out = append(out, m.UserID)
			}
		}
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].UserID
	}
	return out, nil
}

// notFound turns store.ErrNotFound into a user-facing error with code c; other errors
// pass through wrapped.
func notFound(err error, c errcode.Code, format string, args ...any) error {
	if errors.Is(err, store.ErrNotFound) {
		return &errcode.Error{Code: c, Message: fmt.Sprintf(format, args...), Err: err}
	}
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), err)
}

// MaxSyncPage is the most messages one sync answer carries.
const MaxSyncPage = 100

// Sync returns the user's stored messages after inbox sequence after, oldest first.
func (s *Service) Sync(ctx context.Context, sdkAppID int64, userID string, after int64, limit int) (*protocol.SyncResponse, error) {
	if limit <= 0 || limit > MaxSyncPage {
		limit = MaxSyncPage
	}
	es, err := s.Store.FindInbox(ctx, sdkAppID, userID, after, limit+1)
	if err != nil {
		return nil, fmt.Errorf("find inbox: %w", err)
	}
	res := &protocol.SyncResponse{Messages: []*protocol.Message{}}
	if len(es) > limit {
		es, res.More = es[:limit], true
	}
	for _, e := range es {
		res.Messages = append(res.Messages, wireMessage(e.Message, e.InboxSeq))
	}
	if err := s.applyRecalls(ctx, sdkAppID, res.Messages); err != nil {
		return nil, err
	}
	return res, nil
}

// MaxHistoryPage is the most messages one history answer carries.
const MaxHistoryPage = 100

// History pages back through one of the user's conversations, newest first.
func (s *Service) History(ctx context.Context, sdkAppID int64, userID string, req protocol.HistoryRequest) (*protocol.HistoryResponse, error) {
	typ, target, err := conversationTarget(req.ConversationID)
	if err != nil {
		return nil, err
	}
	count := req.Count
	if count <= 0 {
		count = 20
	}
	if count > MaxHistoryPage {
		count = MaxHistoryPage
	}
	f := store.MessageFilter{SDKAppID: sdkAppID, BeforeSeq: req.BeforeSeq, Limit: count + 1}
	if typ == store.TypeC2C {
		f.Channel = store.C2CChannel(userID, target)
	} else {
		if _, err := s.member(ctx, sdkAppID, target, userID); err != nil {
			return nil, err
		}
		f.Channel = store.GroupChannel(target)
	}
	ms, err := s.Store.FindMessages(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("find messages: %w", err)
	}
	res := &protocol.HistoryResponse{Messages: []*protocol.Message{}}
	if len(ms) > count {
		ms, res.More = ms[:count], true
	}
	for _, m := range ms {
		res.Messages = append(res.Messages, wireMessage(m, 0))
	}
	if err := s.applyRecalls(ctx, sdkAppID, res.Messages); err != nil {
		return nil, err
	}
	return res, nil
}
