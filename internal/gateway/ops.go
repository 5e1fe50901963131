package gateway

import (
	"context"
	"encoding/json"

	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/protocol"
)

// handle answers one request frame; every request gets exactly one reply.
func (s *session) handle(ctx context.Context, f *protocol.Frame) {
	if f.Seq == 0 {
		s.replyErr(ctx, f, errcode.Errorf(errcode.InvalidRequest, "every request needs a positive seq; its answer carries the same seq"))
		return
	}
	if f.Op == protocol.OpHeartbeat {
		s.reply(ctx, f, protocol.HeartbeatResponse{ServerTime: s.g.Now().UnixMilli()})
		return
	}
	if f.Op == protocol.OpLogin {
		s.login(ctx, f)
		return
	}
	op, ok := ops[f.Op]
	if !ok {
		s.replyErr(ctx, f, errcode.Errorf(errcode.UnknownOp, "unknown op %q; see docs/protocol.md", f.Op))
		return
	}
	if !s.loggedIn.Load() {
		s.replyErr(ctx, f, errcode.Errorf(errcode.NotLoggedIn, "log in first"))
		return
	}
	res, err := op(ctx, s, f.Data)
	if err != nil {
		s.replyErr(ctx, f, err)
		return
	}
	s.reply(ctx, f, res)
}

// decode reads a request's data into v, with a clear error for bad JSON.
func decode(data json.RawMessage, v any) error {
	if len(data) == 0 {
		data = []byte("{}")
	}
	if err := json.Unmarshal(data, v); err != nil {
		return errcode.Wrap(errcode.InvalidRequest, err, "data does not match this op: "+err.Error())
	}
	return nil
}

type opFunc func(ctx context.Context, s *session, data json.RawMessage) (any, error)

// typed adapts a handler of one request type to an opFunc.
func typed[Req any](h func(ctx context.Context, s *session, req Req) (any, error)) opFunc {
	return func(ctx context.Context, s *session, data json.RawMessage) (any, error) {
		var req Req
		if err := decode(data, &req); err != nil {
			return nil, err
		}
		return h(ctx, s, req)
	}
}

var ops = map[string]opFunc{
	protocol.OpLogout: func(ctx context.Context, s *session, _ json.RawMessage) (any, error) {
		if err := s.g.IM.Logout(ctx, s.app, s.user, s.device); err != nil {
			return nil, err
		}
		s.loggedIn.Store(false) // the reader loop closes the connection after the reply
		return nil, nil
	},
	protocol.OpSend: typed(func(ctx context.Context, s *session, req protocol.SendRequest) (any, error) {
		m, err := s.g.IM.Send(ctx, im.SendParams{SDKAppID: s.app, From: s.user, FromDevice: s.device, Request: req})
		if err != nil {
			return nil, err
		}
		return protocol.SendResponse{Message: m}, nil
	}),
	protocol.OpRevokeMessage: typed(func(ctx context.Context, s *session, req protocol.RevokeMessageRequest) (any, error) {
		return s.g.IM.Recall(ctx, im.RecallParams{SDKAppID: s.app, By: s.user, ByDevice: s.device, MessageID: req.MessageID})
	}),
	protocol.OpAck: typed(func(ctx context.Context, s *session, req protocol.AckRequest) (any, error) {
		if err := s.g.IM.Ack(ctx, s.app, s.user, s.device, req.InboxSeq, s.delivered.Load()); err != nil {
			return nil, err
		}
		s.acked.Store(req.InboxSeq)
		s.ackedUpTo(req.InboxSeq)
		return nil, nil
	}),
	protocol.OpSync: typed(func(ctx context.Context, s *session, req protocol.SyncRequest) (any, error) {
		return s.g.IM.Sync(ctx, s.app, s.user, req.AfterSeq, req.Limit)
	}),
	protocol.OpHistory: typed(func(ctx context.Context, s *session, req protocol.HistoryRequest) (any, error) {
		return s.g.IM.History(ctx, s.app, s.user, req)
	}),
	protocol.OpConversations: func(ctx context.Context, s *session, _ json.RawMessage) (any, error) {
		return s.g.IM.Conversations(ctx, s.app, s.user)
	},
	protocol.OpMarkRead: typed(func(ctx context.Context, s *session, req protocol.MarkReadRequest) (any, error) {
		return s.g.IM.MarkRead(ctx, s.app, s.user, s.device, req)
	}),
	protocol.OpSetC2CRecvOpt: typed(func(ctx context.Context, s *session, req protocol.SetC2CRecvOptRequest) (any, error) {
		return nil, s.g.IM.SetC2CRecvOpt(ctx, s.app, s.user, req)
	}),
	protocol.OpGetC2CRecvOpt: typed(func(ctx context.Context, s *session, req protocol.GetC2CRecvOptRequest) (any, error) {
		return s.g.IM.GetC2CRecvOpt(ctx, s.app, s.user, req)
	}),
	protocol.OpSetGroupRecv: typed(func(ctx context.Context, s *session, req protocol.SetGroupRecvOptRequest) (any, error) {
		return nil, s.g.IM.SetGroupRecvOpt(ctx, s.app, s.user, req)
	}),
	protocol.OpSetDND: typed(func(ctx context.Context, s *session, req protocol.SetDNDRequest) (any, error) {
		return nil, s.g.IM.SetDND(ctx, s.app, s.user, req)
	}),
	protocol.OpSetProfile: typed(func(ctx context.Context, s *session, req protocol.SetProfileRequest) (any, error) {
		return nil, s.g.IM.SetProfile(ctx, s.app, s.user, req)
	}),
	protocol.OpSetPushConfig: typed(func(ctx context.Context, s *session, req protocol.SetPushConfigRequest) (any, error) {
		return nil, s.g.IM.SetPushConfig(ctx, s.app, s.user, s.device, req)
	}),
	protocol.OpBackground: typed(func(ctx context.Context, s *session, req protocol.BackgroundRequest) (any, error) {
		return nil, s.g.IM.SetBackground(ctx, s.app, s.user, s.device, true, req.Unread)
	}),
	protocol.OpForeground: func(ctx context.Context, s *session, _ json.RawMessage) (any, error) {
		return nil, s.g.IM.SetBackground(ctx, s.app, s.user, s.device, false, 0)
	},
	protocol.OpCreateGroup: typed(func(ctx context.Context, s *session, req protocol.CreateGroupRequest) (any, error) {
		return s.g.IM.CreateGroup(ctx, s.app, s.user, req)
	}),
	protocol.OpGetGroup: typed(func(ctx context.Context, s *session, req protocol.GetGroupRequest) (any, error) {
		return s.g.IM.GetGroup(ctx, s.app, s.user, false, req.GroupID)
	}),
	protocol.OpSetMemberRole: typed(func(ctx context.Context, s *session, req protocol.SetMemberRoleRequest) (any, error) {
		return nil, s.g.IM.SetMemberRole(ctx, s.app, s.user, false, req)
	}),
	protocol.OpAddMembers: typed(func(ctx context.Context, s *session, req protocol.MembersRequest) (any, error) {
		return s.g.IM.AddMembers(ctx, s.app, s.user, false, req)
	}),
	protocol.OpRemoveMembers: typed(func(ctx context.Context, s *session, req protocol.MembersRequest) (any, error) {
		return s.g.IM.RemoveMembers(ctx, s.app, s.user, false, req)
	}),
}

// login authenticates the connection as one device and starts delivery.
func (s *session) login(ctx context.Context, f *protocol.Frame) {
	if s.loggedIn.Load() || s.user != "" {
		s.replyErr(ctx, f, errcode.Errorf(errcode.InvalidRequest, "this connection is already logged in; open a new one for another user"))
		return
	}
	var req protocol.LoginRequest
	if err := decodeLogin(f.Data, &req); err != nil {
		s.replyErr(ctx, f, err)
		return
	}
	if err := s.verifyLogin(ctx, &req); err != nil {
		s.replyErr(ctx, f, err)
		return
	}
	s.app, s.user, s.device = req.SDKAppID, req.UserID, req.DeviceID
	// Subscribe before the login is recorded, so no event routed after it is missed.
	if err := s.g.Hub.add(s); err != nil {
		s.user = ""
		s.replyErr(ctx, f, err)
		return
	}
	res, err := s.g.IM.Login(ctx, im.LoginParams{SDKAppID: req.SDKAppID, UserID: req.UserID, DeviceID: req.DeviceID, Platform: req.Platform, Session: s.nodeSession()})
	if err != nil {
		s.g.Hub.remove(s)
		s.user = ""
		s.replyErr(ctx, f, err)
		return
	}
	d := res.Device
	start := d.AckedSeq
	if req.AckedSeq > start {
		start = min(req.AckedSeq, d.DeliveredSeq)
	}
	// Whatever was stored after the login was written reaches the session as an event
	// (it subscribed before): with nothing in the inbox past start, there is nothing to
	// catch up on from the store.
	s.behind = start < res.InboxSeq
	s.delivered.Store(start)
	s.acked.Store(d.AckedSeq)
	s.authenticated()
	s.reply(ctx, f, protocol.LoginResponse{
		ServerTime:        s.g.Now().UnixMilli(),
		HeartbeatInterval: int(s.g.Heartbeat.Seconds()),
		InboxSeq:          start,
	})
	s.loggedIn.Store(true)
}
