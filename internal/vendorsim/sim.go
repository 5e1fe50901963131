// Package vendorsim holds faithful local simulators of the vendor push APIs (one
// sub-package per vendor: fcm, apns, huawei, honor, xiaomi, oppo, vivo, meizu) and the
// pieces they share: simulated phones with inboxes, fault injection, counters and the
// small admin API under /_sim/.
//
// A simulator checks authentication and payloads as strictly as the real service and
// answers with the real service's success and error shapes; Herald's senders are tested
// against them over real HTTP, and `herald sim` runs them all on local ports.
package vendorsim

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Delivered is what a simulated phone shows for one notification, in vendor-neutral
// terms; each simulator fills it from its own request format, so tests can check that a
// sender put every field where the vendor expects it.
type Delivered struct {
	Token      string            `json:"token"`
	Title      string            `json:"title"`
	Body       string            `json:"body"`
	Subtitle   string            `json:"subtitle,omitempty"`
	Image      string            `json:"image,omitempty"`
	Ext        string            `json:"ext,omitempty"`    // what the app reads as "ext" on click
	Extras     map[string]string `json:"extras,omitempty"` // every key/value the app receives on click
	Click      Click             `json:"click"`
	ChannelID  string            `json:"channel_id,omitempty"`
	Category   string            `json:"category,omitempty"`
	Importance string            `json:"importance,omitempty"`
	Sound      string            `json:"sound,omitempty"`
	Badge      *int              `json:"badge,omitempty"`
	NotifyID   string            `json:"notify_id,omitempty"`   // numeric notify IDs as decimal text
	CollapseID string            `json:"collapse_id,omitempty"` // collapse key, tag or apns-collapse-id
	Priority   string            `json:"priority,omitempty"`
	TTL        time.Duration     `json:"ttl,omitempty"`
	PushType   string            `json:"push_type,omitempty"` // APNs apns-push-type
	// ReplaceKeys are the keys, each named after the vendor's field ("tag:t1",
	// "notify_id:7"), by which the vendor's documentation says a notification replaces
	// one shown earlier: a notification that shares any of them with one on the lock
	// screen takes its place (Sim.Shown). None: it is shown beside the others.
	ReplaceKeys []string        `json:"replace_keys,omitempty"`
	MessageID   string          `json:"message_id"`    // the ID the simulator answered with
	Raw         json.RawMessage `json:"raw,omitempty"` // the vendor payload as received (JSON)
	ReceivedAt  time.Time       `json:"received_at"`
}

// Click is what tapping a notification does on the simulated phone.
type Click struct {
	Type   string `json:"type"`             // open_app, open_page or open_url
	Target string `json:"target,omitempty"` // intent URI, activity class or URL
}

// PhoneState is what the simulator knows of a token.
type PhoneState int

// Token states.
const (
	Unknown      PhoneState = iota // never issued by this simulator
	Active                         // registered
	Unregistered                   // the app was uninstalled or the token was revoked
)

// A Phone is one simulated device with the app installed.
type Phone struct {
	Token string `json:"token"`
	App   string `json:"app"` // the vendor's app identity the token belongs to (project, bundle, app ID)
	State PhoneState
	// Inbox is every notification the phone received, oldest first.
	Inbox []Delivered `json:"inbox"`
	// Shade is what the lock screen shows now: the notifications with a title or body,
	// each in place of the earlier one it replaced (Delivered.ReplaceKeys).
	Shade []Delivered `json:"shade"`
}

// show puts d on p's lock screen, in place of the first notification it replaces.
func (p *Phone) show(d Delivered) {
	if d.Title == "" && d.Body == "" {
		return // a data message: the app's, not the lock screen's
	}
	for i, old := range p.Shade {
		for _, k := range d.ReplaceKeys {
			if slices.Contains(old.ReplaceKeys, k) {
				p.Shade[i] = d
				return
			}
		}
	}
	p.Shade = append(p.Shade, d)
}

// Sim is the part every vendor simulator embeds: phones, faults and counters. Its
// methods are safe for concurrent use.
type Sim struct {
	Vendor string
	// Now is the simulator's clock. Default: time.Now.
	Now func() time.Time
	// NewToken makes a token in the vendor's format for app. Default: 64 hex digits.
	NewToken func(app string) string

	mu     sync.Mutex // protects phones and faults
	phones map[string]*Phone
	faults []*faultRule

	requests      atomic.Int64
	authCalls     atomic.Int64
	notifications atomic.Int64
	rejected      atomic.Int64
}

// NewSim returns a Sim for vendor.
func NewSim(vendor string) *Sim {
	return &Sim{Vendor: vendor, Now: time.Now, NewToken: func(string) string { return RandomHex(32) }, phones: map[string]*Phone{}}
}

// RandomHex returns n random bytes as lower-case hex.
func RandomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return fmt.Sprintf("%x", b)
}

// Register installs the app on a new phone and returns its token.
func (s *Sim) Register(app string) string {
	tok := s.NewToken(app)
	s.mu.Lock()
	s.phones[tok] = &Phone{Token: tok, App: app, State: Active}
	s.mu.Unlock()
	return tok
}

// Unregister uninstalls the app: later sends to token are answered the way the vendor
// answers for an unregistered token. It reports whether the token was known.
func (s *Sim) Unregister(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.phones[token]
	if ok {
		p.State = Unregistered
	}
	return ok
}

// Lookup returns the state of token and the app it was issued for.
func (s *Sim) Lookup(token string) (state PhoneState, app string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.phones[token]
	if !ok {
		return Unknown, ""
	}
	return p.State, p.App
}

// Deliver puts d in the inbox of d.Token's phone and counts it. It does nothing for a
// token that is not Active (the caller has already answered with the vendor's error).
func (s *Sim) Deliver(d Delivered) {
	if d.ReceivedAt.IsZero() {
		d.ReceivedAt = s.Now()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.phones[d.Token]
	if !ok || p.State != Active {
		return
	}
	p.Inbox = append(p.Inbox, d)
	p.show(d)
	s.notifications.Add(1)
}

// Shown returns a copy of what token's phone shows on its lock screen now, in the order
// the notifications were first shown: a notification that replaced another is in the
// other's place.
func (s *Sim) Shown(token string) []Delivered {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.phones[token]
	if !ok {
		return nil
	}
	return append([]Delivered(nil), p.Shade...)
}

// Inbox returns a copy of the notifications token's phone has received, oldest first.
func (s *Sim) Inbox(token string) []Delivered {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.phones[token]
	if !ok {
		return nil
	}
	return append([]Delivered(nil), p.Inbox...)
}

// ClickResult is what the app reads when the user taps a notification.
type ClickResult struct {
	Click  Click             `json:"click"`
	Ext    string            `json:"ext"`
	Extras map[string]string `json:"extras"`
}

// Tap taps notification i (0 = oldest) of token's phone.
func (s *Sim) Tap(token string, i int) (ClickResult, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.phones[token]
	if !ok || i < 0 || i >= len(p.Inbox) {
		return ClickResult{}, false
	}
	d := p.Inbox[i]
	return ClickResult{Click: d.Click, Ext: d.Ext, Extras: d.Extras}, true
}

// Stats are a simulator's counters.
type Stats struct {
	Requests      int64 `json:"requests"`      // every request to a send endpoint
	AuthCalls     int64 `json:"auth_calls"`    // every request to an auth endpoint
	Notifications int64 `json:"notifications"` // notifications put in an inbox
	Rejected      int64 `json:"rejected"`      // requests answered with an error
}

// Stats returns the counters so far.
func (s *Sim) Stats() Stats {
	return Stats{Requests: s.requests.Load(), AuthCalls: s.authCalls.Load(), Notifications: s.notifications.Load(), Rejected: s.rejected.Load()}
}

// CountRequest counts a request to a send endpoint.
func (s *Sim) CountRequest() { s.requests.Add(1) }

// CountAuth counts a request to an auth endpoint.
func (s *Sim) CountAuth() { s.authCalls.Add(1) }

// CountRejected counts a request answered with an error.
func (s *Sim) CountRejected() { s.rejected.Add(1) }
