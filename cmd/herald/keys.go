package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/herald-im/herald/internal/app"
	"github.com/herald-im/herald/internal/secret"
)

// KeysCommand manages the master key that seals secrets at rest.
type KeysCommand struct {
	Stdout io.Writer // default os.Stdout
}

// Run runs `herald keys rotate`.
func (c *KeysCommand) Run(ctx context.Context, args []string) error {
	out := c.Stdout
	if out == nil {
		out = os.Stdout
	}
	if len(args) == 0 || args[0] != "rotate" {
		return errors.New("usage: herald keys rotate [flags]; see herald help")
	}
	fs := flag.NewFlagSet("herald keys rotate", flag.ContinueOnError)
	data := fs.String("data", "./herald-data", "data directory (the SQLite store and master.key)")
	pg := fs.String("postgres", os.Getenv("HERALD_POSTGRES"), "PostgreSQL URL instead of SQLite")
	newKey := fs.String("new-key-file", "", "file holding the new key (base64 or hex of 32 bytes); default a random key")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg := app.DefaultConfig()
	cfg.DataDir, cfg.Postgres = *data, *pg
	cfg.MasterKey = os.Getenv("HERALD_MASTER_KEY")
	var k []byte
	if *newKey != "" {
		b, err := os.ReadFile(*newKey)
		if err != nil {
			return fmt.Errorf("read new key: %w", err)
		}
		if k, err = secret.ParseKey(string(b)); err != nil {
			return fmt.Errorf("%s: %w", *newKey, err)
		}
	}
	n, k, err := app.RotateMasterKey(ctx, cfg, k)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "re-sealed %d secrets under key %s\n", n, secret.KeyID(k))
	if cfg.MasterKey == "" {
		fmt.Fprintf(out, "the new key is in %s/%s; start the nodes again\n", cfg.DataDir, secret.KeyFileName)
	} else if *newKey == "" {
		fmt.Fprintf(out, "set HERALD_MASTER_KEY to this new key on every node, then start them:\n%s\n", secret.EncodeKey(k))
	} else {
		fmt.Fprintf(out, "set HERALD_MASTER_KEY to the key of %s on every node, then start them\n", *newKey)
	}
	return nil
}

// Usage describes `herald keys`.
func (c *KeysCommand) Usage() string {
	return `  herald keys rotate [--data DIR | --postgres URL] [--new-key-file FILE]
      Re-seal every secret at rest under a new master key (stop the nodes first);
      with HERALD_MASTER_KEY set, give every node the new key afterwards.
`
}
