package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/herald-im/herald/internal/accountcache"
	"github.com/herald-im/herald/internal/app"
	"github.com/herald-im/herald/internal/appcache"
	"github.com/herald-im/herald/internal/auth"
	"github.com/herald-im/herald/internal/loadtest"
	"github.com/herald-im/herald/internal/secret"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/internal/vendorsim/simulate"
)

// BenchCommand measures a node: idle connections held, c2c messages per second, and
// offline push to the vendor simulators.
type BenchCommand struct {
	// Out receives the report. Default os.Stdout.
	Out io.Writer
}

// groupCommitter is a store that shares transactions among concurrent writes (both
// stores).
type groupCommitter interface {
	GroupCommits() (groups, writes uint64)
}

// benchAppID is the app an embedded node is started with.
const benchAppID = 1400000099

// Run parses args, starts an embedded node if asked, and runs the scenarios.
func (c *BenchCommand) Run(ctx context.Context, args []string) error {
	if isCrashScenario(args) {
		return c.runCrash(ctx, args)
	}
	fs := flag.NewFlagSet("herald bench", flag.ContinueOnError)
	wsURL := fs.String("url", "ws://127.0.0.1:8080/v1/ws", "the node's WebSocket endpoint")
	appID := fs.Int64("sdkappid", 0, "SDKAppID of the node's app")
	key := fs.String("key", "", "the app's secret key, to sign UserSigs")
	embedded := fs.Bool("embedded", false, "start a node in this process (SQLite in a temp dir) instead of using --url")
	pg := fs.String("postgres", "", "with --embedded: use this PostgreSQL database (a fresh schema, dropped after)")
	heartbeat := fs.Duration("heartbeat", app.DefaultConfig().Heartbeat, "with --embedded: the node's heartbeat period")
	serverPID := fs.Int("server-pid", 0, "without --embedded: the node's process ID, to read its RSS and its CPU time over the logins")
	scenario := fs.String("scenario", "all", "idle, c2c, all (idle and c2c) or push (needs --embedded)")
	conns := fs.Int("conns", loadtest.DefaultConns, "idle: connections to hold")
	hold := fs.Duration("hold", loadtest.DefaultHold, "idle: how long to hold them after the last login")
	concurrency := fs.Int("concurrency", loadtest.DefaultConcurrency, "idle: logins in flight")
	perIP := fs.Int("conns-per-ip", loadtest.DefaultConnsPerIP, "idle: connections per loopback source address")
	firstIP := fs.Int("source-offset", 0, "idle: dial from 127.0.0.(N+1) on; parallel benches need disjoint ranges")
	pairs := fs.Int("pairs", loadtest.DefaultPairs, "c2c: sender-receiver pairs")
	duration := fs.Duration("duration", loadtest.DefaultDuration, "c2c and push: how long to send")
	devices := fs.Int("devices", loadtest.DefaultPushDevices, "push: offline devices of the one-to-one run")
	senders := fs.Int("senders", loadtest.DefaultPushSenders, "push: online senders of the one-to-one run")
	members := fs.Int("members", loadtest.DefaultGroupMembers, "push: group members of the fan-out run (0: skip it)")
	badges := fs.Int("badges", loadtest.DefaultBadges, "push: different unread counts the group's devices are seeded with")
	rate := fs.Float64("rate", 0, "push: open loop, this many one-to-one messages per second (0: each sender one at a time)")
	prefix := fs.String("prefix", "", "start of the generated user IDs (default: b and the time); give parallel benches against one cluster different ones")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of this process (with --embedded: the node too) to this file; --scenario push profiles only the group fan-out (or the one-to-one run with --members 0)")
	onlyVendors := fs.String("vendors", "", "push: only these vendors' simulators, comma-separated (apns: one certificate for every device)")
	repeat := fs.Int("repeat", 1, "push: messages sent to the group one after another, each measured (and floored) on its own, with one setup")
	floor := fs.Bool("floor", false, "push: after the group fan-out, send the same notification to the same phones in the same batches with a bare sender (no store, queue or records) and print both times and the ratio")
	c2cOff := fs.Bool("no-c2c", false, "push: skip the one-to-one run (only the group fan-out)")
	verbose := fs.Bool("v", false, "log progress")
	fs.Usage = func() { fmt.Fprint(os.Stderr, c.Usage()) }
	if err := fs.Parse(args); err != nil {
		return err
	}
	runIdle, runC2C, runPush := *scenario == "all" || *scenario == "idle", *scenario == "all" || *scenario == "c2c", *scenario == "push"
	if !runIdle && !runC2C && !runPush {
		return fmt.Errorf("--scenario %q: use idle, c2c, all or push", *scenario)
	}
	if runPush && !*embedded {
		return errors.New("--scenario push needs --embedded: it starts the vendor simulators in this process")
	}
	if *pg != "" && !*embedded {
		return errors.New("--postgres needs --embedded; give a remote node's store to that node")
	}
	out := c.Out
	if out == nil {
		out = os.Stdout
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	// Each connection is a descriptor here, and with an embedded node a second one.
	want := uint64(*conns + 1024)
	if *embedded {
		want = uint64(2**conns + 1024)
	}
	if runC2C && !runIdle {
		want = uint64(4**pairs + 1024)
	}
	if runPush {
		want = uint64(2*max(*senders, 64) + 1024)
	}
	nofile, err := loadtest.RaiseFileLimit(want)
	if err != nil {
		return err
	}
	if nofile < want {
		fmt.Fprintf(out, "warning: open-file limit %d is below the %d this run needs\n", nofile, want)
	}

	if *cpuProfile != "" && *scenario != "push" { // push profiles its fan-out alone (below)
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	target := loadtest.Target{URL: *wsURL, SDKAppID: *appID, Key: *key, Prefix: *prefix}
	storeName := "the node's own (remote)"
	var node *app.Main
	var sims *simulate.Servers
	if runPush {
		var closeSims func()
		if sims, closeSims, err = openBenchSims(logger); err != nil {
			return err
		}
		defer closeSims()
	}
	if *embedded {
		var closeNode func() error
		pushCA := ""
		if sims != nil {
			pushCA = sims.CAFile()
		}
		node, closeNode, storeName, err = openBenchNode(ctx, *pg, *heartbeat, pushCA, logger)
		if err != nil {
			return err
		}
		defer func() {
			start := time.Now()
			if err := closeNode(); err != nil {
				logger.Error("close node", "err", err)
			}
			logger.Info("node closed", "took", time.Since(start).Round(time.Millisecond))
		}()
		target = loadtest.Target{URL: "ws://" + node.Addr() + "/v1/ws", SDKAppID: benchAppID, Key: node.Config.SecretKey, Prefix: *prefix}
	} else if target.SDKAppID == 0 || target.Key == "" {
		return errors.New("give --sdkappid and --key of the node's app, or --embedded")
	}

	fmt.Fprintf(out, "herald bench, %s\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(out, "machine: %s\n", loadtest.ReadMachine())
	fmt.Fprintf(out, "node:    %s, store %s, open-file limit %d\n", describeNode(*embedded, target.URL), storeName, nofile)

	if runIdle {
		ic := loadtest.IdleConfig{Conns: *conns, Hold: *hold, Concurrency: *concurrency, ConnsPerIP: *perIP, FirstSourceIP: *firstIP, Logger: logger}
		switch {
		case node != nil:
			ic.ServerSessions = node.Hub.Sessions
			ic.ServerMemory = func() (loadtest.Memory, error) { return loadtest.ReadMemory(), nil }
		case *serverPID != 0:
			pid, metrics := *serverPID, loadtest.MetricsURL(*wsURL)
			ic.ServerMemory = func() (loadtest.Memory, error) {
				rss, err := loadtest.ReadRSS(pid)
				if err != nil {
					return loadtest.Memory{}, err
				}
				// Goroutines from the node's /metrics; unknown (0) if it has none.
				g, _ := loadtest.ReadGauges(ctx, metrics, "go_goroutines")
				return loadtest.Memory{RSS: rss, Goroutines: int(g["go_goroutines"])}, nil
			}
			ic.ServerCPU = func() (time.Duration, error) { return loadtest.ReadCPU(pid) }
			ic.ServerSessions = func() int {
				g, err := loadtest.ReadGauges(ctx, metrics, "herald_gateway_sessions")
				if v, ok := g["herald_gateway_sessions"]; ok && err == nil {
					return int(v)
				}
				return -1
			}
		}
		res, err := loadtest.RunIdle(ctx, target, ic)
		if err != nil {
			return fmt.Errorf("idle: %w", err)
		}
		printIdle(out, res, node != nil, *serverPID != 0)
		if *serverPID != 0 {
			if peak, err := loadtest.ReadPeakRSS(*serverPID); err == nil {
				fmt.Fprintf(out, "  node process (pid %d) peak RSS since it started (VmHWM): %s\n", *serverPID, loadtest.MiB(peak))
			}
		}
		if node != nil && runC2C {
			// Let the node finish recording the idle disconnects before measuring sends.
			deadline := time.Now().Add(2 * time.Minute)
			for node.Hub.Sessions() > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
	if runC2C {
		res, err := loadtest.RunC2C(ctx, target, loadtest.C2CConfig{Pairs: *pairs, Duration: *duration, Logger: logger})
		if err != nil {
			return fmt.Errorf("c2c: %w", err)
		}
		printC2C(out, res)
		if node != nil {
			if gc, ok := unsealed(node.Store).(groupCommitter); ok {
				groups, writes := gc.GroupCommits()
				fmt.Fprintf(out, "  store group commit (whole run): %d transactions held %d writes\n", groups, writes)
			}
		}
		if *serverPID != 0 {
			peak, err := loadtest.ReadPeakRSS(*serverPID)
			if err != nil {
				return fmt.Errorf("server peak rss: %w", err)
			}
			fmt.Fprintf(out, "  node process (pid %d) peak RSS since it started (VmHWM): %s\n", *serverPID, loadtest.MiB(peak))
		}
	}
	if runPush {
		vendors, err := loadtest.SimVendors(ctx, node.Store, benchAppID, pickSims(sims.Vendors(), *onlyVendors))
		if err != nil {
			return err
		}
		if len(vendors) == 0 {
			return fmt.Errorf("--vendors %q: no such simulator", *onlyVendors)
		}
		fmt.Fprintf(out, "push:    %d workers, the vendors' default rates per certificate (FCM 10,000 requests/s, others uncapped), vendor simulators in this process on loopback\n", node.Pipeline.Workers)
		// With --cpuprofile, the fan-out is profiled, or the one-to-one run without one.
		profile := func() func() {
			if *cpuProfile == "" {
				return func() {}
			}
			stop, err := startCPUProfile(*cpuProfile)
			if err != nil {
				logger.Error("cpu profile", "err", err)
				return func() {}
			}
			return stop
		}
		if !*c2cOff {
			commits := storeCommits(node.Store)
			res, err := loadtest.RunPushC2C(ctx, target, loadtest.PushC2CConfig{
				Vendors: vendors, Devices: *devices, Senders: *senders, Duration: *duration, Concurrency: *concurrency,
				ServerSessions: node.Hub.Sessions, Rate: *rate, Logger: logger, Measure: func() func() {
					if *members > 0 {
						return func() {}
					}
					return profile()
				},
			})
			if err != nil {
				return fmt.Errorf("push c2c: %w", err)
			}
			printPushC2C(out, res)
			commits(out)
		}
		if *members > 0 {
			var fc *loadtest.FloorConfig
			if *floor {
				fc = &loadtest.FloorConfig{Senders: node.Senders, Workers: node.Pipeline.Workers}
			}
			commits := storeCommits(node.Store)
			runs, err := loadtest.RunPushGroup(ctx, target, loadtest.PushGroupConfig{
				Floor:   fc,
				Repeats: *repeat,
				Measure: profile,
				Vendors: vendors, Members: *members, Badges: *badges, Concurrency: *concurrency,
				ServerSessions: node.Hub.Sessions,
				ServerMemory:   func() (loadtest.Memory, error) { return loadtest.ReadMemory(), nil },
				ServerHeap: func() uint64 {
					var ms runtime.MemStats
					runtime.ReadMemStats(&ms)
					return ms.HeapInuse
				},
				ServerRecords: func(ctx context.Context, id string) (map[string]int, error) {
					return loadtest.CountRecords(ctx, node.Store, benchAppID, id)
				},
				Logger: logger,
			})
			if err != nil {
				return fmt.Errorf("push group: %w", err)
			}
			for k, res := range runs {
				printPushGroup(out, res, k+1, len(runs))
			}
			commits(out)
		}
	}
	return nil
}

// openBenchSims starts every vendor simulator on free loopback ports, with its files in
// a temp dir; close stops them and removes it.
func openBenchSims(logger *slog.Logger) (s *simulate.Servers, close func(), err error) {
	dir, err := os.MkdirTemp("", "herald-bench-sim-")
	if err != nil {
		return nil, nil, fmt.Errorf("temp dir: %w", err)
	}
	s = simulate.NewServers()
	s.Port, s.Dir, s.Logger = 0, dir, logger
	if err := s.Open(); err != nil {
		os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("open simulators: %w", err)
	}
	return s, func() {
		if err := s.Close(); err != nil {
			logger.Error("close simulators", "err", err)
		}
		os.RemoveAll(dir)
	}, nil
}

func describeNode(embedded bool, u string) string {
	if embedded {
		return "embedded in this process at " + u
	}
	return u
}

// openBenchNode starts a node on a free loopback port with a temp data dir and, when pg
// is set, a fresh PostgreSQL schema. close stops it and removes both.
func openBenchNode(ctx context.Context, pg string, heartbeat time.Duration, pushCA string, logger *slog.Logger) (m *app.Main, close func() error, storeName string, err error) {
	dir, err := os.MkdirTemp("", "herald-bench-")
	if err != nil {
		return nil, nil, "", fmt.Errorf("temp dir: %w", err)
	}
	cleanups := []func() error{func() error { return os.RemoveAll(dir) }}
	close = func() error {
		var errs []error
		for i := len(cleanups) - 1; i >= 0; i-- {
			errs = append(errs, cleanups[i]())
		}
		return errors.Join(errs...)
	}
	defer func() {
		if err != nil {
			close()
		}
	}()
	cfg := app.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = dir
	cfg.SDKAppID, cfg.SecretKey = benchAppID, auth.NewSecretKey()
	cfg.NodeID = "bench"
	if gw := os.Getenv("HERALD_GATEWAY"); gw != "" {
		cfg.Gateway = gw // as herald serve reads it: event or classic
	}
	cfg.Heartbeat = heartbeat
	// Every bench client comes from loopback and logs in at once: the per-address cap
	// on connections not logged in (256) would refuse runs above 128 pairs.
	cfg.MaxUnauthPerAddr = 0
	cfg.PushCAFile = pushCA
	cfg.PushAllowPrivateEndpoints = pushCA != "" // the simulators listen on loopback
	storeName = "SQLite (temp dir)"
	if pg != "" {
		schemaURL, drop, err := benchSchema(ctx, pg)
		if err != nil {
			return nil, nil, "", err
		}
		cleanups = append(cleanups, drop)
		cfg.Postgres = schemaURL
		storeName = "PostgreSQL (fresh schema)"
	}
	if err := cfg.Validate(); err != nil {
		return nil, nil, "", err
	}
	m = app.NewMain(cfg)
	m.Logger = logger
	m.Out = io.Discard
	if err := m.Open(ctx); err != nil {
		return nil, nil, "", err
	}
	cleanups = append(cleanups, m.Close)
	return m, close, storeName, nil
}

// benchSchema creates a fresh schema in the database at base and returns a URL whose
// connections use it, and a function that drops it.
func benchSchema(ctx context.Context, base string) (string, func() error, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, fmt.Errorf("parse --postgres: %w", err)
	}
	// Parsed as the pool parses it, so that pool settings such as pool_max_conns in the
	// URL reach the node's pool and are not sent to the server as parameters.
	pc, err := pgxpool.ParseConfig(base)
	if err != nil {
		return "", nil, fmt.Errorf("parse --postgres: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, pc.ConnConfig.Copy())
	if err != nil {
		return "", nil, fmt.Errorf("connect postgres: %w", err)
	}
	defer conn.Close(ctx)
	schema := fmt.Sprintf("bench_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, fmt.Errorf("create schema: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.ConnectConfig(ctx, pc.ConnConfig.Copy())
		if err != nil {
			return fmt.Errorf("connect postgres: %w", err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			return fmt.Errorf("drop schema: %w", err)
		}
		return nil
	}
	return u.String(), drop, nil
}

func printIdle(w io.Writer, r *loadtest.IdleResult, embedded, serverRSS bool) {
	fmt.Fprintf(w, "\nidle connections\n")
	fmt.Fprintf(w, "  held:        %d of %d (login failures %d)", r.Held, r.Conns, r.Failed)
	if r.ServerSessions >= 0 {
		fmt.Fprintf(w, ", server sessions %d", r.ServerSessions)
	}
	fmt.Fprintln(w)
	if r.FirstError != "" {
		fmt.Fprintf(w, "  first error: %s\n", r.FirstError)
	}
	fmt.Fprintf(w, "  logins:      %.0f/s (%s for all)\n", r.LoginRate, r.LoginTime.Round(time.Millisecond))
	switch {
	case embedded:
		fmt.Fprintf(w, "  CPU per login (over the logins): %s, node and load generator together\n", us(r.ClientCPUPerLogin()))
	case serverRSS:
		fmt.Fprintf(w, "  CPU per login (over the logins): node %s (%s in all), load generator %s\n",
			us(r.ServerCPUPerLogin()), r.ServerLoginCPU.Round(10*time.Millisecond), us(r.ClientCPUPerLogin()))
	default:
		fmt.Fprintf(w, "  CPU per login (over the logins): load generator %s\n", us(r.ClientCPUPerLogin()))
	}
	fmt.Fprintf(w, "  machine over the logins: %.0f%% of its CPUs busy, %.1f%% stolen by the host\n", 100*r.MachineBusy, 100*r.MachineSteal)
	fmt.Fprintf(w, "  heartbeats:  %d answered, %d failed, every %s, during a %s hold\n", r.Heartbeats, r.HeartbeatErrors, r.HeartbeatInterval, r.Hold)
	sb, sa, cb, ca := r.ServerBefore, r.ServerAfter, r.ClientBefore, r.ClientAfter
	switch {
	case embedded:
		fmt.Fprintf(w, "  node + load generator (one process):\n")
		fmt.Fprintf(w, "    Go heap+stacks: %s → %s, %s per connection\n", loadtest.MiB(sb.HeapAlloc+sb.StackInuse), loadtest.MiB(sa.HeapAlloc+sa.StackInuse), loadtest.KiB(r.ServerHeapPerConn()))
		fmt.Fprintf(w, "      of which stacks: %s → %s; goroutines %d → %d (%.1f per connection)\n", loadtest.MiB(sb.StackInuse), loadtest.MiB(sa.StackInuse), sb.Goroutines, sa.Goroutines, float64(sa.Goroutines-sb.Goroutines)/float64(max(r.Held, 1)))
		fmt.Fprintf(w, "    VmRSS:          %s → %s, %s per connection\n", loadtest.MiB(sb.RSS), loadtest.MiB(sa.RSS), loadtest.KiB(r.ServerRSSPerConn()))
	default:
		if serverRSS {
			fmt.Fprintf(w, "  node process VmRSS: %s → %s, %s per connection\n", loadtest.MiB(sb.RSS), loadtest.MiB(sa.RSS), loadtest.KiB(r.ServerRSSPerConn()))
			if sa.Goroutines > 0 {
				fmt.Fprintf(w, "  node goroutines:    %d → %d (%.2f per connection)\n", sb.Goroutines, sa.Goroutines, float64(sa.Goroutines-sb.Goroutines)/float64(max(r.Held, 1)))
			}
		}
		fmt.Fprintf(w, "  load generator: Go heap+stacks %s → %s (%s per connection), VmRSS %s → %s (%s per connection)\n",
			loadtest.MiB(cb.HeapAlloc+cb.StackInuse), loadtest.MiB(ca.HeapAlloc+ca.StackInuse), loadtest.KiB(r.ClientHeapPerConn()),
			loadtest.MiB(cb.RSS), loadtest.MiB(ca.RSS), loadtest.KiB(r.ClientRSSPerConn()))
	}
}

func printC2C(w io.Writer, r *loadtest.C2CResult) {
	fmt.Fprintf(w, "\nc2c throughput (%d pairs, each sender one message at a time)\n", r.Pairs)
	fmt.Fprintf(w, "  sent %d, received %d, send errors %d\n", r.Sent, r.Received, r.SendErrors)
	if r.FirstError != "" {
		fmt.Fprintf(w, "  first error: %s\n", r.FirstError)
	}
	fmt.Fprintf(w, "  end to end:  %.0f msgs/s over %s\n", r.Rate, r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "  latency (send → peer's OnNewMessage): p50 %s, p90 %s, p99 %s, max %s\n",
		ms(r.LatencyP50), ms(r.LatencyP90), ms(r.LatencyP99), ms(r.LatencyMax))
	fmt.Fprintf(w, "  send round trip (stored and answered): p50 %s, p99 %s\n", ms(r.SendP50), ms(r.SendP99))
}

func printPushC2C(w io.Writer, r *loadtest.PushC2CResult) {
	fmt.Fprintf(w, "\noffline push, one to one (%d offline devices over %d vendors, %d senders each one message at a time)\n", r.Devices, len(r.Vendors), r.Senders)
	fmt.Fprintf(w, "  setup:       %s (login, bind token, background, disconnect)\n", r.SetupTime.Round(time.Millisecond))
	fmt.Fprintf(w, "  sent %d, send errors %d; notifications %s\n", r.Sent, r.SendErrors, r.Delivery)
	if r.FirstError != "" {
		fmt.Fprintf(w, "  first error: %s\n", r.FirstError)
	}
	fmt.Fprintf(w, "  end to end:  %.0f notifications/s over %s\n", r.Rate, r.Elapsed.Round(time.Millisecond))
	if r.CPU > 0 && r.Sent > 0 {
		fmt.Fprintf(w, "  process CPU: %s, %.0f µs per message (node, load generator and simulators when embedded)\n",
			r.CPU.Round(time.Millisecond), float64(r.CPU.Microseconds())/float64(r.Sent))
	}
	fmt.Fprintf(w, "  latency (send → phone's inbox): p50 %s, p90 %s, p99 %s, max %s\n", ms(r.LatencyP50), ms(r.LatencyP90), ms(r.LatencyP99), ms(r.LatencyMax))
	printVendors(w, r.Vendors)
	if r.TargetRate > 0 {
		fmt.Fprintf(w, "  open loop:   asked %.0f msg/s, sent %.0f msg/s, skipped (%d in flight) %d; latency from the send's return\n", r.TargetRate, r.SendRate, loadtest.MaxInFlight, r.Late)
		fmt.Fprintf(w, "  backlog (sent, not at the vendor) each second:")
		for _, b := range r.Backlog {
			fmt.Fprintf(w, " %d", b.Backlog)
		}
		fmt.Fprintf(w, "\n  sustained:   %v (the backlog stopped growing and no send was skipped); pushes reached the vendors at %.0f/s (the send rate less the backlog's growth)\n", r.Sustained(), r.KeptUp())
	}
}

// unsealed returns the store under the node's wrappers (secret sealing, caches), for
// its own counters.
func unsealed(st store.Store) store.Store {
	for {
		switch s := st.(type) {
		case *secret.Store:
			st = s.Store
		case *appcache.Store:
			st = s.Store
		case *accountcache.Store:
			st = s.Store
		default:
			return st
		}
	}
}

// storeCommits returns a func that prints the SQLite store's write transactions since
// now and the writes they held (group commit); nothing for another store.
func storeCommits(st store.Store) func(w io.Writer) {
	c, ok := unsealed(st).(interface {
		Commits() (transactions, writes uint64)
	})
	if !ok {
		return func(io.Writer) {}
	}
	t0, w0 := c.Commits()
	return func(w io.Writer) {
		t1, w1 := c.Commits()
		txs, writes := t1-t0, w1-w0
		fmt.Fprintf(w, "  store (SQLite, setup included): %d writes in %d transactions, %.1f per transaction (group commit)\n",
			writes, txs, float64(writes)/float64(max(txs, 1)))
	}
}

func printPushGroup(w io.Writer, r *loadtest.PushGroupResult, k, n int) {
	fmt.Fprintf(w, "\noffline push, group fan-out (message %d of %d to %d members, one offline device each; %s at the send)\n", k, n, r.Members, r.Load)
	fmt.Fprintf(w, "  setup:       %s\n", r.SetupTime.Round(time.Millisecond))
	fmt.Fprintf(w, "  notifications %s\n", r.Delivery)
	fmt.Fprintf(w, "  send round trip %s; first phone %s, half %s, every phone %s (%.0f notifications/s)\n", ms(r.SendRTT), ms(r.FirstArrived), ms(r.LatencyP50), ms(r.AllArrived), r.Rate)
	fmt.Fprintf(w, "  records:     %v, final after %s\n", r.Records, ms(r.RecordsFinal))
	fmt.Fprintf(w, "  vendor requests: %d\n", r.Requests())
	printVendors(w, r.Vendors)
	if f := r.Floor; f != nil {
		fmt.Fprintf(w, "  floor (bare sender, same batches, same simulators, right after): notifications %s, %d batches, %d rejected\n", f.Delivery, f.Requests, f.Rejected)
		fmt.Fprintf(w, "  herald %s (%.0f pushes/s), floor %s (%.0f pushes/s): herald/floor time %.2fx, throughput %.2f of the floor's\n",
			ms(r.AllArrived), r.Rate, ms(f.Elapsed), f.Rate, r.FloorRatio(), r.Rate/max(f.Rate, 1e-9))
		if r.CPU > 0 && f.CPU > 0 && r.Members > 0 {
			fmt.Fprintf(w, "  process CPU per push (node+simulators vs floor+simulators): herald %.1f µs, floor %.1f µs (%.2fx)\n",
				float64(r.CPU.Microseconds())/float64(r.Members), float64(f.CPU.Microseconds())/float64(r.Members), r.CPU.Seconds()/f.CPU.Seconds())
		}
	}
	fmt.Fprintf(w, "  node + load generator + simulators (one process): Go heap %s → %s, peak heap in use %s; VmRSS %s → %s; goroutines %d → %d\n",
		loadtest.MiB(r.MemBefore.HeapAlloc), loadtest.MiB(r.MemAfter.HeapAlloc), loadtest.MiB(r.HeapPeak),
		loadtest.MiB(r.MemBefore.RSS), loadtest.MiB(r.MemAfter.RSS), r.MemBefore.Goroutines, r.MemAfter.Goroutines)
}

func printVendors(w io.Writer, vs []loadtest.VendorCount) {
	for _, v := range vs {
		fmt.Fprintf(w, "    %-7s phones %6d, requests %6d, notifications %6d, rejected %d\n", v.Vendor, v.Phones, v.Requests, v.Notifications, v.Rejected)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func us(d time.Duration) string { return fmt.Sprintf("%d µs", d.Microseconds()) }

// Usage describes the command.
func (c *BenchCommand) Usage() string {
	return strings.TrimLeft(`
  herald bench [--embedded [--postgres URL] [--heartbeat 30s]]
               [--url ws://127.0.0.1:8080/v1/ws --sdkappid N --key K [--server-pid PID]]
               [--scenario all|idle|c2c] [--conns 1000] [--hold 30s] [--concurrency 64]
               [--pairs 100] [--duration 10s]
               [--scenario push --devices 1000 --senders 50 --members 10000 --badges 4
                [--rate N] [--floor] [--repeat N] [--no-c2c]] [--cpuprofile FILE] [-v]
      Measure a node: idle WebSocket connections held (each its own user, heartbeating)
      with the memory each costs and the CPU each login cost (the node's with
      --server-pid), and one-to-one messages per second end to end with
      their latency. --embedded starts a node in this process with SQLite in a temp dir
      (or a fresh schema of --postgres) so one command measures everything.
      --scenario push (with --embedded) starts the eight vendor simulators in this
      process and measures offline push: --devices offline devices over the eight
      vendors receiving from --senders online users for --duration (notifications/s,
      latency to the phone's inbox), then one message to a group of --members members,
      each with one offline device (time to every phone, records, vendor requests,
      memory). Every notification must arrive exactly once. --rate N makes the
      one-to-one run open loop (N msg/s, sustained or not, latency from the send's
      return). --floor then sends the group's notification again with a bare sender
      (the same batches through the same vendor senders, nothing else) and prints
      Herald's time, the floor's and the ratio. --repeat N sends N messages to the group
      one after another, each measured (and floored) on its own, for repeats without a
      new setup. --cpuprofile writes a pprof CPU profile.
`, "\n")
}

// startCPUProfile writes a CPU profile to path until the returned stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// pickSims keeps the simulators named in list (comma-separated vendors); all of them
// for an empty list.
func pickSims(all []*simulate.Vendor, list string) []*simulate.Vendor {
	if list == "" {
		return all
	}
	var out []*simulate.Vendor
	for _, v := range all {
		for _, name := range strings.Split(list, ",") {
			if strings.TrimSpace(name) == string(v.Vendor) {
				out = append(out, v)
			}
		}
	}
	return out
}
