// Package sandbox is `herald serve --sandbox`: the eight vendor simulators of
// internal/vendorsim run inside the node, each with a sandbox push certificate of the
// node's app, and simulated phones log in over the node's real WebSocket with the Go
// client SDK and bind their simulated vendor token as a real app would. A phone's
// notifications are what its vendor's simulator put on its lock screen.
//
// A sandbox is for trying Herald on one machine; it is never for production
// (docs/sandbox.md): it lets the senders dial loopback addresses, and its certificates
// point at simulators that vanish when the node stops.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/herald-im/herald/client"
	"github.com/herald-im/herald/internal/auth"
	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/internal/vendorsim"
	"github.com/herald-im/herald/internal/vendorsim/simulate"
)

// CertificateNamePrefix starts the name of every sandbox certificate: "sandbox xiaomi".
// Open finds the certificates it made on an earlier start by it.
const CertificateNamePrefix = "sandbox "

// The click actions of the sandbox certificates (docs/vendors.md, "Click action"):
// vendors that open an in-app page by intent URI get ClickIntent, OPPO and Meizu (an
// activity class) get ClickActivity; FCM and APNs open the app.
const (
	ClickIntent   = "intent://chat#Intent;scheme=herald;component=com.example.chat/.ChatActivity;end"
	ClickActivity = "com.example.chat.ChatActivity"
)

// MaxPhones bounds the phones of a sandbox.
const MaxPhones = 50

// Errors of the phone calls.
var (
	// ErrNoPhone is returned for a phone ID the sandbox does not have.
	ErrNoPhone = errors.New("sandbox: no such phone")
	// ErrNotOpen is returned by phone calls before Open or after Close.
	ErrNotOpen = errors.New("sandbox: not open")
)

// State is a phone's app state.
type State string

// App states of a phone.
const (
	// Foreground: connected, the app on screen; messages arrive online, no push.
	Foreground State = "foreground"
	// Background: connected, the app in the background; the server pushes.
	Background State = "background"
	// Killed: the app was swiped away; the connection is gone, the token stays bound.
	Killed State = "killed"
)

// ParseState returns the State named s.
func ParseState(s string) (State, error) {
	switch st := State(s); st {
	case Foreground, Background, Killed:
		return st, nil
	}
	return "", fmt.Errorf("state %q: use foreground, background or killed", s)
}

// certStore is what the sandbox needs of Herald's store.
type certStore interface {
	FindAppByID(ctx context.Context, sdkAppID int64) (*store.App, error)
	FindCertificates(ctx context.Context, sdkAppID int64) ([]*store.Certificate, error)
	CreateCertificate(ctx context.Context, c *store.Certificate) error
	UpdateCertificate(ctx context.Context, sdkAppID, id int64, upd store.CertificateUpdate) error
	FindDevice(ctx context.Context, sdkAppID int64, userID, deviceID string) (*store.Device, error)
}

// accounts creates the users phones log in as.
type accounts interface {
	ImportAccounts(ctx context.Context, sdkAppID int64, in []im.AccountInput) error
}

// Sandbox runs the simulators and the simulated phones of one app. Set its fields,
// then OpenSimulators, Open and SetURL; Close stops everything. Its methods are safe
// for concurrent use.
type Sandbox struct {
	// Dir is where the simulators' key files and certificates.json go.
	Dir    string
	Logger *slog.Logger
	Now    func() time.Time

	sims     *simulate.Servers
	st       certStore
	accounts accounts
	sdkAppID int64

	mu      sync.Mutex // protects the fields below
	wsURL   string
	certs   map[push.Vendor]int64 // the sandbox certificate of each vendor
	phones  map[string]*phone
	order   []string // phone IDs, oldest first
	next    int
	closed  bool
	vendors map[push.Vendor]*simulate.Vendor
}

// New returns a Sandbox writing its files in dir.
func New(dir string) *Sandbox {
	return &Sandbox{Dir: dir, Logger: slog.Default(), Now: time.Now, phones: map[string]*phone{}, certs: map[push.Vendor]int64{}}
}

// OpenSimulators starts the eight simulators on free loopback ports. The senders must
// trust CAFile (the APNs simulator's TLS) and may dial loopback.
func (s *Sandbox) OpenSimulators() error {
	sims := simulate.NewServers()
	sims.Port, sims.Dir, sims.Logger = 0, s.Dir, s.Logger
	if err := sims.Open(); err != nil {
		return fmt.Errorf("sandbox simulators: %w", err)
	}
	s.sims = sims
	s.vendors = map[push.Vendor]*simulate.Vendor{}
	for _, v := range sims.Vendors() {
		s.vendors[v.Vendor] = v
	}
	return nil
}

// CAFile returns the PEM file of the APNs simulator's CA.
func (s *Sandbox) CAFile() string { return s.sims.CAFile() }

// Simulators returns the running simulators, in the order of push.Vendors.
func (s *Sandbox) Simulators() []*simulate.Vendor { return s.sims.Vendors() }

// Open gives app sdkAppID one sandbox certificate per vendor, pointed at its simulator
// with the vendor's click action; certificates of an earlier start (by name) are
// updated in place, so their IDs stay. Users phones log in as are created through ac.
func (s *Sandbox) Open(ctx context.Context, st certStore, ac accounts, sdkAppID int64) error {
	s.st, s.accounts, s.sdkAppID = st, ac, sdkAppID
	existing, err := st.FindCertificates(ctx, sdkAppID)
	if err != nil {
		return fmt.Errorf("sandbox: find certificates: %w", err)
	}
	byName := map[string]*store.Certificate{}
	for _, c := range existing {
		byName[c.Name] = c
	}
	for _, v := range s.sims.Vendors() {
		c := *v.Certificate
		c.SDKAppID, c.Name, c.ID = sdkAppID, CertificateNamePrefix+v.Vendor.String(), 0
		c.Click = click(v.Vendor)
		sc, err := c.ToStored()
		if err != nil {
			return err
		}
		if old := byName[c.Name]; old != nil && old.Vendor == string(v.Vendor) {
			if err := st.UpdateCertificate(ctx, sdkAppID, old.ID, store.CertificateUpdate{Config: sc.Config}); err != nil {
				return fmt.Errorf("sandbox: update certificate %d: %w", old.ID, err)
			}
			sc.ID = old.ID
		} else if err := st.CreateCertificate(ctx, sc); err != nil {
			return fmt.Errorf("sandbox: create %s certificate: %w", v.Vendor, err)
		}
		s.mu.Lock()
		s.certs[v.Vendor] = sc.ID
		s.mu.Unlock()
	}
	return nil
}

// click is the sandbox certificate's click action for v.
func click(v push.Vendor) push.ClickAction {
	switch v {
	case push.FCM, push.APNs:
		return push.ClickAction{Type: push.ClickOpenApp}
	case push.OPPO, push.Meizu:
		return push.ClickAction{Type: push.ClickOpenPage, Target: ClickActivity}
	}
	return push.ClickAction{Type: push.ClickOpenPage, Target: ClickIntent}
}

// SetURL sets the node's WebSocket endpoint the phones log in to, e.g.
// ws://127.0.0.1:8080/v1/ws.
func (s *Sandbox) SetURL(wsURL string) {
	s.mu.Lock()
	s.wsURL = wsURL
	s.mu.Unlock()
}

// SDKAppID returns the app the sandbox belongs to.
func (s *Sandbox) SDKAppID() int64 { return s.sdkAppID }

// CertificateID returns the sandbox certificate of v, or 0.
func (s *Sandbox) CertificateID(v push.Vendor) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.certs[v]
}

// PhoneSpec is a phone to create.
type PhoneSpec struct {
	Vendor push.Vendor
	UserID string
	State  State // default Background
}

// Phone is what the sandbox shows of a phone.
type Phone struct {
	ID            string      `json:"id"` // the device ID it logs in with
	Vendor        push.Vendor `json:"vendor"`
	UserID        string      `json:"user_id"`
	Platform      string      `json:"platform"` // iOS for APNs, else Android
	State         State       `json:"state"`
	CertificateID int64       `json:"certificate_id"`
	// Token is the simulated vendor token the phone bound; it reaches only the sandbox's
	// simulator.
	Token string `json:"token"`
	// Kicked says the server logged the phone out (another login of the user displaced
	// it, as the app's device policy says); its token was unbound.
	Kicked bool `json:"kicked"`
	// Notifications counts what is on the lock screen; Online the messages the app
	// received over its connection.
	Notifications int             `json:"notifications"`
	Online        []OnlineMessage `json:"online_messages"`
	CreatedAt     time.Time       `json:"created_at"`
}

// OnlineMessage is a message the app received over its WebSocket.
type OnlineMessage struct {
	ID   string    `json:"id"`
	From string    `json:"from"`
	Text string    `json:"text"`
	Time time.Time `json:"time"`
}

// maxOnline bounds the online messages a phone keeps.
const maxOnline = 20

// phone is a Phone and its client.
type phone struct {
	Phone
	sim *vendorsim.Sim
	cli *client.Client // nil while killed
}

// CreatePhone registers a new phone with sp.Vendor's simulator, creates sp.UserID if
// needed, logs in over the WebSocket, binds the token to the sandbox certificate and
// puts the app in sp.State.
func (s *Sandbox) CreatePhone(ctx context.Context, sp PhoneSpec) (*Phone, error) {
	if sp.State == "" {
		sp.State = Background
	}
	if _, err := ParseState(string(sp.State)); err != nil {
		return nil, errcode.Wrap(errcode.InvalidRequest, err, err.Error())
	}
	if err := auth.ValidUserID(sp.UserID); err != nil {
		return nil, errcode.Wrap(errcode.InvalidUserID, err, "user_id: "+err.Error())
	}
	s.mu.Lock()
	if s.closed || s.sims == nil || s.st == nil {
		s.mu.Unlock()
		return nil, ErrNotOpen
	}
	v, ok := s.vendors[sp.Vendor]
	if !ok {
		s.mu.Unlock()
		return nil, fmt.Errorf("vendor %q: %w", sp.Vendor, push.ErrUnknownVendor)
	}
	if len(s.phones) >= MaxPhones {
		s.mu.Unlock()
		return nil, fmt.Errorf("%w: a sandbox holds at most %d phones; delete one", errFull, MaxPhones)
	}
	s.next++
	id := "sandbox-" + sp.Vendor.String() + "-" + strconv.Itoa(s.next)
	certID := s.certs[sp.Vendor]
	s.mu.Unlock()

	if err := s.accounts.ImportAccounts(ctx, s.sdkAppID, []im.AccountInput{{UserID: sp.UserID}}); err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	platform := "Android"
	if sp.Vendor == push.APNs {
		platform = "iOS"
	}
	p := &phone{Phone: Phone{
		ID: id, Vendor: sp.Vendor, UserID: sp.UserID, Platform: platform, State: sp.State,
		CertificateID: certID, Token: v.Sim.Register(v.App), CreatedAt: s.Now(),
	}, sim: v.Sim}
	if err := s.connect(ctx, p, sp.State); err != nil {
		v.Sim.Unregister(p.Token)
		return nil, err
	}
	s.mu.Lock()
	s.phones[id] = p
	s.order = append(s.order, id)
	s.mu.Unlock()
	s.Logger.Info("sandbox phone created", "phone", id, "user", sp.UserID, "state", string(sp.State))
	return s.view(p), nil
}

// errFull is wrapped by CreatePhone when MaxPhones are there.
var errFull = errors.New("sandbox: full")

// connect logs p in, binds its token and puts it in state; for Killed it then drops
// the connection as a killed app does, without logging out.
func (s *Sandbox) connect(ctx context.Context, p *phone, state State) error {
	app, err := s.st.FindAppByID(ctx, s.sdkAppID)
	if err != nil {
		return fmt.Errorf("find app: %w", err)
	}
	sig, err := auth.GenUserSig(app.SDKAppID, app.SecretKey, p.UserID, 24*time.Hour, s.Now())
	if err != nil {
		return fmt.Errorf("usersig: %w", err)
	}
	s.mu.Lock()
	url := s.wsURL
	s.mu.Unlock()
	if url == "" {
		return ErrNotOpen
	}
	cli := client.New(client.Config{
		URL: url, SDKAppID: s.sdkAppID, DeviceID: p.ID, Platform: p.Platform, Logger: s.Logger,
		Listener: client.Listener{
			OnNewMessage:    func(m *client.Message) { s.online(p, m) },
			OnKickedOffline: func(*client.Kicked) { s.kicked(p) },
		},
	})
	if err := cli.Login(ctx, p.UserID, sig); err != nil {
		cli.Close()
		return fmt.Errorf("log in %s: %w", p.UserID, err)
	}
	err = cli.SetOfflinePushConfig(ctx, p.CertificateID, p.Token)
	if err == nil {
		switch state {
		case Background:
			err = cli.DoBackground(ctx, 0)
		case Foreground:
			err = cli.DoForeground(ctx)
		}
	}
	if err != nil {
		cli.Close()
		return fmt.Errorf("phone %s: %w", p.ID, err)
	}
	if state == Killed {
		if err := s.kill(ctx, p, cli); err != nil {
			return err
		}
		cli = nil
	}
	s.mu.Lock()
	p.cli, p.State, p.Kicked = cli, state, false
	s.mu.Unlock()
	return nil
}

// killWait bounds how long kill waits for the node to see the connection gone.
const killWait = 10 * time.Second

// kill drops cli's connection as a killed app does, without logging out, and waits
// until the node has marked the device offline: a message sent after kill returns is
// pushed, not delivered to a connection that is going away.
func (s *Sandbox) kill(ctx context.Context, p *phone, cli *client.Client) error {
	cli.Close()
	ctx, cancel := context.WithTimeout(ctx, killWait)
	defer cancel()
	for {
		d, err := s.st.FindDevice(ctx, s.sdkAppID, p.UserID, p.ID)
		if err == nil && d.State != store.Online {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("phone %s: the node still sees it connected: %w", p.ID, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (s *Sandbox) online(p *phone, m *client.Message) {
	text := ""
	for _, e := range m.Elements {
		if e.Text != "" {
			text = e.Text
			break
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p.Online = append(p.Online, OnlineMessage{ID: m.ID, From: m.From, Text: text, Time: s.Now()})
	if len(p.Online) > maxOnline {
		p.Online = slices.Delete(p.Online, 0, len(p.Online)-maxOnline)
	}
}

func (s *Sandbox) kicked(p *phone) {
	s.mu.Lock()
	p.Kicked, p.State = true, Killed
	cli := p.cli
	p.cli = nil
	s.mu.Unlock()
	if cli != nil {
		// Not from the client's own listener goroutine, which Close waits for; Close
		// ends it, so this goroutine ends with it.
		go cli.Close()
	}
}

// view copies p's public part under s.mu.
func (s *Sandbox) view(p *phone) *Phone {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.viewLocked(p)
}

func (s *Sandbox) viewLocked(p *phone) *Phone {
	v := p.Phone
	v.Online = append([]OnlineMessage{}, p.Online...)
	v.Notifications = len(p.sim.Inbox(p.Token))
	return &v
}

// Phones returns every phone, oldest first.
func (s *Sandbox) Phones() []*Phone {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Phone, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.viewLocked(s.phones[id]))
	}
	return out
}

func (s *Sandbox) find(id string) (*phone, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.phones[id]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrNoPhone, id)
	}
	return p, nil
}

// FindPhone returns the phone id. ErrNoPhone.
func (s *Sandbox) FindPhone(id string) (*Phone, error) {
	p, err := s.find(id)
	if err != nil {
		return nil, err
	}
	return s.view(p), nil
}

// SetState puts phone id's app in state: a killed app is started again (it logs in
// and binds its token anew), a running one is killed by dropping its connection.
func (s *Sandbox) SetState(ctx context.Context, id string, state State) (*Phone, error) {
	if _, err := ParseState(string(state)); err != nil {
		return nil, errcode.Wrap(errcode.InvalidRequest, err, err.Error())
	}
	p, err := s.find(id)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	cli := p.cli
	s.mu.Unlock()
	switch {
	case cli == nil:
		if err := s.connect(ctx, p, state); err != nil {
			return nil, err
		}
	case state == Killed:
		if err := s.kill(ctx, p, cli); err != nil {
			return nil, err
		}
		s.mu.Lock()
		p.cli, p.State = nil, Killed
		s.mu.Unlock()
	default:
		if state == Background {
			err = cli.DoBackground(ctx, 0)
		} else {
			err = cli.DoForeground(ctx)
		}
		if err != nil {
			return nil, fmt.Errorf("phone %s: %w", id, err)
		}
		s.mu.Lock()
		p.State = state
		s.mu.Unlock()
	}
	return s.view(p), nil
}

// DeletePhone uninstalls the app from phone id: it logs out (which unbinds the token)
// if it is running, and the simulator forgets the token, as the vendor does.
func (s *Sandbox) DeletePhone(ctx context.Context, id string) error {
	p, err := s.find(id)
	if err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.phones, id)
	s.order = slices.DeleteFunc(s.order, func(o string) bool { return o == id })
	cli := p.cli
	p.cli = nil
	s.mu.Unlock()
	if cli != nil {
		if err := cli.Logout(ctx); err != nil && !errors.Is(err, client.ErrNotLoggedIn) && !errors.Is(err, client.ErrKicked) {
			s.Logger.Warn("sandbox phone logout", "phone", id, "err", err)
		}
		cli.Close()
	}
	p.sim.Unregister(p.Token)
	return nil
}

// Notification is one notification on a phone's lock screen.
type Notification struct {
	Index int `json:"index"` // 0 = the oldest; what Tap takes
	vendorsim.Delivered
}

// Notifications returns what is on phone id's lock screen, oldest first.
func (s *Sandbox) Notifications(id string) ([]Notification, error) {
	p, err := s.find(id)
	if err != nil {
		return nil, err
	}
	in := p.sim.Inbox(p.Token)
	out := make([]Notification, len(in))
	for i, d := range in {
		d.Raw = nil // the vendor's request is in the simulator's own inbox
		out[i] = Notification{Index: i, Delivered: d}
	}
	return out, nil
}

// Tap taps notification i (0 = the oldest) of phone id and returns what the app reads:
// the click action and the ext. ErrNoPhone for an unknown phone or notification.
func (s *Sandbox) Tap(id string, i int) (vendorsim.ClickResult, error) {
	p, err := s.find(id)
	if err != nil {
		return vendorsim.ClickResult{}, err
	}
	res, ok := p.sim.Tap(p.Token, i)
	if !ok {
		return vendorsim.ClickResult{}, fmt.Errorf("%w: phone %q has no notification %d", ErrNoPhone, id, i)
	}
	return res, nil
}

// Close drops every phone's connection (without logging out, as a node going down
// sees it) and stops the simulators.
func (s *Sandbox) Close() error {
	s.mu.Lock()
	s.closed = true
	var clis []*client.Client
	for _, p := range s.phones {
		if p.cli != nil {
			clis = append(clis, p.cli)
			p.cli = nil
		}
	}
	s.mu.Unlock()
	for _, c := range clis {
		c.Close()
	}
	if s.sims == nil {
		return nil
	}
	return s.sims.Close()
}
