package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/herald-im/herald/internal/app"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/sandbox"
)

// SandboxCommand talks to a node started with `herald serve --sandbox` on this machine.
type SandboxCommand struct {
	// Out receives what the command prints. Default os.Stdout.
	Out io.Writer
}

// Run runs `herald sandbox demo`.
func (c *SandboxCommand) Run(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "demo" {
		return fmt.Errorf("sandbox: use herald sandbox demo\n%s", c.Usage())
	}
	fs := flag.NewFlagSet("herald sandbox demo", flag.ContinueOnError)
	data := fs.String("data", "./herald-data", "the data directory of the sandbox node (it holds "+app.SandboxFile+")")
	vendor := fs.String("vendor", "huawei", "the phone's vendor: fcm, apns, huawei, honor, xiaomi, oppo, vivo or meizu")
	user := fs.String("user", "bob", "the phone's user")
	from := fs.String("from", "alice", "who sends the message")
	text := fs.String("text", "Hello from the Herald sandbox", "the message")
	wait := fs.Duration("wait", 20*time.Second, "how long to wait for the notification")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	out := c.Out
	if out == nil {
		out = os.Stdout
	}
	info, err := app.ReadSandboxInfo(*data)
	if err != nil {
		return err
	}
	a := &sandboxAPI{info: info, http: &http.Client{Timeout: 30 * time.Second}}
	if err := a.call(ctx, "POST", "/v1/admin/accounts/import", map[string]any{"accounts": []map[string]string{{"user_id": *from}}}, nil); err != nil {
		return err
	}
	var ph sandbox.Phone
	if err := a.call(ctx, "POST", "/v1/admin/sandbox/phones", map[string]string{"vendor": *vendor, "user_id": *user, "state": string(sandbox.Killed)}, &ph); err != nil {
		return err
	}
	fmt.Fprintf(out, "Created a %s phone of %s (%s), its app killed: only a push can reach it.\n", vendorTitle(ph.Vendor), ph.UserID, ph.ID)
	var sent struct {
		Message struct {
			ID string `json:"id"`
		} `json:"message"`
	}
	msg := map[string]any{"from": *from, "to": *user, "elements": []map[string]string{{"type": "text", "text": *text}}}
	if err := a.call(ctx, "POST", "/v1/admin/messages", msg, &sent); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s sent %s a message (%s).\n", *from, *user, sent.Message.ID)
	deadline := time.Now().Add(*wait)
	for {
		var got struct {
			Notifications []sandbox.Notification `json:"notifications"`
		}
		if err := a.call(ctx, "GET", "/v1/admin/sandbox/phones/"+url.PathEscape(ph.ID)+"/notifications", nil, &got); err != nil {
			return err
		}
		if len(got.Notifications) > 0 {
			lockScreen(out, &ph, got.Notifications[len(got.Notifications)-1])
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sandbox: no notification on %s after %s; see the trace: %s/console/trace?id=%s", ph.ID, *wait, info.URL, url.QueryEscape(sent.Message.ID))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	fmt.Fprintf(out, "\nSee it on the console's Phones page (tap it for the ext):\n  %s\n", info.ConsoleURL)
	return nil
}

// lockScreen prints n as the phone's lock screen shows it.
func lockScreen(w io.Writer, p *sandbox.Phone, n sandbox.Notification) {
	lines := []string{fmt.Sprintf("%s phone of %s · lock screen", vendorTitle(p.Vendor), p.UserID), "", n.Title, n.Body}
	var meta []string
	if n.Badge != nil {
		meta = append(meta, fmt.Sprintf("badge %d", *n.Badge))
	}
	if n.Sound != "" {
		meta = append(meta, "sound "+n.Sound)
	}
	if n.ChannelID != "" {
		meta = append(meta, "channel "+n.ChannelID)
	}
	if len(meta) > 0 {
		lines = append(lines, strings.Join(meta, " · "))
	}
	width := 0
	for _, l := range lines {
		width = max(width, len([]rune(l)))
	}
	fmt.Fprintln(w, "\n┌"+strings.Repeat("─", width+2)+"┐")
	for _, l := range lines {
		fmt.Fprintf(w, "│ %s%s │\n", l, strings.Repeat(" ", width-len([]rune(l))))
	}
	fmt.Fprintln(w, "└"+strings.Repeat("─", width+2)+"┘")
}

// sandboxAPI calls a sandbox node's admin API with the credentials of its SandboxFile.
type sandboxAPI struct {
	info *app.SandboxInfo
	http *http.Client
}

func (a *sandboxAPI) call(ctx context.Context, method, path string, body, res any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	q := url.Values{"sdkappid": {fmt.Sprint(a.info.SDKAppID)}, "identifier": {a.info.Identifier}, "usersig": {a.info.UserSig}}
	req, err := http.NewRequestWithContext(ctx, method, a.info.URL+path+"?"+q.Encode(), rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		return fmt.Errorf("sandbox node at %s: %w (is herald serve --sandbox running?)", a.info.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Code    int    `json:"code"`
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		json.Unmarshal(b, &e)
		return fmt.Errorf("%s %s: %d %s: %s", method, path, e.Code, e.Error, e.Message)
	}
	if res == nil {
		return nil
	}
	if err := json.Unmarshal(b, res); err != nil {
		return fmt.Errorf("%s %s: decode: %w", method, path, err)
	}
	return nil
}

// Usage describes the command.
func (c *SandboxCommand) Usage() string {
	return `  herald sandbox demo [--data ./herald-data] [--vendor huawei] [--user bob] [--from alice]
      With herald serve --sandbox running: create a simulated phone of --user with its app
      killed, send it a message from --from, and print the notification on its lock screen.
`
}

// vendorTitle is how a vendor's name is written.
func vendorTitle(v push.Vendor) string {
	return map[push.Vendor]string{push.FCM: "FCM", push.APNs: "APNs", push.Huawei: "Huawei", push.Honor: "Honor",
		push.Xiaomi: "Xiaomi", push.OPPO: "OPPO", push.Vivo: "vivo", push.Meizu: "Meizu"}[v]
}
