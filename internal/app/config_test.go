package app_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/app"
)

func TestLoadConfig_Precedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "herald.yaml")
	os.WriteFile(file, []byte("listen: 127.0.0.1:7000\ndata: /from/file\nheartbeat: 10s\nnode_id: file-node\n"), 0o600)
	env := map[string]string{"HERALD_DATA": "/from/env", "HERALD_NODE_ID": "env-node", "HERALD_SDKAPPID": "1400000009", "HERALD_SECRET_KEY": "k"}
	c, err := app.LoadConfig([]string{"--config", file, "--node-id", "flag-node"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"listen from file", c.Listen, "127.0.0.1:7000"},
		{"data: env over file", c.DataDir, "/from/env"},
		{"node: flag over env", c.NodeID, "flag-node"},
		{"heartbeat from file", c.Heartbeat, 10 * time.Second},
		{"sdkappid from env", c.SDKAppID, int64(1400000009)},
		{"admin default", c.AdminUserID, "administrator"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestLoadConfig_AckTimeout(t *testing.T) {
	file := filepath.Join(t.TempDir(), "herald.yaml")
	os.WriteFile(file, []byte("push_ack_timeout: 3s\n"), 0o600)
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want time.Duration
	}{
		{"default", nil, nil, 5 * time.Second},
		{"file", []string{"--config", file}, nil, 3 * time.Second},
		{"env over file", []string{"--config", file}, map[string]string{"HERALD_PUSH_ACK_TIMEOUT": "2s"}, 2 * time.Second},
		{"flag over env", []string{"--push-ack-timeout", "0"}, map[string]string{"HERALD_PUSH_ACK_TIMEOUT": "2s"}, 0},
	} {
		c, err := app.LoadConfig(tt.args, func(k string) string { return tt.env[k] })
		if err != nil || c.PushAckTimeout != tt.want {
			t.Errorf("%s: push ack timeout %v (%v), want %v", tt.name, c.PushAckTimeout, err, tt.want)
		}
	}
}

func TestLoadConfig_Err(t *testing.T) {
	none := func(string) string { return "" }
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		field string
	}{
		{"BadListen", []string{"--listen", "nope"}, nil, "listen"},
		{"AppIDWithoutKey", []string{"--sdkappid", "5"}, nil, "sdkappid"},
		{"BadLogLevel", []string{"--log-level", "loud"}, nil, "log_level"},
		{"BadEnvAppID", nil, map[string]string{"HERALD_SDKAPPID": "x"}, "HERALD_SDKAPPID"},
		{"ShortHeartbeat", []string{"--heartbeat", "10ms"}, nil, "heartbeat"},
		{"BadPostgres", []string{"--postgres", "mysql://x"}, nil, "postgres"},
		{"ShortAckTimeout", []string{"--push-ack-timeout", "1ms"}, nil, "push_ack_timeout"},
		{"BadEnvAckTimeout", nil, map[string]string{"HERALD_PUSH_ACK_TIMEOUT": "soon"}, "HERALD_PUSH_ACK_TIMEOUT"},
		{"ShortLoginTimeout", []string{"--login-timeout", "1ms"}, nil, "login_timeout"},
		{"NegativeUnauthCap", []string{"--max-unauthenticated-per-address", "-1"}, nil, "max_unauthenticated_per_address"},
		{"BadEnvUnauthCap", nil, map[string]string{"HERALD_MAX_UNAUTHENTICATED_PER_ADDRESS": "many"}, "HERALD_MAX_UNAUTHENTICATED_PER_ADDRESS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			get := none
			if tt.env != nil {
				get = func(k string) string { return tt.env[k] }
			}
			_, err := app.LoadConfig(tt.args, get)
			var ce *app.ConfigError
			if !errors.As(err, &ce) || ce.Field != tt.field {
				t.Errorf("got %v, want a ConfigError for %s", err, tt.field)
			}
		})
	}
	if _, err := app.LoadConfig([]string{"--config", "/nonexistent.yaml"}, none); err == nil {
		t.Error("a missing config file must be an error")
	}
}

func TestFirstStart_CreatesApp(t *testing.T) {
	c := MustConfig(t, "sqlite")
	c.SDKAppID, c.SecretKey = 0, ""
	m := app.NewMain(c)
	var out testWriter
	m.Out = &out
	m.Logger = discardLogger()
	if err := m.Open(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	apps, err := m.Store.FindApps(ctxT(t))
	if err != nil || len(apps) != 1 {
		t.Fatalf("apps after first start: %d, %v", len(apps), err)
	}
	if !contains(out.String(), apps[0].SecretKey) || !contains(out.String(), "herald usersig --sdkappid") {
		t.Errorf("banner does not show the key and a usersig command:\n%s", out.String())
	}
}
