package push_test

import (
	"strings"
	"testing"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// TestComposeRecall checks, per vendor, that the replacement carries the original's
// replace key (which each sender maps to its vendor's field) and none of its content.
func TestComposeRecall(t *testing.T) {
	m := &store.Message{ID: "0190-msg", Type: store.TypeC2C, From: "alice", To: "bob", Seq: 3}
	elems := []protocol.Element{{Type: protocol.ElemText, Text: "my secret"}}
	badge := 2
	for _, v := range []push.Vendor{push.APNs, push.FCM, push.Huawei, push.Honor, push.Xiaomi, push.OPPO, push.Vivo, push.Meizu} {
		in := push.ComposeInput{Message: m, Elements: elems, SenderName: "Alice", Recipient: "bob", Certificate: &push.Certificate{Vendor: v, Classification: 1}, Badge: &badge}
		orig, recall := push.Compose(in), push.ComposeRecall(in)
		key := func(n *push.Notification) string { return n.CollapseID + "|" + n.Tag }
		switch {
		case v == push.FCM && (orig.Tag != m.ID || orig.CollapseID != ""):
			t.Errorf("%s: original tag %q collapse %q, want the message ID as a tag only (collapse_key keeps 4 keys)", v, orig.Tag, orig.CollapseID)
		case v != push.FCM && orig.CollapseID != m.ID:
			t.Errorf("%s: original collapse ID %q, want the message ID", v, orig.CollapseID)
		}
		if recall.CollapseID != m.ID || recall.Tag != m.ID {
			t.Errorf("%s: recall replace key %q, want the message ID (original %q)", v, key(recall), key(orig))
		}
		if recall.Body != push.RecalledBody || strings.Contains(recall.Ext, "secret") || recall.Badge != nil || recall.Title != orig.Title {
			t.Errorf("%s: recall %+v", v, recall)
		}
		if v == push.Vivo && (recall.Classification == nil || *recall.Classification != 1) {
			t.Errorf("vivo: recall classification %v, want the original's (system)", recall.Classification)
		}
	}
	voip := push.ComposeInput{Message: m, Elements: elems, Recipient: "bob", Certificate: &push.Certificate{Vendor: push.APNs, VoIP: true}}
	if n := push.ComposeRecall(voip); n != nil {
		t.Errorf("VoIP recall %+v, want nil (no notification to replace)", n)
	}
}

func TestCompose_TTLCollapsePriority(t *testing.T) {
	m := &store.Message{ID: "0190-msg", Type: store.TypeC2C, From: "alice", To: "bob"}
	elems := []protocol.Element{{Type: protocol.ElemText, Text: "hi"}}
	info := &protocol.OfflinePushInfo{TTL: 3600, CollapseID: "score", PushPriority: "normal"}
	for _, v := range []push.Vendor{push.APNs, push.FCM, push.Xiaomi} {
		in := push.ComposeInput{Message: m, Elements: elems, PushInfo: info, Recipient: "bob", Certificate: &push.Certificate{Vendor: v}}
		n := push.Compose(in)
		if n.TTL.Seconds() != 3600 || n.CollapseID != "score" || n.Priority != push.Normal {
			t.Errorf("%s: TTL %v collapse %q priority %v, want 1h, score, normal", v, n.TTL, n.CollapseID, n.Priority)
		}
		if r := push.ComposeRecall(in); r.CollapseID != "score" {
			t.Errorf("%s: recall collapse %q, want the sender's collapse ID", v, r.CollapseID)
		}
	}
	n := push.Compose(push.ComposeInput{Message: m, Elements: elems, Recipient: "bob", Certificate: &push.Certificate{Vendor: push.APNs}})
	if n.TTL != 0 || n.Priority != push.High {
		t.Errorf("defaults: TTL %v priority %v, want 0 (vendor default) and high", n.TTL, n.Priority)
	}
}
