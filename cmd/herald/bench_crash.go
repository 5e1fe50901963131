package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/herald-im/herald/internal/loadtest"
)

// isCrashScenario reports whether args ask for --scenario crash, which has flags of its
// own (runCrash).
func isCrashScenario(args []string) bool {
	for i, a := range args {
		a = strings.TrimLeft(a, "-")
		if a == "scenario=crash" || a == "scenario" && i+1 < len(args) && args[i+1] == "crash" {
			return true
		}
	}
	return false
}

// runCrash is `herald bench --scenario crash`: it kills a real `herald serve` (this
// binary) with SIGKILL in the middle of a group fan-out, restarts it, and checks that
// no push was lost and that duplicates stay within the stated bound and the node's
// count. It fails when they do not.
func (c *BenchCommand) runCrash(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("herald bench --scenario crash", flag.ContinueOnError)
	fs.String("scenario", "crash", "crash")
	members := fs.Int("members", loadtest.DefaultCrashMembers, "group members, each with one offline device")
	killAt := fs.Float64("kill-at", loadtest.DefaultKillAt, "share of the phones that have the notification when the node is killed (0: right after the send API answered)")
	afterSend := fs.Bool("kill-after-send", false, "kill right after the send API answered (same as --kill-at 0)")
	workers := fs.Int("push-workers", loadtest.DefaultCrashWorkers, "the node's --push-workers")
	pg := fs.String("postgres", "", "give the node a fresh schema of this PostgreSQL database (dropped after each run)")
	nats := fs.String("nats", "", "give the node this NATS server instead of its embedded one")
	timeout := fs.Duration("timeout", loadtest.DefaultCrashTimeout, "how long to wait for every phone after the restart")
	concurrency := fs.Int("concurrency", loadtest.DefaultConcurrency, "devices set up at once")
	nodes := fs.Int("nodes", 1, "1, or 2: a second node shares --postgres and --nats and keeps running while the first is killed")
	runs := fs.Int("runs", 1, "how many times to run the scenario (each with a new node and data)")
	verbose := fs.Bool("v", false, "log progress")
	fs.Usage = func() { fmt.Fprint(os.Stderr, c.CrashUsage()) }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *afterSend {
		*killAt = 0
	}
	if *killAt >= 1 || *members <= 0 || *runs <= 0 {
		return errors.New("--kill-at must be below 1, --members and --runs above 0")
	}
	if *nodes != 1 && (*nodes != 2 || *pg == "" || *nats == "") {
		return errors.New("--nodes 2 needs --postgres and --nats, which the two nodes share; --nodes takes 1 or 2")
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
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find this binary: %w", err)
	}
	if _, err := loadtest.RaiseFileLimit(uint64(2**concurrency + 4096)); err != nil {
		return err
	}
	sims, closeSims, err := openBenchSims(logger)
	if err != nil {
		return err
	}
	defer closeSims()

	store, bus := "SQLite in a temp dir", "embedded NATS in the data dir"
	if *pg != "" {
		store = "PostgreSQL (--postgres)"
	}
	if *nats != "" {
		bus = "NATS at --nats"
	}
	fmt.Fprintf(out, "herald bench --scenario crash, %s\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(out, "machine: %s\n", loadtest.ReadMachine())
	fmt.Fprintf(out, "node:    %d × `%s serve` child process, %s, %s, %d push workers each; vendor simulators in this process\n", *nodes, exe, store, bus, *workers)
	failed := 0
	for i := range *runs {
		schema, drop := "", func() error { return nil }
		if *pg != "" {
			if schema, drop, err = benchSchema(ctx, *pg); err != nil {
				return err
			}
		}
		res, err := loadtest.RunCrash(ctx, loadtest.CrashConfig{
			Command: []string{exe, "serve"}, Vendors: sims.Vendors(), PushCAFile: sims.CAFile(),
			Members: *members, KillAt: *killAt, Workers: *workers, Postgres: schema, NATS: *nats, Nodes: *nodes,
			Timeout: *timeout, Concurrency: *concurrency, Logger: logger,
		})
		if derr := drop(); derr != nil {
			logger.Error("drop schema", "err", derr)
		}
		if err != nil {
			return fmt.Errorf("crash run %d: %w", i+1, err)
		}
		printCrash(out, i+1, res)
		if len(res.Failures()) > 0 || res.TimedOut {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("crash: %d of %d runs broke the guarantee", failed, *runs)
	}
	return nil
}

func printCrash(w io.Writer, run int, r *loadtest.CrashResult) {
	when := fmt.Sprintf("at %.0f %% of the phones (%d had it)", r.KillAt*100, r.AtKill)
	if r.KillAt == 0 {
		when = fmt.Sprintf("right after the send API answered (%d phones had it)", r.AtKill)
	}
	nodes := ""
	if r.Nodes == 2 {
		nodes = " (one of two nodes)"
	}
	fmt.Fprintf(w, "\ncrash during fan-out, run %d: one message to %d members, SIGKILL%s %s\n", run, r.Members, nodes, when)
	fmt.Fprintf(w, "  load:        %s\n", loadtest.ReadLoad())
	fmt.Fprintf(w, "  setup:       %s; restart (kill to ready) %s\n", r.SetupTime.Round(time.Millisecond), r.Restart.Round(time.Millisecond))
	fmt.Fprintf(w, "  lost:        %d phones with no copy\n", r.Lost)
	fmt.Fprintf(w, "  duplicated:  %d phones with more than one copy (most copies on one phone: %d)\n", r.Duplicated, r.MaxCopies)
	fmt.Fprintf(w, "  counted:     %d records duplicate_possible in the trace, herald_push_duplicates_possible_total %d after the restart\n", r.Traced, r.Metric)
	fmt.Fprintf(w, "  bound:       %d (push workers %d × largest vendor batch %d)\n", r.Bound, r.Workers, r.MaxBatch)
	fmt.Fprintf(w, "  complete:    %s after the send, %s after the restart\n", r.Complete.Round(time.Millisecond), r.FromRestart.Round(time.Millisecond))
	fmt.Fprintf(w, "  records:     %v\n", r.Records)
	if len(r.Unfinished) > 0 {
		fmt.Fprintf(w, "  unfinished:  %v\n", r.Unfinished)
	}
	if r.TimedOut {
		fmt.Fprintf(w, "  TIMED OUT:   not every phone had a copy\n")
	}
	for _, f := range r.Failures() {
		fmt.Fprintf(w, "  FAILED:      %s\n", f)
	}
	if r.LogPath != "" {
		fmt.Fprintf(w, "  node log:    %s\n", r.LogPath)
	}
}

// CrashUsage describes --scenario crash.
func (c *BenchCommand) CrashUsage() string {
	return strings.TrimLeft(`
  herald bench --scenario crash [--members 20000] [--kill-at 0.3 | --kill-after-send]
               [--push-workers 16] [--postgres URL] [--nats URL [--nodes 2]] [--timeout 5m] [--runs 1] [-v]
      Kill a real node mid fan-out: starts the eight vendor simulators here and this
      binary's 'serve' as a child process (temp data dir), binds --members offline
      devices over the vendors, sends one group message through the admin API, SIGKILLs
      the node once --kill-at of the phones have it, restarts it on the same data and
      waits for every phone. Prints lost and duplicated phones, the node's count of
      possible duplicates (trace and metric), the bound (push workers × largest vendor
      batch) and the times; exits non-zero if a phone was lost or duplicates exceed the
      bound or the count. --nodes 2 adds a second node on the same --postgres (a fresh
      schema) and --nats that keeps running while the first is killed and restarted.
`, "\n")
}
