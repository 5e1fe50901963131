package gateway

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/lesismal/nbio"
	"github.com/lesismal/nbio/logging"
	"github.com/lesismal/nbio/nbhttp"
	nbws "github.com/lesismal/nbio/nbhttp/websocket"
)

// The event network layer. The node's listener reads the upgrade request (listen.go;
// net/http does when the listener passes it on, serveEvent, so /v1/ws shares the
// node's port and limits); the layer answers 101 exactly as coder/websocket does and
// hands the TCP connection's descriptor to an nbio engine (handOver): one
// epoll loop reads every connection into one buffer per poller and nbio's WebSocket
// parser calls us with whole messages, in order per connection, on a bounded pool of
// goroutines (workers.go). An idle connection is a descriptor, an nbio.Conn, an nbio websocket.Conn,
// an eventConn and its session: no goroutine, no read or write buffer (a partial frame
// borrows from nbio's pool until it is complete; writes that the socket does not take
// at once are queued by nbio up to maxWriteBuffer). Heartbeat and login deadlines are
// on one timing wheel (wheel.go).

const (
	// closeGrace is how long a close frame waits for the peer's answer before the
	// connection is dropped. (Closing at once could reset the connection with the
	// close frame still unread.)
	closeGrace = 2 * time.Second
	// maxWriteBuffer bounds what one slow client may have queued; beyond it the
	// connection is closed.
	maxWriteBuffer = 4 << 20
	// handlerPool bounds the goroutines running message handlers (logins wait on the
	// store), shared by all connections.
	handlerPool = 512
	// handlerKeep is how many of them stay parked, waiting for messages (workers.go):
	// more than the logins a reconnecting node has in flight at once.
	handlerKeep = 128
)

// eventConn is one connection of the event layer: the session's wire and its
// deadlines.
type eventConn struct {
	s  *session
	ws *nbws.Conn
	g  *Server

	due      atomic.Int64 // heartbeat deadline, in wheel ticks
	loginDue int64        // login deadline in wheel ticks; 0: none
	slot     int32        // wheel slot, or noSlot; the wheel's mu protects it
	closing  atomic.Bool  // a close frame was sent; due is the close grace
	tooBig   atomic.Bool  // a frame over the limit came: the rest is discarded
	gone     atomic.Bool  // closed: the wheel drops it

	// early holds bytes net/http read ahead before the hand-over, parsed before any
	// the poller reads; parseMu orders the two (it is only contended then).
	parseMu sync.Mutex
	early   []byte
}

// parse feeds bytes read from the socket (after any read ahead) to the WebSocket
// parser. A frame over the limit gets close 1009 (sent by Parse) and the rest of the
// input is dropped until the client answers it.
func (c *eventConn) parse(data []byte) {
	c.parseMu.Lock()
	defer c.parseMu.Unlock()
	if c.early != nil {
		data = append(c.early, data...)
		c.early = nil
	}
	if len(data) == 0 || c.tooBig.Load() {
		return
	}
	err := c.ws.Parse(data)
	switch {
	case err == nil:
	case errors.Is(err, nbws.ErrMessageTooLarge) || errors.Is(err, nbws.ErrControlMessageTooBig):
		c.tooBig.Store(true)
		c.closing.Store(true)
		c.due.Store(c.g.wheel.after(closeGrace))
		c.g.wheel.refile(c)
	default:
		c.ws.CloseWithError(err)
	}
}

var _ wire = (*eventConn)(nil)

func (c *eventConn) write(_ context.Context, data []byte) error {
	return c.ws.WriteMessage(nbws.TextMessage, data)
}

// close sends a close frame once and drops the connection when the peer answers, or
// after closeGrace.
func (c *eventConn) close(code websocket.StatusCode, reason string) {
	if !c.closing.CompareAndSwap(false, true) {
		return
	}
	c.ws.WriteClose(int(code), reason)
	c.due.Store(c.g.wheel.after(closeGrace))
	c.g.wheel.refile(c)
}

// deadline is the wheel tick the connection expires at.
func (c *eventConn) deadline() int64 {
	at := c.due.Load()
	if !c.closing.Load() && c.loginDue > 0 && !c.s.authed.Load() && c.loginDue < at {
		at = c.loginDue
	}
	return at
}

// expire handles a passed deadline: a close that got no answer is dropped, a silent
// connection closed with a reason.
func (c *eventConn) expire(now int64) {
	switch {
	case c.closing.Load():
		c.ws.Close()
	case c.loginDue > 0 && !c.s.authed.Load() && c.loginDue <= now:
		c.close(websocket.StatusPolicyViolation, "login timeout")
	default:
		c.close(websocket.StatusPolicyViolation, "heartbeat timeout")
	}
}

// startEvent starts the engine and the wheel once; it reports whether they run.
func (g *Server) startEvent() error {
	g.eventOnce.Do(func() {
		g.eventErr = g.openEngine()
	})
	return g.eventErr
}

func (g *Server) openEngine() error {
	logging.SetLogger(nbioLogger{g.Logger})
	g.workers = newWorkers(handlerPool, handlerKeep)
	engine := nbhttp.NewEngine(nbhttp.Config{
		Name:               "herald-gateway",
		SupportServerOnly:  true,
		MaxWriteBufferSize: maxWriteBuffer,
		ServerExecutor:     g.workers.Go,
	})
	// coder/websocket does not check UTF-8 and the protocol answers bad JSON itself.
	engine.CheckUtf8 = func([]byte) bool { return true }
	u := nbws.NewUpgrader()
	u.Engine = engine
	u.KeepaliveTime = 0 // the wheel keeps the deadlines
	u.MessageLengthLimit = int(g.MaxFrameBytes)
	u.OnMessagePtr(g.onEventMessage)
	u.SetCloseHandler(g.onEventCloseFrame)
	u.OnClose(g.onEventClose)
	if err := engine.Start(); err != nil {
		return fmt.Errorf("start event gateway: %w", err)
	}
	g.engine, g.upgrader = engine, u
	g.wheel = newWheel(wheelTick(g.Heartbeat, g.LoginTimeout), max(2*g.Heartbeat, g.LoginTimeout, closeGrace))
	g.wg.Add(1)
	go g.runWheel()
	return nil
}

// runWheel advances the wheel every tick until the server closes.
func (g *Server) runWheel() {
	defer g.wg.Done()
	t := time.NewTicker(g.wheel.tick)
	defer t.Stop()
	var expired []*eventConn
	for {
		select {
		case <-g.wheelStop:
			return
		case <-t.C:
		}
		expired = g.wheel.advance(expired[:0])
		now := g.wheel.now.Load()
		for _, c := range expired {
			c.expire(now)
		}
		clear(expired)
	}
}

// serveEvent upgrades the request and hands the connection to the engine; addr was
// admitted. It returns at once.
func (g *Server) serveEvent(w http.ResponseWriter, r *http.Request, addr string) {
	if err := g.startEvent(); err != nil {
		g.release(addr)
		http.Error(w, "gateway unavailable", http.StatusServiceUnavailable)
		return
	}
	if code, err := verifyUpgrade(w.Header(), r); err != nil {
		g.release(addr)
		http.Error(w, err.Error(), code)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		g.release(addr)
		http.Error(w, http.StatusText(http.StatusNotImplemented), http.StatusNotImplemented)
		return
	}
	netConn, brw, err := hj.Hijack()
	if err != nil {
		g.release(addr)
		return
	}
	// net/http may have read ahead (its background read takes one byte): those bytes
	// come before anything the poller reads, and after them what the listener read
	// and net/http has not read yet (listen.go).
	var early []byte
	if n := brw.Reader.Buffered(); n > 0 {
		b, _ := brw.Reader.Peek(n)
		early = bytes.Clone(b)
	}
	if rc, ok := netConn.(*replayConn); ok {
		rest := make([]byte, rc.r.Len())
		rc.r.Read(rest)
		early = append(early, rest...)
		netConn = rc.Conn
	}
	tcp, ok := netConn.(*net.TCPConn)
	if !ok {
		netConn.Close() // r.TLS was nil, so this does not happen with net/http
		g.release(addr)
		return
	}
	if len(early) == 0 {
		early = nil
	}
	g.handOver(tcp, r.Header.Get("Sec-WebSocket-Key"), addr, early)
}

// handOver answers a verified handshake with key on tcp, admitted from addr, and hands
// the connection to the engine; early are bytes read after the handshake request.
func (g *Server) handOver(tcp *net.TCPConn, key, addr string, early []byte) {
	// The answer is written here, after the hijack, in one write: through net/http's
	// response it cost a header map, its sorting and a flush (~3 % of a login's CPU).
	if _, err := tcp.Write(switchingProtocols(key, g.Now())); err != nil {
		tcp.Close()
		g.release(addr)
		return
	}
	nbc, err := nbio.NBConn(tcp) // dups the descriptor and closes tcp
	if err != nil {
		g.Logger.Warn("event gateway: take connection", "err", err)
		tcp.Close()
		g.release(addr)
		return
	}
	ws := nbws.NewServerConn(g.upgrader, nbc, "", false, false)
	ws.Engine = g.engine
	ws.Execute = nbc.Execute
	// The poller reads c from the moment the descriptor is added (nbio hands it over
	// through the kernel, which Go's memory model does not see): every field is set
	// under parseMu, which parse takes first, so those writes happen before its reads;
	// SetSession's lock does the same for OnClose. (new, not a literal: the literal
	// would write the mutex word outside the lock.)
	c := new(eventConn)
	c.parseMu.Lock()
	c.ws, c.g, c.slot, c.early = ws, g, noSlot, early
	s := newSession(g, c)
	s.unauthAddr = addr
	c.s = s
	c.due.Store(g.wheel.after(2 * g.Heartbeat))
	if g.LoginTimeout > 0 {
		c.loginDue = g.wheel.after(g.LoginTimeout)
	}
	ws.SetSession(c)
	nbc.SetSession(ws)
	nbc.OnData(func(_ *nbio.Conn, data []byte) { c.parse(data) })
	g.eventConns.Add(1)
	err = g.engine.AddTransferredConn(nbc)
	c.parseMu.Unlock()
	if err != nil {
		// AddTransferredConn closed nbc before it reached a poller: no OnClose comes.
		g.Logger.Warn("event gateway: add connection", "err", err)
		if c.gone.CompareAndSwap(false, true) {
			s.closed()
			g.eventConns.Done()
		}
		return
	}
	g.wheel.add(c)
	if early != nil {
		c.parse(nil)
	}
	if g.ctx.Err() != nil {
		c.close(websocket.StatusGoingAway, "server shutting down")
	}
}

// onEventMessage answers one message; nbio calls it in order per connection.
func (g *Server) onEventMessage(ws *nbws.Conn, typ nbws.MessageType, data *[]byte) {
	defer g.engine.BodyAllocator.Free(data) // receive keeps no reference to data
	c, ok := ws.Session().(*eventConn)
	if !ok || c.closing.Load() {
		return
	}
	c.due.Store(g.wheel.after(2 * g.Heartbeat))
	c.s.receive(g.ctx, typ == nbws.TextMessage, *data)
}

// onEventCloseFrame answers the peer's close frame unless it answers ours; nbio closes
// the connection after.
func (g *Server) onEventCloseFrame(ws *nbws.Conn, code int, reason string) {
	c, ok := ws.Session().(*eventConn)
	if ok && !c.closing.CompareAndSwap(false, true) {
		return // the answer to our close frame
	}
	if code == 1005 { // no status
		ws.WriteMessage(nbws.CloseMessage, nil)
		return
	}
	ws.WriteClose(code, reason)
}

// onEventClose cleans up once the connection is gone.
func (g *Server) onEventClose(ws *nbws.Conn, _ error) {
	c, ok := ws.Session().(*eventConn)
	if !ok || !c.gone.CompareAndSwap(false, true) {
		return
	}
	defer g.eventConns.Done()
	c.s.closed()
}

// closeEvent closes every event connection with 1001, waits for them to go, and stops
// the engine; the server's context has ended.
func (g *Server) closeEvent() {
	if g.engine == nil {
		return
	}
	for _, c := range g.wheel.all() {
		c.close(websocket.StatusGoingAway, "server shutting down")
	}
}

// verifyUpgrade checks a WebSocket handshake request as coder/websocket does, with the
// same answers: on error, the status and headers h of the refusal.
func verifyUpgrade(h http.Header, r *http.Request) (int, error) {
	if !r.ProtoAtLeast(1, 1) {
		return http.StatusUpgradeRequired, fmt.Errorf("WebSocket protocol violation: handshake request must be at least HTTP/1.1: %q", r.Proto)
	}
	if !headerHasToken(r.Header, "Connection", "upgrade") {
		h.Set("Connection", "Upgrade")
		h.Set("Upgrade", "websocket")
		return http.StatusUpgradeRequired, fmt.Errorf("WebSocket protocol violation: Connection header %q does not contain Upgrade", r.Header.Get("Connection"))
	}
	if !headerHasToken(r.Header, "Upgrade", "websocket") {
		h.Set("Connection", "Upgrade")
		h.Set("Upgrade", "websocket")
		return http.StatusUpgradeRequired, fmt.Errorf("WebSocket protocol violation: Upgrade header %q does not contain websocket", r.Header.Get("Upgrade"))
	}
	if r.Method != http.MethodGet {
		return http.StatusMethodNotAllowed, fmt.Errorf("WebSocket protocol violation: handshake request method is not GET but %q", r.Method)
	}
	if r.Header.Get("Sec-WebSocket-Version") != "13" {
		h.Set("Sec-WebSocket-Version", "13")
		return http.StatusBadRequest, fmt.Errorf("unsupported WebSocket protocol version (only 13 is supported): %q", r.Header.Get("Sec-WebSocket-Version"))
	}
	keys := r.Header.Values("Sec-WebSocket-Key")
	if len(keys) == 0 {
		return http.StatusBadRequest, errors.New("WebSocket protocol violation: missing Sec-WebSocket-Key")
	}
	if len(keys) > 1 {
		return http.StatusBadRequest, errors.New("WebSocket protocol violation: multiple Sec-WebSocket-Key headers")
	}
	key := strings.TrimSpace(keys[0])
	if v, err := base64.StdEncoding.DecodeString(key); err != nil || len(v) != 16 {
		return http.StatusBadRequest, fmt.Errorf("WebSocket protocol violation: invalid Sec-WebSocket-Key %q, must be a 16 byte base64 encoded string", key)
	}
	return 0, nil
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// switchingProtocols is the 101 answer to a handshake with key, at now: byte for byte
// what net/http wrote for coder/websocket's (no subprotocol, no compression), its
// headers sorted and the Date last.
func switchingProtocols(key string, now time.Time) []byte {
	b := make([]byte, 0, 160)
	b = append(b, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-Websocket-Accept: "...)
	b = append(b, acceptKey(key)...)
	b = append(b, "\r\nUpgrade: websocket\r\nDate: "...)
	b = now.UTC().AppendFormat(b, http.TimeFormat)
	return append(b, "\r\n\r\n"...)
}

// acceptKey is the Sec-WebSocket-Accept answer to key (RFC 6455 section 4.2.2).
func acceptKey(key string) string {
	h := sha1.New()
	h.Write([]byte(strings.TrimSpace(key)))
	h.Write([]byte("258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// nbioLogger sends nbio's logs to the server's logger (its debug and info logs are
// dropped).
type nbioLogger struct{ l *slog.Logger }

func (nbioLogger) Debug(string, ...any) {}
func (nbioLogger) Info(string, ...any)  {}
func (n nbioLogger) Warn(format string, v ...any) {
	n.l.Warn("event gateway: " + strings.TrimSpace(fmt.Sprintf(format, v...)))
}
func (n nbioLogger) Error(format string, v ...any) {
	n.l.Error("event gateway: " + strings.TrimSpace(fmt.Sprintf(format, v...)))
}
