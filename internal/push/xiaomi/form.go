package xiaomi

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/herald-im/herald/internal/push"
)

// Values of extra.notify_effect (vendors.md §5.3).
const (
	EffectLauncher = "1" // open the launcher activity
	EffectActivity = "2" // open any activity: extra.intent_uri
	EffectWeb      = "3" // open a web page: extra.web_uri
)

// ExtKey is the extra key that carries Notification.Ext; apps read it from
// MiPushMessage.getExtra()["ext"].
const ExtKey = "ext"

// formBody is a notification encoded once as form fields; only registration_id differs
// between the requests of one Send.
type formBody struct {
	rest string // every field but registration_id, encoded
}

// encode returns the request body for regIDs.
func (f *formBody) encode(regIDs []string) []byte {
	n := len("registration_id=") + len(f.rest) + 1
	for _, t := range regIDs {
		n += len(t) + 3
	}
	b := make([]byte, 0, n)
	b = append(b, "registration_id="...)
	for i, t := range regIDs {
		if i > 0 {
			b = append(b, "%2C"...)
		}
		b = append(b, url.QueryEscape(t)...)
	}
	b = append(b, '&')
	return append(b, f.rest...)
}

// buildForm maps n onto Mi Push's form fields (vendors.md §5.3), all but registration_id.
// It returns an error, used as a Failed reason, when n cannot be sent as it is.
func (s *Sender) buildForm(c *push.Certificate, n *push.Notification) (*formBody, error) {
	f, err := Fields(c, n)
	if err != nil {
		return nil, err
	}
	if s.CallbackURL != "" {
		f.Set("extra.callback", s.CallbackURL)
		typ := s.CallbackType
		if typ == 0 {
			typ = CallbackDelivered | CallbackClicked | CallbackInvalid
		}
		f.Set("extra.callback.type", strconv.Itoa(typ))
		if n.MessageID != "" {
			f.Set("extra.callback.param", n.MessageID)
		}
	}
	return &formBody{rest: f.Encode()}, nil
}

// Fields returns the form fields of n for certificate c, without registration_id and the
// sender's callback fields. It is pure: the tests call it through the table of mappings.
func Fields(c *push.Certificate, n *push.Notification) (url.Values, error) {
	title := push.TruncateRunes(n.Title, MaxTitle)
	body := push.TruncateRunes(n.Body, MaxDescription)
	// vendors.md §5.3: title and description are required for notifications and must
	// not be all white space.
	if isBlank(title) {
		return nil, fmt.Errorf("xiaomi: title is required and must not be blank (vendors.md §5.3)")
	}
	if isBlank(body) {
		return nil, fmt.Errorf("xiaomi: description (body) is required and must not be blank (vendors.md §5.3)")
	}
	if len(n.Ext) > MaxPayloadBytes {
		return nil, fmt.Errorf("xiaomi: ext is %d bytes; the payload may be at most %d", len(n.Ext), MaxPayloadBytes)
	}
	if utf8.RuneCountInString(n.Ext) > MaxExtraValue {
		return nil, fmt.Errorf("xiaomi: ext is longer than %d characters, the limit of an extra value (vendors.md §5.3)", MaxExtraValue)
	}
	if err := n.Click.Validate(push.Xiaomi); err != nil {
		return nil, fmt.Errorf("xiaomi: %w", err)
	}

	f := url.Values{}
	f.Set("restricted_package_name", c.PackageName)
	f.Set("pass_through", "0")
	f.Set("notify_type", "-1") // DEFAULT_ALL: sound, vibration and lights as the channel allows
	f.Set("title", title)
	f.Set("description", body)
	if n.Ext != "" {
		// The payload is sent as it is and URL-encoded once, by the form encoding; the
		// §5.3 example shows payload=%7B%22k%22%3A%22v%22%7D for {"k":"v"}.
		f.Set("payload", n.Ext)
		f.Set("extra."+ExtKey, n.Ext)
	}

	switch n.Click.Type {
	case push.ClickOpenPage:
		f.Set("extra.notify_effect", EffectActivity)
		f.Set("extra.intent_uri", n.Click.Target)
	case push.ClickOpenURL:
		f.Set("extra.notify_effect", EffectWeb)
		f.Set("extra.web_uri", n.Click.Target)
	default:
		f.Set("extra.notify_effect", EffectLauncher)
	}
	f.Set("extra.notify_foreground", "0")

	if n.ChannelID != "" {
		f.Set("extra.channel_id", n.ChannelID)
	}
	if n.Sound != "" {
		f.Set("extra.sound_uri", SoundURI(c.PackageName, n.Sound))
	}

	switch {
	case n.NotifyID < 0 || n.NotifyID > MaxNotifyID:
		return nil, fmt.Errorf("xiaomi: notify ID %d is outside 0–%d (vendors.md §5.3)", n.NotifyID, MaxNotifyID)
	case n.NotifyID > 0:
		f.Set("notify_id", strconv.Itoa(n.NotifyID))
	case n.CollapseID != "":
		f.Set("notify_id", strconv.Itoa(NotifyIDFor(n.CollapseID)))
	}

	if n.TTL > 0 {
		ttl := min(n.TTL, MaxTTL)
		f.Set("time_to_live", strconv.FormatInt(ttl.Milliseconds(), 10))
	}
	if n.MessageID != "" {
		f.Set("extra.jobkey", JobKey(n.MessageID))
	}
	return f, nil
}

// SoundURI turns an Android sound name (a file in res/raw, with or without extension)
// into the URI extra.sound_uri expects; a value that is already a URI is kept.
func SoundURI(pkg, sound string) string {
	if strings.Contains(sound, "://") {
		return sound
	}
	if i := strings.LastIndexByte(sound, '.'); i > 0 {
		sound = sound[:i]
	}
	return "android.resource://" + pkg + "/raw/" + sound
}

// NotifyIDFor derives a notify_id in 1–MaxNotifyID from a collapse ID, so that
// notifications with the same collapse ID replace each other (push.NotifyIDFor).
func NotifyIDFor(collapseID string) int { return push.NotifyIDFor(collapseID) }

// JobKey returns messageID when it fits extra.jobkey (at most MaxJobKey ASCII
// characters), else the first MaxJobKey hex digits of its SHA-256, so that retries of one
// push share a key.
func JobKey(messageID string) string {
	if len(messageID) <= MaxJobKey && isASCII(messageID) {
		return messageID
	}
	sum := sha256.Sum256([]byte(messageID))
	return hex.EncodeToString(sum[:])[:MaxJobKey]
}

func isBlank(s string) bool {
	return strings.TrimFunc(s, unicode.IsSpace) == ""
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
