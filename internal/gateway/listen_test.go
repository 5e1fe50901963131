package gateway

import (
	"errors"
	"io"
	"net"
	"runtime"
	"testing"
	"time"
)

// Close does not wait out the header timeout of a connection that sent nothing yet:
// it ends the read, closes the connection and returns.
func TestListener_CloseEndsReads(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := NewServer(nil, nil, nil)
	l := g.Listener(ln, time.Minute, net.KeepAliveConfig{})
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The connection is being read once the accept loop has taken it.
	for {
		lst := l.(*listener)
		lst.mu.Lock()
		n := len(lst.reading)
		lst.mu.Unlock()
		if n == 1 {
			break
		}
		runtime.Gosched()
	}
	closed := make(chan error, 1)
	go func() { closed <- l.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited for the connection's header timeout")
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("read %d bytes, %v, from a connection the listener closed; want EOF", n, err)
	}
	if _, err := l.Accept(); err == nil {
		t.Fatal("Accept after Close = nil error, want one")
	}
}
