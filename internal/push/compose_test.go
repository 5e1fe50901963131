package push_test

import (
	"testing"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

func TestCompose_Body(t *testing.T) {
	c2c := &store.Message{ID: "m1", Type: store.TypeC2C, From: "alice", To: "bob", Seq: 3}
	group := &store.Message{ID: "m2", Type: store.TypeGroup, From: "alice", GroupID: "g1", AtUserIDs: []string{"bob"}}
	atAll := &store.Message{ID: "m3", Type: store.TypeGroup, From: "alice", GroupID: "g1", AtAll: true}
	cert := &push.Certificate{Vendor: push.Xiaomi}
	text := []protocol.Element{{Type: protocol.ElemText, Text: "hello"}}
	tests := []struct {
		name      string
		m         *store.Message
		elems     []protocol.Element
		info      *protocol.OfflinePushInfo
		recipient string
		title     string
		body      string
	}{
		{"Text", c2c, text, nil, "bob", "Alice", "hello"},
		{"PushInfoWins", c2c, text, &protocol.OfflinePushInfo{Title: "T", Desc: "D"}, "bob", "T", "D"},
		{"Image", c2c, []protocol.Element{{Type: protocol.ElemImage, URL: "https://x/i.png"}}, nil, "bob", "Alice", "[Image]"},
		{"Sound", c2c, []protocol.Element{{Type: protocol.ElemSound}}, nil, "bob", "Alice", "[Voice]"},
		{"Video", c2c, []protocol.Element{{Type: protocol.ElemVideo}}, nil, "bob", "Alice", "[Video]"},
		{"File", c2c, []protocol.Element{{Type: protocol.ElemFile}}, nil, "bob", "Alice", "[File]"},
		{"Location", c2c, []protocol.Element{{Type: protocol.ElemLocation}}, nil, "bob", "Alice", "[Location]"},
		{"Face", c2c, []protocol.Element{{Type: protocol.ElemFace}}, nil, "bob", "Alice", "[Sticker]"},
		{"Merged", c2c, []protocol.Element{{Type: protocol.ElemMerged}}, nil, "bob", "Alice", "[Chat History]"},
		{"CustomDesc", c2c, []protocol.Element{{Type: protocol.ElemCustom, Data: "x", Desc: "a gift"}}, nil, "bob", "Alice", "a gift"},
		{"GroupAtYou", group, text, nil, "bob", "Team", "[@you] Alice: hello"},
		{"GroupNotYou", group, text, nil, "carol", "Team", "Alice: hello"},
		{"GroupAtAll", atAll, text, nil, "carol", "Team", "[@all] Alice: hello"},
	}
	for _, tt := range tests {
		n := push.Compose(push.ComposeInput{Message: tt.m, Elements: tt.elems, PushInfo: tt.info, SenderName: "Alice", GroupName: "Team", Recipient: tt.recipient, Certificate: cert})
		if n.Title != tt.title || n.Body != tt.body {
			t.Errorf("%s: got title %q body %q, want %q %q", tt.name, n.Title, n.Body, tt.title, tt.body)
		}
	}
}

func TestCompose_Vendor(t *testing.T) {
	m := &store.Message{ID: "m1", Type: store.TypeC2C, From: "alice", To: "bob", Seq: 3}
	elems := []protocol.Element{{Type: protocol.ElemText, Text: "hi"}}
	vivoSystem := 1
	info := &protocol.OfflinePushInfo{
		Ext: `{"k":1}`, FCMChannelID: "fcm-chat", OPPOChannelID: "oppo-chat", OPPOCategory: "IM",
		HuaweiCategory: "IM", HuaweiImportance: "NORMAL", VivoCategory: "IM", VivoClassification: &vivoSystem,
		IOSSound: "ding.caf", IgnoreIOSBadge: true, IOSPushType: "voip", IOSSubtitle: "sub",
	}
	badge := 4
	compose := func(c *push.Certificate, info *protocol.OfflinePushInfo) *push.Notification {
		return push.Compose(push.ComposeInput{Message: m, Elements: elems, PushInfo: info, SenderName: "Alice", Recipient: "bob", Certificate: c, Badge: &badge})
	}
	if n := compose(&push.Certificate{Vendor: push.FCM, ChannelID: "default"}, info); n.ChannelID != "fcm-chat" || n.Ext != `{"k":1}` {
		t.Errorf("fcm: %+v", n)
	}
	if n := compose(&push.Certificate{Vendor: push.FCM, ChannelID: "default"}, nil); n.ChannelID != "default" {
		t.Errorf("fcm default channel: %q", n.ChannelID)
	}
	if n := compose(&push.Certificate{Vendor: push.OPPO, Category: "MARKETING"}, info); n.ChannelID != "oppo-chat" || n.Category != "IM" {
		t.Errorf("oppo: %+v", n)
	}
	if n := compose(&push.Certificate{Vendor: push.Huawei}, info); n.Category != "IM" || n.Importance != "NORMAL" {
		t.Errorf("huawei: %+v", n)
	}
	if n := compose(&push.Certificate{Vendor: push.Vivo}, info); n.Category != "IM" || n.Classification == nil || *n.Classification != 1 {
		t.Errorf("vivo: %+v", n)
	}
	n := compose(&push.Certificate{Vendor: push.APNs}, info)
	if n.Sound != "ding.caf" || n.Badge != nil || n.PushType != push.VoIP || n.Subtitle != "sub" || n.ThreadID != "c2c_alice" {
		t.Errorf("apns: %+v", n)
	}
	if n := compose(&push.Certificate{Vendor: push.APNs}, &protocol.OfflinePushInfo{IOSSound: "push.no_sound"}); n.Sound != push.NoSound || n.Badge == nil || *n.Badge != 4 {
		t.Errorf("apns silent: %+v", n)
	}
	if n := compose(&push.Certificate{Vendor: push.APNs}, nil); n.Sound != "default" {
		t.Errorf("apns default sound: %q", n.Sound)
	}
	// Without an ext of its own, the app is told which conversation to open.
	if n := compose(&push.Certificate{Vendor: push.Xiaomi}, nil); n.Ext != `{"herald":{"conversation_id":"c2c_alice","message_id":"m1","seq":3}}` {
		t.Errorf("default ext: %s", n.Ext)
	}
}

func TestCustomWithoutDesc(t *testing.T) {
	custom := []protocol.Element{{Type: protocol.ElemCustom, Data: "x"}}
	if !push.CustomWithoutDesc(custom, nil) {
		t.Error("custom without desc must be reported")
	}
	if push.CustomWithoutDesc(custom, &protocol.OfflinePushInfo{Desc: "d"}) {
		t.Error("a push info desc is enough")
	}
	if push.CustomWithoutDesc([]protocol.Element{{Type: protocol.ElemCustom, Desc: "d"}}, nil) {
		t.Error("an element desc is enough")
	}
	if push.CustomWithoutDesc([]protocol.Element{{Type: protocol.ElemText, Text: "t"}}, nil) {
		t.Error("text is not custom")
	}
}
