// Package gateway serves client sessions over WebSocket (/v1/ws): login and the
// multi-device kick, heartbeats, the request ops of the protocol package, and ordered,
// duplicate-free delivery of each user's inbox to every connected device.
//
// Two network layers serve the same sessions (session.go, ops.go) with the same bytes on
// the wire. The event layer (event.go), the default, holds idle connections without a
// goroutine or a buffer each: the node's listener (Listener, listen.go) reads a
// connection's first request with a pooled buffer and answers a WebSocket handshake on
// /v1/ws itself (anything else, and any handshake it does not take, reaches net/http
// and ServeHTTP as it came), then the descriptor goes to an epoll loop of
// github.com/lesismal/nbio, whose nbhttp/websocket parser hands whole messages to a
// bounded pool of workers that keep their stacks between messages (workers.go);
// heartbeat and login deadlines sit on one timing wheel (wheel.go). nbio was chosen
// because it is maintained (v1.6.8, December 2025; MIT), runs the Autobahn conformance
// suite in its repository, takes over a connection accepted elsewhere (so /v1/ws keeps
// the node's port and admission limits), writes without blocking (what the socket does
// not take is queued, bounded), and borrows frame buffers from a pool only while a
// frame is incomplete; gobwas/ws would have needed a poller of our own. The classic
// layer (classic.go) runs coder/websocket with one
// reader goroutine per connection; it stays selectable (Classic, `--gateway classic`)
// for one release so the two can be measured side by side. Neither terminates TLS: put
// a TLS proxy in front (docs/protocol.md); a request that arrives over TLS anyway is
// served by the classic layer.
//
// Delivery runs in a goroutine only while events wait (session.go). A stored message
// written to a device must be acknowledged within AckTimeout, or it is handed to im's
// Unacked hook to be pushed (acks.go). A connection must log in within LoginTimeout,
// and one source IP may hold at most MaxUnauthPerAddr connections that have not
// (admission.go).
package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/lesismal/nbio/nbhttp"
	nbws "github.com/lesismal/nbio/nbhttp/websocket"

	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/store"
)

// Defaults.
const (
	// DefaultHeartbeat is how often clients send a heartbeat; a connection silent for two
	// periods is dropped.
	DefaultHeartbeat = 30 * time.Second
	// DefaultMaxFrameBytes bounds one incoming frame; larger frames close the connection
	// (WebSocket status 1009). Message size limits are checked below this, with an error
	// reply.
	DefaultMaxFrameBytes = 64 * 1024
	// writeTimeout bounds one frame write to a slow client.
	writeTimeout = 10 * time.Second
)

// appFinder finds an app, to verify UserSigs with its key.
type appFinder interface {
	FindAppByID(ctx context.Context, sdkAppID int64) (*store.App, error)
}

// Server is the WebSocket gateway. Set the exported fields before serving; Close ends
// every session.
type Server struct {
	IM   *im.Service
	Hub  *Hub
	Apps appFinder
	// NodeID names this node in device records. Default "local".
	NodeID string
	// Heartbeat is the client heartbeat period. Default DefaultHeartbeat.
	Heartbeat time.Duration
	// AckTimeout is how long a device has to acknowledge a stored message written to
	// it before im.Service.NotAcknowledged is told (to push it). Zero turns it off.
	// Default DefaultAckTimeout.
	AckTimeout time.Duration
	// LoginTimeout is how long a connection has to log in before it is closed. Zero
	// turns the deadline off. Default DefaultLoginTimeout.
	LoginTimeout time.Duration
	// MaxUnauthPerAddr bounds the connections of one source IP that have not logged in
	// yet; more are refused (HTTP 429) before the upgrade. Zero: no bound. Default
	// DefaultMaxUnauthPerAddr.
	MaxUnauthPerAddr int
	MaxFrameBytes    int64
	Now              func() time.Time
	Logger           *slog.Logger
	// Classic serves connections with the classic layer (a goroutine per connection)
	// instead of the event layer. Set before serving.
	Classic bool

	ctx    context.Context // ends every session on Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // counts running sessions and the ack ticker

	acksMu      sync.Mutex // protects the fields below
	ackSessions map[*session]struct{}
	ackTicking  bool

	unauthMu sync.Mutex     // protects unauth
	unauth   map[string]int // connections not logged in yet, by source IP

	// The event layer, started by the first connection it serves (event.go).
	eventOnce sync.Once
	eventErr  error
	engine    *nbhttp.Engine
	workers   *workers
	upgrader  *nbws.Upgrader
	wheel     *wheel
	wheelStop chan struct{}
	// eventConns counts the event layer's connections (wg counts the classic ones).
	eventConns sync.WaitGroup
	closeOnce  sync.Once
}

// NewServer returns a gateway with defaults.
func NewServer(svc *im.Service, hub *Hub, apps appFinder) *Server {
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		IM: svc, Hub: hub, Apps: apps,
		NodeID:       "local",
		Heartbeat:    DefaultHeartbeat,
		AckTimeout:   DefaultAckTimeout,
		LoginTimeout: DefaultLoginTimeout,

		MaxUnauthPerAddr: DefaultMaxUnauthPerAddr,
		MaxFrameBytes:    DefaultMaxFrameBytes,
		Now:              time.Now,
		Logger:           slog.Default(),
		ctx:              ctx,
		cancel:           cancel,
		wheelStop:        make(chan struct{}),
	}
}

// ServeHTTP upgrades the request to a WebSocket and runs the session until it ends.
func (g *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.ctx.Err() != nil {
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}
	addr := sourceAddr(r)
	if !g.admit(addr) {
		refuseBusy(w, g.MaxUnauthPerAddr)
		return
	}
	if g.Classic || r.TLS != nil {
		g.serveClassic(w, r, addr)
		return
	}
	g.serveEvent(w, r, addr)
}

// Close ends every session (clients see status 1001, going away) and waits for them.
func (g *Server) Close() error {
	g.closeOnce.Do(func() {
		g.eventOnce.Do(func() {}) // no event layer starts after this
		g.cancel()
		g.closeEvent()
		g.eventConns.Wait()
		close(g.wheelStop)
		g.wg.Wait()
		if g.engine != nil {
			g.engine.Stop()
			g.workers.close()
		}
	})
	g.wg.Wait()
	return nil
}

func isClosed(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, net.ErrClosed) || websocket.CloseStatus(err) != -1
}
