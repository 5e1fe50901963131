package client

import (
	"context"

	"github.com/herald-im/herald/protocol"
)

// ConversationList is the user's conversations, newest first, and the total unread.
type ConversationList = protocol.ConversationsResponse

// GetConversationList returns the user's conversations.
func (c *Client) GetConversationList(ctx context.Context) (*ConversationList, error) {
	var res ConversationList
	if err := c.call(ctx, protocol.OpConversations, nil, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// MarkC2CMessageAsRead marks the conversation with userID read; the user's other
// devices get OnConversationChanged.
func (c *Client) MarkC2CMessageAsRead(ctx context.Context, userID string) (*Conversation, error) {
	return c.markRead(ctx, "c2c_"+userID)
}

// MarkGroupMessageAsRead marks the group's conversation read.
func (c *Client) MarkGroupMessageAsRead(ctx context.Context, groupID string) (*Conversation, error) {
	return c.markRead(ctx, "group_"+groupID)
}

func (c *Client) markRead(ctx context.Context, convID string) (*Conversation, error) {
	var res Conversation
	if err := c.call(ctx, protocol.OpMarkRead, protocol.MarkReadRequest{ConversationID: convID}, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// ReceiveMessageOpt is how messages of a conversation are received.
type ReceiveMessageOpt int

// Receive options, with the commercial SDK's numbers.
const (
	ReceiveMessage                  ReceiveMessageOpt = protocol.RecvMessage
	NotReceiveMessage               ReceiveMessageOpt = protocol.NotRecvMessage
	ReceiveNotNotifyMessage         ReceiveMessageOpt = protocol.RecvNotNotify
	ReceiveNotNotifyMessageExceptAt ReceiveMessageOpt = protocol.RecvNotNotifyExceptAt
)

// SetC2CReceiveMessageOpt sets how messages from up to 30 users are received.
func (c *Client) SetC2CReceiveMessageOpt(ctx context.Context, userIDs []string, opt ReceiveMessageOpt) error {
	return c.call(ctx, protocol.OpSetC2CRecvOpt, protocol.SetC2CRecvOptRequest{UserIDs: userIDs, Opt: int(opt)}, nil)
}

// GetC2CReceiveMessageOpt returns the options set for users.
func (c *Client) GetC2CReceiveMessageOpt(ctx context.Context, userIDs []string) (map[string]ReceiveMessageOpt, error) {
	var res protocol.GetC2CRecvOptResponse
	if err := c.call(ctx, protocol.OpGetC2CRecvOpt, protocol.GetC2CRecvOptRequest{UserIDs: userIDs}, &res); err != nil {
		return nil, err
	}
	out := make(map[string]ReceiveMessageOpt, len(res.Opts))
	for u, o := range res.Opts {
		out[u] = ReceiveMessageOpt(o)
	}
	return out, nil
}

// SetGroupReceiveMessageOpt sets how the group's messages are received.
func (c *Client) SetGroupReceiveMessageOpt(ctx context.Context, groupID string, opt ReceiveMessageOpt) error {
	return c.call(ctx, protocol.OpSetGroupRecv, protocol.SetGroupRecvOptRequest{GroupID: groupID, Opt: int(opt)}, nil)
}

// SetAllReceiveMessageOpt sets a daily do-not-disturb window starting at the given UTC
// time of day and lasting duration seconds (0 turns it off).
func (c *Client) SetAllReceiveMessageOpt(ctx context.Context, startHour, startMinute, startSecond, duration int) error {
	start := startHour*3600 + startMinute*60 + startSecond
	return c.call(ctx, protocol.OpSetDND, protocol.SetDNDRequest{Start: start, Duration: duration}, nil)
}

// SetSelfInfo changes the user's nickname and face URL (nil leaves one unchanged).
func (c *Client) SetSelfInfo(ctx context.Context, nickname, faceURL *string) error {
	return c.call(ctx, protocol.OpSetProfile, protocol.SetProfileRequest{Nickname: nickname, FaceURL: faceURL}, nil)
}
