package loadtest_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/app"
	"github.com/herald-im/herald/internal/loadtest"
)

const (
	testAppID = 1400000001
	testKey   = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
)

// MustOpenNode starts a node with SQLite in a temp dir and returns its target.
func MustOpenNode(tb testing.TB) (*app.Main, loadtest.Target) {
	tb.Helper()
	c := app.DefaultConfig()
	c.Listen = "127.0.0.1:0"
	c.DataDir = tb.TempDir()
	c.SDKAppID, c.SecretKey = testAppID, testKey
	c.NodeID = "test"
	c.Heartbeat = time.Second
	m := app.NewMain(c)
	m.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	m.Out = io.Discard
	if err := m.Open(context.Background()); err != nil {
		tb.Fatalf("open node: %v", err)
	}
	tb.Cleanup(func() { m.Close() })
	return m, loadtest.Target{URL: "ws://" + m.Addr() + "/v1/ws", SDKAppID: testAppID, Key: testKey}
}

func TestRunIdle(t *testing.T) {
	m, target := MustOpenNode(t)
	const n = 20
	// Two source addresses for 20 connections exercise the loopback-source dialling.
	res, err := loadtest.RunIdle(context.Background(), target, loadtest.IdleConfig{
		Conns: n, Hold: 1500 * time.Millisecond, ConnsPerIP: 10,
		ServerSessions: m.Hub.Sessions,
		ServerMemory:   func() (loadtest.Memory, error) { return loadtest.ReadMemory(), nil },
		ServerCPU:      func() (time.Duration, error) { return loadtest.ReadCPU(os.Getpid()) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Held != n || res.Failed != 0 || res.ServerSessions != n {
		t.Fatalf("held %d, failed %d (%s), server sessions %d; want %d, 0, %d", res.Held, res.Failed, res.FirstError, res.ServerSessions, n, n)
	}
	// A 1s heartbeat held for 1.5s: each connection beat at least once, and the server,
	// which drops a connection silent for 2s, kept them all.
	if res.Heartbeats < n || res.HeartbeatErrors != 0 {
		t.Fatalf("heartbeats %d, errors %d; want ≥ %d, 0", res.Heartbeats, res.HeartbeatErrors, n)
	}
	if res.LoggedIn != n || res.ClientLoginCPU <= 0 || res.ServerLoginCPU < 0 || res.ServerCPUPerLogin() != res.ServerLoginCPU/n {
		t.Fatalf("logged in %d, CPU over the logins: client %v, server %v (%v per login); want %d, > 0, ≥ 0",
			res.LoggedIn, res.ClientLoginCPU, res.ServerLoginCPU, res.ServerCPUPerLogin(), n)
	}
	if res.HeartbeatInterval != time.Second {
		t.Fatalf("heartbeat interval %v, want 1s", res.HeartbeatInterval)
	}
	if res.LoginRate <= 0 || res.ServerAfter.Goroutines <= res.ServerBefore.Goroutines {
		t.Fatalf("login rate %v, goroutines %d → %d: nothing measured", res.LoginRate, res.ServerBefore.Goroutines, res.ServerAfter.Goroutines)
	}
}

func TestRunIdle_ErrBadSig(t *testing.T) {
	_, target := MustOpenNode(t)
	target.Key = "not the key"
	res, err := loadtest.RunIdle(context.Background(), target, loadtest.IdleConfig{Conns: 3, Hold: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Held != 0 || res.Failed != 3 || res.FirstError == "" {
		t.Fatalf("held %d, failed %d, first error %q; want 0, 3 and the error", res.Held, res.Failed, res.FirstError)
	}
}

func TestRunC2C(t *testing.T) {
	_, target := MustOpenNode(t)
	res, err := loadtest.RunC2C(context.Background(), target, loadtest.C2CConfig{Pairs: 2, Duration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent == 0 || res.Received != res.Sent || res.SendErrors != 0 {
		t.Fatalf("sent %d, received %d, send errors %d (%s); want received == sent > 0", res.Sent, res.Received, res.SendErrors, res.FirstError)
	}
	if res.Rate <= 0 || res.LatencyP50 <= 0 || res.LatencyP99 < res.LatencyP50 {
		t.Fatalf("rate %v, p50 %v, p99 %v: nothing measured", res.Rate, res.LatencyP50, res.LatencyP99)
	}
}

func TestReadRSS(t *testing.T) {
	m := loadtest.ReadMemory()
	if m.RSS == 0 || m.HeapAlloc == 0 {
		t.Fatalf("rss %d, heap %d; want both > 0", m.RSS, m.HeapAlloc)
	}
}

// A node in another process is measured through its /metrics: goroutines and sessions.
func TestReadGauges(t *testing.T) {
	_, target := MustOpenNode(t)
	url := loadtest.MetricsURL(target.URL)
	if want := "http://" + target.URL[len("ws://"):len(target.URL)-len("/v1/ws")] + "/metrics"; url != want {
		t.Fatalf("MetricsURL = %q, want %q", url, want)
	}
	res, err := loadtest.RunIdle(context.Background(), target, loadtest.IdleConfig{
		Conns: 5, Hold: 100 * time.Millisecond,
		ServerSessions: func() int {
			g, err := loadtest.ReadGauges(context.Background(), url, "herald_gateway_sessions", "go_goroutines")
			if err != nil || g["go_goroutines"] < 5 {
				t.Errorf("gauges %v, %v", g, err)
			}
			return int(g["herald_gateway_sessions"])
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.ServerSessions != 5 {
		t.Fatalf("sessions from /metrics: %d, want 5", res.ServerSessions)
	}
}

func TestReadPeakRSS(t *testing.T) {
	rss, err := loadtest.ReadRSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	peak, err := loadtest.ReadPeakRSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if peak < rss || peak == 0 {
		t.Fatalf("ReadPeakRSS = %d, want >= VmRSS %d and > 0", peak, rss)
	}
	if _, err := loadtest.ReadPeakRSS(-1); err == nil {
		t.Fatal("ReadPeakRSS(-1) = nil error, want one")
	}
}

func TestReadCPU(t *testing.T) {
	before, err := loadtest.ReadCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Spin until the kernel has counted at least two ticks more for this process.
	for {
		if now, err := loadtest.ReadCPU(os.Getpid()); err != nil {
			t.Fatal(err)
		} else if now >= before+20*time.Millisecond {
			break
		}
	}
	if self := loadtest.SelfCPU(); self < before {
		t.Fatalf("SelfCPU = %v, below /proc's %v before the spin", self, before)
	}
	if _, err := loadtest.ReadCPU(-1); err == nil {
		t.Fatal("ReadCPU(-1) = nil error, want one")
	}
}

func TestMachineCPU_Shares(t *testing.T) {
	from := loadtest.MachineCPU{Busy: 100, Idle: 300, Steal: 0}
	busy, steal := from.Shares(loadtest.MachineCPU{Busy: 160, Idle: 330, Steal: 10})
	if busy != 0.6 || steal != 0.1 {
		t.Errorf("Shares = %v, %v; want 0.6, 0.1", busy, steal)
	}
	if now := loadtest.ReadMachineCPU(); now.Busy+now.Idle == 0 {
		t.Errorf("ReadMachineCPU = %+v, want the machine's time so far", now)
	}
}
