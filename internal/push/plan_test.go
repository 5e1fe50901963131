package push_test

import (
	"testing"

	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/store"
)

func TestDecide(t *testing.T) {
	bound := func(state store.DeviceState, background bool) *store.Device {
		return &store.Device{State: state, Background: background, CertificateID: 7, PushToken: "tok"}
	}
	msg := push.MessageFacts{From: "alice"}
	tests := []struct {
		name string
		m    push.MessageFacts
		t    push.TargetFacts
		want push.Decision
	}{
		{"OfflineLoggedIn", msg, push.TargetFacts{UserID: "bob", Device: bound(store.Offline, false)}, push.Push},
		{"Background", msg, push.TargetFacts{UserID: "bob", Device: bound(store.Online, true)}, push.Push},
		{"Foreground", msg, push.TargetFacts{UserID: "bob", Device: bound(store.Online, false)}, push.SkipForeground},
		{"LoggedOut", msg, push.TargetFacts{UserID: "bob", Device: bound(store.LoggedOut, false)}, push.SkipLoggedOut},
		{"NoToken", msg, push.TargetFacts{UserID: "bob", Device: &store.Device{State: store.Offline}}, push.SkipNoToken},
		{"Disabled", push.MessageFacts{From: "alice", PushDisabled: true}, push.TargetFacts{UserID: "bob", Device: bound(store.Offline, false)}, push.SkipDisabled},
		{"Sender", msg, push.TargetFacts{UserID: "alice", Device: bound(store.Offline, false)}, push.SkipSender},
		{"NotReceive", msg, push.TargetFacts{UserID: "bob", Device: bound(store.Offline, false), RecvOpt: store.NotReceive}, push.SkipNotReceive},
		{"NoNotify", msg, push.TargetFacts{UserID: "bob", Device: bound(store.Offline, false), RecvOpt: store.ReceiveNoNotify}, push.SkipNoNotify},
		{"ExceptAtNotMentioned", msg, push.TargetFacts{UserID: "bob", Device: bound(store.Offline, false), RecvOpt: store.ReceiveNoNotifyExceptAt}, push.SkipNotMentioned},
		{"ExceptAtMentioned", msg, push.TargetFacts{UserID: "bob", Device: bound(store.Offline, false), RecvOpt: store.ReceiveNoNotifyExceptAt, Mentioned: true}, push.Push},
		{"DND", msg, push.TargetFacts{UserID: "bob", Device: bound(store.Offline, false), InDND: true}, push.SkipDND},
		{"AdminIgnoresDND", push.MessageFacts{From: "alice", IgnoreDND: true}, push.TargetFacts{UserID: "bob", Device: bound(store.Offline, false), InDND: true}, push.Push},
		{"CustomNoDesc", push.MessageFacts{From: "alice", CustomNoDesc: true}, push.TargetFacts{UserID: "bob", Device: bound(store.Offline, false)}, push.SkipContent},
		// The first matching rule decides: a muted, logged-out device is "no_notify".
		{"Order", msg, push.TargetFacts{UserID: "bob", Device: bound(store.LoggedOut, false), RecvOpt: store.ReceiveNoNotify}, push.SkipNoNotify},
	}
	for _, tt := range tests {
		if got := push.Decide(tt.m, tt.t); got != tt.want {
			t.Errorf("%s: Decide(%+v, %+v) = %s, want %s", tt.name, tt.m, tt.t, got, tt.want)
		}
	}
}
