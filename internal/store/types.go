package store

import (
	"encoding/json"
	"time"
)

// App is one chat application (a tenant) with its own users, secret and rules.
type App struct {
	SDKAppID     int64
	SecretKey    string // secret: signs and verifies UserSigs
	AdminUserID  string // the identifier whose UserSig authenticates admin calls; default "administrator"
	Name         string
	DevicePolicy DevicePolicy
	// Retention is how long messages are kept. Default 7 days.
	Retention time.Duration
	// CallbackURL is where the app's webhooks are posted; empty means none are sent.
	CallbackURL string
	// CallbackSecret is secret: it signs each webhook request (HMAC-SHA256). Empty
	// until one is generated.
	CallbackSecret string
	CreatedAt      time.Time
	// TokenMoves says when a token may leave another device for one that reports it.
	TokenMoves TokenMovePolicy
}

// AppUpdate changes an app; nil fields are left as they are.
type AppUpdate struct {
	Name           *string
	SecretKey      *string
	AdminUserID    *string
	DevicePolicy   *DevicePolicy
	Retention      *time.Duration
	CallbackURL    *string
	CallbackSecret *string
	TokenMoves     *TokenMovePolicy
}

// DevicePolicy says how many devices of one user may be logged in at once.
type DevicePolicy string

// Device policies.
const (
	OnePerPlatform DevicePolicy = "per_platform" // one device per platform (the default)
	OneDevice      DevicePolicy = "single"       // one device in all
	Unlimited      DevicePolicy = "unlimited"
)

// Account is a user of an app.
type Account struct {
	SDKAppID  int64
	UserID    string
	Nickname  string
	FaceURL   string
	CreatedAt time.Time

	// The user's global do-not-disturb window: every day from DNDStart (time of day,
	// UTC) for DNDDuration, messages are received without notification. A zero
	// DNDDuration means no window.
	DNDStart    time.Duration
	DNDDuration time.Duration
}

// AccountUpdate changes an account; nil fields are left as they are.
type AccountUpdate struct {
	Nickname    *string
	FaceURL     *string
	DNDStart    *time.Duration
	DNDDuration *time.Duration
}

// Platform is the kind of client a device runs.
type Platform string

// Platforms a device can log in from.
const (
	Android Platform = "Android"
	IOS     Platform = "iOS"
	IPad    Platform = "iPad"
	Windows Platform = "Windows"
	Mac     Platform = "Mac"
	Linux   Platform = "Linux"
	Web     Platform = "Web"
)

// Platforms lists every platform.
var Platforms = []Platform{Android, IOS, IPad, Windows, Mac, Linux, Web}

// DeviceState is a device's login state.
type DeviceState string

// Device states.
const (
	Online    DeviceState = "online"     // connected
	Offline   DeviceState = "offline"    // logged in, not connected (process killed, network lost)
	LoggedOut DeviceState = "logged_out" // logged out or kicked: gets nothing, no push
)

// Device is one client installation of a user, identified by a device ID the client
// chooses.
type Device struct {
	SDKAppID int64
	UserID   string
	DeviceID string
	Platform Platform
	State    DeviceState
	LoginAt  time.Time
	LastSeen time.Time
	NodeID   string // the node and session holding its connection while Online, as "node/session"
	// Background is true after the app called DoBackground while connected.
	Background bool
	// DeliveredSeq is the highest inbox sequence sent to the device; AckedSeq the highest
	// it acknowledged. Entries in (AckedSeq, DeliveredSeq] were delivered but not
	// acknowledged.
	DeliveredSeq int64
	AckedSeq     int64

	// Push binding (used by offline push): the certificate and vendor token the device
	// reported, and its badge counter. An empty PushToken means no push.
	CertificateID int64
	PushToken     string
	Badge         int
}

// DeviceFilter selects devices; nil fields match everything. SDKAppID is required.
type DeviceFilter struct {
	SDKAppID int64
	UserID   *string
	UserIDs  []string // when non-empty, only devices of these users
	Platform *Platform
	State    *DeviceState
	// PushToken selects the devices bound to this token (to move a token between users).
	PushToken *string
}

// DeviceUpdate changes a device; nil fields are left as they are. AckedSeq and
// DeliveredSeq never move back.
type DeviceUpdate struct {
	State         *DeviceState
	LastSeen      *time.Time
	NodeID        *string
	Background    *bool
	DeliveredSeq  *int64
	AckedSeq      *int64
	CertificateID *int64
	PushToken     *string
	Badge         *int
}

// DeviceKey names one device of an app: the key of batch operations on devices.
type DeviceKey struct {
	UserID   string
	DeviceID string
}

// ConvType is the kind of a conversation.
type ConvType string

// Conversation types.
const (
	TypeC2C   ConvType = "c2c"
	TypeGroup ConvType = "group"
)

// Message is one stored chat message.
type Message struct {
	SDKAppID int64
	ID       string // the server message ID
	// ClientMsgID is the sender's own ID for the message (Tencent's MsgRandom), unique per
	// sender; a resend with the same ID returns the stored message instead of a copy.
	ClientMsgID     string
	Type            ConvType
	From            string
	To              string // the recipient of a C2C message
	GroupID         string // the group of a group message
	Seq             int64  // the message's number in its channel, from 1
	Time            time.Time
	Elements        json.RawMessage // the message elements, as the API gives them
	AtUserIDs       []string        // @-mentioned members of a group message
	AtAll           bool            // @all in a group message
	Priority        string
	PushInfo        json.RawMessage // the OfflinePushInfo, as given; nil if none
	CloudCustomData string
	// PushIgnoreDND: an admin send that overrides the recipients' do-not-disturb and
	// mute settings. Written with the message and read back only by FindPushPending,
	// for the sweep to plan the push as it was sent.
	PushIgnoreDND bool
}

// Channel returns the key messages of one conversation share, on which Seq counts: both
// sides of a one-to-one conversation share one channel.
func (m *Message) Channel() string {
	if m.Type == TypeGroup {
		return GroupChannel(m.GroupID)
	}
	return C2CChannel(m.From, m.To)
}

// C2CChannel returns the channel of the one-to-one conversation between a and b.
func C2CChannel(a, b string) string {
	if b < a {
		a, b = b, a
	}
	return "c2c:" + a + ":" + b
}

// GroupChannel returns the channel of a group.
func GroupChannel(groupID string) string { return "group:" + groupID }

// ConversationID returns the ID under which userID sees the conversation m belongs to:
// "c2c_<peer>" or "group_<groupID>", as the commercial SDK names them.
func (m *Message) ConversationID(userID string) string {
	if m.Type == TypeGroup {
		return "group_" + m.GroupID
	}
	if userID == m.From {
		return "c2c_" + m.To
	}
	return "c2c_" + m.From
}

// Delivery is one user a message is stored for: the recipients and the sender (whose
// other devices receive it too).
type Delivery struct {
	UserID string
	Unread bool // counts toward the user's unread count (false for the sender's copy)
	// InboxSeq is set by CreateMessage: the message's position in the user's inbox.
	InboxSeq int64
}

// MessageFilter selects messages of one channel for history.
type MessageFilter struct {
	SDKAppID  int64
	Channel   string // C2CChannel or GroupChannel
	BeforeSeq int64  // only messages with Seq < BeforeSeq; 0 means from the newest
	AfterSeq  int64  // only messages with Seq > AfterSeq
	Limit     int    // <= 0 means 20
}

// InboxEntry is one message in a user's inbox, the ordered stream each of the user's
// devices syncs from.
type InboxEntry struct {
	InboxSeq int64
	Message  *Message
}

// Conversation is one user's view of a conversation.
type Conversation struct {
	SDKAppID    int64
	UserID      string
	ID          string // "c2c_<peer>" or "group_<groupID>"
	Type        ConvType
	PeerID      string // the peer of a C2C conversation
	GroupID     string
	LastMessage *Message
	LastSeq     int64 // the channel sequence of the last message
	ReadSeq     int64 // the user has read everything up to here
	Unread      int
	UpdatedAt   time.Time
}

// RecvOpt is how a user receives a conversation's messages.
type RecvOpt int

// Receive options, with the commercial SDK's numbers.
const (
	Receive                 RecvOpt = 0 // receive and notify
	NotReceive              RecvOpt = 1 // not delivered at all, conversation not updated
	ReceiveNoNotify         RecvOpt = 2 // delivered, no push
	ReceiveNoNotifyExceptAt RecvOpt = 3 // delivered; push only when @-mentioned (groups)
)

// GroupRole is a member's role in a group.
type GroupRole string

// Group roles.
const (
	Owner  GroupRole = "owner"
	Admin  GroupRole = "admin"
	Member GroupRole = "member"
)

// Group is a chat group.
type Group struct {
	SDKAppID  int64
	ID        string
	Name      string
	FaceURL   string
	OwnerID   string
	CreatedAt time.Time
}

// GroupUpdate changes a group; nil fields are left as they are.
type GroupUpdate struct {
	Name    *string
	FaceURL *string
	OwnerID *string
}

// GroupMember is a user's membership of a group.
type GroupMember struct {
	SDKAppID int64
	GroupID  string
	UserID   string
	Role     GroupRole
	RecvOpt  RecvOpt
	JoinedAt time.Time
}

// GroupMemberUpdate changes a membership; nil fields are left as they are.
type GroupMemberUpdate struct {
	Role    *GroupRole
	RecvOpt *RecvOpt
}

// FanOut is a group message whose members' copies (inbox entries and conversation
// updates) are still being written, after the send call returned: the work a large
// group's send defers. Members are done in user-ID order; After is the last one done.
type FanOut struct {
	SDKAppID  int64
	MessageID string
	GroupID   string
	From      string // the sender, whose copy was stored with the message
	After     string // members up to and including this user ID are done; "" = none yet
	CreatedAt time.Time
}
