// Package im is Herald's chat core: accounts, logins and the multi-device policy,
// messages and their fan-out, conversations and unread counts, receive options and
// groups. It stores through store.Store and hands live deliveries to a Router; it knows
// nothing of WebSockets, HTTP or push vendors.
package im

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/herald-im/herald/internal/batch"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// DefaultMaxMessageBytes is the default size limit of one message: its elements, push
// info and custom data as JSON.
const DefaultMaxMessageBytes = 12 * 1024

// A Router carries events to the devices of a user wherever they are connected. The
// gateway implements it over NATS. Route must not block for long; a lost event is
// repaired by the device's sync, never by the sender.
type Router interface {
	Route(ctx context.Context, sdkAppID int64, userID string, ev *Event) error
}

// Event kinds.
const (
	EventMessage      = "message"      // a new message for the user
	EventConversation = "conversation" // a conversation changed (read on another device)
	EventKick         = "kick"         // end the session of one device
)

// Event is what Route carries to a user's devices.
type Event struct {
	Kind string `json:"kind"`
	// SourceDevice is the device that caused the event (the sender's sending device, the
	// reading device); it already knows and is skipped.
	SourceDevice string                 `json:"source_device,omitempty"`
	Message      *protocol.Message      `json:"message,omitempty"`
	Conversation *protocol.Conversation `json:"conversation,omitempty"`
	// Kick: the device to end, and the session that replaces it when the same device
	// logged in again (that session must survive).
	DeviceID    string           `json:"device_id,omitempty"`
	KeepSession string           `json:"keep_session,omitempty"`
	Kicked      *protocol.Kicked `json:"kicked,omitempty"`
}

// StoredFunc is called after a message has been committed, with the message, the users
// it was stored for and how it was sent. Offline push hangs here.
type StoredFunc func(ctx context.Context, m *store.Message, ds []store.Delivery, how SentHow)

// SentHow says how a stored message was sent, for the push rules.
type SentHow struct {
	// IgnoreDND: sent through the admin API without asking to honour the recipients'
	// do-not-disturb and no-notification settings (the commercial REST API's default).
	IgnoreDND bool
}

// StateAction is what happened to a device's login.
type StateAction string

// State actions.
const (
	StateLogin      StateAction = "login"      // the device logged in
	StateLogout     StateAction = "logout"     // the device logged out
	StateKicked     StateAction = "kicked"     // a login elsewhere ended the device's login (multi-device policy)
	StateDisconnect StateAction = "disconnect" // the connection ended without a logout: the device stays logged in
)

// StateChange is a change of one device's login state.
type StateChange struct {
	SDKAppID int64
	UserID   string
	DeviceID string
	Platform store.Platform
	Action   StateAction
	// Kicked lists, for a login, the devices it ended (each also has its own StateKicked change).
	Kicked []*store.Device
	Time   time.Time
}

// StateChangedFunc is called after a device's login state changed and was stored.
type StateChangedFunc func(ctx context.Context, c StateChange)

// Service is the chat core. Set Store and Router, then use it; it is safe for
// concurrent use.
type Service struct {
	Store  store.Store
	Router Router
	// Stored, if set, is called after each stored message (not for online-only ones).
	Stored StoredFunc
	// StateChanged, if set, is called after each login, logout, kick and disconnect of
	// a device. It must not block: the session waits for it.
	StateChanged StateChangedFunc
	// Recalled, if set, is called after each recall (recall.go).
	Recalled RecalledFunc
	// RecallWindow is how long a sender may recall their message. Default
	// DefaultRecallWindow.
	RecallWindow time.Duration
	// Unacked, if set, is told of stored messages a connected device did not
	// acknowledge in time (the gateway's ack window), to push them.
	Unacked UnackedFunc
	// MaxMessageBytes limits a message's size. Default DefaultMaxMessageBytes.
	MaxMessageBytes int
	// InlineFanOut is how many members' copies a group send stores with the message;
	// RunFanOut stores the rest. Default DefaultInlineFanOut; 0 means the default.
	InlineFanOut int
	// FanOutPage is how many members' copies RunFanOut stores per transaction. Default
	// DefaultFanOutPage; 0 means the default.
	FanOutPage int
	Now        func() time.Time
	Logger     *slog.Logger

	fanOutWake chan struct{} // a send left a fan-out pending
	acks       acks          // noted for RunAcks (acks.go)
	// logins and disconnects write concurrent ones together (session.go).
	logins      batch.Group[*store.Login, *store.LoginResult]
	disconnects batch.Group[*store.Disconnect, *store.Device]
}

// NewService returns a Service with defaults.
func NewService(st store.Store, r Router) *Service {
	return &Service{
		Store:           st,
		Router:          r,
		MaxMessageBytes: DefaultMaxMessageBytes,
		InlineFanOut:    DefaultInlineFanOut,
		FanOutPage:      DefaultFanOutPage,
		fanOutWake:      make(chan struct{}, 1),
		Now:             time.Now,
		Logger:          slog.Default(),
	}
}

// newMessageID returns a new server message ID: a UUIDv7, so IDs sort by time.
func newMessageID() string {
	return uuid.Must(uuid.NewV7()).String()
}

// stateChanged reports c to StateChanged, if set.
func (s *Service) stateChanged(ctx context.Context, c StateChange) {
	if s.StateChanged != nil {
		if c.Time.IsZero() {
			c.Time = s.Now()
		}
		s.StateChanged(ctx, c)
	}
}

func (s *Service) route(ctx context.Context, sdkAppID int64, userID string, ev *Event) {
	if err := s.Router.Route(ctx, sdkAppID, userID, ev); err != nil {
		// The device will catch up by sync; the message is committed.
		s.Logger.Warn("route event", "app", sdkAppID, "user", userID, "kind", ev.Kind, "err", err)
	}
}
