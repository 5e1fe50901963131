package apns

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/sideshow/apns2"
	"github.com/sideshow/apns2/payload"

	"github.com/herald-im/herald/internal/push"
)

// topic returns the apns-topic and apns-push-type for c and n (vendors.md §2.3): VoIP
// pushes go to the bundle ID + ".voip".
func topic(c *push.Certificate, n *push.Notification) (string, apns2.EPushType) {
	switch {
	case c.VoIP || n.PushType == push.VoIP:
		return c.BundleID + ".voip", apns2.PushTypeVOIP
	case n.PushType == push.Background:
		return c.BundleID, apns2.PushTypeBackground
	default:
		return c.BundleID, apns2.PushTypeAlert
	}
}

// newPayload maps n onto the APNs payload (vendors.md §2.3) with body as the alert body.
func newPayload(n *push.Notification, pushType apns2.EPushType, body string) *payload.Payload {
	p := payload.NewPayload()
	if pushType == apns2.PushTypeBackground {
		// A background push wakes the app and shows nothing.
		p.ContentAvailable()
	} else {
		if n.Title != "" {
			p.AlertTitle(n.Title)
		}
		if n.Subtitle != "" {
			p.AlertSubtitle(n.Subtitle)
		}
		if body != "" {
			p.AlertBody(body)
		}
		if n.Badge != nil {
			p.Badge(*n.Badge)
		}
		switch n.Sound {
		case push.NoSound: // silent: no sound key at all
		case "":
			p.Sound("default")
		default:
			p.Sound(n.Sound)
		}
		if n.MutableContent {
			p.MutableContent()
			if n.Image != "" {
				p.Custom("image", n.Image)
			}
		}
		if n.InterruptionLevel != "" {
			p.InterruptionLevel(payload.EInterruptionLevel(n.InterruptionLevel))
		}
		if n.ThreadID != "" {
			p.ThreadID(n.ThreadID)
		}
		if n.Category != "" {
			p.Category(n.Category)
		}
	}
	if n.Ext != "" {
		p.Custom("ext", n.Ext)
	}
	return p
}

// newNotification returns the request for n without a device token: headers and a payload
// whose body is shortened on a rune boundary to fit MaxPayloadBytes (vendors.md §2.3). It
// fails when even an empty body does not fit.
func newNotification(c *push.Certificate, n *push.Notification, now time.Time) (*apns2.Notification, error) {
	t, pushType := topic(c, n)
	nt := &apns2.Notification{Topic: t, PushType: pushType, Priority: apns2.PriorityHigh}
	if n.Priority == push.Normal || pushType == apns2.PushTypeBackground {
		// Apple requires priority 5 for background pushes.
		nt.Priority = apns2.PriorityLow
	}
	if n.TTL > 0 {
		nt.Expiration = now.Add(n.TTL)
	}
	switch {
	case n.CollapseID != "":
		nt.CollapseID = push.TruncateBytes(n.CollapseID, maxCollapseIDBytes)
	case n.NotifyID != 0:
		nt.CollapseID = strconv.Itoa(n.NotifyID)
	}
	body := n.Body
	b, err := json.Marshal(newPayload(n, pushType, body))
	if err != nil {
		return nil, fmt.Errorf("encode payload: %w", err)
	}
	for len(b) > MaxPayloadBytes && body != "" {
		// Escaping can make the encoded body longer than the text, so shrink until it fits.
		body = push.TruncateBytes(body, len(body)-(len(b)-MaxPayloadBytes))
		if b, err = json.Marshal(newPayload(n, pushType, body)); err != nil {
			return nil, fmt.Errorf("encode payload: %w", err)
		}
	}
	if len(b) > MaxPayloadBytes {
		return nil, fmt.Errorf("payload too large: %d bytes, APNs allows %d (vendors.md §2.3)", len(b), MaxPayloadBytes)
	}
	nt.Payload = b
	return nt, nil
}
