package webhook

import (
	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/push/pipeline"
)

// Command names a kind of webhook request: the CallbackCommand query parameter. One
// request carries events of one command only.
type Command string

// The commands Herald posts (docs/webhooks.md).
const (
	// OfflinePush reports the vendor's final answer for the push of a message to one
	// device (tencent-im-push.md §3.7, Push.OfflinePush).
	OfflinePush Command = "Push.OfflinePush"
	// StateChange reports a device's login, logout, kick or disconnect
	// (tencent-im-push.md §1, the state change callback).
	StateChange Command = "State.StateChange"
)

// EventType values of OfflinePushEvent. Tencent documents 1 for a one-to-one message;
// 2 for a group message is Herald's.
const (
	EventTypeC2C   = 1
	EventTypeGroup = 2
)

// ErrCode values of OfflinePushEvent: 0 when the vendor accepted the push, else one
// code per outcome (docs/webhooks.md lists them).
const (
	CodeAccepted      = 0
	CodeInvalidToken  = 60001 // the vendor said the token is invalid; Herald unbound it
	CodeRetryLater    = 60002 // the vendor kept failing or throttling until the retries ran out
	CodeAuthExpired   = 60003 // the vendor refused the certificate's credentials
	CodeQuotaExceeded = 60004 // the certificate's quota was used up until the retries ran out
	CodeFailed        = 60005 // the vendor refused the notification for good, or it could not be sent
)

// OfflinePushEvent is one device's push result in a Push.OfflinePush request.
type OfflinePushEvent struct {
	EventType   int    `json:"EventType"` // EventTypeC2C or EventTypeGroup
	EventTime   int64  `json:"EventTime"` // Unix milliseconds of the answer
	FromAccount string `json:"From_Account"`
	ToAccount   string `json:"To_Account"`
	GroupID     string `json:"GroupId,omitempty"`
	DeviceID    string `json:"DeviceId"`
	// PushPlatform is the vendor: fcm, apns, huawei, honor, xiaomi, oppo, vivo or meizu.
	PushPlatform  string `json:"PushPlatform"`
	CertificateID int64  `json:"CertificateId"`
	MsgKey        string `json:"MsgKey"` // the message ID
	ErrCode       int    `json:"ErrCode"`
	// ErrInfo is the outcome ("accepted", "invalid_token", …), then the vendor's reason
	// after ": " when there is one.
	ErrInfo  string `json:"ErrInfo"`
	Attempts int    `json:"Attempts"`
}

// StateChangeEvent is one device's login state change in a State.StateChange request.
// Info has the shape of Tencent's state change callback.
type StateChangeEvent struct {
	EventTime int64     `json:"EventTime"` // Unix milliseconds
	Info      StateInfo `json:"Info"`
	DeviceID  string    `json:"DeviceId"`
	Platform  string    `json:"Platform"` // Android, iOS, iPad, Windows, Mac, Linux or Web
	// KickedDevice lists, for a login, the devices it logged out.
	KickedDevice []KickedDevice `json:"KickedDevice,omitempty"`
}

// StateInfo says what happened: Action Login (Reason Register), Logout (Reason
// Unregister, or Kicked by a login elsewhere) or Disconnect (Reason LinkClose: the
// connection ended, the device stays logged in and gets offline pushes).
type StateInfo struct {
	Action    string `json:"Action"`
	ToAccount string `json:"To_Account"`
	Reason    string `json:"Reason"`
}

// KickedDevice is a device a login logged out.
type KickedDevice struct {
	DeviceID string `json:"DeviceId"`
	Platform string `json:"Platform"`
}

// offlinePushEvent turns a pipeline answer into its event.
func offlinePushEvent(a pipeline.Answer) OfflinePushEvent {
	e := OfflinePushEvent{
		EventType: EventTypeC2C, EventTime: a.Time.UnixMilli(), FromAccount: a.From, ToAccount: a.UserID,
		DeviceID: a.DeviceID, PushPlatform: string(a.Vendor), CertificateID: a.CertificateID, MsgKey: a.MessageID,
		ErrCode: errCode(a.Outcome), ErrInfo: a.Outcome.String(), Attempts: a.Attempts,
	}
	if a.GroupID != "" {
		e.EventType, e.GroupID = EventTypeGroup, a.GroupID
	}
	if a.Reason != "" {
		e.ErrInfo += ": " + a.Reason
	}
	return e
}

func errCode(o push.Outcome) int {
	switch o {
	case push.Accepted:
		return CodeAccepted
	case push.InvalidToken:
		return CodeInvalidToken
	case push.RetryLater:
		return CodeRetryLater
	case push.AuthExpired:
		return CodeAuthExpired
	case push.QuotaExceeded:
		return CodeQuotaExceeded
	default:
		return CodeFailed
	}
}

// stateChangeEvent turns an im state change into its event.
func stateChangeEvent(c im.StateChange) StateChangeEvent {
	e := StateChangeEvent{
		EventTime: c.Time.UnixMilli(), Info: StateInfo{ToAccount: c.UserID},
		DeviceID: c.DeviceID, Platform: string(c.Platform),
	}
	switch c.Action {
	case im.StateLogin:
		e.Info.Action, e.Info.Reason = "Login", "Register"
	case im.StateLogout:
		e.Info.Action, e.Info.Reason = "Logout", "Unregister"
	case im.StateKicked:
		e.Info.Action, e.Info.Reason = "Logout", "Kicked"
	case im.StateDisconnect:
		e.Info.Action, e.Info.Reason = "Disconnect", "LinkClose"
	default:
		e.Info.Action, e.Info.Reason = string(c.Action), ""
	}
	for _, d := range c.Kicked {
		e.KickedDevice = append(e.KickedDevice, KickedDevice{DeviceID: d.DeviceID, Platform: string(d.Platform)})
	}
	return e
}
