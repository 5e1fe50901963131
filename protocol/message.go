package protocol

// Conversation types.
const (
	TypeC2C   = "c2c"
	TypeGroup = "group"
)

// Message is a chat message as clients see it.
type Message struct {
	ID              string           `json:"id"`                      // server message ID
	ClientMsgID     string           `json:"client_msg_id,omitempty"` // the sender's ID for it (dedupe)
	Type            string           `json:"type"`                    // c2c or group
	From            string           `json:"from"`
	To              string           `json:"to,omitempty"`       // c2c recipient
	GroupID         string           `json:"group_id,omitempty"` // group messages
	Seq             int64            `json:"seq"`                // position in its conversation
	InboxSeq        int64            `json:"inbox_seq,omitempty"`
	Time            int64            `json:"time"` // server time, Unix ms
	Elements        []Element        `json:"elements"`
	AtUserIDs       []string         `json:"at_user_ids,omitempty"`
	AtAll           bool             `json:"at_all,omitempty"`
	Priority        string           `json:"priority,omitempty"`
	OnlineOnly      bool             `json:"online_only,omitempty"`
	OfflinePushInfo *OfflinePushInfo `json:"offline_push_info,omitempty"`
	CloudCustomData string           `json:"cloud_custom_data,omitempty"`
	// Recalled: the message was recalled (RevokeMessage, or the admin API). It comes with
	// no elements, push info or custom data; a message event carrying a message the
	// client already has with Recalled set is the recall notice (docs/protocol.md).
	Recalled   bool   `json:"recalled,omitempty"`
	RecalledBy string `json:"recalled_by,omitempty"`
	RecalledAt int64  `json:"recalled_at,omitempty"` // Unix ms
}

// RevokeMessageRequest recalls a message: the sender's own within the app's recall
// window, or any message of a group the caller owns or administers.
type RevokeMessageRequest struct {
	MessageID string `json:"message_id"`
}

// Element types.
const (
	ElemText     = "text"
	ElemCustom   = "custom"
	ElemImage    = "image"
	ElemSound    = "sound"
	ElemVideo    = "video"
	ElemFile     = "file"
	ElemLocation = "location"
	ElemFace     = "face"
	ElemMerged   = "merged"
)

// Element is one part of a message. Type says which fields apply; media are URLs and
// metadata (Herald stores no files).
type Element struct {
	Type string `json:"type"`

	Text string `json:"text,omitempty"` // text

	Data string `json:"data,omitempty"` // custom (and face)
	Desc string `json:"desc,omitempty"` // custom: the push text; location: the place's name
	Ext  string `json:"ext,omitempty"`  // custom

	URL      string `json:"url,omitempty"`       // image, sound, video, file
	ThumbURL string `json:"thumb_url,omitempty"` // image, video
	Size     int64  `json:"size,omitempty"`      // bytes: image, sound, video, file
	Width    int    `json:"width,omitempty"`     // image, video
	Height   int    `json:"height,omitempty"`    // image, video
	Duration int    `json:"duration,omitempty"`  // seconds: sound, video
	Name     string `json:"name,omitempty"`      // file name

	Latitude  float64 `json:"latitude,omitempty"` // location
	Longitude float64 `json:"longitude,omitempty"`

	Index int `json:"index,omitempty"` // face

	Title     string     `json:"title,omitempty"`     // merged
	Abstracts []string   `json:"abstracts,omitempty"` // merged
	Messages  []*Message `json:"messages,omitempty"`  // merged: the forwarded messages
}

// OfflinePushInfo says how a message is pushed to devices that are offline or in the
// background. It mirrors the commercial SDK's V2TIMOfflinePushInfo.
type OfflinePushInfo struct {
	DisablePush       bool   `json:"disable_push,omitempty"`
	Title             string `json:"title,omitempty"`
	Desc              string `json:"desc,omitempty"`      // the notification body; required for custom messages
	Ext               string `json:"ext,omitempty"`       // handed to the app on click; JSON is safest (OPPO)
	IOSSound          string `json:"ios_sound,omitempty"` // file name with suffix; "push.no_sound" = silent
	IgnoreIOSBadge    bool   `json:"ignore_ios_badge,omitempty"`
	IOSPushType       string `json:"ios_push_type,omitempty"` // "apns" (default) or "voip"
	IOSSubtitle       string `json:"ios_subtitle,omitempty"`
	IOSImage          string `json:"ios_image,omitempty"`
	IOSMutableContent bool   `json:"ios_mutable_content,omitempty"`
	IOSInterruption   string `json:"ios_interruption_level,omitempty"` // passive, active, time-sensitive, critical

	AndroidSound       string `json:"android_sound,omitempty"`
	FCMChannelID       string `json:"fcm_channel_id,omitempty"`
	FCMImage           string `json:"fcm_image,omitempty"`
	XiaomiChannelID    string `json:"xiaomi_channel_id,omitempty"`
	OPPOChannelID      string `json:"oppo_channel_id,omitempty"`
	OPPOCategory       string `json:"oppo_category,omitempty"`
	OPPONotifyLevel    int    `json:"oppo_notify_level,omitempty"`
	OPPOTemplateID     string `json:"oppo_template_id,omitempty"`
	VivoClassification *int   `json:"vivo_classification,omitempty"`
	VivoCategory       string `json:"vivo_category,omitempty"`
	HuaweiCategory     string `json:"huawei_category,omitempty"`
	HuaweiImportance   string `json:"huawei_importance,omitempty"`
	HuaweiImage        string `json:"huawei_image,omitempty"`
	HonorImportance    string `json:"honor_importance,omitempty"`
	HonorImage         string `json:"honor_image,omitempty"`
	MeizuNoticeMsgType *int   `json:"meizu_notice_msg_type,omitempty"`

	// TTL is the push's lifetime in seconds from the message's time: how long Herald
	// retries it while a vendor cannot take it, and how long the vendors keep it for a
	// phone that is offline (0: the server's push TTL, 24 h, and each vendor's default;
	// at most 7 days; each vendor's own maximum applies). CollapseID makes a later push with the same ID replace this one on the
	// lock screen (≤ 64 bytes; default: the message's own ID, so that a recall replaces
	// it). PushPriority is high (default: wake the phone) or normal (may be delayed to
	// save battery).
	TTL          int    `json:"ttl,omitempty"`
	CollapseID   string `json:"collapse_id,omitempty"`
	PushPriority string `json:"push_priority,omitempty"`
}

// SendRequest sends a message to a user (To) or a group (GroupID).
type SendRequest struct {
	To              string           `json:"to,omitempty"`
	GroupID         string           `json:"group_id,omitempty"`
	ClientMsgID     string           `json:"client_msg_id,omitempty"` // ≤ 64 bytes; a resend with the same ID is not stored twice
	Elements        []Element        `json:"elements"`
	AtUserIDs       []string         `json:"at_user_ids,omitempty"`
	AtAll           bool             `json:"at_all,omitempty"`
	Priority        string           `json:"priority,omitempty"` // group: high, normal, low
	OnlineOnly      bool             `json:"online_only,omitempty"`
	OfflinePushInfo *OfflinePushInfo `json:"offline_push_info,omitempty"`
	CloudCustomData string           `json:"cloud_custom_data,omitempty"`
}

// SendResponse returns the stored message (or, for online-only, the routed one).
type SendResponse struct {
	Message *Message `json:"message"`
}

// HistoryRequest pages back through one conversation.
type HistoryRequest struct {
	ConversationID string `json:"conversation_id"`      // c2c_<peer> or group_<groupID>
	BeforeSeq      int64  `json:"before_seq,omitempty"` // 0 = from the newest
	Count          int    `json:"count,omitempty"`      // default 20, at most 100
}

// HistoryResponse carries messages newest first.
type HistoryResponse struct {
	Messages []*Message `json:"messages"`
	More     bool       `json:"more"`
}

// Conversation is one of the user's conversations.
type Conversation struct {
	ID          string   `json:"id"` // c2c_<peer> or group_<groupID>
	Type        string   `json:"type"`
	PeerID      string   `json:"peer_id,omitempty"`
	GroupID     string   `json:"group_id,omitempty"`
	LastMessage *Message `json:"last_message,omitempty"`
	LastSeq     int64    `json:"last_seq"`
	ReadSeq     int64    `json:"read_seq"`
	Unread      int      `json:"unread"`
	RecvOpt     int      `json:"recv_opt"`
	UpdatedAt   int64    `json:"updated_at"` // Unix ms
}

// ConversationsResponse lists conversations newest first, with the total unread.
type ConversationsResponse struct {
	Conversations []*Conversation `json:"conversations"`
	TotalUnread   int             `json:"total_unread"`
}

// MarkReadRequest marks a conversation read up to Seq (0 = everything).
type MarkReadRequest struct {
	ConversationID string `json:"conversation_id"`
	Seq            int64  `json:"seq,omitempty"`
}

// Receive options, with the commercial SDK's numbers.
const (
	RecvMessage           = 0 // receive and notify
	NotRecvMessage        = 1 // not delivered
	RecvNotNotify         = 2 // delivered, no push
	RecvNotNotifyExceptAt = 3 // delivered, pushed only when @-mentioned (groups)
)

// SetC2CRecvOptRequest sets the receive option for messages from up to 30 peers.
type SetC2CRecvOptRequest struct {
	UserIDs []string `json:"user_ids"`
	Opt     int      `json:"opt"`
}

// GetC2CRecvOptRequest asks for the receive options set for peers.
type GetC2CRecvOptRequest struct {
	UserIDs []string `json:"user_ids"`
}

// GetC2CRecvOptResponse maps each peer to its option (0 when none was set).
type GetC2CRecvOptResponse struct {
	Opts map[string]int `json:"opts"`
}

// SetGroupRecvOptRequest sets the receive option for a group's messages.
type SetGroupRecvOptRequest struct {
	GroupID string `json:"group_id"`
	Opt     int    `json:"opt"`
}

// SetDNDRequest sets the user's daily do-not-disturb window: from Start seconds after
// midnight UTC, for Duration seconds (≤ 86400; 0 turns it off).
type SetDNDRequest struct {
	Start    int `json:"start"`
	Duration int `json:"duration"`
}

// SetProfileRequest changes the user's own nickname or face URL (nil = unchanged).
type SetProfileRequest struct {
	Nickname *string `json:"nickname,omitempty"`
	FaceURL  *string `json:"face_url,omitempty"`
}
