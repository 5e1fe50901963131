package huawei

// Request is the body of POST /v1/<clientid>/messages:send as Huawei defines it
// (vendors.md §3.2). Field types are strict: a number sent as a string, or data sent as
// an object, is refused like Huawei refuses it; unknown fields are refused too.
type Request struct {
	ValidateOnly bool     `json:"validate_only"`
	Message      *Message `json:"message"`
}

// Message is Request.message.
type Message struct {
	Token        []string      `json:"token"`
	Topic        string        `json:"topic"`
	Condition    string        `json:"condition"`
	Data         *string       `json:"data"` // a string (JSON text for notification messages)
	Notification *Notification `json:"notification"`
	Android      *Android      `json:"android"`
}

// Notification is message.notification.
type Notification struct {
	Title string `json:"title"`
	Body  string `json:"body"`
	Image string `json:"image"`
}

// Android is message.android.
type Android struct {
	CollapseKey    *int                 `json:"collapse_key"`
	Urgency        string               `json:"urgency"`
	Category       string               `json:"category"`
	TTL            string               `json:"ttl"`
	BiTag          string               `json:"bi_tag"`
	TargetUserType int                  `json:"target_user_type"`
	ReceiptID      string               `json:"receipt_id"`
	Data           *string              `json:"data"`
	Notification   *AndroidNotification `json:"notification"`
}

// AndroidNotification is message.android.notification.
type AndroidNotification struct {
	Title          string       `json:"title"`
	Body           string       `json:"body"`
	Image          string       `json:"image"`
	ClickAction    *ClickAction `json:"click_action"`
	ChannelID      string       `json:"channel_id"`
	Importance     string       `json:"importance"`
	Sound          string       `json:"sound"`
	DefaultSound   bool         `json:"default_sound"`
	Tag            string       `json:"tag"`
	NotifyID       *int         `json:"notify_id"`
	Group          string       `json:"group"`
	Badge          *Badge       `json:"badge"`
	Style          int          `json:"style"`
	BigTitle       string       `json:"big_title"`
	BigBody        string       `json:"big_body"`
	ForegroundShow *bool        `json:"foreground_show"`
	Visibility     string       `json:"visibility"`
	AutoClear      int64        `json:"auto_clear"`
}

// ClickAction is android.notification.click_action.
type ClickAction struct {
	Type   int    `json:"type"`
	Intent string `json:"intent"`
	Action string `json:"action"`
	URL    string `json:"url"`
}

// Badge is android.notification.badge.
type Badge struct {
	AddNum *int   `json:"add_num"`
	Class  string `json:"class"`
	SetNum *int   `json:"set_num"`
}
