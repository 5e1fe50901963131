package vivo

import (
	"encoding/json"
	"time"

	"github.com/herald-im/herald/internal/push"
)

// ClassifyAnswer classifies a vivo answer with HTTP status and body, for table tests.
func ClassifyAnswer(status int, body string, now time.Time) (push.Outcome, time.Duration, string) {
	if status != 200 {
		return classify(nil, &statusError{Status: status, Body: body}, now)
	}
	resp := &response{}
	if err := json.Unmarshal([]byte(body), resp); err != nil {
		panic(err)
	}
	return classify(resp, nil, now)
}

// MessageJSON returns the /message/send body the Sender builds for n, without regId.
func MessageJSON(c *push.Certificate, n *push.Notification) (map[string]any, error) {
	m, err := newMessage(c, n)
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(m)
	var out map[string]any
	return out, json.Unmarshal(b, &out)
}

// RequestID exposes requestID.
var RequestID = requestID
