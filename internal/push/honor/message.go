package honor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/herald-im/herald/internal/push"
)

// Limits of the send API. vendors.md §4.2 leaves the token and size limits unconfirmed;
// these are Huawei's (vendors.md §3.2), which Honor's API was derived from.
const (
	// MaxTokens is the most tokens one request carries (unconfirmed for Honor).
	MaxTokens = 1000
	// MaxBodyBytes is the largest message body without tokens (unconfirmed for Honor).
	MaxBodyBytes = 4096
	// MaxTTL is the longest android.ttl (15 days, vendors.md §4.2 per an SDK comment).
	MaxTTL = 1296000 * time.Second
)

// Click action types of android.notification.clickAction.type (vendors.md §4.2).
const (
	clickIntent = 1 // a custom page: intent (or action)
	clickURL    = 2 // a URL
	clickApp    = 3 // the app's launcher page
)

// ExtKey is the key of Notification.Ext in the message's data JSON.
const ExtKey = "ext"

// request is the body of POST /api/v1/<APPID>/sendMessage (vendors.md §4.2), camelCase.
type request struct {
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
	TTL          string              `json:"ttl,omitempty"`
	BiTag        string              `json:"biTag,omitempty"`
	Notification androidNotification `json:"notification"`
}

type androidNotification struct {
	ClickAction clickAction `json:"clickAction"`
	Importance  string      `json:"importance,omitempty"`
	Tag         string      `json:"tag,omitempty"`
	NotifyID    int         `json:"notifyId,omitempty"`
	Badge       *badge      `json:"badge,omitempty"`
}

type clickAction struct {
	Type   int    `json:"type"`
	Intent string `json:"intent,omitempty"`
	URL    string `json:"url,omitempty"`
}

type badge struct {
	BadgeClass string `json:"badgeClass"`
	SetNum     int    `json:"setNum"`
}

// buildRequest maps n for certificate c into a request without tokens.
func buildRequest(c *push.Certificate, n *push.Notification) (*request, error) {
	if err := n.Click.Validate(push.Honor); err != nil {
		return nil, err
	}
	r := &request{}
	if n.Ext != "" {
		data, err := json.Marshal(map[string]string{ExtKey: n.Ext})
		if err != nil {
			return nil, fmt.Errorf("encode data: %w", err)
		}
		r.Data = string(data)
	}
	r.Notification = &notification{Title: n.Title, Body: n.Body, Image: n.Image}
	a := &android{BiTag: n.MessageID}
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
	an.Importance = importance(n.Importance)
	an.Tag = n.CollapseID
	an.NotifyID = n.NotifyID
	if n.Badge != nil && c.BadgeClass != "" {
		an.Badge = &badge{BadgeClass: c.BadgeClass, SetNum: max(*n.Badge, 0)}
	}
	r.Android = a
	return r, nil
}

// encode marshals r with tokens, shortening the notification body to keep the body
// without tokens within MaxBodyBytes, or returns an error when it cannot fit.
func encode(r *request, tokens []string) ([]byte, error) {
	size := func() (int, error) {
		r.Token = []string{}
		b, err := marshal(r)
		return len(b), err
	}
	n, err := size()
	if err != nil {
		return nil, err
	}
	for n > MaxBodyBytes && r.Notification.Body != "" {
		body := r.Notification.Body
		r.Notification.Body = push.TruncateBytes(body, len(body)-(n-MaxBodyBytes))
		if n, err = size(); err != nil {
			return nil, err
		}
	}
	if n > MaxBodyBytes {
		return nil, fmt.Errorf("message is %d bytes without tokens, more than the %d Herald allows for Honor", n, MaxBodyBytes)
	}
	r.Token = tokens
	return marshal(r)
}

func marshal(r *request) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// importance maps Notification.Importance to LOW (marketing) or NORMAL (service and
// communication), the two values vendors.md §4.2 lists.
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

// formatTTL writes d in whole seconds ("86400s"), at least 1s and at most MaxTTL.
func formatTTL(d time.Duration) string {
	d = min(d, MaxTTL)
	secs := int64((d + time.Second - 1) / time.Second)
	return fmt.Sprintf("%ds", max(secs, 1))
}
