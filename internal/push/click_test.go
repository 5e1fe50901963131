package push_test

import (
	"errors"
	"testing"

	"github.com/herald-im/herald/internal/push"
)

const demoIntent = "intent://com.tencent.qcloud/detail#Intent;scheme=pushscheme;launchFlags=0x4000000;component=com.tencent.qcloud.tim.tuikit/com.tencent.qcloud.tim.demo.main.MainActivity;end"

func TestParseIntentURI(t *testing.T) {
	u, err := push.ParseIntentURI(demoIntent)
	if err != nil {
		t.Fatal(err)
	}
	if u.HostPath != "com.tencent.qcloud/detail" || u.Extras["scheme"] != "pushscheme" || u.Extras["launchFlags"] != "0x4000000" {
		t.Errorf("parsed %+v", u)
	}
	for _, bad := range []string{
		"https://example.com",
		"intent://x/y;end",
		"intent://x/y#Intent;scheme=a",
		"intent://x/y#Intent;noequals;end",
	} {
		if _, err := push.ParseIntentURI(bad); err == nil {
			t.Errorf("ParseIntentURI(%q) must fail", bad)
		}
	}
}

func TestClickAction_Validate(t *testing.T) {
	tests := []struct {
		name   string
		c      push.ClickAction
		vendor push.Vendor
		ok     bool
	}{
		{"OpenAppDefault", push.ClickAction{}, push.FCM, true},
		{"OpenAppWithTarget", push.ClickAction{Type: push.ClickOpenApp, Target: "x"}, push.Xiaomi, false},
		{"IntentXiaomi", push.ClickAction{Type: push.ClickOpenPage, Target: demoIntent}, push.Xiaomi, true},
		{"IntentHuawei", push.ClickAction{Type: push.ClickOpenPage, Target: demoIntent}, push.Huawei, true},
		{"BadIntentVivo", push.ClickAction{Type: push.ClickOpenPage, Target: "intent://x"}, push.Vivo, false},
		{"ActivityOPPO", push.ClickAction{Type: push.ClickOpenPage, Target: "com.example.MainActivity"}, push.OPPO, true},
		{"IntentForOPPO", push.ClickAction{Type: push.ClickOpenPage, Target: demoIntent}, push.OPPO, false},
		{"ActivityMeizu", push.ClickAction{Type: push.ClickOpenPage, Target: "com.example.chat.Main"}, push.Meizu, true},
		{"URL", push.ClickAction{Type: push.ClickOpenURL, Target: "https://example.com/a"}, push.Honor, true},
		{"NotURL", push.ClickAction{Type: push.ClickOpenURL, Target: "ftp://x"}, push.Honor, false},
		{"URLOnFCM", push.ClickAction{Type: push.ClickOpenURL, Target: "https://example.com"}, push.FCM, false},
		{"PageOnAPNs", push.ClickAction{Type: push.ClickOpenPage, Target: demoIntent}, push.APNs, false},
		{"UnknownType", push.ClickAction{Type: "teleport"}, push.Xiaomi, false},
	}
	for _, tt := range tests {
		err := tt.c.Validate(tt.vendor)
		if (err == nil) != tt.ok {
			t.Errorf("%s: Validate(%s) = %v, want ok=%v", tt.name, tt.vendor, err, tt.ok)
		}
		if err != nil && !errors.Is(err, push.ErrInvalidClickAction) {
			t.Errorf("%s: error %v does not wrap ErrInvalidClickAction", tt.name, err)
		}
	}
}

func TestIsActivityClass(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"com.example.chat.MainActivity", true},
		{"a.B", true},
		{"com.example.Outer$Inner", true},
		{"MainActivity", false},
		{"Main Activity", false},
		{"com..example.Main", false},
		{"com.example.", false},
		{"1com.example.Main", false},
		{"", false},
	} {
		if got := push.IsActivityClass(tt.in); got != tt.want {
			t.Errorf("IsActivityClass(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
