package huawei

import "encoding/json"

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
	// Documented message-level blocks for other platforms; accepted, not modelled.
	APNs    json.RawMessage `json:"apns"`
	WebPush json.RawMessage `json:"webpush"`
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
	FastAppTarget  int                  `json:"fast_app_target"` // 1 development, 2 production (quick apps)
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

	// Documented by Huawei Push Kit (AndroidNotification) and sent by its official SDKs;
	// accepted with their documented types so an SDK request is never refused, not modelled.
	Icon              string          `json:"icon"`
	Color             string          `json:"color"` // #RRGGBB
	Ticker            string          `json:"ticker"`
	AutoCancel        *bool           `json:"auto_cancel"`
	When              string          `json:"when"`
	LocalOnly         *bool           `json:"local_only"`
	UseDefaultVibrate *bool           `json:"use_default_vibrate"`
	UseDefaultLight   *bool           `json:"use_default_light"`
	VibrateConfig     []string        `json:"vibrate_config"`
	LightSettings     *LightSettings  `json:"light_settings"`
	BodyLocKey        string          `json:"body_loc_key"`
	BodyLocArgs       []string        `json:"body_loc_args"`
	TitleLocKey       string          `json:"title_loc_key"`
	TitleLocArgs      []string        `json:"title_loc_args"`
	MultiLangKey      json.RawMessage `json:"multi_lang_key"`
	NotifySummary     string          `json:"notify_summary"`
	InboxContent      []string        `json:"inbox_content"`
	Buttons           []Button        `json:"buttons"`
	ProfileID         string          `json:"profile_id"`
}

// LightSettings is android.notification.light_settings.
type LightSettings struct {
	Color            *Color `json:"color"`
	LightOnDuration  string `json:"light_on_duration"`
	LightOffDuration string `json:"light_off_duration"`
}

// Color is light_settings.color, each part 0 to 1.
type Color struct {
	Alpha float64 `json:"alpha"`
	Red   float64 `json:"red"`
	Green float64 `json:"green"`
	Blue  float64 `json:"blue"`
}

// Button is one of android.notification.buttons (at most 3).
type Button struct {
	Name       string `json:"name"`
	ActionType int    `json:"action_type"`
	IntentType int    `json:"intent_type"`
	Intent     string `json:"intent"`
	Data       string `json:"data"`
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
