package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/herald-im/herald/internal/app"
	"github.com/herald-im/herald/internal/auth"
	"github.com/herald-im/herald/internal/store"
)

// AppCommand creates, lists and shows the apps (tenants) of a Herald store. It opens the store
// directly, so it works beside a running node (SQLite in WAL mode allows that) and the
// node sees a new app at its next login.
type AppCommand struct {
	Stdout io.Writer // default os.Stdout
}

// Run runs `herald app create`, `herald app list` or `herald app show`.
func (c *AppCommand) Run(ctx context.Context, args []string) error {
	out := c.Stdout
	if out == nil {
		out = os.Stdout
	}
	if len(args) == 0 || (args[0] != "create" && args[0] != "list" && args[0] != "show") {
		return errors.New("usage: herald app create|list|show [flags]; see herald help")
	}
	fs := flag.NewFlagSet("herald app "+args[0], flag.ContinueOnError)
	data := fs.String("data", "./herald-data", "data directory of the SQLite store")
	pg := fs.String("postgres", os.Getenv("HERALD_POSTGRES"), "PostgreSQL URL instead of SQLite")
	id := fs.Int64("sdkappid", 0, "create: the SDKAppID (default: a random one)")
	key := fs.String("key", "", "create: the secret key (default: a new random one)")
	admin := fs.String("admin", "administrator", "create: the admin identifier")
	name := fs.String("name", "", "create: a label")
	reveal := fs.Bool("reveal-secret", false, "show: print the secret key (anyone who has it can sign in as any user)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if args[0] == "show" {
		if err := showArgs(fs, id); err != nil {
			return err
		}
	}
	cfg := app.DefaultConfig()
	cfg.DataDir, cfg.Postgres = *data, *pg
	cfg.MasterKey = os.Getenv("HERALD_MASTER_KEY")
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()

	if args[0] == "show" {
		return showApp(ctx, st, out, *id, *reveal)
	}
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
  herald app show   [--data DIR | --postgres URL] [--reveal-secret] SDKAPPID
      Create another app (tenant) in the store, list them, or show one. show hides the
      secret key unless --reveal-secret is given. Several apps live in one server.
`
}

// showArgs takes the SDKAppID of `herald app show` from its one argument (or
// --sdkappid), and the flags given after it.
func showArgs(fs *flag.FlagSet, id *int64) error {
	rest := fs.Args()
	if len(rest) > 0 {
		n, err := strconv.ParseInt(rest[0], 10, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("herald app show: %q is not an SDKAppID", rest[0])
		}
		if *id != 0 && *id != n {
			return fmt.Errorf("herald app show: two SDKAppIDs, %d and %d", *id, n)
		}
		*id = n
		if err := fs.Parse(rest[1:]); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return fmt.Errorf("herald app show: unexpected %q", fs.Arg(0))
		}
	}
	if *id == 0 {
		return errors.New("usage: herald app show [--reveal-secret] SDKAPPID")
	}
	return nil
}

// showApp prints app id; its secret key only when reveal is set.
func showApp(ctx context.Context, st store.Store, out io.Writer, id int64, reveal bool) error {
	a, err := st.FindAppByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no app with SDKAppID %d; herald app list shows them", id)
	}
	if err != nil {
		return fmt.Errorf("find app: %w", err)
	}
	key := "(hidden; add --reveal-secret to print it)"
	if reveal {
		key = a.SecretKey
	}
	callbackSecret := "not set"
	if a.CallbackSecret != "" {
		callbackSecret = "set (rotate it with POST /v1/admin/app/callback-secret)"
	}
	w := tabwriter.NewWriter(out, 0, 4, 1, ' ', 0)
	fmt.Fprintf(w, "SDKAppID:\t%d\n", a.SDKAppID)
	fmt.Fprintf(w, "Name:\t%s\n", a.Name)
	fmt.Fprintf(w, "Admin:\t%s\n", a.AdminUserID)
	fmt.Fprintf(w, "Device policy:\t%s\n", a.DevicePolicy)
	fmt.Fprintf(w, "Token moves:\t%v\n", a.TokenMoves)
	fmt.Fprintf(w, "Retention:\t%s\n", a.Retention)
	fmt.Fprintf(w, "Callback URL:\t%s\n", a.CallbackURL)
	fmt.Fprintf(w, "Callback secret:\t%s\n", callbackSecret)
	fmt.Fprintf(w, "Created:\t%s\n", a.CreatedAt.Format(time.RFC3339))
	fmt.Fprintf(w, "Secret key:\t%s\n", key)
	if err := w.Flush(); err != nil {
		return err
	}
	if reveal {
		fmt.Fprintf(out, "\nA UserSig for the admin (valid 180 days):\n\n  herald usersig --sdkappid %d --key %s --user %s --expire 15552000\n", a.SDKAppID, a.SecretKey, a.AdminUserID)
	}
	return nil
}
