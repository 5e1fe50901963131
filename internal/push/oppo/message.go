package oppo

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/herald-im/herald/internal/push"
)

// TargetRegID is target_type 2, a registration ID (vendors.md §6.3).
const TargetRegID = 2

// ExtKey is the action_parameters key that carries Notification.Ext; the app reads it as
// the intent extra "ext".
const ExtKey = "ext"

// Message is one unicast message (vendors.md §6.3).
type Message struct {
	TargetType   int          `json:"target_type"`
	TargetValue  string       `json:"target_value"`
	Notification Notification `json:"notification"`
}

// Notification is the notification object of a Message, with the snake_case keys of
// OPPO's Java SDK (vendors.md §6.3).
type Notification struct {
	Title                string `json:"title"`
	Content              string `json:"content"`
	Style                int    `json:"style"`
	ClickActionType      int    `json:"click_action_type"`
	ClickActionActivity  string `json:"click_action_activity,omitempty"`
	ClickActionURL       string `json:"click_action_url,omitempty"`
	ActionParameters     string `json:"action_parameters,omitempty"`
	ChannelID            string `json:"channel_id,omitempty"`
	Category             string `json:"category,omitempty"`
	NotifyLevel          int    `json:"notify_level,omitempty"`
	NotifyID             int    `json:"notify_id,omitempty"`
	OffLine              bool   `json:"off_line"`
	OffLineTTL           int    `json:"off_line_ttl,omitempty"`
	AppMessageID         string `json:"app_message_id,omitempty"`
	CallBackURL          string `json:"call_back_url,omitempty"`
	CallBackParameter    string `json:"call_back_parameter,omitempty"`
	PrivateMsgTemplateID string `json:"private_msg_template_id,omitempty"`
}

// BuildNotification maps n onto OPPO's notification object for certificate c, leaving
// app_message_id (per regId) and the callback (per Sender) unset. It returns an error,
// used as a Failed reason, when n cannot be sent as it is.
func BuildNotification(c *push.Certificate, n *push.Notification) (*Notification, error) {
	o := &Notification{
		Title:                push.TruncateRunes(n.Title, MaxTitle),
		Content:              push.TruncateRunes(n.Body, MaxContent),
		Style:                1, // standard
		ChannelID:            n.ChannelID,
		Category:             n.Category,
		NotifyLevel:          n.NotifyLevel,
		OffLine:              true,
		PrivateMsgTemplateID: n.TemplateID,
	}
	if isBlank(o.Title) || isBlank(o.Content) {
		return nil, fmt.Errorf("oppo: title and content (body) are required (vendors.md §6.3)")
	}
	if err := checkCategory(n.Category, n.NotifyLevel); err != nil {
		return nil, err
	}
	if err := n.Click.Validate(push.OPPO); err != nil {
		return nil, fmt.Errorf("oppo: %w", err)
	}
	switch n.Click.Type {
	case push.ClickOpenPage:
		o.ClickActionType, o.ClickActionActivity = ClickActivity, n.Click.Target
	case push.ClickOpenURL:
		if utf8.RuneCountInString(n.Click.Target) > MaxClickURL {
			return nil, fmt.Errorf("oppo: click URL is longer than %d characters (vendors.md §6.3)", MaxClickURL)
		}
		o.ClickActionType, o.ClickActionURL = ClickURL, n.Click.Target
	default:
		o.ClickActionType = ClickLaunchApp
	}
	if n.Ext != "" {
		b, err := json.Marshal(map[string]string{ExtKey: n.Ext})
		if err != nil {
			return nil, fmt.Errorf("oppo: encode ext: %w", err)
		}
		if utf8.RuneCount(b) > MaxActionParameters {
			return nil, fmt.Errorf("oppo: ext makes action_parameters %d characters; OPPO allows %d (vendors.md §6.3)", utf8.RuneCount(b), MaxActionParameters)
		}
		o.ActionParameters = string(b)
	}
	switch {
	case n.NotifyID < 0 || n.NotifyID > MaxNotifyID:
		return nil, fmt.Errorf("oppo: notify ID %d is outside 0–%d", n.NotifyID, MaxNotifyID)
	case n.NotifyID > 0:
		o.NotifyID = n.NotifyID
	case n.CollapseID != "":
		o.NotifyID = NotifyIDFor(n.CollapseID)
	}
	if n.TTL > 0 {
		o.OffLineTTL = int(min(n.TTL, MaxOffLineTTL) / time.Second)
		if o.OffLineTTL == 0 {
			o.OffLineTTL = 1
		}
	}
	return o, nil
}

// AppMessageID returns the app_message_id of push messageID to regID: OPPO sends a push
// with a given app_message_id once, so the ID names the push and the phone. It is empty
// when messageID is.
func AppMessageID(messageID, regID string) string {
	if messageID == "" {
		return ""
	}
	if len(messageID) > 40 {
		sum := sha256.Sum256([]byte(messageID))
		messageID = hex.EncodeToString(sum[:16])
	}
	sum := sha256.Sum256([]byte(regID))
	return messageID + "-" + hex.EncodeToString(sum[:4])
}

// NotifyIDFor derives a notify_id in 1–MaxNotifyID from a collapse ID, so that
// notifications with the same collapse ID replace each other (push.NotifyIDFor).
func NotifyIDFor(collapseID string) int { return push.NotifyIDFor(collapseID) }

func isBlank(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) {
			return false
		}
	}
	return true
}
