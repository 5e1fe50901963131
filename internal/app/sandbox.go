package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/herald-im/herald/internal/api"
	"github.com/herald-im/herald/internal/auth"
	"github.com/herald-im/herald/internal/console"
	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/sandbox"
)

// SandboxFile is written in the data dir by a sandbox node: how `herald sandbox`
// commands on the same machine reach it and sign in. It holds an admin UserSig; it is
// readable only by its owner.
const SandboxFile = "sandbox.json"

// SandboxUserSigTTL is how long the admin UserSig a sandbox node prints is valid.
const SandboxUserSigTTL = 7 * 24 * time.Hour

// SandboxInfo is the content of SandboxFile.
type SandboxInfo struct {
	URL        string `json:"url"` // the node's HTTP base, e.g. http://127.0.0.1:8080
	SDKAppID   int64  `json:"sdkappid"`
	Identifier string `json:"identifier"`
	UserSig    string `json:"usersig"`
	// ConsoleURL opens the console's Phones page signed in (the credentials ride in
	// the fragment, which browsers never send).
	ConsoleURL string `json:"console_url"`
}

// ReadSandboxInfo reads the SandboxFile of data dir dir.
func ReadSandboxInfo(dir string) (*SandboxInfo, error) {
	b, err := os.ReadFile(filepath.Join(dir, SandboxFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no sandbox in %s: start one with herald serve --sandbox --data %s", dir, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("read sandbox file: %w", err)
	}
	var in SandboxInfo
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("decode %s: %w", SandboxFile, err)
	}
	return &in, nil
}

// checkSandbox is Validate's sandbox rule: a sandbox runs on one machine only, with
// SQLite, the embedded NATS and a loopback listen address, unless
// --sandbox-allow-external says otherwise.
func (c Config) checkSandbox() error {
	if !c.Sandbox || c.SandboxAllowExternal {
		return nil
	}
	if c.Postgres != "" {
		return &ConfigError{"sandbox", "true", errors.New("refused with --postgres: a sandbox writes simulated certificates and phones into the database; add --sandbox-allow-external to mean it")}
	}
	if c.NATS != "" {
		return &ConfigError{"sandbox", "true", errors.New("refused with --nats: a sandbox on a shared NATS serves other nodes' pushes; add --sandbox-allow-external to mean it")}
	}
	host, _, _ := net.SplitHostPort(c.Listen)
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return &ConfigError{"listen", c.Listen, errors.New("a sandbox listens on a loopback address only (127.0.0.1); add --sandbox-allow-external to mean it")}
	}
	return nil
}

// startSandbox starts the simulators of a sandbox node, before the senders are built:
// they must trust the APNs simulator's CA and dial loopback.
func (m *Main) startSandbox() error {
	if !m.Config.Sandbox {
		return nil
	}
	m.Sandbox = sandbox.New(filepath.Join(m.Config.DataDir, "sandbox"))
	m.Sandbox.Logger = m.Logger.With("sandbox", true)
	if err := m.Sandbox.OpenSimulators(); err != nil {
		return err
	}
	ca := m.Sandbox.CAFile()
	if m.Config.PushCAFile != "" {
		// Trust both: the operator's file and the simulator's CA.
		mine, err := os.ReadFile(m.Config.PushCAFile)
		if err != nil {
			return fmt.Errorf("read push CA file: %w", err)
		}
		sim, err := os.ReadFile(ca)
		if err != nil {
			return fmt.Errorf("read sandbox CA: %w", err)
		}
		ca = filepath.Join(filepath.Dir(ca), "push-ca-and-sandbox.pem")
		if err := os.WriteFile(ca, append(append(mine, '\n'), sim...), 0o644); err != nil {
			return fmt.Errorf("write sandbox CA: %w", err)
		}
	}
	m.Config.PushCAFile = ca
	m.Config.PushAllowPrivateEndpoints = true
	m.Logger.Warn("SANDBOX MODE: simulated vendors on loopback, private push endpoints allowed; never use in production")
	return nil
}

// openSandbox gives the sandbox's app its certificates, once the app exists.
func (m *Main) openSandbox(ctx context.Context) error {
	if m.Sandbox == nil {
		return nil
	}
	id := m.Config.SDKAppID
	if id == 0 {
		apps, err := m.Store.FindApps(ctx)
		if err != nil {
			return fmt.Errorf("find apps: %w", err)
		}
		if len(apps) == 0 {
			return errors.New("sandbox: no app")
		}
		id = apps[0].SDKAppID
	}
	return m.Sandbox.Open(ctx, m.Store, accountImporter{m}, id)
}

// accountImporter reaches m.IM, which is built after the sandbox opens.
type accountImporter struct{ m *Main }

func (a accountImporter) ImportAccounts(ctx context.Context, sdkAppID int64, in []im.AccountInput) error {
	return a.m.IM.ImportAccounts(ctx, sdkAppID, in)
}

// sandboxServing tells the sandbox the node's address, writes SandboxFile and prints
// how to use it.
func (m *Main) sandboxServing(ctx context.Context) error {
	if m.Sandbox == nil {
		return nil
	}
	host, port, _ := net.SplitHostPort(m.Addr())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	base := "http://" + net.JoinHostPort(host, port)
	m.Sandbox.SetURL("ws://" + net.JoinHostPort(host, port) + "/v1/ws")
	app, err := m.Store.FindAppByID(ctx, m.Sandbox.SDKAppID())
	if err != nil {
		return fmt.Errorf("find app: %w", err)
	}
	sig, err := auth.GenUserSig(app.SDKAppID, app.SecretKey, app.AdminUserID, SandboxUserSigTTL, time.Now())
	if err != nil {
		return fmt.Errorf("sandbox usersig: %w", err)
	}
	frag := url.Values{"sdkappid": {fmt.Sprint(app.SDKAppID)}, "identifier": {app.AdminUserID}, "usersig": {sig}}
	in := SandboxInfo{URL: base, SDKAppID: app.SDKAppID, Identifier: app.AdminUserID, UserSig: sig,
		ConsoleURL: base + console.Prefix + "phones#" + frag.Encode()}
	b, err := json.MarshalIndent(in, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(m.Config.DataDir, SandboxFile), b, 0o600); err != nil {
		return fmt.Errorf("write sandbox file: %w", err)
	}
	fmt.Fprintf(m.Out, `
*** SANDBOX MODE: eight simulated push vendors, nothing leaves this machine. Not for production. ***

  Phones console:  %s
  A first push:    herald sandbox demo --data %s
  Admin API:       %s/v1/admin/sandbox/phones (sdkappid %d, identifier %s, the UserSig in %s)

`, in.ConsoleURL, m.Config.DataDir, base, app.SDKAppID, app.AdminUserID, filepath.Join(m.Config.DataDir, SandboxFile))
	return nil
}

// sandboxRoutes mounts the sandbox's admin calls, or the answer that there is none.
func (m *Main) sandboxRoutes(mux *http.ServeMux) {
	routes := sandbox.OffRoutes()
	if m.Sandbox != nil {
		routes = m.Sandbox.Routes()
	}
	for pattern, h := range routes {
		mux.Handle(pattern, readDeadline(m.API.Admin(api.HandlerFunc(h)), m.Config.bodyReadTimeout()))
	}
}
