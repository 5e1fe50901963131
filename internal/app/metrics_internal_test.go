package app

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/protocol"
)

// TestMessageEventPrefix keeps deliveryCounter's cheap test true to im.Event's encoding.
func TestMessageEventPrefix(t *testing.T) {
	for _, tt := range []struct {
		ev   im.Event
		want bool
	}{
		{im.Event{Kind: im.EventMessage, SourceDevice: "d", Message: &protocol.Message{ID: "m"}}, true},
		{im.Event{Kind: im.EventConversation}, false},
		{im.Event{Kind: im.EventKick}, false},
	} {
		data, err := json.Marshal(&tt.ev)
		if err != nil {
			t.Fatal(err)
		}
		if got := bytes.HasPrefix(data, messageEventPrefix); got != tt.want {
			t.Errorf("%s event %s: counted %v, want %v", tt.ev.Kind, data, got, tt.want)
		}
	}
}
