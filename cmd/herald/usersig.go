package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/herald-im/herald/internal/auth"
)

// UserSigCommand prints a UserSig.
type UserSigCommand struct {
	Stdout io.Writer // default os.Stdout
	Now    func() time.Time
}

// Run parses the flags and prints the UserSig on stdout.
func (c *UserSigCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("herald usersig", flag.ContinueOnError)
	appID := fs.Int64("sdkappid", 0, "the app's SDKAppID")
	key := fs.String("key", "", "the app's secret key")
	user := fs.String("user", "", "the user ID")
	expire := fs.Int64("expire", 86400, "validity in seconds")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *appID <= 0 || *key == "" || *user == "" {
		return errors.New("usersig needs --sdkappid, --key and --user")
	}
	now, out := time.Now, io.Writer(os.Stdout)
	if c.Now != nil {
		now = c.Now
	}
	if c.Stdout != nil {
		out = c.Stdout
	}
	sig, err := auth.GenUserSig(*appID, *key, *user, time.Duration(*expire)*time.Second, now())
	if err != nil {
		return err
	}
	fmt.Fprintln(out, sig)
	return nil
}

// Usage describes the command.
func (c *UserSigCommand) Usage() string {
	return `  herald usersig --sdkappid N --key K --user U [--expire 86400]
      Print a UserSig (TLS-sig-v2) for user U, valid for --expire seconds.
`
}
