package push

import "time"

// A Notification is what one push says, already resolved for one vendor: the planner
// has applied the message's push info over the certificate's defaults, so a Sender only
// maps fields, truncates to the vendor's limits and checks the vendor's size limits.
// Empty fields are left out of the vendor request.
type Notification struct {
	Title    string
	Body     string
	Subtitle string // iOS only
	Image    string // an https URL; FCM/Huawei/Honor/OPPO large icon, iOS with MutableContent

	// Ext is carried unchanged to the app when the notification is tapped: intent extras
	// (key "ext") on Android, the custom key "ext" in the APNs payload.
	Ext string

	Click ClickAction // from the certificate

	ChannelID      string // FCM, Huawei, Xiaomi, OPPO channel ID
	Category       string // Huawei/OPPO/vivo category
	Importance     string // Huawei/Honor: LOW or NORMAL
	Classification *int   // vivo: 0 operational, 1 system; nil means the vendor default
	NotifyLevel    int    // OPPO notify level; 0 means not set
	NoticeMsgType  int    // Meizu: 0 public, 1 private
	TemplateID     string // OPPO private-message template ID

	Sound string // Android sound name or iOS sound file; "" means the default, NoSound none
	Badge *int   // the app icon badge to set; nil leaves it alone

	// CollapseID replaces an earlier notification with the same ID (APNs apns-collapse-id,
	// FCM tag, Meizu notifyKey). NotifyID is the numeric form (Xiaomi notify_id, vivo
	// notifyId, OPPO/Huawei notify ID); 0 means not set.
	CollapseID string
	NotifyID   int
	// Tag replaces a shown notification with the same tag without collapsing undelivered
	// ones (FCM android.notification.tag, which has no 4-key limit as collapse_key
	// has); a CollapseID sets it too. Compose gives each message's push its message ID
	// here or in CollapseID, so that a recall can replace it (ComposeRecall).
	Tag string

	TTL      time.Duration // how long the vendor keeps it for an offline phone; 0 means the vendor default
	Priority Priority

	// MessageID is Herald's ID of this push, used as a vendor dedupe or request ID where
	// the vendor has one (vivo requestId, OPPO app_message_id).
	MessageID string

	// iOS.
	PushType          PushType
	MutableContent    bool
	InterruptionLevel string // passive, active, time-sensitive or critical
	ThreadID          string
}

// Priority is a notification's delivery priority.
type Priority int

// Priorities; the zero value is High, which chat messages want.
const (
	High Priority = iota
	Normal
)

// PushType is the iOS push type.
type PushType int

// iOS push types; the zero value is an alert.
const (
	Alert PushType = iota
	VoIP
	Background
)

// NoSound as a Notification's Sound asks for a silent notification (the commercial API's
// ios_sound "push.no_sound"); APNs then sends no sound key at all.
const NoSound = "push.no_sound"
