package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/herald-im/herald/internal/app"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/vendorsim/simulate"
)

// TestPushCommand_ImportSimCertificates: the certificates.json the simulators write is
// imported as is, one certificate per vendor with its vendor and name, IDs from Herald.
func TestPushCommand_ImportSimCertificates(t *testing.T) {
	ctx := context.Background()
	sims := simulate.NewServers()
	sims.Dir = t.TempDir()
	if err := sims.Open(); err != nil {
		t.Fatal(err)
	}
	defer sims.Close()
	file := filepath.Join(sims.Dir, simulate.CertificatesFile)

	data := t.TempDir()
	if err := (&AppCommand{Stdout: &bytes.Buffer{}}).Run(ctx, []string{"create", "--data", data, "--sdkappid", "1400000088"}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := &PushCommand{Stdout: &out}
	if err := cmd.Run(ctx, []string{"certificates", "import", "--data", data, "--sdkappid", "1400000088", file}); err != nil {
		t.Fatal(err)
	}
	cfg := app.DefaultConfig()
	cfg.DataDir = data
	st, err := app.OpenStore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stored, err := st.FindCertificates(ctx, 1400000088)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != len(push.Vendors) {
		t.Fatalf("stored %d certificates, want %d; printed:\n%s", len(stored), len(push.Vendors), out.String())
	}
	seen := map[string]bool{}
	for _, sc := range stored {
		c, err := push.FromStored(sc)
		if err != nil {
			t.Fatal(err)
		}
		if c.Name == "" || seen[c.Vendor.String()] || c.Endpoint.SendURL == "" {
			t.Errorf("certificate %d: vendor %s name %q endpoint %q", c.ID, c.Vendor, c.Name, c.Endpoint.SendURL)
		}
		seen[c.Vendor.String()] = true
	}
	if !strings.Contains(out.String(), "--push-ca-file") {
		t.Errorf("import did not say how to trust the APNs CA:\n%s", out.String())
	}

	for _, args := range [][]string{
		{"certificates", "import", "--data", data, file},                             // no app
		{"certificates", "import", "--data", data, "--sdkappid", "1400000099", file}, // unknown app
		{"certificates", "import", "--data", data, "--sdkappid", "1400000088"},       // no file
		{"certificates", "export"},
	} {
		if err := cmd.Run(ctx, args); err == nil {
			t.Errorf("herald push %v succeeded, want an error", args)
		}
	}
}
