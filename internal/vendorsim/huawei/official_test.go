package huawei_test

import (
	"strings"
	"testing"
)

// TestServer_OfficialShapes sends requests shaped like the ones Huawei's own Push Kit
// documentation and server SDKs send: a data-only message (once a nil-pointer crash in
// delivered) and a notification carrying every documented AndroidNotification field.
func TestServer_OfficialShapes(t *testing.T) {
	t.Run("OK_DataOnly", func(t *testing.T) {
		f := mustFixture(t)
		tok := f.sim.Register(f.creds.AppID)
		// Push Kit "Sending a data message" sample.
		body := `{"validate_only":false,"message":{"data":"{'param1':'value1','param2':'value2'}","token":["` + tok + `"]}}`
		status, ans := f.send(t, f.creds.AppID, f.mustToken(t), body)
		if status != 200 || ans["code"] != "80000000" {
			t.Fatalf("got %d %v", status, ans)
		}
		if in := f.sim.Inbox(tok); len(in) != 1 || in[0].Title != "" {
			t.Fatalf("inbox %+v", in)
		}
	})
	t.Run("OK_DataOnlyAndroidData", func(t *testing.T) {
		f := mustFixture(t)
		tok := f.sim.Register(f.creds.AppID)
		body := `{"message":{"android":{"urgency":"NORMAL","ttl":"10000s","data":"{\"ext\":\"x\"}"},"token":["` + tok + `"]}}`
		status, ans := f.send(t, f.creds.AppID, f.mustToken(t), body)
		if status != 200 || ans["code"] != "80000000" {
			t.Fatalf("got %d %v", status, ans)
		}
		if in := f.sim.Inbox(tok); len(in) != 1 || in[0].Ext != "x" {
			t.Fatalf("inbox %+v", in)
		}
	})
	t.Run("OK_EveryDocumentedField", func(t *testing.T) {
		f := mustFixture(t)
		tok := f.sim.Register(f.creds.AppID)
		// Push Kit "Sending a notification message" sample, android.notification in full.
		body := `{"validate_only":false,"message":{"android":{"collapse_key":-1,"urgency":"NORMAL","category":"IM",
"ttl":"86400s","bi_tag":"Trump","fast_app_target":2,"notification":{"title":"test title","body":"test body",
"icon":"/raw/ic_launcher2","color":"#AACCDD","sound":"/raw/shake","default_sound":true,"tag":"tagBoom",
"click_action":{"type":1,"intent":"intent://com.huawei.codelabpush/deeplink?#Intent;scheme=pushscheme;launchFlags=0x4000000;i.age=180;S.name=abc;end"},
"body_loc_key":"demo_body_key","body_loc_args":["boy","dog"],"title_loc_key":"demo_title_key","title_loc_args":["Girl","Cat"],
"multi_lang_key":{"title_key":{"en":"good","zh":"好"}},"channel_id":"RingRing","notify_summary":"some summary",
"image":"https://example.com/image.png","style":1,"big_title":"Big Boom Title","big_body":"Big Boom Body",
"auto_clear":86400000,"notify_id":486,"group":"Espace","badge":{"add_num":1,"class":"Classic","set_num":10},
"ticker":"i am a ticker","auto_cancel":false,"when":"2014-10-02T15:01:23.045123456Z","local_only":false,
"importance":"NORMAL","use_default_vibrate":true,"use_default_light":true,"vibrate_config":["1","3"],
"visibility":"PUBLIC","light_settings":{"color":{"alpha":0,"red":0,"green":1,"blue":1},"light_on_duration":"3.5","light_off_duration":"5s"},
"foreground_show":true,"inbox_content":["1.content","2.content"],
"buttons":[{"name":"Open app","action_type":0,"intent_type":0,"intent":"","data":""}],"profile_id":"p1"}},
"token":["` + tok + `"]}}`
		status, ans := f.send(t, f.creds.AppID, f.mustToken(t), strings.ReplaceAll(body, "\n", ""))
		if status != 200 || ans["code"] != "80000000" {
			t.Fatalf("got %d %v", status, ans)
		}
		in := f.sim.Inbox(tok)
		if len(in) != 1 || in[0].Title != "test title" || in[0].ChannelID != "RingRing" || in[0].Badge == nil || *in[0].Badge != 10 {
			t.Fatalf("inbox %+v", in)
		}
	})
	t.Run("ErrUnknownField", func(t *testing.T) {
		f := mustFixture(t)
		tok := f.sim.Register(f.creds.AppID)
		status, ans := f.send(t, f.creds.AppID, f.mustToken(t), message([]string{tok}, `,"no_such_field":1`))
		if status != 400 || ans["code"] != "80100003" {
			t.Fatalf("got %d %v", status, ans)
		}
	})
}
