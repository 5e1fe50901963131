package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"text/tabwriter"
	"time"

	"github.com/herald-im/herald/internal/app"
	"github.com/herald-im/herald/internal/auth"
	"github.com/herald-im/herald/internal/store"
)

// AppCommand creates and lists the apps (tenants) of a Herald store. It opens the store
// directly, so it works beside a running node (SQLite in WAL mode allows that) and the
// node sees a new app at its next login.
type AppCommand struct {
	Stdout io.Writer // default os.Stdout
}

// Run runs `herald app create` or `herald app list`.
func (c *AppCommand) Run(ctx context.Context, args []string) error {
	out := c.Stdout
	if out == nil {
		out = os.Stdout
	}
	if len(args) == 0 || (args[0] != "create" && args[0] != "list") {
		return errors.New("usage: herald app create|list [flags]; see herald help")
	}
	fs := flag.NewFlagSet("herald app "+args[0], flag.ContinueOnError)
	data := fs.String("data", "./herald-data", "data directory of the SQLite store")
	pg := fs.String("postgres", os.Getenv("HERALD_POSTGRES"), "PostgreSQL URL instead of SQLite")
	id := fs.Int64("sdkappid", 0, "create: the SDKAppID (default: a random one)")
	key := fs.String("key", "", "create: the secret key (default: a new random one)")
	admin := fs.String("admin", "administrator", "create: the admin identifier")
	name := fs.String("name", "", "create: a label")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg := app.DefaultConfig()
	cfg.DataDir, cfg.Postgres = *data, *pg
	cfg.MasterKey = os.Getenv("HERALD_MASTER_KEY")
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()

	if args[0] == "list" {
		apps, err := st.FindApps(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "SDKAPPID\tNAME\tADMIN\tDEVICE POLICY\tRETENTION\tCREATED")
		for _, a := range apps {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", a.SDKAppID, a.Name, a.AdminUserID, a.DevicePolicy, a.Retention, a.CreatedAt.Format(time.RFC3339))
		}
		return w.Flush()
	}

	if *id == 0 {
		*id = 1400000000 + rand.Int64N(99999999)
	}
	if *key == "" {
		*key = auth.NewSecretKey()
	}
	if err := auth.ValidUserID(*admin); err != nil {
		return fmt.Errorf("--admin: %w", err)
	}
	a := &store.App{SDKAppID: *id, SecretKey: *key, AdminUserID: *admin, Name: *name, DevicePolicy: store.OnePerPlatform, Retention: app.DefaultRetention}
	if err := st.CreateApp(ctx, a); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("an app with SDKAppID %d exists already", *id)
		}
		return err
	}
	fmt.Fprintf(out, "SDKAppID:   %d\nSecret key: %s\nAdmin:      %s\n", a.SDKAppID, a.SecretKey, a.AdminUserID)
	return nil
}

// Usage describes the command.
func (c *AppCommand) Usage() string {
	return `  herald app create [--data DIR | --postgres URL] [--sdkappid N] [--key K] [--admin ID] [--name LABEL]
  herald app list   [--data DIR | --postgres URL]
      Create another app (tenant) in the store, or list them. Several apps live in one server.
`
}
