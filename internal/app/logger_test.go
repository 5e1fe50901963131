package app_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/herald-im/herald/internal/app"
)

func TestLoadConfig_LogFormat(t *testing.T) {
	file := filepath.Join(t.TempDir(), "herald.yaml")
	os.WriteFile(file, []byte("log_format: json\n"), 0o600)
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"default", nil, nil, "text"},
		{"file", []string{"--config", file}, nil, "json"},
		{"env", nil, map[string]string{"HERALD_LOG_FORMAT": "json"}, "json"},
		{"flag over env", []string{"--log-format", "text"}, map[string]string{"HERALD_LOG_FORMAT": "json"}, "text"},
		{"flag", []string{"--log-format", "json"}, nil, "json"},
	} {
		c, err := app.LoadConfig(tt.args, func(k string) string { return tt.env[k] })
		if err != nil || c.LogFormat != tt.want {
			t.Errorf("%s: log format %q (%v), want %q", tt.name, c.LogFormat, err, tt.want)
		}
	}
	_, err := app.LoadConfig([]string{"--log-format", "logfmt"}, func(string) string { return "" })
	var ce *app.ConfigError
	if !errors.As(err, &ce) || ce.Field != "log_format" || ce.Value != "logfmt" {
		t.Errorf("--log-format logfmt: %v, want a ConfigError on log_format", err)
	}
}

// TestNewLogger_JSON opens a node with the JSON logger and reads its start line.
func TestNewLogger_JSON(t *testing.T) {
	c := MustConfig(t, "sqlite")
	c.LogFormat, c.LogLevel = app.LogFormatJSON, "info"
	var w testWriter
	m := app.NewMain(c)
	m.Logger = app.NewLogger(c, &w)
	m.Out = new(strings.Builder)
	if err := m.Open(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })

	var found bool
	sc := bufio.NewScanner(strings.NewReader(w.String()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("a log line is not JSON: %q: %v", sc.Text(), err)
		}
		if line["msg"] == "herald serving" {
			found = true
			if line["level"] != "INFO" || line["addr"] != m.Addr() || line["store"] != "sqlite" || line["time"] == nil {
				t.Errorf("start line %v: want level INFO, addr %s, store sqlite and a time", line, m.Addr())
			}
		}
	}
	if !found {
		t.Fatalf("no \"herald serving\" line in:\n%s", w.String())
	}
}

func TestNewLogger_Text(t *testing.T) {
	var b strings.Builder
	c := app.DefaultConfig()
	c.LogLevel = "warn"
	l := app.NewLogger(c, &b)
	l.Info("hidden")
	l.Warn("shown", "k", "v")
	if got := b.String(); strings.Contains(got, "hidden") || !strings.Contains(got, "level=WARN msg=shown k=v") {
		t.Errorf("text logger at warn wrote %q", got)
	}
}
