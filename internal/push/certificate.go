package push

import (
	"fmt"
	"time"
)

// A Certificate is one vendor credential of an app (Tencent calls its ID the businessID):
// what a client names when it binds a device token, and what a Sender needs to reach the
// vendor. Which credential fields a vendor uses is listed on each field; the vendor's
// Sender validates them (CertificateValidator). Secret fields are never logged or returned
// whole; see Masked.
type Certificate struct {
	ID       int64  `json:"-"` // Herald's certificate ID (businessID), unique per server
	SDKAppID int64  `json:"-"` // the chat app this certificate belongs to
	Vendor   Vendor `json:"-"`
	Name     string `json:"-"` // a label for the console

	// PackageName is the Android application ID (Huawei, Honor, Xiaomi, OPPO, vivo, Meizu,
	// FCM's restricted_package_name). BundleID is the iOS topic (APNs).
	PackageName string `json:"package_name,omitempty"`
	BundleID    string `json:"bundle_id,omitempty"`

	// Vendor credentials.
	AppID          string `json:"app_id,omitempty"`          // Huawei/Honor app ID, Xiaomi app ID, OPPO app ID, vivo appId, Meizu appId
	AppKey         string `json:"app_key,omitempty"`         // OPPO app_key, vivo appKey, Xiaomi app key
	AppSecret      string `json:"app_secret,omitempty"`      // secret: Huawei client secret, Xiaomi AppSecret, vivo appSecret, Meizu appSecret
	MasterSecret   string `json:"master_secret,omitempty"`   // secret: OPPO master_secret
	ClientID       string `json:"client_id,omitempty"`       // Honor client ID (Huawei uses AppID as its OAuth client ID)
	ClientSecret   string `json:"client_secret,omitempty"`   // secret: Honor client secret
	ServiceAccount []byte `json:"service_account,omitempty"` // secret: FCM service-account JSON (project_id, client_email, private_key, token_uri)

	// APNs: token auth (KeyP8, KeyID, TeamID) or certificate auth (CertP12, CertPassword).
	KeyP8        []byte `json:"key_p8,omitempty"` // secret: the .p8 PEM
	KeyID        string `json:"key_id,omitempty"`
	TeamID       string `json:"team_id,omitempty"`
	CertP12      []byte `json:"cert_p12,omitempty"`      // secret: the .p12 bundle
	CertPassword string `json:"cert_password,omitempty"` // secret
	Production   bool   `json:"production,omitempty"`    // APNs: the production host rather than sandbox
	VoIP         bool   `json:"voip,omitempty"`          // APNs: pushes go to the VoIP topic (BundleID + ".voip") with push type voip

	// Endpoint overrides the vendor's hosts, for private gateways and the simulators. Empty
	// fields mean the real vendor hosts.
	Endpoint Endpoint `json:"endpoint,omitzero"`

	// Click is what tapping the notification does.
	Click ClickAction `json:"click,omitzero"`

	// Defaults used when a message's push info does not say otherwise.
	ChannelID      string `json:"channel_id,omitempty"`      // FCM, Huawei, Xiaomi, OPPO channel ID
	Category       string `json:"category,omitempty"`        // Huawei/OPPO/vivo category (e.g. IM), Honor importance goes in Importance
	Importance     string `json:"importance,omitempty"`      // Huawei/Honor importance: LOW or NORMAL
	Classification int    `json:"classification,omitempty"`  // vivo: 0 operational, 1 system
	NotifyLevel    int    `json:"notify_level,omitempty"`    // OPPO: 1, 2 or 16
	NoticeMsgType  int    `json:"notice_msg_type,omitempty"` // Meizu: 0 public, 1 private
	TemplateID     string `json:"template_id,omitempty"`     // OPPO private-message template ID
	BadgeClass     string `json:"badge_class,omitempty"`     // Huawei launcher activity class for badges

	// RatePerSecond bounds this certificate's vendor requests per second on each node;
	// 0 means the vendor's default (DefaultRate).
	RatePerSecond float64 `json:"rate_per_second,omitempty"`

	CreatedAt time.Time `json:"-"`
	UpdatedAt time.Time `json:"-"`
}

// Endpoint holds base URLs that replace a vendor's real hosts. SendURL replaces the send
// host (scheme, host and optional path prefix, e.g. "https://127.0.0.1:8443"); AuthURL
// replaces the OAuth/auth host where the vendor has one. For FCM the token URI comes from
// the service-account JSON unless AuthURL is set.
type Endpoint struct {
	SendURL string `json:"send_url,omitempty"`
	AuthURL string `json:"auth_url,omitempty"`
}

// CacheKey identifies the credentials of c for caches of vendor auth tokens: a new key
// after every update, so that a changed secret never reuses an old token.
func (c *Certificate) CacheKey() string {
	return fmt.Sprintf("%d@%d", c.ID, c.UpdatedAt.UnixNano())
}

// ClickType says what tapping a notification does.
type ClickType string

// The click actions a certificate can set.
const (
	ClickOpenApp  ClickType = "open_app"  // the launcher activity (the default)
	ClickOpenPage ClickType = "open_page" // an in-app page: an intent URI, or an activity class for OPPO/Meizu
	ClickOpenURL  ClickType = "open_url"  // an http(s) URL
)

// ClickAction is a certificate's click behaviour.
type ClickAction struct {
	Type   ClickType `json:"type,omitempty"`
	Target string    `json:"target,omitempty"` // the intent URI, activity class name or URL; empty for ClickOpenApp
}
