package vivo

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"unicode/utf8"

	"github.com/herald-im/herald/internal/push"
)

// notifyType values (vendors.md §7.2).
const (
	notifyNone           = 1
	notifySound          = 2
	notifyVibrate        = 3
	notifySoundVibrate   = 4
	skipApp              = 1 // open the app's home (vendors.md §7.2 skipType)
	skipURL              = 2
	skipPage             = 4 // an in-app page given as an intent URI
	networkAny           = -1
	pushModeFormal       = 0
	classificationSystem = 1
)

// message is the body of /message/send and /message/saveListPayload (vendors.md §7.2,
// §7.3); saveListPayload leaves RegID empty.
type message struct {
	AppID           json.Number       `json:"appId"`
	RegID           string            `json:"regId,omitempty"`
	NotifyType      int               `json:"notifyType"`
	Title           string            `json:"title"`
	Content         string            `json:"content"`
	TimeToLive      int               `json:"timeToLive,omitempty"`
	SkipType        int               `json:"skipType"`
	SkipContent     string            `json:"skipContent,omitempty"`
	NetworkType     int               `json:"networkType"`
	Classification  *int              `json:"classification,omitempty"`
	Category        string            `json:"category,omitempty"`
	NotifyID        int               `json:"notifyId,omitempty"`
	ClientCustomMap map[string]string `json:"clientCustomMap,omitempty"`
	RequestID       string            `json:"requestId"`
	PushMode        int               `json:"pushMode"`
}

// listRequest is the body of /message/pushToList (vendors.md §7.3).
type listRequest struct {
	AppID     json.Number `json:"appId"`
	RegIDs    []string    `json:"regIds"`
	TaskID    string      `json:"taskId"`
	RequestID string      `json:"requestId"`
	PushMode  int         `json:"pushMode"`
}

// newMessage maps n into vivo's fields for certificate c. RequestID holds
// n.MessageID until the request kind and targets are known (requestID).
func newMessage(c *push.Certificate, n *push.Notification) (*message, error) {
	m := &message{
		AppID:       json.Number(c.AppID),
		NotifyType:  notifySoundVibrate,
		Title:       push.TruncateRunes(strings.TrimSpace(n.Title), MaxTitle),
		Content:     push.TruncateRunes(strings.TrimSpace(n.Body), MaxContent),
		SkipType:    skipApp,
		NetworkType: networkAny,
		Category:    strings.ToUpper(n.Category),
		RequestID:   n.MessageID,
		PushMode:    pushModeFormal,
	}
	if m.Title == "" || m.Content == "" {
		return nil, errors.New("vivo: title and content are required (vendors.md §7.2)")
	}
	switch n.Sound {
	case "none":
		m.NotifyType = notifyNone
	case "vibrate":
		m.NotifyType = notifyVibrate
	}
	if n.TTL > 0 {
		m.TimeToLive = int(min(max(n.TTL, MinTTL), MaxTTL).Seconds())
	}
	switch n.Click.Type {
	case push.ClickOpenURL:
		m.SkipType, m.SkipContent = skipURL, n.Click.Target
	case push.ClickOpenPage:
		m.SkipType, m.SkipContent = skipPage, n.Click.Target
	}
	if utf8.RuneCountInString(m.SkipContent) > MaxSkipContent {
		return nil, fmt.Errorf("vivo: click target is %d characters, over the skipContent limit of %d (vendors.md §7.2)", utf8.RuneCountInString(m.SkipContent), MaxSkipContent)
	}
	switch {
	case n.Classification != nil:
		m.Classification = n.Classification
	case categoryClass[m.Category] == classificationSystem:
		system := classificationSystem
		m.Classification = &system
	}
	switch {
	case n.NotifyID > 0 && n.NotifyID <= MaxNotifyID:
		m.NotifyID = n.NotifyID
	case n.NotifyID == 0 && n.CollapseID != "":
		// vivo replaces by numeric notifyId only; derive a stable one from the collapse ID.
		h := fnv.New32a()
		h.Write([]byte(n.CollapseID))
		m.NotifyID = int(h.Sum32()%MaxNotifyID) + 1
	}
	if n.Ext != "" {
		m.ClientCustomMap = map[string]string{"ext": n.Ext}
		b, _ := json.Marshal(m.ClientCustomMap) // a map[string]string always marshals
		if l := utf8.RuneCount(b); l > MaxClientCustomMap {
			return nil, fmt.Errorf("vivo: ext makes clientCustomMap %d characters, over the limit of %d (vendors.md §7.2)", l, MaxClientCustomMap)
		}
	}
	return m, nil
}

// requestID derives the requestId of one request from the push's message ID, the
// request kind and its targets: unique per request, the same when the request is
// repeated, at most MaxRequestID characters (vendors.md §7.2).
func requestID(messageID, kind string, targets ...string) string {
	if messageID == "" {
		return rand.Text()
	}
	h := sha256.New()
	h.Write([]byte(kind))
	for _, t := range targets {
		h.Write([]byte{0})
		h.Write([]byte(t))
	}
	sum := hex.EncodeToString(h.Sum(nil))[:16]
	if len(messageID)+1+len(sum) <= MaxRequestID {
		return messageID + "-" + sum
	}
	whole := sha256.Sum256([]byte(messageID + "\x00" + sum))
	return hex.EncodeToString(whole[:])[:MaxRequestID]
}
