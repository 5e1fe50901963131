package loadtest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-im/herald/protocol"
)

// Idle defaults.
const (
	DefaultConns       = 1000
	DefaultHold        = 30 * time.Second
	DefaultConcurrency = 64
	// DefaultConnsPerIP is how many connections share one loopback source address; the
	// kernel's ephemeral range (32768-60999 by default) allows about 28,000.
	DefaultConnsPerIP = 10000
	callTimeout       = 30 * time.Second
)

// IdleConfig configures RunIdle. The zero value of each field means its default.
type IdleConfig struct {
	// Conns is how many connections to log in, each as its own user. Default 1000.
	Conns int
	// Hold is how long every connection is kept, heartbeating, after the last login.
	// Default 30s.
	Hold time.Duration
	// Concurrency is how many logins are in flight at once. Default 64.
	Concurrency int
	// ConnsPerIP is how many connections dial from one source address when the target
	// is on loopback: 127.0.0.1, 127.0.0.2, … are used in turn. Default 10,000.
	ConnsPerIP int
	// FirstSourceIP is the last byte of the first loopback source address less one:
	// 0 starts at 127.0.0.1. Parallel load generators against one host give disjoint
	// ranges, since a source address's ephemeral ports are not shared between them.
	FirstSourceIP int
	// ServerMemory, when set, reads the server's memory before the logins and after the
	// hold.
	ServerMemory func() (Memory, error)
	// ServerSessions, when set, returns how many sessions the server holds.
	ServerSessions func() int
	// ServerCPU, when set, returns the CPU time the server has used (ReadCPU of its
	// process): read when the logins start and when they end.
	ServerCPU func() (time.Duration, error)
	// Logger reports progress. Default: discard.
	Logger *slog.Logger
}

// IdleResult is what RunIdle measured.
type IdleResult struct {
	Conns    int // connections attempted
	LoggedIn int // logins that succeeded
	Failed   int // logins that failed
	// FirstError is the first login or heartbeat failure, if any.
	FirstError string
	// Held is how many connections answered the final heartbeat, after the hold.
	Held int
	// ServerSessions is what the server counted at the end; -1 when unknown.
	ServerSessions int
	LoginTime      time.Duration // first dial to last login reply
	LoginRate      float64       // successful logins per second
	// MachineBusy and MachineSteal are the machine's busy and stolen shares of its
	// CPUs' time over LoginTime (/proc/stat): what else ran, and what the host took.
	MachineBusy, MachineSteal float64
	// ServerLoginCPU is the CPU time the server used over LoginTime; zero without
	// ServerCPU. ClientLoginCPU is this process's over the same time (with a node in
	// this process, both together).
	ServerLoginCPU, ClientLoginCPU time.Duration
	// HeartbeatInterval is what the server asked for at login.
	HeartbeatInterval time.Duration
	Heartbeats        int64 // heartbeats answered during the hold (the final check excluded)
	HeartbeatErrors   int64
	Hold              time.Duration
	// Server memory before the logins and after the hold; zero without ServerMemory.
	ServerBefore, ServerAfter Memory
	// Client is this process's memory before and after.
	ClientBefore, ClientAfter Memory
}

// ServerHeapPerConn is the server's Go heap growth per held connection.
func (r *IdleResult) ServerHeapPerConn() uint64 {
	return perConn(r.ServerBefore.HeapAlloc+r.ServerBefore.StackInuse, r.ServerAfter.HeapAlloc+r.ServerAfter.StackInuse, r.Held)
}

// ServerCPUPerLogin is the server's CPU time over the logins per successful login;
// zero without ServerCPU.
func (r *IdleResult) ServerCPUPerLogin() time.Duration {
	return perLogin(r.ServerLoginCPU, r.LoggedIn)
}

// ClientCPUPerLogin is this process's CPU time over the logins per successful login.
func (r *IdleResult) ClientCPUPerLogin() time.Duration {
	return perLogin(r.ClientLoginCPU, r.LoggedIn)
}

func perLogin(d time.Duration, n int) time.Duration {
	if n <= 0 {
		return 0
	}
	return d / time.Duration(n)
}

// ServerRSSPerConn is the server's RSS growth per held connection.
func (r *IdleResult) ServerRSSPerConn() uint64 {
	return perConn(r.ServerBefore.RSS, r.ServerAfter.RSS, r.Held)
}

// ClientHeapPerConn is this process's heap and stack growth per held connection.
func (r *IdleResult) ClientHeapPerConn() uint64 {
	return perConn(r.ClientBefore.HeapAlloc+r.ClientBefore.StackInuse, r.ClientAfter.HeapAlloc+r.ClientAfter.StackInuse, r.Held)
}

// ClientRSSPerConn is this process's RSS growth per held connection.
func (r *IdleResult) ClientRSSPerConn() uint64 {
	return perConn(r.ClientBefore.RSS, r.ClientAfter.RSS, r.Held)
}

// idleConn is one held connection.
type idleConn struct {
	w    *wsConn
	next time.Time // when its next heartbeat is due; zero while one is in flight
	dead bool
}

// idleRun is the state of one RunIdle.
type idleRun struct {
	c      IdleConfig
	logger *slog.Logger

	mu       sync.Mutex // protects the fields below
	conns    []*idleConn
	failed   int
	firstErr string
	interval time.Duration

	beats, beatErrs atomic.Int64
}

// RunIdle logs in c.Conns connections to t, each as its own user and device, keeps them
// heartbeating for c.Hold, checks each still answers, and closes them. It returns an
// error only when it could not run at all; failed logins are counted in the result.
func RunIdle(ctx context.Context, t Target, c IdleConfig) (*IdleResult, error) {
	u, err := t.parse()
	if err != nil {
		return nil, err
	}
	if c.Conns <= 0 {
		c.Conns = DefaultConns
	}
	if c.Hold <= 0 {
		c.Hold = DefaultHold
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.ConnsPerIP <= 0 {
		c.ConnsPerIP = DefaultConnsPerIP
	}
	r := &idleRun{c: c, logger: c.Logger}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	res := &IdleResult{Conns: c.Conns, ServerSessions: -1, Hold: c.Hold}
	if c.ServerMemory != nil {
		if res.ServerBefore, err = c.ServerMemory(); err != nil {
			return nil, fmt.Errorf("server memory: %w", err)
		}
	}
	// UserSigs are signed before the clock starts: a real client gets its UserSig from
	// its app server, and signing here (zlib, HMAC) cost the machine the generator
	// shares with the node about a fifth of a login's CPU.
	sigs, err := signAll(t, c.Conns)
	if err != nil {
		return nil, err
	}
	res.ClientBefore = ReadMemory()
	defer r.closeAll()

	sources, err := sourceAddrs(u.Hostname(), c.Conns, c.ConnsPerIP, c.FirstSourceIP)
	if err != nil {
		return nil, err
	}

	var serverCPU time.Duration
	if c.ServerCPU != nil {
		if serverCPU, err = c.ServerCPU(); err != nil {
			return nil, fmt.Errorf("server cpu: %w", err)
		}
	}

	beatCtx, stopBeats := context.WithCancel(ctx)
	var beaters sync.WaitGroup
	beaters.Add(1)
	go func() {
		defer beaters.Done()
		r.heartbeatLoop(beatCtx)
	}()

	clientCPU, machine := SelfCPU(), ReadMachineCPU()
	start := time.Now()
	r.login(ctx, t, u, sources, sigs)
	res.LoginTime = time.Since(start)
	res.ClientLoginCPU = SelfCPU() - clientCPU
	res.MachineBusy, res.MachineSteal = machine.Shares(ReadMachineCPU())
	var cpuErr error
	if c.ServerCPU != nil {
		var after time.Duration
		after, cpuErr = c.ServerCPU()
		res.ServerLoginCPU = after - serverCPU
	}
	sigs = nil
	r.mu.Lock()
	ok := len(r.conns)
	res.LoggedIn = ok
	res.Failed, res.FirstError, res.HeartbeatInterval = r.failed, r.firstErr, r.interval
	r.mu.Unlock()
	res.LoginRate = float64(ok) / res.LoginTime.Seconds()
	r.logger.Info("logged in", "ok", ok, "failed", res.Failed, "took", res.LoginTime.Round(time.Millisecond))

	select {
	case <-ctx.Done():
	case <-time.After(c.Hold):
	}
	stopBeats()
	beaters.Wait()
	res.Heartbeats, res.HeartbeatErrors = r.beats.Load(), r.beatErrs.Load()
	if cpuErr != nil {
		return nil, fmt.Errorf("server cpu: %w", cpuErr)
	}

	if c.ServerSessions != nil {
		res.ServerSessions = c.ServerSessions()
	}
	if c.ServerMemory != nil {
		if res.ServerAfter, err = c.ServerMemory(); err != nil {
			return nil, fmt.Errorf("server memory: %w", err)
		}
	}
	res.ClientAfter = ReadMemory()
	res.Held = r.finalCheck()
	r.mu.Lock()
	if res.FirstError == "" {
		res.FirstError = r.firstErr
	}
	r.mu.Unlock()
	return res, nil
}

// sourceAddrs returns the local addresses to dial from: nil (any) unless host is a
// loopback IPv4 address and n needs more than one source.
func sourceAddrs(host string, n, perIP, first int) ([]net.Addr, error) {
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Is4() || !ip.IsLoopback() || (n <= perIP && first == 0) {
		return nil, nil
	}
	count := (n + perIP - 1) / perIP
	if first < 0 || first+count > 250 {
		return nil, fmt.Errorf("%d connections from 127.0.0.%d on need %d loopback source addresses; the last may be 127.0.0.250", n, first+1, count)
	}
	addrs := make([]net.Addr, count)
	for i := range addrs {
		addrs[i] = &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(first+i+1))}
	}
	return addrs, nil
}

func (r *idleRun) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed++
	if r.firstErr == "" {
		r.firstErr = err.Error()
	}
}

// signedUser is a generated user and its UserSig.
type signedUser struct{ user, sig string }

// signAll names and signs the n users of a run.
func signAll(t Target, n int) ([]signedUser, error) {
	prefix := t.prefix()
	users := make([]signedUser, n)
	for i := range users {
		user := fmt.Sprintf("%s_%d", prefix, i)
		sig, err := t.userSig(user)
		if err != nil {
			return nil, err
		}
		users[i] = signedUser{user, sig}
	}
	return users, nil
}

// login logs every connection in, c.Concurrency at a time, the i-th as users[i].
func (r *idleRun) login(ctx context.Context, t Target, u *url.URL, sources []net.Addr, users []signedUser) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range r.c.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				var laddr net.Addr
				if len(sources) > 0 {
					laddr = sources[i%len(sources)]
				}
				ic, interval, err := loginOne(ctx, t, u, laddr, users[i])
				if err != nil {
					r.fail(err)
					continue
				}
				r.mu.Lock()
				r.conns = append(r.conns, ic)
				r.interval = interval
				n := len(r.conns)
				r.mu.Unlock()
				if n%2000 == 0 {
					r.logger.Info("logging in", "held", n)
				}
			}
		}()
	}
	for i := range r.c.Conns {
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
}

func loginOne(ctx context.Context, t Target, u *url.URL, laddr net.Addr, su signedUser) (*idleConn, time.Duration, error) {
	user, sig := su.user, su.sig
	dctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	w, err := dialWS(dctx, u, laddr)
	if err != nil {
		return nil, 0, err
	}
	var lr protocol.LoginResponse
	req := protocol.LoginRequest{SDKAppID: t.SDKAppID, UserID: user, UserSig: sig, Platform: "Android", DeviceID: "d-" + user}
	if err := w.call(protocol.OpLogin, req, &lr, callTimeout); err != nil {
		w.Close()
		return nil, 0, err
	}
	interval := time.Duration(lr.HeartbeatInterval) * time.Second
	if interval <= 0 {
		interval = 30 * time.Second
	}
	return &idleConn{w: w, next: time.Now().Add(interval)}, interval, nil
}

// heartbeatLoop sends each live connection a heartbeat when it is due, as the client SDK
// does, from a small pool of workers rather than a goroutine per connection.
func (r *idleRun) heartbeatLoop(ctx context.Context) {
	due := make(chan *idleConn, 1024)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ic := range due {
				r.beat(ic)
			}
		}()
	}
	defer func() {
		close(due)
		wg.Wait()
	}()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := time.Now()
		var batch []*idleConn
		r.mu.Lock()
		for _, ic := range r.conns {
			if !ic.dead && !ic.next.IsZero() && !now.Before(ic.next) {
				ic.next = time.Time{}
				batch = append(batch, ic)
			}
		}
		r.mu.Unlock()
		for _, ic := range batch {
			select {
			case due <- ic:
			case <-ctx.Done():
				return
			}
		}
	}
}

func (r *idleRun) beat(ic *idleConn) {
	err := ic.w.call(protocol.OpHeartbeat, nil, nil, callTimeout)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.beatErrs.Add(1)
		ic.dead = true
		ic.w.Close()
		if r.firstErr == "" {
			r.firstErr = "heartbeat: " + err.Error()
		}
		return
	}
	r.beats.Add(1)
	ic.next = time.Now().Add(r.interval)
}

// finalCheck sends every live connection one more heartbeat and counts the answers.
func (r *idleRun) finalCheck() int {
	r.mu.Lock()
	conns := append([]*idleConn(nil), r.conns...)
	r.mu.Unlock()
	var held atomic.Int64
	next := make(chan *idleConn)
	var wg sync.WaitGroup
	for range r.c.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ic := range next {
				if ic.dead {
					continue
				}
				if err := ic.w.call(protocol.OpHeartbeat, nil, nil, callTimeout); err != nil {
					r.mu.Lock()
					ic.dead = true
					if r.firstErr == "" {
						r.firstErr = "final heartbeat: " + err.Error()
					}
					r.mu.Unlock()
					continue
				}
				held.Add(1)
			}
		}()
	}
	for _, ic := range conns {
		next <- ic
	}
	close(next)
	wg.Wait()
	return int(held.Load())
}

func (r *idleRun) closeAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ic := range r.conns {
		ic.w.Close()
	}
	r.conns = nil
}
