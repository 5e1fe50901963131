package loadtest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/herald-im/herald/protocol"
)

// maxFrame bounds a frame the load generator accepts from the server.
const maxFrame = 1 << 20

// errFrameTooLarge is returned by readFrame for a frame over maxFrame.
var errFrameTooLarge = errors.New("loadtest: frame too large")

// wsConn is a minimal client WebSocket over one TCP connection: text frames only, no
// extensions, no goroutine and no buffers of its own between calls (but for bytes the
// server sent past the last message read). It exists so that
// the load generator costs little memory per idle connection and the server's cost is
// what the idle scenario measures. It is not safe for concurrent use.
type wsConn struct {
	c   net.Conn
	seq uint64
	// in holds bytes read past the last message returned: nil when there are none, so
	// that an idle connection keeps no buffer.
	in []byte
}

// readBufs are the scratch buffers socket reads go through: one read takes a frame's
// header and payload together, and what is kept is only what was read.
var readBufs = sync.Pool{New: func() any { b := make([]byte, 4096); return &b }}

// next returns the next n bytes of the stream, reading the socket only when in holds
// fewer.
func (w *wsConn) next(n int) ([]byte, error) {
	for len(w.in) < n {
		bp := readBufs.Get().(*[]byte)
		k, err := w.c.Read(*bp)
		w.in = append(w.in, (*bp)[:k]...)
		readBufs.Put(bp)
		if err != nil && len(w.in) < n {
			return nil, err
		}
	}
	b := w.in[:n:n]
	w.in = w.in[n:]
	if len(w.in) == 0 {
		w.in = nil
	}
	return b, nil
}

// dialWS opens a WebSocket to u (ws:// only) from the local address laddr (nil: any).
func dialWS(ctx context.Context, u *url.URL, laddr net.Addr) (*wsConn, error) {
	if u.Scheme != "ws" {
		return nil, fmt.Errorf("dial %s: only ws:// URLs are supported", u.Redacted())
	}
	// No TCP keep-alive: the protocol's heartbeats keep the connection, and enabling
	// it costs four setsockopt calls per dial.
	d := net.Dialer{LocalAddr: laddr, KeepAlive: -1}
	c, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	if err := handshake(c, u); err != nil {
		c.Close()
		return nil, err
	}
	c.SetDeadline(time.Time{})
	return &wsConn{c: c}, nil
}

// handshake performs the RFC 6455 §4.1 opening handshake.
func handshake(c net.Conn, u *url.URL) error {
	var k [16]byte
	rand.Read(k[:])
	key := base64.StdEncoding.EncodeToString(k[:])
	path := u.RequestURI()
	req := "GET " + path + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + "\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		return fmt.Errorf("write handshake: %w", err)
	}
	br := bufio.NewReaderSize(c, 512)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		return fmt.Errorf("read handshake: %w", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSwitchingProtocols {
		return fmt.Errorf("handshake: server answered %s", res.Status)
	}
	// The server speaks only when spoken to, so nothing may follow the response yet;
	// the reader is dropped here to keep no buffer per connection.
	if br.Buffered() > 0 {
		return errors.New("handshake: unexpected data after the response")
	}
	return nil
}

// writeText writes one masked text frame.
func (w *wsConn) writeText(payload []byte) error {
	b := make([]byte, 0, len(payload)+14)
	b = append(b, 0x81) // FIN, text
	n := len(payload)
	switch {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xffff:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	var mask [4]byte
	rand.Read(mask[:])
	b = append(b, mask[:]...)
	start := len(b)
	b = append(b, payload...)
	for i := range payload {
		b[start+i] ^= mask[i%4]
	}
	_, err := w.c.Write(b)
	return err
}

// readMessage reads one complete data message, answering pings and skipping pongs.
// A close frame from the server returns io.EOF.
func (w *wsConn) readMessage() ([]byte, error) {
	var msg []byte
	for {
		h, err := w.next(2)
		if err != nil {
			return nil, err
		}
		fin, op := h[0]&0x80 != 0, h[0]&0x0f
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			e, err := w.next(2)
			if err != nil {
				return nil, err
			}
			n = uint64(binary.BigEndian.Uint16(e))
		case 127:
			e, err := w.next(8)
			if err != nil {
				return nil, err
			}
			n = binary.BigEndian.Uint64(e)
		}
		if n > maxFrame || uint64(len(msg))+n > maxFrame {
			return nil, errFrameTooLarge
		}
		payload, err := w.next(int(n))
		if err != nil {
			return nil, err
		}
		switch op {
		case 0x8: // close
			return nil, io.EOF
		case 0x9: // ping: answer with a masked pong
			w.writeControl(0xA, payload)
			continue
		case 0xA: // pong
			continue
		}
		msg = append(msg, payload...)
		if fin {
			return msg, nil
		}
	}
}

func (w *wsConn) writeControl(op byte, payload []byte) error {
	b := []byte{0x80 | op, 0x80 | byte(len(payload)), 0, 0, 0, 0}
	rand.Read(b[2:6])
	for i, c := range payload {
		b = append(b, c^b[2+i%4])
	}
	_, err := w.c.Write(b)
	return err
}

// call sends a request frame and reads frames until its reply, within timeout. It
// returns a server error reply as an error.
func (w *wsConn) call(op string, req any, res any, timeout time.Duration) error {
	w.seq++
	f := protocol.Frame{Seq: w.seq, Op: op}
	if req != nil {
		data, err := json.Marshal(req)
		if err != nil {
			return fmt.Errorf("marshal %s: %w", op, err)
		}
		f.Data = data
	}
	data, err := json.Marshal(&f)
	if err != nil {
		return fmt.Errorf("marshal %s: %w", op, err)
	}
	w.c.SetDeadline(time.Now().Add(timeout))
	defer w.c.SetDeadline(time.Time{})
	if err := w.writeText(data); err != nil {
		return fmt.Errorf("write %s: %w", op, err)
	}
	for {
		data, err := w.readMessage()
		if err != nil {
			return fmt.Errorf("read %s reply: %w", op, err)
		}
		var r protocol.Frame
		if err := json.Unmarshal(data, &r); err != nil {
			return fmt.Errorf("decode %s reply: %w", op, err)
		}
		if r.Seq != f.Seq || r.Op != op {
			continue // an event or a stale reply
		}
		if r.Code != 0 {
			return fmt.Errorf("%s: server error %d %s: %s", op, r.Code, r.Error, r.Message)
		}
		if res != nil && len(r.Data) > 0 {
			if err := json.Unmarshal(r.Data, res); err != nil {
				return fmt.Errorf("decode %s reply: %w", op, err)
			}
		}
		return nil
	}
}

// Close closes the TCP connection without a closing handshake, as a vanished phone does.
func (w *wsConn) Close() error { return w.c.Close() }
