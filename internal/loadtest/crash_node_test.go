package loadtest_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/app"
	"github.com/herald-im/herald/internal/loadtest"
	"github.com/herald-im/herald/internal/vendorsim/simulate"
)

// nodeEnv, when set, makes the test binary a node: the crash tests start it as a child
// process and kill it, as `herald bench --scenario crash` does the herald binary.
const nodeEnv = "HERALD_TEST_CRASH_NODE"

func TestMain(m *testing.M) {
	if os.Getenv(nodeEnv) == "1" {
		os.Exit(serveNode(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// serveNode is `herald serve` (cmd/herald/serve.go): the same config, the same Main.
func serveNode(args []string) int {
	cfg, err := app.LoadConfig(args, os.Getenv)
	if err != nil {
		slog.Error("config", "err", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := app.NewMain(cfg)
	m.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	m.Out = io.Discard
	if err := m.Open(ctx); err != nil {
		m.Logger.Error("open", "err", err)
		return 1
	}
	<-ctx.Done()
	if err := m.Close(); err != nil {
		return 1
	}
	return 0
}

// runCrash runs the crash scenario against this test binary as the node and fails the
// test on any broken guarantee.
func runCrash(t *testing.T, c loadtest.CrashConfig) *loadtest.CrashResult {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(nodeEnv, "1")
	sims := simulate.NewServers()
	sims.Port, sims.Dir, sims.Logger = 0, t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := sims.Open(); err != nil {
		t.Fatalf("open simulators: %v", err)
	}
	defer sims.Close()
	c.Command, c.Vendors, c.PushCAFile, c.Dir = []string{exe}, sims.Vendors(), sims.CAFile(), t.TempDir()
	start := time.Now()
	res, err := loadtest.RunCrash(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d members, killed with %d phones reached: lost %d, duplicated %d (most copies %d), counted %d in the trace and %d in the metric, bound %d; complete %s, %s after the restart (restart took %s); run %s; records %v, unfinished %v",
		res.Members, res.AtKill, res.Lost, res.Duplicated, res.MaxCopies, res.Traced, res.Metric, res.Bound,
		res.Complete.Round(time.Millisecond), res.FromRestart.Round(time.Millisecond), res.Restart.Round(time.Millisecond),
		time.Since(start).Round(time.Millisecond), res.Records, res.Unfinished)
	for _, f := range res.Failures() {
		t.Error(f)
	}
	if res.TimedOut {
		t.Error("not every phone had the notification before the timeout")
	}
	if res.Records["push/accepted"] != res.Members {
		t.Errorf("records %v: want %d push/accepted", res.Records, res.Members)
	}
	if t.Failed() && res.LogPath != "" {
		if b, err := os.ReadFile(res.LogPath); err == nil {
			t.Logf("node log:\n%s", b)
		}
	}
	return res
}

// TestCrashMidFanOut kills a node with SIGKILL while a 300-member group's fan-out is
// under way, the node on the shared NATS of HERALD_TEST_NATS: after the restart every
// phone has the notification, and the phones that got it twice are no more than the
// node marked duplicate_possible.
func TestCrashMidFanOut(t *testing.T) {
	nats := os.Getenv("HERALD_TEST_NATS")
	if nats == "" {
		t.Skip("set HERALD_TEST_NATS to run the crash test on a NATS that outlives the node")
	}
	res := runCrash(t, loadtest.CrashConfig{Members: 300, KillAt: 0.3, NATS: nats, Timeout: 40 * time.Second, Concurrency: 32})
	if res.AtKill == 0 || res.AtKill == res.Members {
		t.Errorf("killed with %d of %d phones reached: not mid fan-out", res.AtKill, res.Members)
	}
}

// TestCrashAfterSend kills the node right after the send API answered.
func TestCrashAfterSend(t *testing.T) {
	nats := os.Getenv("HERALD_TEST_NATS")
	if nats == "" {
		t.Skip("set HERALD_TEST_NATS to run the crash test on a NATS that outlives the node")
	}
	runCrash(t, loadtest.CrashConfig{Members: 300, NATS: nats, Timeout: 40 * time.Second, Concurrency: 32})
}

// TestCrashMidFanOutEmbeddedNATS is TestCrashMidFanOut on a single node's embedded
// NATS, which dies with the node: JetStream's consumer state is not all on disk at the
// SIGKILL, so a job the dead node had in hand can come back as a first delivery. Its
// records "sending" must be taken over once their claim is stale, not skipped (they
// were left "sending" and lost before; docs/push.md, "What a crash can do").
func TestCrashMidFanOutEmbeddedNATS(t *testing.T) {
	runCrash(t, loadtest.CrashConfig{Members: 300, KillAt: 0.3, Timeout: 40 * time.Second, Concurrency: 32})
}
