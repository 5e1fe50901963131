package push_test

import (
	"errors"
	"strings"
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

// TestClickAction_ValidateFor_Hostile: the click actions a hostile tenant could store
// (run script, open a foreign app, inject lines, exhaust memory) are refused.
func TestClickAction_ValidateFor_Hostile(t *testing.T) {
	const pkg = "com.example.chat"
	page := func(s string) push.ClickAction { return push.ClickAction{Type: push.ClickOpenPage, Target: s} }
	ok := []push.ClickAction{
		page("intent://chat/open#Intent;scheme=examplechat;package=com.example.chat;component=com.example.chat/.MainActivity;S.browser_fallback_url=https%3A%2F%2Fexample.com%2Fapp;end"),
		{Type: push.ClickOpenURL, Target: "https://example.com/a?b=c"},
	}
	for _, c := range ok {
		if err := c.ValidateFor(push.Xiaomi, pkg); err != nil {
			t.Errorf("ValidateFor(%q) = %v, want ok", c.Target, err)
		}
	}
	bad := map[string]push.ClickAction{
		"SchemeJavascript":   page("intent://x#Intent;scheme=javascript;end"),
		"SchemeFile":         page("intent://x#Intent;scheme=FILE;end"),
		"FallbackJavascript": page("intent://x#Intent;scheme=examplechat;S.browser_fallback_url=javascript:alert(1);end"),
		"FallbackEncodedJS":  page("intent://x#Intent;S.browser_fallback_url=javascript%3Aalert(1);end"),
		"ForeignComponent":   page("intent://x#Intent;component=com.evil.bank/.StealActivity;end"),
		"ForeignPackage":     page("intent://x#Intent;package=com.evil.bank;end"),
		"Newline":            page("intent://x\n#Intent;scheme=examplechat;end"),
		"NUL":                page("intent://x\x00#Intent;scheme=examplechat;end"),
		"Huge":               page("intent://" + strings.Repeat("a", 100<<10) + "#Intent;end"),
		"URLUserinfo":        {Type: push.ClickOpenURL, Target: "https://user:pass@example.com/"},
		"URLJavascript":      {Type: push.ClickOpenURL, Target: "javascript:alert(1)"},
		"URLNewline":         {Type: push.ClickOpenURL, Target: "https://example.com/\r\nX: y"},
	}
	for name, c := range bad {
		err := c.ValidateFor(push.Xiaomi, pkg)
		if err == nil || !errors.Is(err, push.ErrInvalidClickAction) {
			t.Errorf("%s: ValidateFor = %v, want ErrInvalidClickAction", name, err)
		}
	}
}
