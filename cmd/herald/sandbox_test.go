package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/app"
	"github.com/herald-im/herald/internal/sandbox"
)

// quickStart returns the command lines of README.md's sandbox quick start: the sh block
// after the sandbox-quickstart marker, comments dropped.
func quickStart(tb testing.TB) [][]string {
	tb.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		tb.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "<!-- sandbox-quickstart")
	if !ok {
		tb.Fatal("README.md has no sandbox-quickstart marker")
	}
	_, rest, ok = strings.Cut(rest, "```sh\n")
	if !ok {
		tb.Fatal("README.md: no sh block after the sandbox-quickstart marker")
	}
	block, _, _ := strings.Cut(rest, "```")
	var cmds [][]string
	for _, line := range strings.Split(block, "\n") {
		line, _, _ = strings.Cut(line, "#")
		if f := strings.Fields(line); len(f) > 0 {
			cmds = append(cmds, f)
		}
	}
	return cmds
}

// lockedBuffer is an io.Writer safe for a process's output and the test reading it.
type lockedBuffer struct {
	mu sync.Mutex // protects b
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestSandbox_QuickStart runs README.md's sandbox quick start as a newcomer would, with
// the binary built from this tree: `herald serve --sandbox` as a process, then the
// demo; then it creates a phone through the admin API itself, sends it a message and
// finds the notification, and its ext, on the phone.
func TestSandbox_QuickStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	cmds := quickStart(t)
	if len(cmds) != 2 {
		t.Fatalf("README's sandbox quick start has %d commands, want 2: %q", len(cmds), cmds)
	}
	const goRun = "go run ./cmd/herald"
	for _, c := range cmds {
		if !strings.HasPrefix(strings.Join(c, " "), goRun+" ") {
			t.Fatalf("quick-start command %q does not start with %q", strings.Join(c, " "), goRun)
		}
	}
	if got := strings.Join(cmds[0][3:], " "); got != "serve --sandbox" {
		t.Fatalf("the first command runs %q, want serve --sandbox", got)
	}

	bin := filepath.Join(t.TempDir(), "herald")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	work := t.TempDir() // a fresh directory: ./herald-data is made there

	// Command 1, on a free port instead of 8080 (another node may hold it).
	serve := exec.Command(bin, append(cmds[0][3:], "--listen", "127.0.0.1:0")...)
	serve.Dir = work
	var serveOut lockedBuffer
	serve.Stdout, serve.Stderr = &serveOut, &serveOut
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		serve.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- serve.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			serve.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("herald serve --sandbox printed:\n%s", serveOut.String())
		}
	})
	data := filepath.Join(work, "herald-data")
	var info *app.SandboxInfo
	waitFor(t, 60*time.Second, func() error {
		var err error
		info, err = app.ReadSandboxInfo(data)
		return err
	})
	if out := serveOut.String(); !strings.Contains(out, "SANDBOX MODE") {
		t.Errorf("the node does not say it is a sandbox:\n%s", out)
	}
	var health map[string]any
	getJSON(t, info.URL+"/healthz", &health)
	if health["sandbox"] != true {
		t.Errorf("/healthz = %v, want sandbox true", health)
	}

	// Command 2, in the same directory.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	demo := exec.CommandContext(ctx, bin, cmds[1][3:]...)
	demo.Dir = work
	out, err := demo.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmds[1], " "), err, out)
	}
	for _, want := range []string{"lock screen", "alice", "Hello from the Herald sandbox"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("the demo printed no %q:\n%s", want, out)
		}
	}

	// By hand through the admin API: a Xiaomi phone of dave, app in the background.
	a := &sandboxAPI{info: info, http: &http.Client{Timeout: 30 * time.Second}}
	var ph sandbox.Phone
	if err := a.call(ctx, "POST", "/v1/admin/sandbox/phones", map[string]string{"vendor": "xiaomi", "user_id": "dave", "state": "background"}, &ph); err != nil {
		t.Fatal(err)
	}
	if ph.State != sandbox.Background || ph.Token == "" || ph.CertificateID == 0 {
		t.Fatalf("created phone %+v", ph)
	}
	msg := map[string]any{"from": "alice", "to": "dave", "elements": []map[string]string{{"type": "text", "text": "dinner?"}},
		"offline_push_info": map[string]string{"ext": `{"conv":"c2c_alice"}`}}
	if err := a.call(ctx, "POST", "/v1/admin/messages", msg, nil); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Notifications []sandbox.Notification `json:"notifications"`
	}
	waitFor(t, 30*time.Second, func() error {
		if err := a.call(ctx, "GET", "/v1/admin/sandbox/phones/"+url.PathEscape(ph.ID)+"/notifications", nil, &got); err != nil {
			return err
		}
		if len(got.Notifications) == 0 {
			return fmt.Errorf("no notification on %s", ph.ID)
		}
		return nil
	})
	n := got.Notifications[0]
	if n.Title != "alice" || n.Body != "dinner?" || n.ChannelID != "chat" {
		t.Errorf("notification %+v, want title alice, body dinner?, channel chat", n.Delivered)
	}
	var tap struct {
		Ext   string `json:"ext"`
		Click struct {
			Type   string `json:"type"`
			Target string `json:"target"`
		} `json:"click"`
	}
	if err := a.call(ctx, "POST", "/v1/admin/sandbox/phones/"+url.PathEscape(ph.ID)+"/notifications/0/tap", nil, &tap); err != nil {
		t.Fatal(err)
	}
	if tap.Ext != `{"conv":"c2c_alice"}` || tap.Click.Type != "open_page" || tap.Click.Target != sandbox.ClickIntent {
		t.Errorf("tap gave %+v, want the ext and the sandbox's intent", tap)
	}
}

// TestSandbox_Refused: a sandbox cannot be turned on by accident in production.
func TestSandbox_Refused(t *testing.T) {
	for _, args := range [][]string{
		{"--sandbox", "--postgres", "postgres://db/herald"},
		{"--sandbox", "--nats", "nats://127.0.0.1:4222"},
		{"--sandbox", "--listen", "0.0.0.0:8080"},
	} {
		_, err := app.LoadConfig(args, func(string) string { return "" })
		if err == nil || !strings.Contains(err.Error(), "--sandbox-allow-external") {
			t.Errorf("LoadConfig(%q) = %v, want a refusal naming --sandbox-allow-external", args, err)
		}
		if _, err := app.LoadConfig(append(args, "--sandbox-allow-external"), func(string) string { return "" }); err != nil {
			t.Errorf("LoadConfig(%q --sandbox-allow-external): %v", args, err)
		}
	}
	// No environment variable or config key turns it on.
	c, err := app.LoadConfig(nil, func(k string) string { return map[string]string{"HERALD_SANDBOX": "true"}[k] })
	if err != nil || c.Sandbox {
		t.Errorf("HERALD_SANDBOX=true: sandbox %v, err %v; want off", c.Sandbox, err)
	}
	yaml := filepath.Join(t.TempDir(), "herald.yaml")
	os.WriteFile(yaml, []byte("sandbox: true\n"), 0o600)
	if _, err := app.LoadConfig([]string{"--config", yaml}, func(string) string { return "" }); err == nil {
		t.Errorf("a config file with sandbox: true was accepted")
	}
}

func waitFor(tb testing.TB, max time.Duration, try func() error) {
	tb.Helper()
	deadline := time.Now().Add(max)
	for {
		err := try()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("after %s: %v", max, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func getJSON(tb testing.TB, url string, v any) {
	tb.Helper()
	resp, err := http.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(bufio.NewReader(resp.Body))
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatalf("GET %s: %v: %s", url, err, b)
	}
}
