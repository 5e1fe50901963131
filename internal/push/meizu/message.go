package meizu

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/herald-im/herald/internal/push"
)

// clickType values (vendors.md §8.3).
const (
	clickApp      = 0
	clickActivity = 1
	clickURL      = 2
)

// message is messageJson (vendors.md §8.3).
type message struct {
	NoticeBarInfo noticeBarInfo `json:"noticeBarInfo"`
	ClickTypeInfo clickTypeInfo `json:"clickTypeInfo"`
	PushTimeInfo  pushTimeInfo  `json:"pushTimeInfo"`
	AdvanceInfo   advanceInfo   `json:"advanceInfo"`
}

type noticeBarInfo struct {
	NoticeMsgType int    `json:"noticeMsgType"`
	NoticeBarType int    `json:"noticeBarType"`
	Title         string `json:"title"`
	Content       string `json:"content"`
}

type clickTypeInfo struct {
	ClickType  int               `json:"clickType"`
	Activity   string            `json:"activity,omitempty"`
	URL        string            `json:"url,omitempty"`
	Parameters map[string]string `json:"parameters,omitempty"`
}

type pushTimeInfo struct {
	OffLine   int `json:"offLine"`
	ValidTime int `json:"validTime"`
}

type advanceInfo struct {
	Suspend          int              `json:"suspend"`
	ClearNoticeBar   int              `json:"clearNoticeBar"`
	FixDisplay       int              `json:"fixDisplay"`
	NotificationType notificationType `json:"notificationType"`
	NotifyKey        string           `json:"notifyKey,omitempty"`
}

type notificationType struct {
	Vibrate int `json:"vibrate"`
	Lights  int `json:"lights"`
	Sound   int `json:"sound"`
}

// messageJSON maps n into Meizu's messageJson text.
func messageJSON(n *push.Notification) (string, error) {
	m := message{
		NoticeBarInfo: noticeBarInfo{
			NoticeMsgType: n.NoticeMsgType,
			Title:         push.TruncateRunes(strings.TrimSpace(n.Title), MaxTitle),
			Content:       push.TruncateRunes(strings.TrimSpace(n.Body), MaxContent),
		},
		PushTimeInfo: pushTimeInfo{OffLine: 1, ValidTime: validTime(n.TTL)},
		AdvanceInfo: advanceInfo{
			Suspend:          1,
			ClearNoticeBar:   1,
			NotificationType: notificationType{Vibrate: 1, Lights: 1, Sound: 1},
			NotifyKey:        notifyKey(n),
		},
	}
	if m.NoticeBarInfo.Title == "" || m.NoticeBarInfo.Content == "" {
		return "", errors.New("meizu: title and content are required (vendors.md §8.3)")
	}
	switch n.Sound {
	case "none":
		m.AdvanceInfo.NotificationType = notificationType{Lights: 1}
	case "vibrate":
		m.AdvanceInfo.NotificationType.Sound = 0
	}
	switch n.Click.Type {
	case push.ClickOpenPage:
		m.ClickTypeInfo.ClickType, m.ClickTypeInfo.Activity = clickActivity, n.Click.Target
	case push.ClickOpenURL:
		m.ClickTypeInfo.ClickType, m.ClickTypeInfo.URL = clickURL, n.Click.Target
	default:
		m.ClickTypeInfo.ClickType = clickApp
	}
	if n.Ext != "" {
		m.ClickTypeInfo.Parameters = map[string]string{"ext": n.Ext}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode messageJson: %w", err)
	}
	if len(b) > MaxMessageJSON {
		return "", fmt.Errorf("meizu: messageJson is %d bytes, over the limit of %d; shorten ext", len(b), MaxMessageJSON)
	}
	return string(b), nil
}

// validTime converts a TTL to whole hours within Meizu's bounds (vendors.md §8.3),
// rounding up; 0 means Meizu's default of 24 h.
func validTime(ttl time.Duration) int {
	if ttl <= 0 {
		return DefaultValidTime
	}
	h := int((ttl + time.Hour - 1) / time.Hour)
	return min(max(h, MinValidTime), MaxValidTime)
}

// notifyKey returns the collapse key: n.CollapseID, else n.NotifyID, as is when it fits
// notifyKey's rule (≤ 8 of [0-9a-zA-Z_-], vendors.md §8.3), else 8 hex digits of its hash.
func notifyKey(n *push.Notification) string {
	key := n.CollapseID
	if key == "" && n.NotifyID != 0 {
		key = strconv.Itoa(n.NotifyID)
	}
	if key == "" || ValidNotifyKey(key) {
		return key
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	return fmt.Sprintf("%08x", h.Sum32())
}

// ValidNotifyKey reports whether k is a valid notifyKey: 1 to 8 characters of
// [0-9a-zA-Z_-] (vendors.md §8.3).
func ValidNotifyKey(k string) bool {
	if k == "" || len(k) > MaxNotifyKey {
		return false
	}
	for _, r := range k {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}
