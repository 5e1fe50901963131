package client

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"

	"github.com/herald-im/herald/protocol"
)

// Priority is a group message's priority.
type Priority string

// Message priorities, as the commercial SDK names them.
const (
	PriorityDefault Priority = ""
	PriorityHigh    Priority = "high"
	PriorityNormal  Priority = "normal"
	PriorityLow     Priority = "low"
)

func newClientMsgID() string {
	b := make([]byte, 12)
	crand.Read(b)
	return hex.EncodeToString(b)
}

func newMessage(e Element) *Message {
	return &Message{ClientMsgID: newClientMsgID(), Elements: []Element{e}}
}

// NewTextMessage returns a text message to send.
func NewTextMessage(text string) *Message {
	return newMessage(Element{Type: protocol.ElemText, Text: text})
}

// NewCustomMessage returns a custom message; desc is its push text (without it, a custom
// message is not pushed).
func NewCustomMessage(data, desc, ext string) *Message {
	return newMessage(Element{Type: protocol.ElemCustom, Data: data, Desc: desc, Ext: ext})
}

// NewImageMessage returns an image message pointing at url.
func NewImageMessage(url string, width, height int, size int64) *Message {
	return newMessage(Element{Type: protocol.ElemImage, URL: url, Width: width, Height: height, Size: size})
}

// NewSoundMessage returns a voice message of duration seconds.
func NewSoundMessage(url string, duration int, size int64) *Message {
	return newMessage(Element{Type: protocol.ElemSound, URL: url, Duration: duration, Size: size})
}

// NewVideoMessage returns a video message.
func NewVideoMessage(url, thumbURL string, duration int, size int64) *Message {
	return newMessage(Element{Type: protocol.ElemVideo, URL: url, ThumbURL: thumbURL, Duration: duration, Size: size})
}

// NewFileMessage returns a file message.
func NewFileMessage(url, name string, size int64) *Message {
	return newMessage(Element{Type: protocol.ElemFile, URL: url, Name: name, Size: size})
}

// NewLocationMessage returns a location message.
func NewLocationMessage(desc string, latitude, longitude float64) *Message {
	return newMessage(Element{Type: protocol.ElemLocation, Desc: desc, Latitude: latitude, Longitude: longitude})
}

// NewFaceMessage returns a sticker message.
func NewFaceMessage(index int, data string) *Message {
	return newMessage(Element{Type: protocol.ElemFace, Index: index, Data: data})
}

// NewMergerMessage returns a message forwarding msgs as one chat-history element.
func NewMergerMessage(msgs []*Message, title string, abstracts []string) *Message {
	return newMessage(Element{Type: protocol.ElemMerged, Title: title, Abstracts: abstracts, Messages: msgs})
}

// SendMessage sends msg to a user (receiver) or a group (groupID) and returns it as
// the server stored it. onlineUserOnly messages (typing indicators) reach connected
// devices only and are never stored or pushed. pushInfo says how offline devices are
// notified (nil: by default). A send interrupted by a disconnect is retried after the
// reconnect and stored once (msg.ClientMsgID deduplicates).
func (c *Client) SendMessage(ctx context.Context, msg *Message, receiver, groupID string, priority Priority, onlineUserOnly bool, pushInfo *OfflinePushInfo) (*Message, error) {
	if msg.ClientMsgID == "" {
		msg.ClientMsgID = newClientMsgID()
	}
	req := protocol.SendRequest{
		To: receiver, GroupID: groupID, ClientMsgID: msg.ClientMsgID, Elements: msg.Elements,
		AtUserIDs: msg.AtUserIDs, AtAll: msg.AtAll, Priority: string(priority), OnlineOnly: onlineUserOnly,
		OfflinePushInfo: pushInfo, CloudCustomData: msg.CloudCustomData,
	}
	if !onlineUserOnly {
		// Known before the send: the inbox copy may arrive before the answer does.
		c.sending(msg.ClientMsgID)
	}
	var res protocol.SendResponse
	if err := c.call(ctx, protocol.OpSend, req, &res); err != nil {
		return nil, err
	}
	if !onlineUserOnly {
		c.sent(res.Message)
	}
	return res.Message, nil
}

// GetC2CHistoryMessageList returns up to count messages with userID, newest first,
// older than lastMsg (nil: from the newest).
func (c *Client) GetC2CHistoryMessageList(ctx context.Context, userID string, count int, lastMsg *Message) ([]*Message, error) {
	return c.history(ctx, "c2c_"+userID, count, lastMsg)
}

// GetGroupHistoryMessageList returns up to count messages of groupID, newest first,
// older than lastMsg (nil: from the newest).
func (c *Client) GetGroupHistoryMessageList(ctx context.Context, groupID string, count int, lastMsg *Message) ([]*Message, error) {
	return c.history(ctx, "group_"+groupID, count, lastMsg)
}

func (c *Client) history(ctx context.Context, convID string, count int, lastMsg *Message) ([]*Message, error) {
	req := protocol.HistoryRequest{ConversationID: convID, Count: count}
	if lastMsg != nil {
		req.BeforeSeq = lastMsg.Seq
	}
	var res protocol.HistoryResponse
	if err := c.call(ctx, protocol.OpHistory, req, &res); err != nil {
		return nil, err
	}
	return res.Messages, nil
}

// RevokeMessage recalls msg (the commercial SDK's revokeMessage): your own message within
// the app's recall window (2 minutes by default), or any message of a group you own or
// administer. Every device of everyone who has it gets OnRecvMessageRevoked, and history
// shows it recalled. It returns the message as recalled.
func (c *Client) RevokeMessage(ctx context.Context, msg *Message) (*Message, error) {
	var res Message
	if err := c.call(ctx, protocol.OpRevokeMessage, protocol.RevokeMessageRequest{MessageID: msg.ID}, &res); err != nil {
		return nil, err
	}
	return &res, nil
}
