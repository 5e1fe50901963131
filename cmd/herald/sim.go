package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/herald-im/herald/internal/vendorsim/simulate"
)

// SimCommand runs the vendor push simulators on local ports.
type SimCommand struct{}

// Run starts every simulator with a demo app, prints how to use them, and serves until
// ctx ends.
func (c *SimCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("herald sim", flag.ContinueOnError)
	addr := fs.String("addr", simulate.DefaultAddr, "the IP address to listen on")
	port := fs.Int("port", simulate.DefaultPort, "the first port; the vendors take it and the next 7 (fcm, apns, huawei, honor, xiaomi, oppo, vivo, meizu); 0 picks free ports")
	dir := fs.String("dir", simulate.DefaultDir, "where to write certificates.json, the APNs CA and the key files")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("sim: unexpected argument %q", fs.Arg(0))
	}
	s := simulate.NewServers()
	s.Addr, s.Port, s.Dir = *addr, *port, *dir
	if err := s.Open(); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	if err := s.WriteSummary(os.Stdout); err != nil {
		s.Close()
		return fmt.Errorf("sim: %w", err)
	}
	<-ctx.Done()
	return s.Close()
}

// Usage describes the command.
func (c *SimCommand) Usage() string {
	return `  herald sim [--addr 127.0.0.1] [--port 9000] [--dir ./herald-sim]
      Run faithful simulators of every vendor push API on local ports, with simulated phones:
      fcm on --port, then apns (TLS, HTTP/2), huawei, honor, xiaomi, oppo, vivo, meizu on the
      next ports. Each gets a demo app; its certificate fields, curl lines to register a phone
      and read its inbox are printed, and every certificate is written to --dir/certificates.json.
`
}
