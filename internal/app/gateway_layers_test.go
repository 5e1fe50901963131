package app_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// forEachGateway runs f against a node of each WebSocket layer.
func forEachGateway(t *testing.T, f func(t *testing.T, n *node)) {
	for _, gw := range []string{"event", "classic"} {
		t.Run(gw, func(t *testing.T) {
			cfg := MustConfig(t, "sqlite")
			cfg.Gateway = gw
			n := MustOpenNode(t, cfg)
			n.MustImport("alice")
			f(t, n)
		})
	}
}

// Both layers answer the handshake with the same status line and headers, in the same
// order.
func TestGateway_HandshakeSameBytes(t *testing.T) {
	forEachGateway(t, func(t *testing.T, n *node) {
		c, err := net.Dial("tcp", n.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		req := "GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
		if _, err := c.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(c)
		var lines []string
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if l == "\r\n" {
				break
			}
			lines = append(lines, l)
		}
		// The Date comes last, in HTTP's format; the rest is fixed.
		if date, ok := strings.CutPrefix(lines[len(lines)-1], "Date: "); !ok {
			t.Errorf("last header %q, want the Date", lines[len(lines)-1])
		} else if _, err := time.Parse(http.TimeFormat, strings.TrimSuffix(date, "\r\n")); err != nil {
			t.Errorf("Date %q: %v", date, err)
		} else {
			lines = lines[:len(lines)-1]
		}
		want := "HTTP/1.1 101 Switching Protocols\r\n|Connection: Upgrade\r\n|Sec-Websocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n|Upgrade: websocket\r\n"
		if got := strings.Join(lines, "|"); got != want {
			t.Errorf("handshake answer\n%q\nwant\n%q", got, want)
		}
	})
}

// A bad handshake gets coder/websocket's answer from both layers.
func TestGateway_BadHandshake(t *testing.T) {
	forEachGateway(t, func(t *testing.T, n *node) {
		res, err := http.Get("http://" + n.Addr() + "/v1/ws")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUpgradeRequired {
			t.Errorf("plain GET: %d, want 426", res.StatusCode)
		}
	})
}

// A frame over 64 KiB closes the connection with status 1009 (docs/protocol.md).
func TestGateway_FrameTooBig(t *testing.T) {
	forEachGateway(t, func(t *testing.T, n *node) {
		c := rawConn(t, n, "alice")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		big := `{"seq":2,"op":"heartbeat","data":"` + strings.Repeat("x", 70*1024) + `"}`
		c.Write(ctx, websocket.MessageText, []byte(big)) // may fail once the server closed
		for {
			_, _, err := c.Read(ctx)
			if err == nil {
				continue
			}
			if websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
				t.Fatalf("after a 70 KiB frame: %v, want close 1009", err)
			}
			return
		}
	})
}

// A client's close gets the close answer, and the device is recorded offline.
func TestGateway_ClientClose(t *testing.T) {
	forEachGateway(t, func(t *testing.T, n *node) {
		c := rawConn(t, n, "alice")
		if f := rawCall(t, c, `{"seq":2,"op":"heartbeat"}`); f.Code != 0 {
			t.Fatalf("heartbeat: %+v", f)
		}
		start := time.Now()
		if err := c.Close(websocket.StatusNormalClosure, "bye"); err != nil && !errors.Is(err, net.ErrClosed) {
			t.Fatalf("close: %v", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("close handshake took %v: the server did not answer the close frame", d)
		}
		waitDeviceState(t, n, "alice", "raw", "offline")
	})
}

// A device logging in again while its older connection is still open (a reconnect
// over a half-open connection) closes the older one with 1008 and no kicked event;
// after its connection ended, a login has nothing to replace and the new
// connection is served.
func TestGateway_ReconnectReplaces(t *testing.T) {
	forEachGateway(t, func(t *testing.T, n *node) {
		older := rawConn(t, n, "alice")
		newer := rawConn(t, n, "alice") // the same device, "raw"
		waitReplaced(t, older)
		if f := rawCall(t, newer, `{"seq":2,"op":"heartbeat"}`); f.Code != 0 {
			t.Fatalf("heartbeat on the newer connection: %+v", f)
		}
		waitDeviceState(t, n, "alice", "raw", "online")
		newer.Close(websocket.StatusNormalClosure, "bye")
		waitDeviceState(t, n, "alice", "raw", "offline")
		again := rawConn(t, n, "alice")
		if f := rawCall(t, again, `{"seq":2,"op":"heartbeat"}`); f.Code != 0 {
			t.Fatalf("heartbeat after logging in again: %+v", f)
		}
		waitDeviceState(t, n, "alice", "raw", "online")
	})
}

// waitReplaced reads c until the server closes it as replaced by a newer connection
// of its device, failing on any kicked event.
func waitReplaced(t *testing.T, c *websocket.Conn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, data, err := c.Read(ctx)
		if err == nil {
			if strings.Contains(string(data), `"op":"kicked"`) {
				t.Fatalf("replaced connection got a kicked event: %s", data)
			}
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.StatusPolicyViolation || !strings.Contains(ce.Reason, "replaced") {
			t.Fatalf("older connection: %v, want close 1008 replaced by a newer connection", err)
		}
		return
	}
}

// The node's port serves WebSocket handshakes and plain HTTP on one listener, whatever
// reads the first request: a handshake with a frame sent right behind it in the same
// write, a request whose header is too big for the handshake reader, and a handshake
// on a keep-alive connection after a plain request.
func TestGateway_SharedPort(t *testing.T) {
	handshake := "GET /v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	heartbeat := string(clientFrame(`{"seq":7,"op":"heartbeat"}`))
	forEachGateway(t, func(t *testing.T, n *node) {
		t.Run("FrameBehindHandshake", func(t *testing.T) {
			_, br := dialRaw(t, n, handshake+heartbeat)
			readStatus(t, br, "HTTP/1.1 101 Switching Protocols")
			if f := readServerFrame(t, br); !strings.Contains(f, `"seq":7`) {
				t.Fatalf("heartbeat answer %q", f)
			}
		})
		t.Run("BigHeader", func(t *testing.T) {
			_, br := dialRaw(t, n, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: "+strings.Repeat("p", 6000)+"\r\n\r\n")
			readStatus(t, br, "HTTP/1.1 200 OK")
		})
		t.Run("HandshakeAfterRequest", func(t *testing.T) {
			c, br := dialRaw(t, n, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
			body := readStatus(t, br, "HTTP/1.1 200 OK")
			if _, err := io.ReadFull(br, make([]byte, body)); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Write([]byte(handshake + heartbeat)); err != nil {
				t.Fatal(err)
			}
			readStatus(t, br, "HTTP/1.1 101 Switching Protocols")
			if f := readServerFrame(t, br); !strings.Contains(f, `"seq":7`) {
				t.Fatalf("heartbeat answer %q", f)
			}
		})
	})
}

// dialRaw connects to n, writes req and returns the connection and its reader.
func dialRaw(t *testing.T, n *node, req string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", n.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	return c, bufio.NewReader(c)
}

// readStatus reads an answer's head, checks its status line and returns its
// Content-Length (0 if none).
func readStatus(t *testing.T, br *bufio.Reader, want string) (contentLength int) {
	t.Helper()
	status, err := br.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(status) != want {
		t.Fatalf("status %q, want %q", status, want)
	}
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if l == "\r\n" {
			return contentLength
		}
		if v, ok := strings.CutPrefix(l, "Content-Length: "); ok {
			fmt.Sscan(v, &contentLength)
		}
	}
}

// clientFrame is text as one masked WebSocket text frame (RFC 6455 section 5.2),
// under 126 bytes.
func clientFrame(text string) []byte {
	mask := [4]byte{1, 2, 3, 4}
	b := []byte{0x81, 0x80 | byte(len(text)), mask[0], mask[1], mask[2], mask[3]}
	for i := range len(text) {
		b = append(b, text[i]^mask[i%4])
	}
	return b
}

// readServerFrame reads one unmasked text frame under 64 KiB.
func readServerFrame(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		t.Fatal(err)
	}
	n := int(h[1] & 0x7f)
	if n == 126 {
		var l [2]byte
		if _, err := io.ReadFull(br, l[:]); err != nil {
			t.Fatal(err)
		}
		n = int(l[0])<<8 | int(l[1])
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(br, p); err != nil {
		t.Fatal(err)
	}
	return string(p)
}
