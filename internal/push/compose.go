package push

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// Placeholders shown for elements that have no text of their own (DESIGN §4).
var placeholders = map[string]string{
	protocol.ElemImage:    "[Image]",
	protocol.ElemSound:    "[Voice]",
	protocol.ElemVideo:    "[Video]",
	protocol.ElemFile:     "[File]",
	protocol.ElemLocation: "[Location]",
	protocol.ElemFace:     "[Sticker]",
	protocol.ElemMerged:   "[Chat History]",
}

// ComposeInput is what Compose needs for one push.
type ComposeInput struct {
	Message  *store.Message
	Elements []protocol.Element
	PushInfo *protocol.OfflinePushInfo // nil: defaults everywhere
	// SenderName is the sender's nickname (or user ID); GroupName the group's name.
	SenderName string
	GroupName  string
	// Recipient is the user pushed to: it decides the [@you] prefix and the conversation
	// in the default ext.
	Recipient   string
	Certificate *Certificate
	// Badge is the app icon badge after this push, or nil to leave it.
	Badge *int
}

// Compose builds the notification of one message for one recipient and one vendor
// (DESIGN §4): the push info where it says something, else the certificate's defaults,
// else what the message itself says.
func Compose(in ComposeInput) *Notification {
	info := in.PushInfo
	if info == nil {
		info = &protocol.OfflinePushInfo{}
	}
	c, m := in.Certificate, in.Message
	n := &Notification{
		Title:     info.Title,
		Body:      info.Desc,
		Ext:       info.Ext,
		Click:     c.Click,
		Badge:     in.Badge,
		MessageID: m.ID,
		Priority:  High,
	}
	if n.Title == "" {
		n.Title = in.SenderName
		if m.Type == store.TypeGroup {
			n.Title = in.GroupName
		}
	}
	if n.Body == "" {
		n.Body = bodyOf(in.Elements)
		if m.Type == store.TypeGroup && in.SenderName != "" {
			n.Body = in.SenderName + ": " + n.Body
		}
	}
	if m.Type == store.TypeGroup {
		switch {
		case slices.Contains(m.AtUserIDs, in.Recipient):
			n.Body = "[@you] " + n.Body
		case m.AtAll:
			n.Body = "[@all] " + n.Body
		}
	}
	if n.Ext == "" {
		n.Ext = defaultExt(m, in.Recipient)
	}
	n.ThreadID = m.ConversationID(in.Recipient)
	// Each message's notification carries its message ID in the vendor's replace
	// mechanism, so that a recall can replace it on the lock screen (ComposeRecall).
	// FCM gets it as a display tag only: collapse_key keeps at most 4 keys per device
	// and would drop undelivered messages.
	switch {
	case info.CollapseID != "":
		n.CollapseID = info.CollapseID // the sender's own: replaced by its next push
	case c.Vendor == FCM:
		n.Tag = m.ID
	default:
		n.CollapseID = m.ID
	}
	n.TTL = time.Duration(info.TTL) * time.Second
	if info.PushPriority == "normal" {
		n.Priority = Normal
	}

	// Per-vendor values from the push info win over the certificate's defaults.
	n.ChannelID, n.Category, n.Importance = c.ChannelID, c.Category, c.Importance
	n.NotifyLevel, n.NoticeMsgType, n.TemplateID = c.NotifyLevel, c.NoticeMsgType, c.TemplateID
	if c.Vendor == Vivo {
		cl := c.Classification
		n.Classification = &cl
	}
	n.Sound = info.AndroidSound
	switch c.Vendor {
	case FCM:
		n.ChannelID = or(info.FCMChannelID, n.ChannelID)
		n.Image = info.FCMImage
	case Xiaomi:
		n.ChannelID = or(info.XiaomiChannelID, n.ChannelID)
	case OPPO:
		n.ChannelID = or(info.OPPOChannelID, n.ChannelID)
		n.Category = or(info.OPPOCategory, n.Category)
		if info.OPPONotifyLevel != 0 {
			n.NotifyLevel = info.OPPONotifyLevel
		}
		n.TemplateID = or(info.OPPOTemplateID, n.TemplateID)
	case Vivo:
		n.Category = or(info.VivoCategory, n.Category)
		if info.VivoClassification != nil {
			n.Classification = info.VivoClassification
		}
	case Huawei:
		n.Category = or(info.HuaweiCategory, n.Category)
		n.Importance = or(info.HuaweiImportance, n.Importance)
		n.Image = info.HuaweiImage
	case Honor:
		n.Importance = or(info.HonorImportance, n.Importance)
		n.Image = info.HonorImage
	case Meizu:
		if info.MeizuNoticeMsgType != nil {
			n.NoticeMsgType = *info.MeizuNoticeMsgType
		}
	case APNs:
		n.Sound = or(info.IOSSound, "default") // NoSound stays NoSound: silent
		n.Subtitle = info.IOSSubtitle
		n.Image = info.IOSImage
		n.MutableContent = info.IOSMutableContent || info.IOSImage != ""
		n.InterruptionLevel = info.IOSInterruption
		if info.IOSPushType == "voip" || c.VoIP {
			n.PushType = VoIP
		}
		if info.IgnoreIOSBadge {
			n.Badge = nil
		}
	}
	return n
}

// bodyOf is the text a message shows when its push info gives none: the text of its
// text elements, a custom element's description, or a placeholder.
func bodyOf(elems []protocol.Element) string {
	for _, e := range elems {
		switch e.Type {
		case protocol.ElemText:
			return e.Text
		case protocol.ElemCustom:
			if e.Desc != "" {
				return e.Desc
			}
		default:
			if p, ok := placeholders[e.Type]; ok {
				return p
			}
		}
	}
	return ""
}

// CustomWithoutDesc reports whether a message is custom-only with nothing to show: no
// push info description and no element description (DESIGN §3 rule 8).
func CustomWithoutDesc(elems []protocol.Element, info *protocol.OfflinePushInfo) bool {
	if info != nil && info.Desc != "" {
		return false
	}
	for _, e := range elems {
		if e.Type != protocol.ElemCustom || e.Desc != "" {
			return false
		}
	}
	return len(elems) > 0
}

// defaultExt tells the app which conversation and message to open when the sender gave
// no ext of its own.
func defaultExt(m *store.Message, recipient string) string {
	b, _ := json.Marshal(map[string]any{"herald": map[string]any{
		"conversation_id": m.ConversationID(recipient),
		"message_id":      m.ID,
		"seq":             m.Seq,
	}})
	return string(b)
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
