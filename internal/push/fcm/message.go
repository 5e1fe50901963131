package fcm

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/herald-im/herald/internal/push"
)

// Message is the v1 message resource as Herald fills it (vendors.md §1.2). The simulator
// decodes requests with the same field names.
type Message struct {
	Token        string               `json:"token,omitempty"`
	Notification *MessageNotification `json:"notification,omitempty"`
	Data         map[string]string    `json:"data,omitempty"`
	Android      *AndroidConfig       `json:"android,omitempty"`
}

// MessageNotification is message.notification, shown on every platform.
type MessageNotification struct {
	Title string `json:"title,omitempty"`
	Body  string `json:"body,omitempty"`
	Image string `json:"image,omitempty"`
}

// AndroidConfig is message.android.
type AndroidConfig struct {
	CollapseKey           string               `json:"collapse_key,omitempty"`
	Priority              string               `json:"priority,omitempty"` // NORMAL or HIGH
	TTL                   string               `json:"ttl,omitempty"`      // a protobuf Duration: "86400s"
	RestrictedPackageName string               `json:"restricted_package_name,omitempty"`
	Notification          *AndroidNotification `json:"notification,omitempty"`
}

// AndroidNotification is message.android.notification.
type AndroidNotification struct {
	Sound             string `json:"sound,omitempty"`
	Tag               string `json:"tag,omitempty"`
	ClickAction       string `json:"click_action,omitempty"`
	ChannelID         string `json:"channel_id,omitempty"`
	NotificationCount *int   `json:"notification_count,omitempty"`
}

// newMessage maps n onto an FCM message without a token (vendors.md §1.2 field map).
func newMessage(c *push.Certificate, n *push.Notification) *Message {
	m := &Message{Notification: &MessageNotification{Title: n.Title, Body: n.Body, Image: n.Image}}
	if n.Ext != "" {
		// Data keys reach the launcher activity as intent extras on tap.
		m.Data = map[string]string{"ext": n.Ext}
	}
	a := &AndroidConfig{Priority: "HIGH", RestrictedPackageName: c.PackageName}
	if n.Priority == push.Normal {
		a.Priority = "NORMAL"
	}
	if n.TTL > 0 {
		a.TTL = strconv.FormatInt(int64((n.TTL+time.Second-1)/time.Second), 10) + "s"
	}
	an := &AndroidNotification{Sound: n.Sound, ChannelID: n.ChannelID, NotificationCount: n.Badge}
	switch {
	case n.CollapseID != "":
		// collapse_key drops an undelivered older message; tag replaces a shown one.
		a.CollapseKey, an.Tag = n.CollapseID, n.CollapseID
	case n.NotifyID != 0:
		a.CollapseKey = strconv.Itoa(n.NotifyID)
		an.Tag = a.CollapseKey
	}
	if n.Tag != "" {
		an.Tag = n.Tag
	}
	if *an != (AndroidNotification{}) {
		a.Notification = an
	}
	m.Android = a
	return m
}

// encodeMessage returns the JSON of n's message without a token, its body shortened on a
// rune boundary if that makes it fit MaxPayloadBytes (vendors.md §1.2). It fails when
// even an empty body does not fit.
func encodeMessage(c *push.Certificate, n *push.Notification) ([]byte, error) {
	m := newMessage(c, n)
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode message: %w", err)
	}
	if len(b) > MaxPayloadBytes {
		body := m.Notification.Body
		// Escaping can make the encoded body longer than the text, so shrink until it fits.
		for len(b) > MaxPayloadBytes && body != "" {
			body = push.TruncateBytes(body, len(body)-(len(b)-MaxPayloadBytes))
			m.Notification.Body = body
			if b, err = json.Marshal(m); err != nil {
				return nil, fmt.Errorf("encode message: %w", err)
			}
		}
		if len(b) > MaxPayloadBytes {
			return nil, fmt.Errorf("payload too large: %d bytes, FCM allows %d (vendors.md §1.2)", len(b), MaxPayloadBytes)
		}
	}
	return b, nil
}
