package huawei

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/herald-im/herald/internal/push"
)

// Limits of the send API (vendors.md §3.2).
const (
	// MaxTokens is the most tokens one request may carry.
	MaxTokens = 1000
	// MaxBodyBytes is the largest message body, counted without the tokens.
	MaxBodyBytes = 4096
	// MaxTTL is the longest android.ttl Huawei accepts (15 days); DefaultTTL is Huawei's default.
	MaxTTL     = 1296000 * time.Second
	DefaultTTL = 86400 * time.Second
)

// Click action types of android.notification.click_action.type (vendors.md §3.2).
const (
	clickIntent = 1 // a custom page: intent (or action)
	clickURL    = 2 // an HTTPS URL
	clickApp    = 3 // the app's launcher page
)

// Categories lists the android.category values Huawei accepts for notification messages
// (vendors.md §3.2; PLAY_VOICE is for data messages only and so is not listed).
var Categories = []string{"IM", "VOIP", "SUBSCRIPTION", "TRAVEL", "HEALTH", "WORK", "ACCOUNT",
	"EXPRESS", "FINANCE", "DEVICE_REMINDER", "MAIL", "MARKETING"}

// request is the body of POST /v1/<clientid>/messages:send (vendors.md §3.2).
type request struct {
	ValidateOnly bool    `json:"validate_only"`
	Message      message `json:"message"`
}

type message struct {
	Token        []string      `json:"token"`
	Data         string        `json:"data,omitempty"` // JSON text, a string
	Notification *notification `json:"notification,omitempty"`
	Android      *android      `json:"android,omitempty"`
}

type notification struct {
	Title string `json:"title,omitempty"`
	Body  string `json:"body,omitempty"`
	Image string `json:"image,omitempty"`
}

type android struct {
	Category     string              `json:"category,omitempty"`
	TTL          string              `json:"ttl,omitempty"`
	BiTag        string              `json:"bi_tag,omitempty"`
	Notification androidNotification `json:"notification"`
}

type androidNotification struct {
	ClickAction  clickAction `json:"click_action"`
	ChannelID    string      `json:"channel_id,omitempty"`
	Importance   string      `json:"importance,omitempty"`
	Sound        string      `json:"sound,omitempty"`
	DefaultSound *bool       `json:"default_sound,omitempty"`
	Tag          string      `json:"tag,omitempty"`
	NotifyID     int         `json:"notify_id,omitempty"`
	Badge        *badge      `json:"badge,omitempty"`
}

type clickAction struct {
	Type   int    `json:"type"`
	Intent string `json:"intent,omitempty"`
	URL    string `json:"url,omitempty"`
}

type badge struct {
	Class  string `json:"class"`
	SetNum int    `json:"set_num"`
}

// ExtKey is the key of Notification.Ext in the message's data JSON. Huawei hands the
// data's key/value pairs to the opened activity as intent extras on a tap (HMS guide
// "andorid-basic-clickaction": data reaches the app on click, NC 9.1.1 and later).
const ExtKey = "ext"

// buildRequest maps n for certificate c into a request without tokens. It returns an
// error (the reason of a Failed result) when the message cannot fit.
func buildRequest(c *push.Certificate, n *push.Notification) (*request, error) {
	if err := n.Click.Validate(push.Huawei); err != nil {
		return nil, err
	}
	r := &request{}
	m := &r.Message
	if n.Ext != "" {
		data, err := json.Marshal(map[string]string{ExtKey: n.Ext})
		if err != nil {
			return nil, fmt.Errorf("encode data: %w", err)
		}
		m.Data = string(data)
	}
	m.Notification = &notification{Title: n.Title, Body: n.Body, Image: n.Image}

	a := &android{Category: n.Category, BiTag: n.MessageID}
	if a.Category != "" && !validCategory(a.Category) {
		return nil, fmt.Errorf("category %q is not one of %s (vendors.md §3.2)", a.Category, strings.Join(Categories, ", "))
	}
	if n.TTL > 0 {
		a.TTL = formatTTL(n.TTL)
	}
	an := &a.Notification
	switch n.Click.Type {
	case push.ClickOpenPage:
		an.ClickAction = clickAction{Type: clickIntent, Intent: n.Click.Target}
	case push.ClickOpenURL:
		an.ClickAction = clickAction{Type: clickURL, URL: n.Click.Target}
	default:
		an.ClickAction = clickAction{Type: clickApp}
	}
	an.ChannelID = n.ChannelID
	an.Importance = importance(n.Importance)
	if n.Sound != "" {
		an.Sound = soundPath(n.Sound)
		// default_sound=true would override the custom sound.
		an.DefaultSound = new(bool)
	}
	an.Tag = n.CollapseID
	an.NotifyID = n.NotifyID
	// badge.class is required with set_num (vendors.md §3.2); without a BadgeClass on
	// the certificate the badge is left alone rather than failing a chat push.
	if n.Badge != nil && c.BadgeClass != "" {
		an.Badge = &badge{Class: c.BadgeClass, SetNum: max(*n.Badge, 0)}
	}
	m.Android = a
	return r, nil
}

// encode marshals r with tokens and checks the body size without tokens against
// MaxBodyBytes. When the body is too large it shortens the notification body (on a rune
// boundary) to fit; when even an empty body does not fit, it returns an error.
func encode(r *request, tokens []string) ([]byte, error) {
	size := func() (int, error) {
		r.Message.Token = []string{}
		b, err := marshal(r)
		return len(b), err
	}
	n, err := size()
	if err != nil {
		return nil, err
	}
	if n > MaxBodyBytes && r.Message.Notification.Body != "" {
		// Each byte cut from the body removes at least one byte of JSON text, so one cut
		// usually suffices; the loop covers the ellipsis-free edge cases of escaping.
		for n > MaxBodyBytes && r.Message.Notification.Body != "" {
			body := r.Message.Notification.Body
			r.Message.Notification.Body = push.TruncateBytes(body, len(body)-(n-MaxBodyBytes))
			if n, err = size(); err != nil {
				return nil, err
			}
		}
	}
	if n > MaxBodyBytes {
		return nil, fmt.Errorf("message is %d bytes without tokens, more than Huawei's %d (vendors.md §3.2)", n, MaxBodyBytes)
	}
	r.Message.Token = tokens
	return marshal(r)
}

func marshal(r *request) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // Huawei counts bytes; \u003c would waste five of them
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func validCategory(s string) bool {
	for _, c := range Categories {
		if c == s {
			return true
		}
	}
	return false
}

// importance maps Notification.Importance to LOW or NORMAL: the doc lists only those two
// and says to send nothing else (vendors.md §3.2), so HIGH becomes NORMAL.
func importance(s string) string {
	switch strings.ToUpper(s) {
	case "":
		return ""
	case "LOW":
		return "LOW"
	default:
		return "NORMAL"
	}
}

// soundPath turns an Android sound name ("shake") into the raw-resource path Huawei
// expects ("/raw/shake", vendors.md §3.2); a value that is already a path is kept.
func soundPath(s string) string {
	if strings.HasPrefix(s, "/") {
		return s
	}
	return "/raw/" + s
}

// formatTTL writes d as Huawei's duration text in whole seconds ("86400s"), at least 1s
// and at most MaxTTL.
func formatTTL(d time.Duration) string {
	d = min(d, MaxTTL)
	secs := int64((d + time.Second - 1) / time.Second)
	return fmt.Sprintf("%ds", max(secs, 1))
}
