package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/herald-im/herald/internal/auth"
)

// UserSigCommand prints a UserSig.
type UserSigCommand struct{}

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
	sig, err := auth.GenUserSig(*appID, *key, *user, time.Duration(*expire)*time.Second, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stdout, sig)
	return nil
}

// Usage describes the command.
func (c *UserSigCommand) Usage() string {
	return `  herald usersig --sdkappid N --key K --user U [--expire 86400]
      Print a UserSig (TLS-sig-v2) for user U, valid for --expire seconds.
`
}
