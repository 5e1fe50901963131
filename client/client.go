// Package client is Herald's Go client SDK. Its names mirror the commercial IM SDK
// (Login, Logout, SendMessage, GetConversationList, MarkC2CMessageAsRead, …) so that
// apps and tests read the same way on every platform.
//
// A Client holds one WebSocket session to a Herald server as one device of one user. It
// reconnects by itself with backoff after a network failure and resynchronises: every
// message stored while it was away arrives, in order, exactly once, through
// Listener.OnNewMessage. It does not reconnect after Logout or a kick.
package client

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/herald-im/herald/protocol"
)

// Re-exported protocol values, so apps need only this package.
type (
	Message         = protocol.Message
	Element         = protocol.Element
	OfflinePushInfo = protocol.OfflinePushInfo
	Conversation    = protocol.Conversation
	Kicked          = protocol.Kicked
	Group           = protocol.Group
)

// Errors the Client returns besides server errors (*Error).
var (
	// ErrNotLoggedIn is returned by calls made before Login or after Logout.
	ErrNotLoggedIn = errors.New("client: not logged in")
	// ErrKicked is returned by calls made after the session was kicked offline.
	ErrKicked = errors.New("client: kicked offline")
	// ErrClosed is returned by calls made after Close.
	ErrClosed = errors.New("client: closed")
)

// Error is an error answer from the server.
type Error struct {
	Code    int    // see docs/protocol.md
	Name    string // the code's stable name, e.g. "user_not_found"
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("herald %d %s: %s", e.Code, e.Name, e.Message) }

// ConnState is the state of the connection, reported to Listener.OnConnectionChanged.
type ConnState int

// Connection states.
const (
	Connecting   ConnState = iota // dialling or logging in
	Connected                     // logged in and receiving
	Disconnected                  // lost; a reconnect follows unless logged out or kicked
)

func (s ConnState) String() string {
	return [...]string{"connecting", "connected", "disconnected"}[s]
}

// Listener receives events. Each function may be nil. They are called one at a time
// from the client's receive goroutine, in order; a slow listener slows delivery.
type Listener struct {
	OnNewMessage func(m *Message)
	// OnRecvMessageRevoked is called when a message was recalled (by its sender, a group
	// admin or the app's server): m carries its ID and Recalled, RecalledBy and
	// RecalledAt, and no content. A device that never showed the message may get it too.
	OnRecvMessageRevoked  func(m *Message)
	OnConversationChanged func(c *Conversation)
	OnKickedOffline       func(k *Kicked)
	OnConnectionChanged   func(s ConnState, err error)
	OnUserSigExpired      func()
}

// Config configures a Client.
type Config struct {
	// URL is the server's WebSocket endpoint, e.g. "ws://127.0.0.1:8080/v1/ws".
	URL      string
	SDKAppID int64
	// DeviceID identifies this installation; keep it across restarts. Default: random.
	DeviceID string
	// Platform is Android, iOS, iPad, Windows, Mac, Linux or Web. Default Linux.
	Platform string
	Listener Listener
	// HTTPClient dials the WebSocket. Default http.DefaultClient.
	HTTPClient *http.Client
	// MaxBackoff bounds the wait between reconnects. Default 30s.
	MaxBackoff time.Duration
	Logger     *slog.Logger
}

// Client is one device's session. Its methods are safe for concurrent use.
type Client struct {
	cfg Config

	mu         sync.Mutex // protects the fields below
	conn       *websocket.Conn
	connected  chan struct{} // closed while connected; replaced on disconnect
	userID     string
	userSig    string
	state      sessionState
	pending    map[uint64]chan *protocol.Frame
	nextSeq    uint64
	lastInbox  int64 // the highest inbox sequence handed to the listener
	ackedInbox int64 // the highest the server confirmed as acknowledged
	// sentIDs are the client message IDs this client sent recently: their copies in the
	// inbox are this device's own and never reported as new.
	sentIDs   map[string]struct{}
	sentOrder []string
	cancel    context.CancelFunc
	done      chan struct{} // closed when the run loop ends

	ackMu      sync.Mutex // protects ackPending
	ackPending bool
}

type sessionState int

const (
	stateIdle sessionState = iota
	stateActive
	stateKicked
	stateClosed
)

// New returns a Client; call Login to connect.
func New(cfg Config) *Client {
	if cfg.DeviceID == "" {
		b := make([]byte, 8)
		crand.Read(b)
		cfg.DeviceID = "dev-" + hex.EncodeToString(b)
	}
	if cfg.Platform == "" {
		cfg.Platform = "Linux"
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	// Seq 1 is every connection's login; requests count on from 2.
	return &Client{cfg: cfg, pending: map[uint64]chan *protocol.Frame{}, connected: make(chan struct{}), nextSeq: 1, sentIDs: map[string]struct{}{}}
}

// DeviceID returns the device ID the client logs in with.
func (c *Client) DeviceID() string { return c.cfg.DeviceID }

// Login connects and logs in as userID. It returns when the first login succeeded or
// failed; afterwards the client stays connected, reconnecting as needed, until Logout,
// Close or a kick.
func (c *Client) Login(ctx context.Context, userID, userSig string) error {
	c.mu.Lock()
	switch c.state {
	case stateActive:
		c.mu.Unlock()
		return errors.New("client: already logged in; Logout first")
	case stateClosed:
		c.mu.Unlock()
		return ErrClosed
	}
	c.userID, c.userSig, c.state = userID, userSig, stateActive
	runCtx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	c.done = make(chan struct{})
	c.mu.Unlock()

	first := make(chan error, 1)
	go c.run(runCtx, first)
	select {
	case err := <-first:
		if err != nil {
			cancel()
			<-c.done
			c.mu.Lock()
			c.state = stateIdle
			c.mu.Unlock()
		}
		return err
	case <-ctx.Done():
		cancel()
		<-c.done
		c.mu.Lock()
		c.state = stateIdle
		c.mu.Unlock()
		return ctx.Err()
	}
}

// Logout logs the device out: the server stops delivering to it and it gets no offline
// push until it logs in again.
func (c *Client) Logout(ctx context.Context) error {
	err := c.call(ctx, protocol.OpLogout, nil, nil)
	c.stop(stateIdle)
	return err
}

// Close ends the session without logging out (the device stays logged in and gets
// offline pushes, as when an app is killed). It first acknowledges what the listener
// has seen, so that the next login does not deliver it again.
func (c *Client) Close() error {
	c.flushAck()
	c.stop(stateClosed)
	return nil
}

// flushAck acknowledges the last message seen, if that is still owed, and waits for
// the server to record it.
func (c *Client) flushAck() {
	c.mu.Lock()
	seq, owed := c.lastInbox, c.lastInbox > c.ackedInbox && c.conn != nil
	c.mu.Unlock()
	if !owed {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if c.call(ctx, protocol.OpAck, protocol.AckRequest{InboxSeq: seq}, nil) == nil {
		c.markAcked(seq)
	}
}

func (c *Client) markAcked(seq int64) {
	c.mu.Lock()
	c.ackedInbox = max(c.ackedInbox, seq)
	c.mu.Unlock()
}

func (c *Client) stop(to sessionState) {
	c.mu.Lock()
	cancel, done := c.cancel, c.done
	if c.state != stateClosed {
		c.state = to
	}
	c.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// run keeps the session connected until ctx ends or the session is kicked; first gets
// the outcome of the first login.
func (c *Client) run(ctx context.Context, first chan<- error) {
	defer close(c.done)
	backoff := 250 * time.Millisecond
	for attempt := 0; ; attempt++ {
		c.notify(Connecting, nil)
		conn, err := c.connect(ctx)
		if first != nil {
			first <- err
			if err != nil {
				return
			}
			first = nil
		}
		if err == nil {
			backoff = 250 * time.Millisecond
			err = c.serve(ctx, conn)
		}
		c.notify(Disconnected, err)
		var se *Error
		if errors.As(err, &se) && (se.Code == 40103) {
			if f := c.cfg.Listener.OnUserSigExpired; f != nil {
				f()
			}
			return
		}
		c.mu.Lock()
		over := c.state != stateActive
		c.mu.Unlock()
		if over || ctx.Err() != nil {
			return
		}
		// Exponential backoff with full jitter.
		wait := time.Duration(rand.Int64N(int64(backoff)))
		backoff = min(backoff*2, c.cfg.MaxBackoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

func (c *Client) notify(s ConnState, err error) {
	if f := c.cfg.Listener.OnConnectionChanged; f != nil {
		f(s, err)
	}
}

// connect dials and logs in; it returns the connection ready to serve.
func (c *Client) connect(ctx context.Context) (*websocket.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(dctx, c.cfg.URL, &websocket.DialOptions{HTTPClient: c.cfg.HTTPClient})
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	conn.SetReadLimit(1 << 20)
	c.mu.Lock()
	req := protocol.LoginRequest{
		SDKAppID: c.cfg.SDKAppID, UserID: c.userID, UserSig: c.userSig,
		Platform: c.cfg.Platform, DeviceID: c.cfg.DeviceID, AckedSeq: c.lastInbox,
	}
	c.mu.Unlock()
	data, _ := json.Marshal(req)
	if err := writeFrame(dctx, conn, &protocol.Frame{Seq: 1, Op: protocol.OpLogin, Data: data}); err != nil {
		conn.CloseNow()
		return nil, fmt.Errorf("send login: %w", err)
	}
	for {
		f, err := readFrame(dctx, conn)
		if err != nil {
			conn.CloseNow()
			return nil, fmt.Errorf("read login reply: %w", err)
		}
		if f.Op != protocol.OpLogin {
			continue
		}
		if f.Code != 0 {
			conn.Close(websocket.StatusNormalClosure, "")
			return nil, &Error{Code: f.Code, Name: f.Error, Message: f.Message}
		}
		return conn, nil
	}
}

// serve reads frames until the connection fails, sending heartbeats.
func (c *Client) serve(ctx context.Context, conn *websocket.Conn) error {
	c.mu.Lock()
	c.conn = conn
	close(c.connected)
	c.mu.Unlock()
	c.notify(Connected, nil)

	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		conn.CloseNow()
		c.mu.Lock()
		c.conn = nil
		c.connected = make(chan struct{})
		for seq, ch := range c.pending {
			close(ch) // the caller retries on the next connection
			delete(c.pending, seq)
		}
		c.mu.Unlock()
	}()
	go c.heartbeat(ctx, conn)
	for {
		f, err := readFrame(ctx, conn)
		if err != nil {
			return err
		}
		if f.Seq != 0 {
			c.mu.Lock()
			ch := c.pending[f.Seq]
			delete(c.pending, f.Seq)
			c.mu.Unlock()
			if ch != nil {
				ch <- f
			}
			continue
		}
		if err := c.event(ctx, f); err != nil {
			return err
		}
	}
}

func (c *Client) heartbeat(ctx context.Context, conn *websocket.Conn) {
	t := time.NewTicker(20 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.send(ctx, conn, protocol.OpHeartbeat, nil)
		}
	}
}

// event handles a server-sent frame.
func (c *Client) event(ctx context.Context, f *protocol.Frame) error {
	switch f.Op {
	case protocol.EvMessage:
		m := new(Message)
		if err := json.Unmarshal(f.Data, m); err != nil {
			return fmt.Errorf("decode message: %w", err)
		}
		if m.InboxSeq != 0 {
			c.mu.Lock()
			dup := m.InboxSeq <= c.lastInbox
			if !dup {
				c.lastInbox = m.InboxSeq
			}
			_, own := c.sentIDs[m.ClientMsgID]
			c.mu.Unlock()
			if dup {
				return nil
			}
			if m.Recalled {
				if l := c.cfg.Listener.OnRecvMessageRevoked; l != nil {
					l(m)
				}
				c.scheduleAck()
				return nil
			}
			if own && m.From == c.userID {
				c.scheduleAck()
				return nil
			}
		}
		if l := c.cfg.Listener.OnNewMessage; l != nil {
			l(m)
		}
		if m.InboxSeq != 0 {
			c.scheduleAck()
		}
	case protocol.EvConversation:
		conv := new(Conversation)
		if err := json.Unmarshal(f.Data, conv); err != nil {
			return fmt.Errorf("decode conversation: %w", err)
		}
		if l := c.cfg.Listener.OnConversationChanged; l != nil {
			l(conv)
		}
	case protocol.EvKicked:
		k := new(Kicked)
		json.Unmarshal(f.Data, k)
		c.mu.Lock()
		c.state = stateKicked
		c.mu.Unlock()
		if l := c.cfg.Listener.OnKickedOffline; l != nil {
			l(k)
		}
		return ErrKicked
	}
	return nil
}

// scheduleAck acknowledges received messages shortly, batching a burst into one ack.
func (c *Client) scheduleAck() {
	c.ackMu.Lock()
	if c.ackPending {
		c.ackMu.Unlock()
		return
	}
	c.ackPending = true
	c.ackMu.Unlock()
	time.AfterFunc(50*time.Millisecond, func() {
		c.ackMu.Lock()
		c.ackPending = false
		c.ackMu.Unlock()
		c.mu.Lock()
		conn, seq := c.conn, c.lastInbox
		c.mu.Unlock()
		if conn == nil {
			return // the next login carries lastInbox instead
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if c.call(ctx, protocol.OpAck, protocol.AckRequest{InboxSeq: seq}, nil) == nil {
			c.markAcked(seq)
		}
	})
}

// send writes a request without waiting for its reply.
func (c *Client) send(ctx context.Context, conn *websocket.Conn, op string, req any) {
	c.mu.Lock()
	c.nextSeq++
	seq := c.nextSeq
	c.mu.Unlock()
	f := &protocol.Frame{Seq: seq, Op: op}
	if req != nil {
		f.Data, _ = json.Marshal(req)
	}
	writeFrame(ctx, conn, f)
}

// call sends a request and waits for its reply, decoding it into res (which may be
// nil). When the connection drops before the reply, it waits for the reconnect and
// sends again: every op is safe to repeat (sends carry a client message ID).
func (c *Client) call(ctx context.Context, op string, req, res any) error {
	var data json.RawMessage
	if req != nil {
		var err error
		if data, err = json.Marshal(req); err != nil {
			return fmt.Errorf("marshal %s: %w", op, err)
		}
	}
	for {
		c.mu.Lock()
		switch c.state {
		case stateIdle:
			c.mu.Unlock()
			return ErrNotLoggedIn
		case stateKicked:
			c.mu.Unlock()
			return ErrKicked
		case stateClosed:
			c.mu.Unlock()
			return ErrClosed
		}
		conn, connected := c.conn, c.connected
		if conn == nil {
			c.mu.Unlock()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-connected:
				continue
			}
		}
		c.nextSeq++
		seq := c.nextSeq
		ch := make(chan *protocol.Frame, 1)
		c.pending[seq] = ch
		c.mu.Unlock()

		if err := writeFrame(ctx, conn, &protocol.Frame{Seq: seq, Op: op, Data: data}); err != nil {
			c.mu.Lock()
			delete(c.pending, seq)
			c.mu.Unlock()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue // the connection broke; wait for the next one
		}
		select {
		case <-ctx.Done():
			c.mu.Lock()
			delete(c.pending, seq)
			c.mu.Unlock()
			return ctx.Err()
		case f, ok := <-ch:
			if !ok {
				continue // disconnected before the reply
			}
			if f.Code != 0 {
				return &Error{Code: f.Code, Name: f.Error, Message: f.Message}
			}
			if res != nil && len(f.Data) > 0 {
				if err := json.Unmarshal(f.Data, res); err != nil {
					return fmt.Errorf("decode %s reply: %w", op, err)
				}
			}
			return nil
		}
	}
}

func writeFrame(ctx context.Context, conn *websocket.Conn, f *protocol.Frame) error {
	data, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return conn.Write(ctx, websocket.MessageText, data)
}

func readFrame(ctx context.Context, conn *websocket.Conn) (*protocol.Frame, error) {
	_, data, err := conn.Read(ctx)
	if err != nil {
		return nil, err
	}
	f := new(protocol.Frame)
	if err := json.Unmarshal(data, f); err != nil {
		return nil, fmt.Errorf("decode frame: %w", err)
	}
	return f, nil
}

// maxSentIDs bounds the memory of sent message IDs.
const maxSentIDs = 1024

// sending records the client message ID of a message this client is sending: its
// inbox copy is not new to this device.
func (c *Client) sending(clientMsgID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.sentIDs[clientMsgID]; ok {
		return
	}
	c.sentIDs[clientMsgID] = struct{}{}
	c.sentOrder = append(c.sentOrder, clientMsgID)
	if len(c.sentOrder) > maxSentIDs {
		delete(c.sentIDs, c.sentOrder[0])
		c.sentOrder = c.sentOrder[1:]
	}
}

// sent moves past a sent message's inbox copy when it is the next in the inbox.
func (c *Client) sent(m *Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m.InboxSeq == c.lastInbox+1 {
		c.lastInbox = m.InboxSeq
	}
}
