package push

import (
	"encoding/json"

	"github.com/herald-im/herald/internal/store"
)

// RecalledBody is the text that replaces a recalled message's notification.
const RecalledBody = "[Message recalled]"

// ComposeRecall builds the notification that withdraws a recalled message's
// notification from the lock screen, for the same recipient and certificate as the
// original (in as Compose took it): the same title, the body RecalledBody, and the
// original's replace key, which each vendor maps to its mechanism (docs/push.md,
// "Recall"): APNs apns-collapse-id, FCM tag (and collapse_key, so an undelivered
// original is dropped), Huawei and Honor tag and notify ID, Xiaomi notify_id, vivo
// notifyId, OPPO notify_id, Meizu notifyKey. It badges nothing and is sent at normal
// priority; its ext tells the app the message was recalled. It returns nil for a VoIP
// push, which has no notification to replace (the app showed a call).
func ComposeRecall(in ComposeInput) *Notification {
	orig := Compose(in)
	if orig.PushType == VoIP {
		return nil
	}
	n := &Notification{
		Title:      orig.Title,
		Body:       RecalledBody,
		Click:      orig.Click,
		ChannelID:  orig.ChannelID,
		Category:   orig.Category,
		Importance: orig.Importance,
		// vivo: keep the original's classification, or the replacement is operational
		// and counts against its daily cap.
		Classification: orig.Classification,
		NotifyLevel:    orig.NotifyLevel,
		NoticeMsgType:  orig.NoticeMsgType,
		CollapseID:     or(orig.CollapseID, in.Message.ID),
		Tag:            or(orig.Tag, orig.CollapseID),
		MessageID:      in.Message.ID + ":recall",
		Priority:       Normal,
		ThreadID:       orig.ThreadID,
		PushType:       orig.PushType,
	}
	n.Ext = recalledExt(in.Message, in.Recipient)
	return n
}

func recalledExt(m *store.Message, recipient string) string {
	b, _ := json.Marshal(map[string]any{"herald": map[string]any{
		"conversation_id": m.ConversationID(recipient),
		"message_id":      m.ID,
		"recalled":        true,
	}})
	return string(b)
}
