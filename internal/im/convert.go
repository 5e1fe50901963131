package im

import (
	"encoding/json"
	"strings"

	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// wireMessage returns m as clients see it, at inboxSeq in the reader's inbox (0 when
// not read from an inbox).
func wireMessage(m *store.Message, inboxSeq int64) *protocol.Message {
	w := &protocol.Message{
		ID:              m.ID,
		ClientMsgID:     m.ClientMsgID,
		Type:            string(m.Type),
		From:            m.From,
		To:              m.To,
		GroupID:         m.GroupID,
		Seq:             m.Seq,
		InboxSeq:        inboxSeq,
		Time:            m.Time.UnixMilli(),
		AtUserIDs:       m.AtUserIDs,
		AtAll:           m.AtAll,
		Priority:        m.Priority,
		CloudCustomData: m.CloudCustomData,
	}
	// Both were marshalled by us from the same types; a decode error would be a bug
	// that shows as an empty element list rather than a failed sync.
	json.Unmarshal(m.Elements, &w.Elements)
	if len(m.PushInfo) > 0 {
		w.OfflinePushInfo = new(protocol.OfflinePushInfo)
		json.Unmarshal(m.PushInfo, w.OfflinePushInfo)
	}
	return w
}

func wireConversation(c *store.Conversation, opt store.RecvOpt) *protocol.Conversation {
	w := &protocol.Conversation{
		ID:        c.ID,
		Type:      string(c.Type),
		PeerID:    c.PeerID,
		GroupID:   c.GroupID,
		LastSeq:   c.LastSeq,
		ReadSeq:   c.ReadSeq,
		Unread:    c.Unread,
		RecvOpt:   int(opt),
		UpdatedAt: c.UpdatedAt.UnixMilli(),
	}
	if c.LastMessage != nil {
		w.LastMessage = wireMessage(c.LastMessage, 0)
	}
	return w
}

func wireGroup(g *store.Group, members []*store.GroupMember) *protocol.Group {
	w := &protocol.Group{ID: g.ID, Name: g.Name, FaceURL: g.FaceURL, OwnerID: g.OwnerID, CreatedAt: g.CreatedAt.UnixMilli()}
	for _, m := range members {
		w.Members = append(w.Members, &protocol.GroupMember{UserID: m.UserID, Role: string(m.Role), JoinedAt: m.JoinedAt.UnixMilli()})
	}
	return w
}

// conversationTarget parses "c2c_<peer>" or "group_<groupID>" and returns the
// conversation's type and its peer or group.
func conversationTarget(convID string) (store.ConvType, string, error) {
	if peer, ok := strings.CutPrefix(convID, "c2c_"); ok && peer != "" {
		return store.TypeC2C, peer, nil
	}
	if gid, ok := strings.CutPrefix(convID, "group_"); ok && gid != "" {
		return store.TypeGroup, gid, nil
	}
	return "", "", errcode.Errorf(errcode.InvalidRequest, "conversation ID %q must be c2c_<userID> or group_<groupID>", convID)
}

// WireMessage returns m as clients see it, outside any inbox: what the admin API's
// message search answers.
func WireMessage(m *store.Message) *protocol.Message { return wireMessage(m, 0) }
