package gateway

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http/httpguts"
)

// Listener returns a listener for the node's http.Server in front of ln: a connection
// whose first request is a plain WebSocket handshake on /v1/ws is answered and handed
// to the event layer here, without net/http, and every other connection reaches the
// http.Server as it came (the bytes read to decide are read again from it). net/http
// gives each connection two 4 KiB bufio buffers that a hijacked connection never
// returns (a third of a login's garbage), a goroutine with its own stack, a response
// and a header map; here the handshake is read with a pooled buffer, on the goroutine
// that reads it. headerTimeout bounds reading the handshake, as the server's
// ReadHeaderTimeout does. Anything unusual (a header net/http would refuse, a refusal
// to write, a handshake over 4 KiB, the classic layer) goes to net/http, which answers
// it as before. keepAlive, when enabled, is set on the connections passed to
// net/http: ln should accept without TCP keep-alive, which costs four setsockopt calls
// per connection and which a WebSocket connection does not need (a silent one is
// dropped after two heartbeat periods). Closing the returned listener closes ln.
func (g *Server) Listener(ln net.Listener, headerTimeout time.Duration, keepAlive net.KeepAliveConfig) net.Listener {
	l := &listener{Listener: ln, g: g, timeout: headerTimeout, keepAlive: keepAlive,
		conns: make(chan acceptResult), done: make(chan struct{}), reading: map[net.Conn]struct{}{}}
	l.wg.Add(1)
	go l.acceptLoop()
	return l
}

// listener accepts for the http.Server (see Listener).
type listener struct {
	net.Listener
	g         *Server
	timeout   time.Duration
	keepAlive net.KeepAliveConfig
	conns     chan acceptResult // what Accept returns, in turn
	done      chan struct{}     // closed by Close
	once      sync.Once
	wg        sync.WaitGroup // the accept loop and the connections being read

	mu      sync.Mutex // protects reading
	reading map[net.Conn]struct{}
}

type acceptResult struct {
	c   net.Conn
	err error
}

// Accept returns the next connection for net/http, or ln's error.
func (l *listener) Accept() (net.Conn, error) {
	select {
	case r := <-l.conns:
		return r.c, r.err
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close closes ln, ends the reads of first requests under way and waits for the
// accept loop and for every connection being read: those are closed, or handed to the
// event layer if their handshake was read already, before Close returns (so the
// gateway's Close, after the http.Server's Shutdown, sees every hand-over).
func (l *listener) Close() error {
	var err error
	l.once.Do(func() {
		close(l.done)
		err = l.Listener.Close()
		l.mu.Lock()
		for c := range l.reading {
			c.SetReadDeadline(time.Now()) // the read fails at once
		}
		l.mu.Unlock()
		l.wg.Wait()
	})
	return err
}

// acceptLoop accepts from ln and reads each connection's first request on its own
// goroutine. Errors go to Accept's caller, which retries a temporary one after its
// own pause (this loop waits for it to ask again) and stops on the others.
func (l *listener) acceptLoop() {
	defer l.wg.Done()
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			select {
			case l.conns <- acceptResult{err: err}:
			case <-l.done:
				return
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		l.mu.Lock()
		select {
		case <-l.done:
			l.mu.Unlock()
			c.Close()
			return
		default:
		}
		l.reading[c] = struct{}{}
		l.wg.Add(1)
		l.mu.Unlock()
		go l.sniff(c)
	}
}

// pass hands c to net/http, to be read from the start again: read are the bytes read
// from it so far.
func (l *listener) pass(c net.Conn, read []byte) {
	if tcp, ok := c.(*net.TCPConn); ok && l.keepAlive.Enable {
		tcp.SetKeepAliveConfig(l.keepAlive)
	}
	if len(read) > 0 {
		c = &replayConn{Conn: c, r: bytes.NewReader(read)}
	}
	select {
	case l.conns <- acceptResult{c: c}:
	case <-l.done:
		c.Close()
	}
}

// headReaders are the buffers handshakes are read with: a connection holds one only
// until its first request is read.
var headReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}

// sniff reads c's first request head and serves it here if it is a WebSocket handshake
// the event layer takes, or passes c to net/http.
func (l *listener) sniff(c net.Conn) {
	defer l.wg.Done()
	br := headReaders.Get().(*bufio.Reader)
	br.Reset(c)
	defer func() {
		br.Reset(nil)
		headReaders.Put(br)
	}()
	if l.timeout > 0 {
		c.SetReadDeadline(time.Now().Add(l.timeout))
	}
	l.mu.Lock()
	select {
	case <-l.done:
		c.SetReadDeadline(time.Now()) // Close came between the accept and here
	default:
	}
	l.mu.Unlock()
	head, err := peekHead(br)
	l.mu.Lock()
	delete(l.reading, c)
	l.mu.Unlock()
	read, _ := br.Peek(br.Buffered())
	switch {
	case err != nil && len(read) == 0:
		c.Close() // nothing came: net/http would close it silently too
		return
	case err != nil || !l.g.takes(head):
		l.pass(c, bytes.Clone(read))
		return
	}
	read = bytes.Clone(read) // ReadRequest consumes what it parses
	r, err := http.ReadRequest(br)
	if err != nil || !plainHandshake(r) {
		l.pass(c, read)
		return
	}
	r.RemoteAddr = c.RemoteAddr().String()
	tcp, ok := c.(*net.TCPConn)
	addr := sourceAddr(r)
	if !ok || !l.g.admitRaw(r, addr) {
		l.pass(c, read) // net/http answers, or refuses, as ever
		return
	}
	c.SetReadDeadline(time.Time{})
	var early []byte
	if n := br.Buffered(); n > 0 {
		b, _ := br.Peek(n)
		early = bytes.Clone(b)
	}
	l.g.handOver(tcp, r.Header.Get("Sec-WebSocket-Key"), addr, early)
}

// peekHead returns br's buffered bytes up to the end of the first request head,
// reading until it is all there; it fails if the head does not fit br's buffer.
func peekHead(br *bufio.Reader) ([]byte, error) {
	for {
		b, _ := br.Peek(br.Buffered())
		if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
			return b[:i+4], nil
		}
		if br.Buffered() == br.Size() {
			return nil, bufio.ErrBufferFull
		}
		if _, err := br.Peek(br.Buffered() + 1); err != nil {
			return nil, err
		}
	}
}

// takes reports whether a request head looks like a handshake the event layer serves:
// GET /v1/ws over HTTP/1.1, before the request is parsed.
func (g *Server) takes(head []byte) bool {
	if g.Classic {
		return false
	}
	line, _, _ := bytes.Cut(head, []byte("\r\n"))
	return bytes.HasPrefix(line, []byte("GET /v1/ws ")) && bytes.HasSuffix(line, []byte(" HTTP/1.1"))
}

// plainHandshake reports whether r is a WebSocket handshake that net/http would
// accept as it stands and hand to the gateway: one valid Host, valid header fields,
// no body and the route's exact path. Any other request goes to net/http.
func plainHandshake(r *http.Request) bool {
	if r.URL.Path != "/v1/ws" || r.ContentLength != 0 || len(r.TransferEncoding) > 0 || r.Close {
		return false
	}
	if hosts := r.Header["Host"]; len(hosts) > 1 || r.Host == "" || !httpguts.ValidHostHeader(r.Host) {
		return false
	}
	for k, vv := range r.Header {
		if !httpguts.ValidHeaderFieldName(k) {
			return false
		}
		for _, v := range vv {
			if !httpguts.ValidHeaderFieldValue(v) {
				return false
			}
		}
	}
	if code, err := verifyUpgrade(http.Header{}, r); err != nil || code != 0 {
		return false
	}
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// admitRaw admits a handshake read by the listener as ServeHTTP would, reporting
// false, with nothing counted, when ServeHTTP would answer something else.
func (g *Server) admitRaw(r *http.Request, addr string) bool {
	if g.ctx.Err() != nil || g.startEvent() != nil {
		return false
	}
	return g.admit(addr)
}

// replayConn is a connection whose first bytes were read already: Read returns them
// first.
type replayConn struct {
	net.Conn
	r *bytes.Reader
}

func (c *replayConn) Read(p []byte) (int, error) {
	if c.r.Len() > 0 {
		return c.r.Read(p)
	}
	return c.Conn.Read(p)
}
