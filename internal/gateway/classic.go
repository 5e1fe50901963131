package gateway

import (
	"context"
	"net/http"
	"time"

	"github.com/coder/websocket"
)

// The classic network layer: coder/websocket, one reader goroutine per connection and
// a runtime timer each for the heartbeat and the login deadline. It stays selectable
// (Server.Classic, `--gateway classic`) for one release, so both layers can be measured
// side by side.

// classicWire is a coder/websocket connection.
type classicWire struct{ conn *websocket.Conn }

func (w classicWire) write(ctx context.Context, data []byte) error {
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	return w.conn.Write(ctx, websocket.MessageText, data)
}

func (w classicWire) close(code websocket.StatusCode, reason string) {
	w.conn.Close(code, reason)
}

// serveClassic upgrades the request with coder/websocket and reads the connection in
// this goroutine until it ends; addr was admitted.
func (g *Server) serveClassic(w http.ResponseWriter, r *http.Request, addr string) {
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		// Browsers from any origin may connect: every session authenticates with a UserSig.
		InsecureSkipVerify: true,
	})
	if err != nil {
		g.release(addr)
		return // Accept has answered the client
	}
	conn.SetReadLimit(g.MaxFrameBytes)
	g.wg.Add(1)
	defer g.wg.Done()
	s := newSession(g, classicWire{conn})
	s.unauthAddr = addr
	s.runClassic(g.ctx, conn)
}

// runClassic serves the connection until it closes, the client goes silent, or ctx ends.
func (s *session) runClassic(ctx context.Context, conn *websocket.Conn) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer func() {
		cancel()
		s.stopDelivery()
		conn.CloseNow()
		s.authenticated()
		s.finish()
	}()
	if s.g.LoginTimeout > 0 {
		// Heartbeats do not extend the login deadline. A runtime timer, not a goroutine.
		t := time.AfterFunc(s.g.LoginTimeout, func() {
			if !s.authed.Load() {
				conn.Close(websocket.StatusPolicyViolation, "login timeout")
			}
		})
		defer t.Stop()
	}
	// On server shutdown, close with a status the client understands. (No goroutine
	// waits per connection: AfterFunc runs only when ctx ends.)
	stop := context.AfterFunc(ctx, func() {
		if s.g.ctx.Err() != nil {
			conn.Close(websocket.StatusGoingAway, "server shutting down")
		}
	})
	defer stop()
	// A client silent for two heartbeat periods is gone: close with a reason it can read.
	idle := time.AfterFunc(2*s.g.Heartbeat, func() {
		conn.Close(websocket.StatusPolicyViolation, "heartbeat timeout")
	})
	defer idle.Stop()
	for {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			return
		}
		idle.Reset(2 * s.g.Heartbeat)
		if s.receive(ctx, typ == websocket.MessageText, data) {
			return
		}
	}
}
