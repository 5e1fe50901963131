package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/herald-im/herald/internal/app"
)

func TestHealthURL(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", "http://127.0.0.1:8080/healthz"},
		{"0.0.0.0:9000", "http://127.0.0.1:9000/healthz"},
		{":9001", "http://127.0.0.1:9001/healthz"},
		{"[::]:9002", "http://127.0.0.1:9002/healthz"},
		{"10.0.0.5:9003", "http://10.0.0.5:9003/healthz"},
		{"[::1]:9004", "http://[::1]:9004/healthz"},
	} {
		if got := healthURL(tt.in); got != tt.want {
			t.Errorf("healthURL(%q) got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHealthCommand(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		// A real node on a free port, found through HERALD_LISTEN as in the container.
		c := app.DefaultConfig()
		c.Listen, c.DataDir = "127.0.0.1:0", t.TempDir()
		m := app.NewMain(c)
		m.Out = io.Discard
		m.Logger = app.NewLogger(c, io.Discard)
		if err := m.Open(ctx); err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		var out bytes.Buffer
		cmd := &HealthCommand{Stdout: &out, Getenv: func(k string) string {
			if k == "HERALD_LISTEN" {
				return m.Addr()
			}
			return ""
		}}
		if err := cmd.Run(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), `"status":"ok"`) {
			t.Errorf("health printed %q", out.String())
		}
	})
	t.Run("ErrStatus", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "draining", http.StatusServiceUnavailable)
		}))
		defer srv.Close()
		err := (&HealthCommand{Stdout: io.Discard}).Run(ctx, []string{"--url", srv.URL + "/healthz"})
		if err == nil || !strings.Contains(err.Error(), "503") {
			t.Errorf("a 503: %v, want an error naming it", err)
		}
	})
	t.Run("ErrDown", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		if err := (&HealthCommand{Stdout: io.Discard}).Run(ctx, []string{"--url", url + "/healthz"}); err == nil {
			t.Error("a closed port: no error")
		}
	})
}
