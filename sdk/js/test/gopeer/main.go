// Command gopeer is the Go SDK's end of the JavaScript SDK's tests: it drives one
// client.Client from JSON lines on stdin and writes what the client sees as JSON lines
// on stdout, so that a test in Node can talk to a real Go client.
//
// Commands: {"id":1,"cmd":"login","url":…,"sdkappid":…,"user":…,"sig":…,"device":…,"platform":…},
// {"id":2,"cmd":"send","to":…,"group_id":…,"text":…}, {"id":3,"cmd":"close"}. Each is answered
// by {"id":N} (with "message" for a send) or {"id":N,"error":…}; events are
// {"event":"message","message":…}, {"event":"kicked","kicked":…} and {"event":"state","state":…}.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/herald-im/herald/client"
)

type command struct {
	ID       int    `json:"id"`
	Cmd      string `json:"cmd"`
	URL      string `json:"url"`
	SDKAppID int64  `json:"sdkappid"`
	User     string `json:"user"`
	Sig      string `json:"sig"`
	Device   string `json:"device"`
	Platform string `json:"platform"`
	To       string `json:"to"`
	GroupID  string `json:"group_id"`
	Text     string `json:"text"`
}

func main() {
	var mu sync.Mutex // protects stdout
	out := json.NewEncoder(os.Stdout)
	emit := func(v any) {
		mu.Lock()
		defer mu.Unlock()
		out.Encode(v)
	}
	var c *client.Client
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	for in.Scan() {
		var cmd command
		if err := json.Unmarshal(in.Bytes(), &cmd); err != nil {
			emit(map[string]any{"error": "bad command: " + err.Error()})
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		var err error
		res := map[string]any{"id": cmd.ID}
		switch cmd.Cmd {
		case "login":
			c = client.New(client.Config{
				URL: cmd.URL, SDKAppID: cmd.SDKAppID, DeviceID: cmd.Device, Platform: cmd.Platform,
				Listener: client.Listener{
					OnNewMessage:    func(m *client.Message) { emit(map[string]any{"event": "message", "message": m}) },
					OnKickedOffline: func(k *client.Kicked) { emit(map[string]any{"event": "kicked", "kicked": k}) },
					OnConnectionChanged: func(s client.ConnState, _ error) {
						emit(map[string]any{"event": "state", "state": s.String()})
					},
				},
			})
			err = c.Login(ctx, cmd.User, cmd.Sig)
		case "send":
			var m *client.Message
			m, err = c.SendMessage(ctx, client.NewTextMessage(cmd.Text), cmd.To, cmd.GroupID, client.PriorityDefault, false, nil)
			res["message"] = m
		case "close":
			err = c.Close()
		default:
			err = fmt.Errorf("unknown command %q", cmd.Cmd)
		}
		cancel()
		if err != nil {
			res["error"] = err.Error()
		}
		emit(res)
	}
}
