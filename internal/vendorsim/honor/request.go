package honor

// Request is the body of POST /api/v1/<APPID>/sendMessage (vendors.md §4.2), camelCase.
// Field types are strict and unknown fields are refused, so that a snake_case field
// (Huawei's spelling) is caught.
type Request struct {
	Token        []string      `json:"token"`
	Data         *string       `json:"data"` // a string
	Notification *Notification `json:"notification"`
	Android      *Android      `json:"android"`
}

// Notification is the top-level notification.
type Notification struct {
	Title string `json:"title"`
	Body  string `json:"body"`
	Image string `json:"image"`
}

// Android is android.
type Android struct {
	TTL            string               `json:"ttl"`
	BiTag          string               `json:"biTag"`
	TargetUserType int                  `json:"targetUserType"`
	Data           *string              `json:"data"`
	Notification   *AndroidNotification `json:"notification"`
}

// AndroidNotification is android.notification.
type AndroidNotification struct {
	Title       string       `json:"title"`
	Body        string       `json:"body"`
	Image       string       `json:"image"`
	ClickAction *ClickAction `json:"clickAction"`
	Style       int          `json:"style"`
	BigTitle    string       `json:"bigTitle"`
	BigBody     string       `json:"bigBody"`
	Importance  string       `json:"importance"`
	When        string       `json:"when"`
	NotifyID    *int         `json:"notifyId"`
	Tag         string       `json:"tag"`
	Group       string       `json:"group"`
	Badge       *Badge       `json:"badge"`
	Buttons     []Button     `json:"buttons"`
}

// ClickAction is android.notification.clickAction.
type ClickAction struct {
	Type   int    `json:"type"`
	Intent string `json:"intent"`
	Action string `json:"action"`
	URL    string `json:"url"`
}

// Badge is android.notification.badge.
type Badge struct {
	AddNum     *int   `json:"addNum"`
	BadgeClass string `json:"badgeClass"`
	SetNum     *int   `json:"setNum"`
}

// Button is one of android.notification.buttons.
type Button struct {
	Name       string `json:"name"`
	ActionType int    `json:"actionType"`
	IntentType int    `json:"intentType"`
	Intent     string `json:"intent"`
	Data       string `json:"data"`
}
