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
	ID       int64 // Herald's certificate ID (businessID), unique per server
	SDKAppID int64 // the chat app this certificate belongs to
	Vendor   Vendor
	Name     string // a label for the console

	// PackageName is the Android application ID (Huawei, Honor, Xiaomi, OPPO, vivo, Meizu,
	// FCM's restricted_package_name). BundleID is the iOS topic (APNs).
	PackageName string
	BundleID    string

	// Vendor credentials.
	AppID          string // Huawei/Honor app ID, Xiaomi app ID, OPPO app ID, vivo appId, Meizu appId
	AppKey         string // OPPO app_key, vivo appKey, Xiaomi app key
	AppSecret      string // secret: Huawei client secret, Xiaomi AppSecret, vivo appSecret, Meizu appSecret
	MasterSecret   string // secret: OPPO master_secret
	ClientID       string // Honor client ID (Huawei uses AppID as its OAuth client ID)
	ClientSecret   string // secret: Honor client secret
	ServiceAccount []byte // secret: FCM service-account JSON (project_id, client_email, private_key, token_uri)

	// APNs: token auth (KeyP8, KeyID, TeamID) or certificate auth (CertP12, CertPassword).
	KeyP8        []byte // secret: the .p8 PEM
	KeyID        string
	TeamID       string
	CertP12      []byte // secret: the .p12 bundle
	CertPassword string // secret
	Production   bool   // APNs: the production host rather than sandbox
	VoIP         bool   // APNs: pushes go to the VoIP topic (BundleID + ".voip") with push type voip

	// Endpoint overrides the vendor's hosts, for private gateways and the simulators. Empty
	// fields mean the real vendor hosts.
	Endpoint Endpoint

	// Click is what tapping the notification does.
	Click ClickAction

	// Defaults used when a message's push info does not say otherwise.
	ChannelID      string // FCM, Huawei, Xiaomi, OPPO channel ID
	Category       string // Huawei/OPPO/vivo category (e.g. IM), Honor importance goes in Importance
	Importance     string // Huawei/Honor importance: LOW or NORMAL
	Classification int    // vivo: 0 operational, 1 system
	NotifyLevel    int    // OPPO: 1, 2 or 16
	NoticeMsgType  int    // Meizu: 0 public, 1 private
	TemplateID     string // OPPO private-message template ID
	BadgeClass     string // Huawei launcher activity class for badges

	CreatedAt time.Time
	UpdatedAt time.Time
}

// Endpoint holds base URLs that replace a vendor's real hosts. SendURL replaces the send
// host (scheme, host and optional path prefix, e.g. "https://127.0.0.1:8443"); AuthURL
// replaces the OAuth/auth host where the vendor has one. For FCM the token URI comes from
// the service-account JSON unless AuthURL is set.
type Endpoint struct {
	SendURL string
	AuthURL string
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
	Type   ClickType
	Target string // the intent URI, activity class name or URL; empty for ClickOpenApp
}
