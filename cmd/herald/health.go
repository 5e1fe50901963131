package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// HealthCommand asks a running node's /healthz whether it is up, for container health
// checks in images that have no curl (the Dockerfile's HEALTHCHECK).
type HealthCommand struct {
	Stdout io.Writer           // default os.Stdout
	Getenv func(string) string // default os.Getenv
}

// Run runs `herald health`: it fails unless the node answers 200 within the timeout.
func (c *HealthCommand) Run(ctx context.Context, args []string) error {
	out, getenv := c.Stdout, c.Getenv
	if out == nil {
		out = os.Stdout
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	fs := flag.NewFlagSet("herald health", flag.ContinueOnError)
	url := fs.String("url", healthURL(getenv("HERALD_LISTEN")), "the node's health URL (default: from HERALD_LISTEN)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	res, err := (&http.Client{}).Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s answered %s: %s", *url, res.Status, body)
	}
	fmt.Fprintf(out, "%s", body)
	return nil
}

// healthURL is the /healthz URL of a node listening on listen (host:port), asked
// over loopback when the node listens on every address. Empty listen means the
// default 127.0.0.1:8080.
func healthURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		host, port = "127.0.0.1", "8080"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz"
}

// Usage describes the command.
func (c *HealthCommand) Usage() string {
	return `  herald health [--url http://127.0.0.1:8080/healthz] [--timeout 3s]
      Exit 0 if the node answers its /healthz with 200, 1 otherwise (container health checks).
`
}
