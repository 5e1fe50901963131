package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/herald-im/herald/internal/app"
)

// ServeCommand runs a Herald node until interrupted.
type ServeCommand struct{}

// Run loads the config from args, the environment and the config file, and serves.
func (c *ServeCommand) Run(ctx context.Context, args []string) error {
	cfg, err := app.LoadConfig(args, os.Getenv)
	if err != nil {
		return err
	}
	logger := app.NewLogger(cfg, os.Stderr)
	slog.SetDefault(logger)

	m := app.NewMain(cfg)
	m.Logger = logger
	if err := m.Open(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	logger.Info("shutting down")
	return m.Close()
}

// Usage describes the command.
func (c *ServeCommand) Usage() string {
	return fmt.Sprint(`  herald serve [--listen 127.0.0.1:8080] [--data ./herald-data] [--postgres URL] [--nats URL]
               [--config herald.yaml] [--sdkappid N --secret-key K] [--heartbeat 30s]
               [--log-level info] [--log-format text|json]
               [--sandbox [--sandbox-allow-external]]
      Run a node. Every flag has a HERALD_* environment variable (HERALD_LISTEN, HERALD_DATA,
      HERALD_POSTGRES, HERALD_NATS, HERALD_SDKAPPID, HERALD_SECRET_KEY, ...); flags win over
      the environment, which wins over the config file. deploy/herald.example.yaml shows
      every config file key with its default. --sandbox (a flag only) runs the vendor
      simulators and simulated phones in the node: never in production (docs/sandbox.md).
`)
}
