// Package app reads Herald's config and wires every part together: the store, the bus,
// the chat core, the WebSocket gateway and the HTTP API. It is the only package that
// knows them all.
package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/herald-im/herald/internal/accountcache"
	"github.com/herald-im/herald/internal/api"
	"github.com/herald-im/herald/internal/api/tencent"
	"github.com/herald-im/herald/internal/appcache"
	"github.com/herald-im/herald/internal/auth"
	"github.com/herald-im/herald/internal/bus"
	"github.com/herald-im/herald/internal/cluster"
	"github.com/herald-im/herald/internal/console"
	"github.com/herald-im/herald/internal/gateway"
	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/push/pipeline"
	"github.com/herald-im/herald/internal/sandbox"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/internal/store/postgres"
	"github.com/herald-im/herald/internal/store/sqlite"
	"github.com/herald-im/herald/internal/webhook"
)

// DefaultRetention is how long messages are kept unless the app says otherwise.
const DefaultRetention = 7 * 24 * time.Hour

// Main is a running Herald node.
type Main struct {
	Config Config
	Logger *slog.Logger
	// Out receives the first-start banner (the created app's ID and key). Default os.Stdout.
	Out io.Writer

	Store store.Store
	Bus   *bus.Bus
	IM    *im.Service
	Hub   *gateway.Hub
	// Senders are the vendor senders, by vendor; Pipeline carries stored messages to them.
	Senders  map[push.Vendor]push.Sender
	Pipeline *pipeline.Pipeline
	// Webhooks posts push answers and device state changes to each app's callback URL.
	Webhooks *webhook.Notifier
	// Liveness tells which nodes are alive, so that the devices of a node killed
	// without a word get their pushes.
	Liveness *cluster.Liveness
	// ConfigureLiveness, if set, changes Liveness before it opens (tests beat faster).
	ConfigureLiveness func(l *cluster.Liveness)
	// ConfigurePipeline, if set, changes the push pipeline before it opens (tests
	// shorten its sweep).
	ConfigurePipeline func(p *pipeline.Pipeline)
	// ConfigureWebhooks, if set, changes the notifier before it opens (tests shorten
	// its backoff).
	ConfigureWebhooks func(n *webhook.Notifier)
	Gateway           *gateway.Server
	API               *api.Server
	// ConfigureAPI, if set, changes the admin API before it serves (tests lift the
	// broadcast rate limit).
	ConfigureAPI func(s *api.Server)
	Tencent      *tencent.Server // the Tencent-compatible REST API under /v4/
	// Sandbox, with --sandbox, runs the vendor simulators and simulated phones.
	Sandbox *sandbox.Sandbox

	registry *prometheus.Registry
	metrics  *nodeMetrics // metrics.go
	ln       net.Listener
	server   *http.Server
	cancel   context.CancelFunc
	wg       sync.WaitGroup // background loops
}

// NewMain returns a Main for c.
func NewMain(c Config) *Main {
	return &Main{Config: c, Logger: slog.Default(), Out: os.Stdout}
}

// Open builds and starts every part, in order; on error it closes what it opened.
func (m *Main) Open(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	if err := m.startSandbox(); err != nil {
		return err
	}
	c := m.Config
	m.metrics = newNodeMetrics()
	if c.DataDir != "" {
		if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
			return fmt.Errorf("create data dir: %w", err)
		}
	}
	if m.Store, err = OpenStore(ctx, c); err != nil {
		return err
	}
	// Every login and API call looks its app up, every message its sender's and
	// recipient's accounts: answered from memory (appcache, accountcache).
	m.Store = accountcache.New(appcache.New(m.Store))
	namespace := c.DeploymentID
	if namespace == "" {
		if namespace, err = m.Store.DeploymentID(ctx); err != nil {
			return err
		}
	}
	if m.Bus, err = bus.Open(ctx, bus.Config{URL: c.NATS, DataDir: filepath.Join(c.DataDir, "nats"), Logger: m.Logger, Namespace: namespace}); err != nil {
		return fmt.Errorf("open nats: %w", err)
	}
	if err := m.ensureApp(ctx); err != nil {
		return err
	}
	if err := m.openSandbox(ctx); err != nil {
		return err
	}

	roots, err := loadRoots(c.PushCAFile)
	if err != nil {
		return err
	}
	m.Senders = buildSenders(m.Logger, push.Transport{RootCAs: roots, AllowPrivate: c.PushAllowPrivateEndpoints})
	m.Liveness = cluster.New(c.NodeID)
	m.Liveness.Logger = m.Logger
	if m.ConfigureLiveness != nil {
		m.ConfigureLiveness(m.Liveness)
	}
	m.Pipeline = pipeline.New(m.Store, m.Bus, m.Senders)
	m.Pipeline.SessionAlive = m.Liveness.Alive
	m.Webhooks = webhook.New(m.Store, m.Bus)
	m.Webhooks.Logger = m.Logger
	m.Webhooks.Log = m.Store
	if m.ConfigureWebhooks != nil {
		m.ConfigureWebhooks(m.Webhooks)
	}
	if err := m.Webhooks.Open(ctx); err != nil {
		return fmt.Errorf("open webhooks: %w", err)
	}
	m.Pipeline.Workers = c.PushWorkers
	if c.PushTTL > 0 {
		m.Pipeline.TTL = c.PushTTL
	}
	m.Pipeline.Logger = m.Logger
	m.Pipeline.Answered = m.metrics.countRetries(m.Webhooks.Answered)
	if m.ConfigurePipeline != nil {
		m.ConfigurePipeline(m.Pipeline)
	}
	if err := m.Pipeline.Open(ctx); err != nil {
		return fmt.Errorf("open push pipeline: %w", err)
	}

	m.Hub = gateway.NewHub(deliveryCounter{m.Bus, m.metrics.delivered}, m.Logger)
	m.IM = im.NewService(m.Store, m.Hub)
	m.IM.Logger = m.Logger
	m.IM.Stored = m.metrics.countStored(m.Pipeline.Stored)
	// A recall's lock-screen replacements are pushes of the pipeline's (recall.go).
	m.IM.Recalled = m.Pipeline.Recalled
	m.IM.StateChanged = m.Webhooks.StateChanged
	m.IM.Unacked = m.Pipeline.Unacked
	m.Gateway = gateway.NewServer(m.IM, m.Hub, m.Store)
	m.Gateway.NodeID = m.Liveness.Self() // sessions are named under this incarnation
	m.Gateway.Heartbeat = c.Heartbeat
	m.Gateway.AckTimeout = c.PushAckTimeout
	m.Gateway.LoginTimeout, m.Gateway.MaxUnauthPerAddr = c.LoginTimeout, c.MaxUnauthPerAddr
	m.Gateway.Logger = m.Logger
	m.Gateway.Classic = c.Gateway == "classic"
	m.API = api.NewServer(m.IM, m.Store, m.Senders)
	m.API.Logger = m.Logger
	m.API.Broadcaster = m.Pipeline
	m.API.Health = m.Pipeline
	m.API.AllowPrivateEndpoints = c.PushAllowPrivateEndpoints
	if m.ConfigureAPI != nil {
		m.ConfigureAPI(m.API)
	}
	m.Tencent = tencent.NewServer(m.IM, m.Store)
	m.Tencent.Logger = m.Logger
	m.Tencent.Broadcaster, m.Tencent.Audience = m.API, m.Store

	m.Liveness.OnDead = m.IM.ReapSessions
	if err := m.Liveness.Open(ctx, m.Bus); err != nil {
		return err
	}

	m.registry = m.newRegistry()

	// With the event gateway, TCP keep-alive is set by gateway.Listener on the
	// connections it passes to net/http, as net.Listen would (15 s), and not on
	// WebSocket connections, which have their heartbeat.
	var lc net.ListenConfig
	if !m.Gateway.Classic {
		lc.KeepAlive = -1
	}
	if m.ln, err = lc.Listen(ctx, "tcp", c.Listen); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	m.server = &http.Server{Handler: m.Handler(), ReadHeaderTimeout: ReadHeaderTimeout, IdleTimeout: DefaultIdleTimeout, MaxHeaderBytes: MaxHeaderBytes}
	serveLn := m.ln
	if !m.Gateway.Classic {
		// WebSocket handshakes go to the event layer without net/http (gateway.Listener).
		serveLn = m.Gateway.Listener(m.ln, ReadHeaderTimeout, httpKeepAlive)
	}
	go m.server.Serve(serveLn)
	if err := m.sandboxServing(ctx); err != nil {
		return err
	}

	loopCtx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.retentionLoop(loopCtx)
	}()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.IM.RunFanOut(loopCtx)
	}()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.IM.RunAcks(loopCtx) // acknowledgements written in batches
	}()
	m.Logger.Info("herald serving", "addr", m.ln.Addr().String(), "store", m.storeKind(), "nats", m.natsKind(), "deployment", namespace)
	return nil
}

// OpenStore opens the store c names: PostgreSQL when c.Postgres is set, else the SQLite
// file in c.DataDir (created if needed, mode 0600), with secrets sealed under the
// master key (see OpenBox). The caller closes it.
func OpenStore(ctx context.Context, c Config) (store.Store, error) {
	st, err := openRawStore(ctx, c)
	if err != nil {
		return nil, err
	}
	sealed, err := sealStore(ctx, st, c)
	if err != nil {
		st.Close()
		return nil, err
	}
	return sealed, nil
}

// openRawStore is OpenStore without the sealing.
func openRawStore(ctx context.Context, c Config) (store.Store, error) {
	if c.Postgres != "" {
		db, err := postgres.Open(ctx, c.Postgres)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		return db, nil
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(c.DataDir, "herald.db")
	if err := restrictFiles(c.DataDir, path); err != nil {
		return nil, err
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	return db, nil
}

// Addr returns the address the HTTP server listens on.
func (m *Main) Addr() string { return m.ln.Addr().String() }

func (m *Main) storeKind() string {
	if m.Config.Postgres != "" {
		return "postgres"
	}
	return "sqlite"
}

func (m *Main) natsKind() string {
	if m.Config.NATS != "" {
		return "external"
	}
	return "embedded"
}

// Handler returns every HTTP route of the node.
func (m *Main) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		h := map[string]any{"status": "ok"}
		if m.Sandbox != nil {
			h["sandbox"] = true // simulated vendors: never a production node
		}
		writeJSON(w, http.StatusOK, h)
	})
	mux.HandleFunc("GET /readyz", m.readyz)
	mux.Handle("/v1/ws", m.Gateway)
	mux.Handle("/v1/admin/", readDeadline(m.API.Handler(), m.Config.bodyReadTimeout()))
	m.sandboxRoutes(mux)
	mux.Handle("/v4/", readDeadline(m.Tencent.Handler(), m.Config.bodyReadTimeout()))
	mux.Handle(console.Prefix, console.NewServer())
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
	return m.metrics.instrument(mux)
}

func (m *Main) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{"store": "ok", "nats": "ok"}
	status := http.StatusOK
	if err := m.Store.Ping(ctx); err != nil {
		checks["store"], status = err.Error(), http.StatusServiceUnavailable
	}
	if err := m.Bus.Ping(ctx); err != nil {
		checks["nats"], status = err.Error(), http.StatusServiceUnavailable
	}
	word := "ready"
	if status != http.StatusOK {
		word = "not ready"
	}
	writeJSON(w, status, map[string]any{"status": word, "checks": checks})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// ensureApp makes sure the configured app exists, or, on a first start with no app at
// all, creates one and prints how to use it.
func (m *Main) ensureApp(ctx context.Context) error {
	c := m.Config
	if c.SDKAppID != 0 {
		a, err := m.Store.FindAppByID(ctx, c.SDKAppID)
		if errors.Is(err, store.ErrNotFound) {
			return m.createApp(ctx, c.SDKAppID, c.SecretKey, false)
		}
		if err != nil {
			return fmt.Errorf("find app: %w", err)
		}
		if a.SecretKey != c.SecretKey {
			key := c.SecretKey
			if err := m.Store.UpdateApp(ctx, a.SDKAppID, store.AppUpdate{SecretKey: &key}); err != nil {
				return fmt.Errorf("update app key: %w", err)
			}
			m.Logger.Info("app secret key replaced from config", "sdkappid", a.SDKAppID)
		}
		return nil
	}
	apps, err := m.Store.FindApps(ctx)
	if err != nil {
		return fmt.Errorf("find apps: %w", err)
	}
	if len(apps) > 0 {
		return nil
	}
	return m.createApp(ctx, 1400000000+rand.Int64N(99999999), auth.NewSecretKey(), true)
}

func (m *Main) createApp(ctx context.Context, id int64, key string, banner bool) error {
	a := &store.App{
		SDKAppID: id, SecretKey: key, AdminUserID: m.Config.AdminUserID, Name: "default",
		DevicePolicy: store.OnePerPlatform, Retention: DefaultRetention, CreatedAt: time.Now(),
	}
	if err := m.Store.CreateApp(ctx, a); err != nil {
		return fmt.Errorf("create app: %w", err)
	}
	if banner {
		fmt.Fprintf(m.Out, `
Herald created your first app. Keep the secret key safe: it signs every UserSig.

  SDKAppID:   %d
  Secret key: %s
  Admin:      %s

A UserSig for the admin (valid 180 days):

  herald usersig --sdkappid %d --key %s --user %s --expire 15552000

`, id, key, a.AdminUserID, id, key, a.AdminUserID)
	}
	return nil
}

// retentionLoop deletes messages older than each app's retention, hourly.
func (m *Main) retentionLoop(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		m.sweep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (m *Main) sweep(ctx context.Context) {
	if n, err := m.Store.DeleteWebhookDeliveriesBefore(ctx, time.Now().Add(-DefaultRetention)); err != nil {
		m.Logger.Warn("retention: webhook deliveries", "err", err)
	} else if n > 0 {
		m.Logger.Info("retention: deleted webhook deliveries", "count", n)
	}
	apps, err := m.Store.FindApps(ctx)
	if err != nil {
		m.Logger.Warn("retention: find apps", "err", err)
		return
	}
	for _, a := range apps {
		keep := a.Retention
		if keep <= 0 {
			keep = DefaultRetention
		}
		n, err := m.Store.DeleteMessagesBefore(ctx, a.SDKAppID, time.Now().Add(-keep))
		if err != nil {
			m.Logger.Warn("retention: delete", "sdkappid", a.SDKAppID, "err", err)
			continue
		}
		if n > 0 {
			m.Logger.Info("retention: deleted messages", "sdkappid", a.SDKAppID, "count", n)
		}
	}
}

// Close stops every part in reverse order of Open.
func (m *Main) Close() error {
	if m.cancel != nil {
		m.cancel()
		m.wg.Wait()
	}
	var errs []error
	if m.Sandbox != nil {
		// Its phones are clients of this node: they go first.
		if err := m.Sandbox.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close sandbox: %w", err))
		}
	}
	if m.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		// Sessions are hijacked connections: Shutdown does not wait for them, the gateway does.
		if err := m.server.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
		cancel()
	}
	if m.Gateway != nil {
		m.Gateway.Close()
	}
	if m.Liveness != nil {
		if err := m.Liveness.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if m.Pipeline != nil {
		m.Pipeline.Close()
	}
	if m.Webhooks != nil {
		m.Webhooks.Close()
	}
	if m.Bus != nil {
		if err := m.Bus.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close nats: %w", err))
		}
	}
	if m.Store != nil {
		if err := m.Store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close store: %w", err))
		}
	}
	return errors.Join(errs...)
}
