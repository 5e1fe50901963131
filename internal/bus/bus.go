// Package bus is Herald's message bus: a NATS connection with JetStream, to an in-process
// server (the embedded default, no port opened) or to an external NATS cluster.
//
// Chat deliveries are routed over core NATS to the node that holds a user's connections
// (UserSubject, Subscribe, Publish); push jobs go to JetStream work-queue streams
// (EnsureWorkQueue), so that any node may take any job and a crash loses none.
package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Defaults for Config fields left zero.
const (
	// DefaultName is the NATS connection name, and the embedded server's name.
	DefaultName = "herald"
	// DefaultStartTimeout bounds how long Open waits for the embedded server when ctx has no
	// deadline.
	DefaultStartTimeout = 10 * time.Second
	// DefaultDrainTimeout bounds how long Close waits for in-flight messages to be handled.
	DefaultDrainTimeout = 5 * time.Second
	// DefaultPingTimeout bounds Ping when ctx has no deadline.
	DefaultPingTimeout = 2 * time.Second
)

// ErrNoDataDir is returned by Config.Validate and Open for embedded mode without a DataDir.
var ErrNoDataDir = errors.New("bus: embedded mode needs a data dir")

// Config says which NATS to use. The zero value is not valid: embedded mode needs DataDir.
type Config struct {
	// URL is the external NATS to connect to, e.g. "nats://127.0.0.1:4222" or a comma-separated
	// list of cluster URLs. It must have JetStream enabled. Empty runs an embedded server.
	URL string
	// DataDir is where the embedded server keeps JetStream streams. Required in embedded
	// mode, unused otherwise.
	DataDir string
	// Name is the connection name seen by the NATS server (and the embedded server's name).
	// Default: DefaultName.
	Name string
	// Replicas is how many copies of each stream EnsureWorkQueue asks JetStream to keep.
	// Default (0): 1. Use 3 on a cluster of three or more servers.
	Replicas int
	// Logger receives connection events and the embedded server's log.
	// Default: slog.Default().
	Logger *slog.Logger
	// Namespace, when set, puts every subject and stream of this bus under it (see
	// Subject), so that deployments sharing one NATS never take each other's messages
	// or jobs. Every node of one deployment uses the same.
	Namespace string
}

// Validate reports whether c can be opened.
func (c Config) Validate() error {
	if c.URL == "" && c.DataDir == "" {
		return ErrNoDataDir
	}
	if c.Replicas < 0 {
		return fmt.Errorf("bus: replicas %d is negative", c.Replicas)
	}
	if c.Namespace != "" {
		return CheckNamespace(c.Namespace)
	}
	return nil
}

// Bus is an open connection to NATS and JetStream, and in embedded mode the server itself.
// Its methods are safe for concurrent use. Close it when done.
type Bus struct {
	conn      *nats.Conn
	js        jetstream.JetStream
	srv       *server.Server // nil in external mode
	replicas  int
	namespace string
	logger    *slog.Logger
	dispatch  *dispatcher

	closed    chan struct{} // closed by the connection's ClosedHandler
	closeOnce sync.Once
	closeErr  error
}

// Open starts the embedded server (c.URL empty) or connects to c.URL, and returns once the
// connection is up. ctx bounds the start; it is not kept.
func Open(ctx context.Context, c Config) (*Bus, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Name == "" {
		c.Name = DefaultName
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	b := &Bus{replicas: c.Replicas, namespace: c.Namespace, logger: c.Logger, closed: make(chan struct{})}

	opts := []nats.Option{
		nats.Name(c.Name),
		nats.DrainTimeout(DefaultDrainTimeout),
		nats.ClosedHandler(func(*nats.Conn) { close(b.closed) }),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			// Chiefly slow consumers: a subscriber that fell behind lost messages.
			attrs := []any{"err", err}
			if sub != nil {
				attrs = append(attrs, "subject", sub.Subject)
			}
			b.logger.Error("nats async error", attrs...)
		}),
	}
	url := c.URL
	if url == "" {
		srv, err := startServer(ctx, c)
		if err != nil {
			return nil, err
		}
		b.srv = srv
		opts = append(opts, nats.InProcessServer(srv))
	} else {
		opts = append(opts,
			// A node outlives NATS restarts and failovers; Ping reports the outage meanwhile.
			nats.MaxReconnects(-1),
			nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
				b.logger.Warn("nats disconnected", "err", err)
			}),
			nats.ReconnectHandler(func(nc *nats.Conn) {
				b.logger.Info("nats reconnected", "url", nc.ConnectedUrlRedacted())
			}),
		)
	}
	if err := ctx.Err(); err != nil {
		b.shutdownServer()
		return nil, err
	}
	conn, err := nats.Connect(url, opts...)
	if err != nil {
		b.shutdownServer()
		return nil, fmt.Errorf("bus: connect: %w", err)
	}
	b.conn = conn
	b.dispatch = newDispatcher()
	js, err := jetstream.New(conn)
	if err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("bus: jetstream: %w", err)
	}
	b.js = js
	return b, nil
}

// startServer runs an in-process NATS server with JetStream in c.DataDir, listening on no port.
func startServer(ctx context.Context, c Config) (*server.Server, error) {
	srv, err := server.NewServer(&server.Options{
		ServerName: c.Name,
		DontListen: true,
		JetStream:  true,
		StoreDir:   c.DataDir,
		NoSigs:     true, // signals belong to the herald process, not the library
	})
	if err != nil {
		return nil, fmt.Errorf("bus: embedded server: %w", err)
	}
	srv.SetLoggerV2(serverLogger{c.Logger}, false, false, false)
	srv.Start()
	wait := DefaultStartTimeout
	if d, ok := ctx.Deadline(); ok {
		wait = time.Until(d)
	}
	if !srv.ReadyForConnections(wait) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("bus: embedded server not ready after %v", wait)
	}
	if !srv.JetStreamEnabled() {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("bus: embedded server started without jetstream (data dir %s)", c.DataDir)
	}
	return srv, nil
}

// Conn returns the NATS connection. It stays owned by b: do not close it.
func (b *Bus) Conn() *nats.Conn { return b.conn }

// JetStream returns the JetStream handle on b's connection.
func (b *Bus) JetStream() jetstream.JetStream { return b.js }

// Embedded reports whether b runs its own in-process server.
func (b *Bus) Embedded() bool { return b.srv != nil }

// Ping checks that the server answers and JetStream is available, for readiness probes.
// Without a deadline in ctx it waits at most DefaultPingTimeout.
func (b *Bus) Ping(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultPingTimeout)
		defer cancel()
	}
	if err := b.conn.FlushWithContext(ctx); err != nil {
		return fmt.Errorf("bus: ping: %w", err)
	}
	if _, err := b.js.AccountInfo(ctx); err != nil {
		return fmt.Errorf("bus: ping jetstream: %w", err)
	}
	return nil
}

// Close drains the connection (subscription handlers finish the messages they have,
// pending publishes are flushed), then shuts the embedded server down and waits for it.
// It returns the drain error, if any. Calling Close again does nothing and returns the same.
func (b *Bus) Close() error {
	b.closeOnce.Do(func() {
		if err := b.conn.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			b.closeErr = fmt.Errorf("bus: drain: %w", err)
			b.conn.Close()
		}
		// Drain closes the connection when done, or after DefaultDrainTimeout.
		<-b.closed
		b.dispatch.close()
		b.shutdownServer()
	})
	return b.closeErr
}

func (b *Bus) shutdownServer() {
	if b.srv != nil {
		b.srv.Shutdown()
		b.srv.WaitForShutdown()
	}
}
