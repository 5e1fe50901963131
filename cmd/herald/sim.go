package main

import (
	"context"
	"errors"
)

// SimCommand runs the vendor push simulators on local ports.
type SimCommand struct{}

// Run starts every simulator and waits for ctx.
func (c *SimCommand) Run(ctx context.Context, args []string) error {
	return errors.New("sim: not wired yet")
}

// Usage describes the command.
func (c *SimCommand) Usage() string {
	return `  herald sim [--addr 127.0.0.1] [--port 9000]
      Run faithful simulators of every vendor push API on local ports, with simulated phones.
`
}
