package loadtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-im/herald/client"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/internal/vendorsim"
	"github.com/herald-im/herald/internal/vendorsim/simulate"
	"github.com/herald-im/herald/protocol"
)

// Push defaults.
const (
	DefaultPushDevices  = 1000
	DefaultPushSenders  = 50
	DefaultPushDuration = 10 * time.Second
	DefaultGroupMembers = 10000
	DefaultBadges       = 4
	// DefaultPushDrain bounds the wait for notifications after the sending stops.
	DefaultPushDrain = 60 * time.Second
)

// PushVendor is one vendor simulator, running in this process, that the push
// scenarios register phones on, with the node's certificate for its demo app.
type PushVendor struct {
	Vendor push.Vendor
	// CertificateID is the node's certificate of the simulator's demo app.
	CertificateID int64
	// App is the app identity a phone registers with (simulate.Vendor.App).
	App string
	// Sim is the simulator's phones and counters.
	Sim *vendorsim.Sim
	// Certificate is the node's certificate (its stored ID set), for the floor.
	Certificate *push.Certificate
}

func (v *PushVendor) platform() string {
	if v.Vendor == push.APNs {
		return "iOS"
	}
	return "Android"
}

// VendorCount is what one vendor simulator counted during a run.
type VendorCount struct {
	Vendor push.Vendor
	// Phones is how many of the run's phones are on this vendor.
	Phones int
	// Requests, Notifications and Rejected are the simulator's counters' growth
	// (vendorsim.Stats) over the run.
	Requests, Notifications, Rejected int64
}

// Delivery is the exactly-once check of a run: every notification the run expected,
// counted in the phones' inboxes.
type Delivery struct {
	Expected   int // notifications the phones should have
	Arrived    int // expected notifications found exactly once
	Missing    int // expected, not found
	Duplicated int // expected, found more than once (each counted once here)
	Unexpected int // found, not expected
}

// OK reports whether every expected notification arrived exactly once and nothing else.
func (d Delivery) OK() bool {
	return d.Arrived == d.Expected && d.Missing == 0 && d.Duplicated == 0 && d.Unexpected == 0
}

func (d Delivery) String() string {
	return fmt.Sprintf("%d of %d exactly once, %d missing, %d duplicated, %d unexpected", d.Arrived, d.Expected, d.Missing, d.Duplicated, d.Unexpected)
}

// phone is one offline device: logged in, its token bound, its connection closed.
type phone struct {
	user   string
	vendor *PushVendor
	token  string
}

// simCounts snapshots every simulator's counters.
func simCounts(vendors []*PushVendor) []vendorsim.Stats {
	out := make([]vendorsim.Stats, len(vendors))
	for i, v := range vendors {
		out[i] = v.Sim.Stats()
	}
	return out
}

func notificationsSince(vendors []*PushVendor, before []vendorsim.Stats) int64 {
	var n int64
	for i, v := range vendors {
		n += v.Sim.Stats().Notifications - before[i].Notifications
	}
	return n
}

func vendorCounts(vendors []*PushVendor, phones []*phone, before []vendorsim.Stats) []VendorCount {
	out := make([]VendorCount, len(vendors))
	for i, v := range vendors {
		s := v.Sim.Stats()
		out[i] = VendorCount{Vendor: v.Vendor, Requests: s.Requests - before[i].Requests,
			Notifications: s.Notifications - before[i].Notifications, Rejected: s.Rejected - before[i].Rejected}
		for _, p := range phones {
			if p.vendor == v {
				out[i].Phones++
			}
		}
	}
	return out
}

// bindOffline makes len(users) offline devices, user i on vendor i mod len(vendors):
// each logs in over a raw WebSocket, binds a new phone's token, goes to the background
// with unread(i) unread messages (the badge's seed) and drops its connection, as a
// killed app does. It returns the first failure.
func bindOffline(ctx context.Context, t Target, vendors []*PushVendor, users []string, concurrency int, unread func(i int) int) ([]*phone, error) {
	u, err := t.parse()
	if err != nil {
		return nil, err
	}
	phones := make([]*phone, len(users))
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				v := vendors[i%len(vendors)]
				p := &phone{user: users[i], vendor: v, token: v.Sim.Register(v.App)}
				// A loaded node may drop a login (its deadline): try again before
				// calling the setup failed.
				err := bindOne(ctx, t, u, p, unread(i))
				for try := 1; err != nil && try < 3 && ctx.Err() == nil; try++ {
					time.Sleep(time.Duration(try) * time.Second)
					err = bindOne(ctx, t, u, p, unread(i))
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("bind %s: %w", p.user, err)
					}
					mu.Unlock()
					continue
				}
				phones[i] = p
			}
		}()
	}
	for i := range users {
		select {
		case next <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(next)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return phones, firstErr
}

func bindOne(ctx context.Context, t Target, u *url.URL, p *phone, unread int) error {
	sig, err := t.userSig(p.user)
	if err != nil {
		return err
	}
	dctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	w, err := dialWS(dctx, u, nil)
	if err != nil {
		return err
	}
	defer w.Close()
	login := protocol.LoginRequest{SDKAppID: t.SDKAppID, UserID: p.user, UserSig: sig, Platform: p.vendor.platform(), DeviceID: "p-" + p.user}
	if err := w.call(protocol.OpLogin, login, nil, callTimeout); err != nil {
		return err
	}
	bind := protocol.SetPushConfigRequest{CertificateID: p.vendor.CertificateID, Token: p.token}
	if err := w.call(protocol.OpSetPushConfig, bind, nil, callTimeout); err != nil {
		return err
	}
	return w.call(protocol.OpBackground, protocol.BackgroundRequest{Unread: unread}, nil, callTimeout)
}

// waitSessions waits, up to a minute, until the server holds at most want sessions, so
// that the disconnects of the devices just bound are not measured with the pushes.
func waitSessions(ctx context.Context, sessions func() int, want int) {
	if sessions == nil {
		return
	}
	deadline := time.Now().Add(time.Minute)
	for sessions() > want && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
}

// loginClients logs users in with the client SDK, each with a device of its own.
func loginClients(ctx context.Context, t Target, users []string) ([]*client.Client, error) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	out := make([]*client.Client, len(users))
	errs := make([]error, len(users))
	var wg sync.WaitGroup
	for i, user := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := client.New(client.Config{URL: t.URL, SDKAppID: t.SDKAppID, DeviceID: "d-" + user, Platform: "Windows", Logger: quiet})
			sig, err := t.userSig(user)
			if err == nil {
				lctx, cancel := context.WithTimeout(ctx, callTimeout)
				err = cl.Login(lctx, user, sig)
				cancel()
			}
			if err != nil {
				errs[i] = fmt.Errorf("login %s: %w", user, err)
				return
			}
			out[i] = cl
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			closeClients(out)
			return nil, err
		}
	}
	return out, nil
}

func closeClients(cs []*client.Client) {
	for _, c := range cs {
		if c != nil {
			c.Close()
		}
	}
}

// expected is one notification a phone should get: its body, and when the message
// was sent.
type expected struct {
	token string
	body  string
	sent  time.Time
}

// checkInboxes reads every phone's inbox once and matches it against want, comparing
// bodies after text (nil: as they are). It returns the check and the latencies, send to
// the simulator's ReceivedAt, of the notifications that arrived exactly once, with the
// latest arrival.
func checkInboxes(phones []*phone, want []expected, text func(body string) string) (Delivery, []time.Duration, time.Time) {
	type key struct{ token, body string }
	wanted := make(map[key]time.Time, len(want))
	for _, e := range want {
		wanted[key{e.token, e.body}] = e.sent
	}
	d := Delivery{Expected: len(want)}
	var lat []time.Duration
	var last time.Time
	for _, p := range phones {
		got := map[string][]time.Time{}
		for _, n := range p.vendor.Sim.Inbox(p.token) {
			body := n.Body
			if text != nil {
				if body = text(body); body == "" {
					continue // another run's notification on a shared phone
				}
			}
			got[body] = append(got[body], n.ReceivedAt)
		}
		for body, at := range got {
			sent, ok := wanted[key{p.token, body}]
			switch {
			case !ok:
				d.Unexpected += len(at)
			case len(at) > 1:
				d.Duplicated++
			default:
				d.Arrived++
				lat = append(lat, at[0].Sub(sent))
				if at[0].After(last) {
					last = at[0]
				}
			}
		}
	}
	d.Missing = d.Expected - d.Arrived - d.Duplicated
	return d, sortDurations(lat), last
}

// PushC2CConfig configures RunPushC2C. The zero value of each field means its default.
type PushC2CConfig struct {
	// Vendors are the simulators the devices are spread over, in turn. Required.
	Vendors []*PushVendor
	// Devices is how many offline devices receive, each its own user. Default 1000.
	Devices int
	// Senders is how many online users send, each one message at a time, to the
	// devices i with i mod Senders equal to its index, in turn. Default 50.
	Senders int
	// Duration is how long the senders send. Default 10s.
	Duration time.Duration
	// Drain bounds the wait for notifications after the sending stops. Default 60s.
	Drain time.Duration
	// Concurrency is how many devices are set up at once. Default DefaultConcurrency.
	Concurrency int
	// ServerSessions, when set, returns how many sessions the node holds; the run
	// waits for the devices' disconnects before it sends.
	ServerSessions func() int
	// Rate, when > 0, makes the run open loop: Rate messages per second are started on
	// a fixed schedule, whether earlier sends have returned or not (at most
	// MaxInFlight at once), and latency runs from each send returning to the vendor's
	// receipt. 0 means closed loop: each sender one message at a time.
	Rate float64
	// Measure, when set, is called right before the first send and its result after
	// the last notification arrived (a CPU profile of the run alone).
	Measure func() (stop func())
	// Logger reports progress. Default: discard.
	Logger *slog.Logger
}

// MaxInFlight bounds the sends an open-loop run has started and not seen return; a
// schedule that needs more is counted as Late, not sent.
const MaxInFlight = 4096

// BacklogSample is the push backlog of an open-loop run at one moment: messages sent
// (returned) whose notification has not reached the simulator yet.
type BacklogSample struct {
	At      time.Duration // since the first send
	Backlog int64
}

// PushC2CResult is what RunPushC2C measured.
type PushC2CResult struct {
	Devices, Senders int
	SetupTime        time.Duration // binding the devices
	Sent             int64         // messages the server accepted
	SendErrors       int64
	FirstError       string
	Delivery         Delivery
	// Elapsed runs from the first send to the last notification in an inbox.
	Elapsed time.Duration
	// CPU is this process's CPU time (user + system) over Elapsed, when it can be read:
	// with an embedded node, node, load generator and simulators together.
	CPU time.Duration
	// Rate is notifications that arrived exactly once per second of Elapsed.
	Rate float64
	// Latency is from just before SendMessage (open loop: from its return) to the
	// simulator putting the notification in the phone's inbox.
	LatencyP50, LatencyP90, LatencyP99, LatencyMax time.Duration
	Vendors                                        []VendorCount
	// Open loop only: the rate asked for, the rate of sends that returned, the
	// scheduled sends skipped because MaxInFlight were in flight, and the backlog
	// sampled every second while sending.
	TargetRate, SendRate float64
	Late                 int64
	Backlog              []BacklogSample
}

// Sustained reports whether an open-loop run kept up: it skipped no send and the
// backlog at the end of sending is not above the largest of its first half plus one
// second of sends (a queue that stops growing), so the node sustains TargetRate.
func (r *PushC2CResult) Sustained() bool {
	if r.TargetRate <= 0 || len(r.Backlog) < 2 || r.Late > 0 {
		return false
	}
	var firstHalf int64
	for _, b := range r.Backlog[:len(r.Backlog)/2] {
		firstHalf = max(firstHalf, b.Backlog)
	}
	return r.Backlog[len(r.Backlog)-1].Backlog <= firstHalf+int64(r.TargetRate)
}

// KeptUp returns the rate at which pushes reached the vendors during an open-loop run:
// the send rate less the backlog's growth per second from the first sample to the
// last. It is the sustained rate when the run was not sustained, and at least the
// asked rate when it was.
func (r *PushC2CResult) KeptUp() float64 {
	if r.TargetRate <= 0 || len(r.Backlog) < 2 {
		return 0
	}
	first, last := r.Backlog[0], r.Backlog[len(r.Backlog)-1]
	growth := float64(last.Backlog-first.Backlog) / (last.At - first.At).Seconds()
	return max(r.SendRate-growth, 0)
}

// RunPushC2C measures one-to-one offline push end to end: c.Devices offline devices
// are spread over c.Vendors, c.Senders online users send them text messages for
// c.Duration, and every notification must arrive in its phone's inbox exactly once.
func RunPushC2C(ctx context.Context, t Target, c PushC2CConfig) (*PushC2CResult, error) {
	if len(c.Vendors) == 0 {
		return nil, fmt.Errorf("push c2c: no vendors")
	}
	if c.Devices <= 0 {
		c.Devices = DefaultPushDevices
	}
	if c.Senders <= 0 {
		c.Senders = DefaultPushSenders
	}
	c.Senders = min(c.Senders, c.Devices)
	if c.Duration <= 0 {
		c.Duration = DefaultPushDuration
	}
	if c.Drain <= 0 {
		c.Drain = DefaultPushDrain
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	logger := c.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	prefix := t.prefix() + "p"
	res := &PushC2CResult{Devices: c.Devices, Senders: c.Senders}

	start := time.Now()
	users := make([]string, c.Devices)
	for i := range users {
		users[i] = fmt.Sprintf("%s_r%d", prefix, i)
	}
	phones, err := bindOffline(ctx, t, c.Vendors, users, c.Concurrency, func(int) int { return 0 })
	if err != nil {
		return nil, err
	}
	senderIDs := make([]string, c.Senders)
	for i := range senderIDs {
		senderIDs[i] = fmt.Sprintf("%s_s%d", prefix, i)
	}
	senders, err := loginClients(ctx, t, senderIDs)
	if err != nil {
		return nil, err
	}
	defer closeClients(senders)
	waitSessions(ctx, c.ServerSessions, c.Senders)
	res.SetupTime = time.Since(start)
	logger.Info("push devices bound", "devices", c.Devices, "senders", c.Senders, "took", res.SetupTime.Round(time.Millisecond))

	before := simCounts(c.Vendors)
	if c.Measure != nil {
		stop := c.Measure()
		defer stop()
	}
	var sendErrs atomic.Int64
	var firstErr atomic.Value
	sent := make([][]expected, c.Senders)
	var wg sync.WaitGroup
	cpu0, cpuErr := ProcessCPU()
	sendStart := time.Now()
	sendCtx, cancel := context.WithTimeout(ctx, c.Duration)
	defer cancel()
	if c.Rate > 0 {
		res.TargetRate = c.Rate
		var mu sync.Mutex // protects sent[0]
		var sentN, late atomic.Int64
		sem := make(chan struct{}, MaxInFlight)
		stopSampling := make(chan struct{})
		samplerDone := make(chan struct{})
		go func() {
			defer close(samplerDone)
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-stopSampling:
					return
				case now := <-t.C:
					res.Backlog = append(res.Backlog, BacklogSample{At: now.Sub(sendStart), Backlog: sentN.Load() - notificationsSince(c.Vendors, before)})
				}
			}
		}()
		interval := time.Duration(float64(time.Second) / c.Rate)
		for n := 0; sendCtx.Err() == nil; n++ {
			if d := time.Until(sendStart.Add(time.Duration(n) * interval)); d > 0 {
				select {
				case <-sendCtx.Done():
				case <-time.After(d):
				}
				if sendCtx.Err() != nil {
					break
				}
			}
			select {
			case sem <- struct{}{}:
			default:
				late.Add(1)
				continue
			}
			p := phones[n%len(phones)]
			sender := senders[n%len(senders)]
			body := "bench o." + strconv.Itoa(n)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if _, err := sender.SendMessage(ctx, client.NewTextMessage(body), p.user, "", "", false, nil); err != nil {
					sendErrs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					return
				}
				returned := time.Now()
				mu.Lock()
				sent[0] = append(sent[0], expected{token: p.token, body: body, sent: returned})
				mu.Unlock()
				sentN.Add(1)
			}()
		}
		wg.Wait()
		close(stopSampling)
		<-samplerDone
		res.Late = late.Load()
		res.SendRate = float64(sentN.Load()) / time.Since(sendStart).Seconds()
	}
	for i := range c.Senders {
		if c.Rate > 0 {
			break
		}
		var mine []*phone
		for j := i; j < len(phones); j += c.Senders {
			mine = append(mine, phones[j])
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; sendCtx.Err() == nil; n++ {
				p := mine[n%len(mine)]
				body := "bench " + strconv.Itoa(i) + "." + strconv.Itoa(n)
				t0 := time.Now()
				if _, err := senders[i].SendMessage(ctx, client.NewTextMessage(body), p.user, "", "", false, nil); err != nil {
					sendErrs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				sent[i] = append(sent[i], expected{token: p.token, body: body, sent: t0})
			}
		}()
	}
	wg.Wait()
	var want []expected
	for _, s := range sent {
		want = append(want, s...)
	}
	res.Sent, res.SendErrors = int64(len(want)), sendErrs.Load()
	if v := firstErr.Load(); v != nil {
		res.FirstError = v.(string)
	}
	logger.Info("push sending stopped", "sent", res.Sent, "errors", res.SendErrors)

	deadline := time.Now().Add(c.Drain)
	for notificationsSince(c.Vendors, before) < res.Sent && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	if cpu1, err := ProcessCPU(); err == nil && cpuErr == nil {
		res.CPU = cpu1 - cpu0
	}
	res.Vendors = vendorCounts(c.Vendors, phones, before)
	var lat []time.Duration
	var last time.Time
	res.Delivery, lat, last = checkInboxes(phones, want, nil)
	if !last.IsZero() {
		res.Elapsed = last.Sub(sendStart)
		res.Rate = float64(res.Delivery.Arrived) / res.Elapsed.Seconds()
	}
	res.LatencyP50, res.LatencyP90, res.LatencyP99 = percentile(lat, 50), percentile(lat, 90), percentile(lat, 99)
	if len(lat) > 0 {
		res.LatencyMax = lat[len(lat)-1]
	}
	return res, nil
}

// PushGroupConfig configures RunPushGroup. The zero value of each field means its
// default.
type PushGroupConfig struct {
	// Vendors are the simulators the members' devices are spread over, in turn.
	// Required.
	Vendors []*PushVendor
	// Members is how many members besides the sender the group has, each with one
	// offline device. Default 10,000.
	Members int
	// Badges is how many different unread counts the devices are seeded with, spread
	// over each vendor's devices, so that vendors showing a badge get that many different
	// notifications. Default 4.
	Badges int
	// Drain bounds the wait for the notifications. Default 60s.
	Drain time.Duration
	// Concurrency is how many devices are set up at once. Default DefaultConcurrency.
	Concurrency int
	// ServerSessions, when set, returns how many sessions the node holds; the run
	// waits for the devices' disconnects before it sends.
	ServerSessions func() int
	// ServerMemory, when set, reads the node's memory before the send and after the
	// last notification.
	ServerMemory func() (Memory, error)
	// ServerHeap, when set, returns the node's heap in use without a GC; it is sampled
	// during the fan-out for its peak.
	ServerHeap func() uint64
	// ServerRecords, when set, returns the push records of a message counted by
	// decision and outcome ("push/accepted"); the run waits until none is queued.
	ServerRecords func(ctx context.Context, messageID string) (map[string]int, error)
	// Measure, when set, is called right before the send and its result right after
	// the last notification (a CPU profile of the fan-out alone).
	Measure func() (stop func())
	// Floor, when set, runs the bare sender right after Herald's fan-out: the same
	// notification to the same phones in the same batches (Result.Floor).
	Floor *FloorConfig
	// Repeats is how many messages are sent to the group, one after another (each
	// after the previous one's floor), each measured on its own. Default 1.
	Repeats int
	// Logger reports progress. Default: discard.
	Logger *slog.Logger
}

// PushGroupResult is what RunPushGroup measured.
type PushGroupResult struct {
	Members   int
	SetupTime time.Duration // binding the devices and filling the group
	Load      string        // the machine's load averages at the send (ReadLoad)
	// SendRTT is the sender's SendMessage round trip: the message stored for every
	// member and answered.
	SendRTT  time.Duration
	Delivery Delivery
	// AllArrived runs from the send to the last notification in an inbox.
	AllArrived time.Duration
	// FirstArrived is the first notification's latency.
	FirstArrived time.Duration
	LatencyP50   time.Duration
	// Rate is notifications per second of AllArrived.
	Rate float64
	// Records counts the message's push records by decision and outcome, once none is
	// queued, and RecordsFinal is when that was seen (zero without ServerRecords).
	Records      map[string]int
	RecordsFinal time.Duration
	Vendors      []VendorCount
	// Memory before the send and after the last notification, and the peak heap in
	// use sampled in between.
	MemBefore, MemAfter Memory
	HeapPeak            uint64
	// CPU is this process's CPU time (user + system) from the send to the last
	// notification, when it can be read (Linux).
	CPU time.Duration
	// Floor is the bare sender's run on the same phones (with Config.Floor).
	Floor *FloorResult
}

// Requests sums the vendor requests.
func (r *PushGroupResult) Requests() int64 {
	var n int64
	for _, v := range r.Vendors {
		n += v.Requests
	}
	return n
}

// RunPushGroup measures a group fan-out: a group of c.Members members, each with one
// offline device on one of c.Vendors, gets one text message; it measures the time
// until every phone has the notification, which must arrive exactly once on each.
func RunPushGroup(ctx context.Context, t Target, c PushGroupConfig) ([]*PushGroupResult, error) {
	if len(c.Vendors) == 0 {
		return nil, fmt.Errorf("push group: no vendors")
	}
	if c.Members <= 0 {
		c.Members = DefaultGroupMembers
	}
	if c.Badges <= 0 {
		c.Badges = DefaultBadges
	}
	if c.Drain <= 0 {
		c.Drain = DefaultPushDrain
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	logger := c.Logger
	prefix := t.prefix() + "g"
	start := time.Now()
	users := make([]string, c.Members)
	for i := range users {
		users[i] = fmt.Sprintf("%s_m%d", prefix, i)
	}
	// Seeds vary within each vendor's phones: member i is on vendor i mod len(Vendors).
	phones, err := bindOffline(ctx, t, c.Vendors, users, c.Concurrency, func(i int) int { return i / len(c.Vendors) % c.Badges })
	if err != nil {
		return nil, err
	}
	owners, err := loginClients(ctx, t, []string{prefix + "_owner"})
	if err != nil {
		return nil, err
	}
	defer closeClients(owners)
	owner := owners[0]
	gctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	first := min(len(users), maxPerCall)
	g, err := owner.CreateGroup(gctx, "", "bench "+prefix, users[:first])
	if err != nil {
		return nil, fmt.Errorf("create group: %w", err)
	}
	for i := first; i < len(users); i += maxPerCall {
		if _, err := owner.InviteUserToGroup(gctx, g.ID, users[i:min(i+maxPerCall, len(users))]); err != nil {
			return nil, fmt.Errorf("add members: %w", err)
		}
	}
	waitSessions(ctx, c.ServerSessions, 1)
	setup := time.Since(start)
	logger.Info("group ready", "members", c.Members, "took", setup.Round(time.Millisecond))

	var out []*PushGroupResult
	for k := range max(c.Repeats, 1) {
		res, err := sendToGroup(ctx, c, owner, g.ID, prefix, phones, k)
		if err != nil {
			return out, err
		}
		res.SetupTime = setup
		out = append(out, res)
	}
	return out, nil
}

// sendToGroup sends message k to the group, waits for every phone to have it and, with
// a floor, sends it again with the bare sender.
func sendToGroup(ctx context.Context, c PushGroupConfig, owner *client.Client, groupID, prefix string, phones []*phone, k int) (*PushGroupResult, error) {
	logger := c.Logger // set by RunPushGroup
	res := &PushGroupResult{Members: c.Members, Load: ReadLoad()}
	var err error
	if c.ServerMemory != nil {
		if res.MemBefore, err = c.ServerMemory(); err != nil {
			return nil, fmt.Errorf("server memory: %w", err)
		}
	}
	before := simCounts(c.Vendors)
	stopSampling := sampleHeap(c.ServerHeap, &res.HeapPeak)
	runs := "bench group " + prefix // every message of this group starts so
	body := fmt.Sprintf("%s #%d", runs, k+1)
	stopMeasure := func() {}
	if c.Measure != nil {
		stopMeasure = c.Measure()
	}
	cpu0, cpuErr := ProcessCPU()
	t0 := time.Now()
	m, err := owner.SendMessage(ctx, client.NewTextMessage(body), "", groupID, "", false, nil)
	if err != nil {
		stopSampling()
		stopMeasure()
		return nil, fmt.Errorf("send: %w", err)
	}
	res.SendRTT = time.Since(t0)
	deadline := time.Now().Add(c.Drain)
	for notificationsSince(c.Vendors, before) < int64(c.Members) && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	if cpuErr == nil {
		if cpu1, err := ProcessCPU(); err == nil {
			res.CPU = cpu1 - cpu0
		}
	}
	stopMeasure()
	stopSampling()
	if c.ServerRecords != nil {
		for {
			res.Records, err = c.ServerRecords(ctx, m.ID)
			if err != nil {
				return nil, fmt.Errorf("server records: %w", err)
			}
			if !hasQueued(res.Records) || time.Now().After(deadline) || ctx.Err() != nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		res.RecordsFinal = time.Since(t0)
	}
	if c.ServerMemory != nil {
		if res.MemAfter, err = c.ServerMemory(); err != nil {
			return nil, fmt.Errorf("server memory: %w", err)
		}
	}
	res.Vendors = vendorCounts(c.Vendors, phones, before)
	want := make([]expected, len(phones))
	for i, p := range phones {
		want[i] = expected{token: p.token, body: body, sent: t0}
	}
	var lat []time.Duration
	var last time.Time
	// A group notification's body is "sender: text". The notifications of earlier
	// messages (Herald's and the floor's) are skipped; any other body is unexpected.
	res.Delivery, lat, last = checkInboxes(phones, want, func(got string) string {
		_, text, ok := strings.Cut(got, ": ")
		switch {
		case !ok || text == "":
			return "\x00" + got // not a group notification: unexpected
		case text != body && k > 0 && (strings.HasPrefix(text, runs+" #") || strings.HasPrefix(text, "floor "+runs+" #")):
			return "" // an earlier message's
		}
		return text // unexpected unless it is this message's
	})
	if !last.IsZero() {
		res.AllArrived = last.Sub(t0)
		res.Rate = float64(res.Delivery.Arrived) / res.AllArrived.Seconds()
	}
	if len(lat) > 0 {
		res.FirstArrived, res.LatencyP50 = lat[0], percentile(lat, 50)
	}
	if c.Floor != nil {
		// Herald's k+1 pushes made each badge seed+k+1; the floor's is one more.
		badge := func(i int) int { return i/len(c.Vendors)%c.Badges + k + 2 }
		res.Floor, err = runFloor(ctx, *c.Floor, c.Vendors, phones, "floor-"+m.ID, prefix+"_owner", groupID, "bench "+prefix, "floor "+body, badge, c.Drain)
		if err != nil {
			return nil, err
		}
		logger.Info("floor done", "took", res.Floor.Elapsed.Round(time.Millisecond))
	}
	return res, nil
}

// maxPerCall is how many members one group call adds (im.MaxMembersPerCall).
const maxPerCall = 500

func hasQueued(records map[string]int) bool {
	for k, n := range records {
		if n > 0 && (strings.HasSuffix(k, "/queued") || strings.HasSuffix(k, "/sending")) {
			return true
		}
	}
	return false
}

// sampleHeap reads heap every 50ms into peak until the returned stop is called.
func sampleHeap(heap func() uint64, peak *uint64) (stop func()) {
	if heap == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			*peak = max(*peak, heap())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

// certificateCreator is what SimVendors needs of the node's store.
type certificateCreator interface {
	CreateCertificate(ctx context.Context, c *store.Certificate) error
}

// SimVendors stores, for app sdkAppID, the certificate of each running simulator's
// demo app and returns the simulators as PushVendors.
func SimVendors(ctx context.Context, st certificateCreator, sdkAppID int64, sims []*simulate.Vendor) ([]*PushVendor, error) {
	var out []*PushVendor
	for _, v := range sims {
		c := *v.Certificate
		c.ID, c.SDKAppID = 0, sdkAppID
		sc, err := c.ToStored()
		if err != nil {
			return nil, fmt.Errorf("%s certificate: %w", v.Vendor, err)
		}
		if err := st.CreateCertificate(ctx, sc); err != nil {
			return nil, fmt.Errorf("create %s certificate: %w", v.Vendor, err)
		}
		c.ID = sc.ID
		out = append(out, &PushVendor{Vendor: v.Vendor, CertificateID: sc.ID, App: v.App, Sim: v.Sim, Certificate: &c})
	}
	return out, nil
}

// recordFinder is what CountRecords needs of the node's store.
type recordFinder interface {
	FindPushRecords(ctx context.Context, sdkAppID int64, messageID string) ([]*store.PushRecord, error)
}

// CountRecords counts a message's push records by decision and outcome, as
// "decision/outcome" ("push/accepted", "foreground/").
func CountRecords(ctx context.Context, st recordFinder, sdkAppID int64, messageID string) (map[string]int, error) {
	rs, err := st.FindPushRecords(ctx, sdkAppID, messageID)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, r := range rs {
		out[r.Decision+"/"+r.Outcome]++
	}
	return out, nil
}
