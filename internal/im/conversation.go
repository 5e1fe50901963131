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

// Conversations returns the user's conversations, newest first, with their unread
// counts, receive options and the total unread.
func (s *Service) Conversations(ctx context.Context, sdkAppID int64, userID string) (*protocol.ConversationsResponse, error) {
	cs, err := s.Store.FindConversations(ctx, sdkAppID, userID)
	if err != nil {
		return nil, fmt.Errorf("find conversations: %w", err)
	}
	var peers []string
	for _, c := range cs {
		if c.Type == store.TypeC2C {
			peers = append(peers, c.PeerID)
		}
	}
	c2cOpts, err := s.Store.FindC2CRecvOpts(ctx, sdkAppID, userID, peers)
	if err != nil {
		return nil, fmt.Errorf("find receive options: %w", err)
	}
	res := &protocol.ConversationsResponse{Conversations: []*protocol.Conversation{}}
	for _, c := range cs {
		opt, err := s.recvOpt(ctx, c, c2cOpts)
		if err != nil {
			return nil, err
		}
		res.Conversations = append(res.Conversations, wireConversation(c, opt))
		res.TotalUnread += c.Unread
	}
	// A recalled last message shows as recalled here too.
	var last []*protocol.Message
	for _, c := range res.Conversations {
		if c.LastMessage != nil {
			last = append(last, c.LastMessage)
		}
	}
	if err := s.applyRecalls(ctx, sdkAppID, last); err != nil {
		return nil, err
	}
	return res, nil
}

func (s *Service) recvOpt(ctx context.Context, c *store.Conversation, c2cOpts map[string]store.RecvOpt) (store.RecvOpt, error) {
	if c.Type == store.TypeC2C {
		return c2cOpts[c.PeerID], nil
	}
	m, err := s.Store.FindGroupMember(ctx, c.SDKAppID, c.GroupID, c.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Receive, nil // a group the user has left keeps its history
	}
	if err != nil {
		return 0, fmt.Errorf("find member: %w", err)
	}
	return m.RecvOpt, nil
}

// MarkRead marks a conversation read up to seq (0 = everything) and tells the user's
// other devices.
func (s *Service) MarkRead(ctx context.Context, sdkAppID int64, userID, sourceDevice string, req protocol.MarkReadRequest) (*protocol.Conversation, error) {
	if _, _, err := conversationTarget(req.ConversationID); err != nil {
		return nil, err
	}
	if req.Seq < 0 {
		return nil, invalid("seq cannot be negative")
	}
	seq := req.Seq
	if seq == 0 {
		c, err := s.Store.FindConversation(ctx, sdkAppID, userID, req.ConversationID)
		if err != nil {
			return nil, notFound(err, errcode.ConversationNotFound, "you have no conversation %q", req.ConversationID)
		}
		seq = c.LastSeq
	}
	c, err := s.Store.MarkConversationRead(ctx, sdkAppID, userID, req.ConversationID, seq)
	if err != nil {
		return nil, notFound(err, errcode.ConversationNotFound, "you have no conversation %q", req.ConversationID)
	}
	opts, err := s.Store.FindC2CRecvOpts(ctx, sdkAppID, userID, []string{c.PeerID})
	if err != nil {
		return nil, fmt.Errorf("find receive options: %w", err)
	}
	opt, err := s.recvOpt(ctx, c, opts)
	if err != nil {
		return nil, err
	}
	w := wireConversation(c, opt)
	s.route(ctx, sdkAppID, userID, &Event{Kind: EventConversation, SourceDevice: sourceDevice, Conversation: w})
	return w, nil
}

func checkRecvOpt(opt int, group bool) (store.RecvOpt, error) {
	switch opt {
	case protocol.RecvMessage, protocol.NotRecvMessage, protocol.RecvNotNotify:
		return store.RecvOpt(opt), nil
	case protocol.RecvNotNotifyExceptAt:
		if group {
			return store.RecvOpt(opt), nil
		}
	}
	if group {
		return 0, invalid("opt %d: use 0 receive, 1 do not receive, 2 receive without notification, 3 notify only when @-mentioned", opt)
	}
	return 0, invalid("opt %d: use 0 receive, 1 do not receive, 2 receive without notification", opt)
}

// SetC2CRecvOpt sets how userID receives messages from up to MaxRecvOptUsers peers.
func (s *Service) SetC2CRecvOpt(ctx context.Context, sdkAppID int64, userID string, req protocol.SetC2CRecvOptRequest) error {
	if len(req.UserIDs) == 0 || len(req.UserIDs) > MaxRecvOptUsers {
		return invalid("user_ids must name 1-%d users", MaxRecvOptUsers)
	}
	for _, u := range req.UserIDs {
		if err := checkUserID(u, "user_ids"); err != nil {
			return err
		}
	}
	opt, err := checkRecvOpt(req.Opt, false)
	if err != nil {
		return err
	}
	if err := s.Store.SetC2CRecvOpt(ctx, sdkAppID, userID, req.UserIDs, opt); err != nil {
		return fmt.Errorf("set receive option: %w", err)
	}
	return nil
}

// GetC2CRecvOpt returns the options userID set for peers (0 where none was set).
func (s *Service) GetC2CRecvOpt(ctx context.Context, sdkAppID int64, userID string, req protocol.GetC2CRecvOptRequest) (*protocol.GetC2CRecvOptResponse, error) {
	if len(req.UserIDs) == 0 || len(req.UserIDs) > MaxRecvOptUsers {
		return nil, invalid("user_ids must name 1-%d users", MaxRecvOptUsers)
	}
	opts, err := s.Store.FindC2CRecvOpts(ctx, sdkAppID, userID, req.UserIDs)
	if err != nil {
		return nil, fmt.Errorf("find receive options: %w", err)
	}
	res := &protocol.GetC2CRecvOptResponse{Opts: map[string]int{}}
	for _, u := range req.UserIDs {
		res.Opts[u] = int(opts[u])
	}
	return res, nil
}

// SetGroupRecvOpt sets how userID receives a group's messages.
func (s *Service) SetGroupRecvOpt(ctx context.Context, sdkAppID int64, userID string, req protocol.SetGroupRecvOptRequest) error {
	if err := checkGroupID(req.GroupID); err != nil {
		return err
	}
	opt, err := checkRecvOpt(req.Opt, true)
	if err != nil {
		return err
	}
	err = s.Store.UpdateGroupMember(ctx, sdkAppID, req.GroupID, userID, store.GroupMemberUpdate{RecvOpt: &opt})
	if errors.Is(err, store.ErrNotFound) {
		return errcode.Errorf(errcode.PermissionDenied, "you are not a member of group %q", req.GroupID)
	}
	if err != nil {
		return fmt.Errorf("set group receive option: %w", err)
	}
	return nil
}

// SetDND sets the user's daily do-not-disturb window.
func (s *Service) SetDND(ctx context.Context, sdkAppID int64, userID string, req protocol.SetDNDRequest) error {
	if req.Start < 0 || req.Start >= 86400 {
		return invalid("start is seconds after midnight UTC: 0-86399")
	}
	if req.Duration < 0 || req.Duration > 86400 {
		return invalid("duration is 0-86400 seconds")
	}
	start, dur := time.Duration(req.Start)*time.Second, time.Duration(req.Duration)*time.Second
	err := s.Store.UpdateAccount(ctx, sdkAppID, userID, store.AccountUpdate{DNDStart: &start, DNDDuration: &dur})
	if err != nil {
		return notFound(err, errcode.UserNotFound, "account %q does not exist", userID)
	}
	return nil
}

// InDND reports whether t falls in a's daily do-not-disturb window.
func InDND(a *store.Account, t time.Time) bool {
	if a.DNDDuration <= 0 {
		return false
	}
	t = t.UTC()
	sinceMidnight := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second
	off := sinceMidnight - a.DNDStart
	if off < 0 {
		off += 24 * time.Hour
	}
	return off < a.DNDDuration
}
