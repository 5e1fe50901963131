package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/herald-im/herald/internal/app"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/internal/vendorsim/simulate"
)

// PushCommand manages push settings of an app from the command line. Today:
// `herald push certificates import FILE`, which stores every certificate of a
// certificates.json written by `herald sim`, as is.
type PushCommand struct {
	Stdout io.Writer // default os.Stdout
}

// Run runs `herald push certificates import FILE`.
func (c *PushCommand) Run(ctx context.Context, args []string) error {
	out := c.Stdout
	if out == nil {
		out = os.Stdout
	}
	if len(args) < 2 || args[0] != "certificates" || args[1] != "import" {
		return errors.New("usage: herald push certificates import --sdkappid N [--data DIR | --postgres URL] FILE")
	}
	fs := flag.NewFlagSet("herald push certificates import", flag.ContinueOnError)
	data := fs.String("data", "./herald-data", "data directory of the SQLite store")
	pg := fs.String("postgres", os.Getenv("HERALD_POSTGRES"), "PostgreSQL URL instead of SQLite")
	id := fs.Int64("sdkappid", 0, "the app (SDKAppID) the certificates belong to (required)")
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("give one file: the certificates.json `herald sim` wrote")
	}
	if *id == 0 {
		return errors.New("--sdkappid is required: the app to add the certificates to (see herald app list)")
	}
	certs, err := simulate.ReadCertificates(fs.Arg(0))
	if err != nil {
		return err
	}
	cfg := app.DefaultConfig()
	cfg.DataDir, cfg.Postgres = *data, *pg
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.FindAppByID(ctx, *id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no app with SDKAppID %d: create it first with herald app create", *id)
		}
		return err
	}
	for _, v := range certs.Vendors {
		pc := *v.Certificate
		pc.ID, pc.SDKAppID = 0, *id // Herald assigns the ID; the file's is the simulator's
		sc, err := pc.ToStored()
		if err != nil {
			return fmt.Errorf("%s certificate: %w", v.Vendor, err)
		}
		if err := st.CreateCertificate(ctx, sc); err != nil {
			return fmt.Errorf("create %s certificate: %w", v.Vendor, err)
		}
		fmt.Fprintf(out, "%-7s certificate %d %q\n", v.Vendor, sc.ID, pc.Name)
	}
	if certs.APNsCAFile != "" {
		fmt.Fprintf(out, "APNs simulator CA: start herald serve with --push-ca-file %s\n", certs.APNsCAFile)
	}
	return nil
}

// Usage describes the command.
func (c *PushCommand) Usage() string {
	return `  herald push certificates import --sdkappid N [--data DIR | --postgres URL] FILE
      Store every push certificate of FILE (the certificates.json herald sim writes) for app N.
`
}
