package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/herald-im/herald/client"
	"github.com/herald-im/herald/internal/app"
	"github.com/herald-im/herald/internal/auth"
	"github.com/herald-im/herald/internal/store"
)

// Test app credentials.
const (
	testAppID = 1400000001
	testKey   = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
)

// node is a running Herald for a test.
type node struct {
	*app.Main
	tb testing.TB
}

// storeKinds returns the stores the end-to-end tests run against: SQLite always,
// PostgreSQL when HERALD_TEST_POSTGRES names a database.
func storeKinds() []string {
	if os.Getenv("HERALD_TEST_POSTGRES") != "" {
		return []string{"sqlite", "postgres"}
	}
	return []string{"sqlite"}
}

// forEachStore runs f as a subtest per store kind.
func forEachStore(t *testing.T, f func(t *testing.T, kind string)) {
	for _, kind := range storeKinds() {
		t.Run(kind, func(t *testing.T) { f(t, kind) })
	}
}

// MustConfig returns a config for a test node on a free port with kind's store.
func MustConfig(tb testing.TB, kind string) app.Config {
	tb.Helper()
	c := app.DefaultConfig()
	c.Listen = "127.0.0.1:0"
	c.DataDir = tb.TempDir()
	c.SDKAppID, c.SecretKey = testAppID, testKey
	c.NodeID = "test"
	c.PushAllowPrivateEndpoints = true // the vendor simulators listen on 127.0.0.1
	if g := os.Getenv("HERALD_TEST_GATEWAY"); g != "" {
		c.Gateway = g // run the suite against the classic layer too
	}
	if kind == "postgres" {
		c.Postgres = MustPostgresSchema(tb)
	}
	return c
}

// MustPostgresSchema creates a fresh schema in the test database, dropped in cleanup,
// and returns a URL whose connections use it.
func MustPostgresSchema(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("HERALD_TEST_POSTGRES")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connect postgres: %v", err)
	}
	schema := fmt.Sprintf("e2e_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		conn.Close(context.Background())
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parse HERALD_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// MustOpenNode starts a node with c and stops it in cleanup.
func MustOpenNode(tb testing.TB, c app.Config) *node {
	tb.Helper()
	return mustOpenNodeWith(tb, c, nil)
}

// mustOpenNodeWith is MustOpenNode with configure, when set, changing Main before Open.
func mustOpenNodeWith(tb testing.TB, c app.Config, configure func(m *app.Main)) *node {
	tb.Helper()
	m := app.NewMain(c)
	if configure != nil {
		configure(m)
	}
	m.Logger = discardLogger()
	if os.Getenv("HERALD_TEST_LOG") != "" {
		// Logs of the node under test, for debugging a failure.
		m.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	m.Out = io.Discard
	if err := m.Open(context.Background()); err != nil {
		tb.Fatalf("open node: %v", err)
	}
	tb.Cleanup(func() { m.Close() })
	return &node{Main: m, tb: tb}
}

func (n *node) wsURL() string { return "ws://" + n.Addr() + "/v1/ws" }

func sig(tb testing.TB, user string) string {
	tb.Helper()
	s, err := auth.GenUserSig(testAppID, testKey, user, 24*time.Hour, time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// admin calls the admin API and decodes the answer into out; it returns the status.
func (n *node) admin(method, path string, body any, out any) int {
	n.tb.Helper()
	return n.adminAs("administrator", sig(n.tb, "administrator"), method, path, body, out)
}

func (n *node) adminAs(identifier, usersig, method, path string, body any, out any) int {
	n.tb.Helper()
	data, _ := json.Marshal(body)
	u := fmt.Sprintf("http://%s%s?sdkappid=%d&identifier=%s&usersig=%s", n.Addr(), path, testAppID, identifier, url.QueryEscape(usersig))
	req, _ := http.NewRequest(method, u, bytes.NewReader(data))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		n.tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			n.tb.Fatalf("decode %s %s: %v", method, path, err)
		}
	}
	return res.StatusCode
}

// MustImport imports accounts.
func (n *node) MustImport(users ...string) {
	n.tb.Helper()
	var accts []map[string]string
	for _, u := range users {
		accts = append(accts, map[string]string{"user_id": u, "nickname": "Nick " + u})
	}
	if st := n.admin("POST", "/v1/admin/accounts/import", map[string]any{"accounts": accts}, nil); st != 200 {
		n.tb.Fatalf("import accounts: status %d", st)
	}
}

// device is a logged-in client with recorded events.
type device struct {
	*client.Client
	user string

	mu       sync.Mutex
	messages []*client.Message
	convs    []*client.Conversation
	kicked   []*client.Kicked
	revoked  []*client.Message // OnRecvMessageRevoked
	states   []client.ConnState
	changed  chan struct{}
}

func newDevice(n *node, user, deviceID, platform string) *device {
	d := &device{user: user, changed: make(chan struct{}, 1)}
	d.Client = client.New(client.Config{
		URL: n.wsURL(), SDKAppID: testAppID, DeviceID: deviceID, Platform: platform,
		MaxBackoff: 200 * time.Millisecond,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Listener: client.Listener{
			OnNewMessage:          func(m *client.Message) { d.record(func() { d.messages = append(d.messages, m) }) },
			OnConversationChanged: func(c *client.Conversation) { d.record(func() { d.convs = append(d.convs, c) }) },
			OnKickedOffline:       func(k *client.Kicked) { d.record(func() { d.kicked = append(d.kicked, k) }) },
			OnRecvMessageRevoked:  func(m *client.Message) { d.record(func() { d.revoked = append(d.revoked, m) }) },
			OnConnectionChanged:   func(s client.ConnState, _ error) { d.record(func() { d.states = append(d.states, s) }) },
		},
	})
	return d
}

func (d *device) record(f func()) {
	d.mu.Lock()
	f()
	d.mu.Unlock()
	select {
	case d.changed <- struct{}{}:
	default:
	}
}

// MustLogin starts a device of user and logs it in.
func MustLogin(tb testing.TB, n *node, user, deviceID, platform string) *device {
	tb.Helper()
	d := newDevice(n, user, deviceID, platform)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.Login(ctx, user, sig(tb, user)); err != nil {
		tb.Fatalf("login %s/%s: %v", user, deviceID, err)
	}
	tb.Cleanup(func() { d.Close() })
	return d
}

// waitFor waits until cond holds for d's recorded events, or fails after 10s.
func (d *device) waitFor(tb testing.TB, what string, cond func(d *device) bool) {
	tb.Helper()
	deadline := time.After(10 * time.Second)
	for {
		d.mu.Lock()
		ok := cond(d)
		d.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-d.changed:
		case <-deadline:
			tb.Fatalf("%s/%s: timed out waiting for %s", d.user, d.DeviceID(), what)
		}
	}
}

// waitMessages waits for at least n messages and returns them.
func (d *device) waitMessages(tb testing.TB, n int) []*client.Message {
	tb.Helper()
	d.waitFor(tb, fmt.Sprintf("%d messages", n), func(d *device) bool { return len(d.messages) >= n })
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]*client.Message(nil), d.messages...)
}

func (d *device) messageCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.messages)
}

func texts(ms []*client.Message) string {
	var parts []string
	for _, m := range ms {
		parts = append(parts, m.Elements[0].Text)
	}
	return strings.Join(parts, ",")
}

func ctxT(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

// errCode returns the server error code in err, or 0.
func errCode(err error) int {
	if e, ok := err.(*client.Error); ok {
		return e.Code
	}
	return 0
}

var _ = store.ErrNotFound

func authGen(tb testing.TB, user string, expire time.Duration, now time.Time) (string, error) {
	return auth.GenUserSig(testAppID, testKey, user, expire, now)
}

type testWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *testWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func contains(s, sub string) bool { return strings.Contains(s, sub) }
