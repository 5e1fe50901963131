// Command herald is the Herald chat and offline-push server.
//
//	herald serve     run a node (SQLite and embedded NATS by default)
//	herald app       create or list apps (tenants)
//	herald usersig   print a UserSig
//	herald sim       run the vendor push simulators on local ports
//	herald sandbox   try a sandbox node (herald serve --sandbox): a push on a simulated phone
//	herald keys      rotate the master key sealing secrets at rest
//	herald health    ask a running node's /healthz (container health checks)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := NewMain().Run(ctx, os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "herald:", err)
		}
		os.Exit(1)
	}
}

// command is one subcommand.
type command interface {
	Run(ctx context.Context, args []string) error
	Usage() string
}

// Main dispatches to the subcommands.
type Main struct {
	commands map[string]command
}

// NewMain returns the CLI with every subcommand.
func NewMain() *Main {
	return &Main{commands: map[string]command{
		"serve":   &ServeCommand{},
		"app":     &AppCommand{},
		"usersig": &UserSigCommand{},
		"sim":     &SimCommand{},
		"bench":   &BenchCommand{},
		"keys":    &KeysCommand{},
		"push":    &PushCommand{},
		"version": &VersionCommand{},
		"health":  &HealthCommand{},
		"sandbox": &SandboxCommand{},
	}}
}

// Run runs the subcommand named by args[0].
func (m *Main) Run(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(os.Stderr, m.usage())
		if len(args) == 0 {
			return flag.ErrHelp
		}
		return nil
	}
	if args[0] == "--version" || args[0] == "-version" {
		args = []string{"version"}
	}
	cmd, ok := m.commands[args[0]]
	if !ok {
		return fmt.Errorf("unknown command %q\n%s", args[0], m.usage())
	}
	return cmd.Run(ctx, args[1:])
}

func (m *Main) usage() string {
	s := "Herald: a self-hosted chat server with offline push.\n\nUsage:\n"
	for _, name := range m.order() {
		s += m.commands[name].Usage()
	}
	return s
}

// order lists the commands for the usage text: the known ones first, in a fixed order.
func (m *Main) order() []string {
	names := []string{}
	for _, n := range []string{"serve", "app", "usersig", "sim", "sandbox", "bench", "push", "keys", "version", "health"} {
		if _, ok := m.commands[n]; ok {
			names = append(names, n)
		}
	}
	return names
}
