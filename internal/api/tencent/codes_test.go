package tencent_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/herald-im/herald/internal/api/tencent"
	"github.com/herald-im/herald/internal/auth"
	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/protocol"
)

func TestCodeOf(t *testing.T) {
	for _, test := range []struct {
		err      error
		code     int
		internal bool
	}{
		{errcode.Errorf(errcode.InvalidRequest, "x"), 10004, false},
		{errcode.Errorf(errcode.InvalidUserID, "x"), 10004, false},
		{errcode.Errorf(errcode.UserNotFound, "x"), 70107, false},
		{errcode.Errorf(errcode.GroupNotFound, "x"), 10010, false},
		{errcode.Errorf(errcode.PermissionDenied, "x"), 10007, false},
		{errcode.Errorf(errcode.MessageTooLarge, "x"), 93000, false},
		{errcode.Errorf(errcode.Conflict, "x"), 10021, false},
		{fmt.Errorf("send: %w", errcode.Errorf(errcode.UserNotFound, "x")), 70107, false},
		{fmt.Errorf("disk on fire"), 10002, true},
		{&tencent.Error{Code: 90001, Info: "bad json"}, 90001, false},
		{fmt.Errorf("wrapped: %w", &tencent.Error{Code: 70001, Info: "expired", Err: auth.ErrSigExpired}), 70001, false},
	} {
		code, info, internal := tencent.CodeOf(test.err)
		if code != test.code || internal != test.internal || info == "" {
			t.Errorf("CodeOf(%v) got %d %q internal=%v, want %d internal=%v", test.err, code, info, internal, test.code, test.internal)
		}
	}
	// Every Herald code maps to a Tencent code.
	for _, c := range errcode.Codes() {
		if c == errcode.OK {
			continue
		}
		if code, _, _ := tencent.CodeOf(errcode.Errorf(c, "x")); code == 0 {
			t.Errorf("Herald code %d (%s) maps to 0", c, c.Name())
		}
	}
}

func TestConvert(t *testing.T) {
	one := 1
	for _, test := range []struct {
		name     string
		body     string
		info     string
		elems    []protocol.Element
		pushInfo *protocol.OfflinePushInfo
		code     int // the failure's Tencent code, 0 for success
	}{
		{name: "text, no push info", body: `[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]`,
			elems: []protocol.Element{{Type: "text", Text: "hi"}}},
		{name: "image without an original takes the first size", body: `[{"MsgType":"TIMImageElem","MsgContent":{"ImageInfoArray":[{"Type":2,"URL":"https://x/l.jpg","Width":9}]}}]`,
			elems: []protocol.Element{{Type: "image", URL: "https://x/l.jpg", Width: 9}}},
		{name: "every push field", body: `[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]`,
			info:  `{"PushFlag":1,"Title":"t","Desc":"d","Ext":"{}","AndroidInfo":{"Sound":"s","HuaWeiCategory":"IM","HuaWeiImportance":"NORMAL","HuaWeiImage":"https://x/h","XiaoMiChannelID":"xm","OPPOChannelID":"op","OPPOCategory":"IM","OPPONotifyLevel":2,"OPPOPrivateMsgTemplateId":"tpl","VIVOClassification":1,"VIVOCategory":"IM","GoogleChannelID":"g","GoogleImage":"https://x/g","HonorImportance":"NORMAL","HonorImage":"https://x/ho","MeiZuNoticeMsgType":1},"ApnsInfo":{"Sound":"a.caf","BadgeMode":1,"Title":"ignored","SubTitle":"sub","Image":"https://x/i","MutableContent":1}}`,
			elems: []protocol.Element{{Type: "text", Text: "hi"}},
			pushInfo: &protocol.OfflinePushInfo{
				DisablePush: true, Title: "t", Desc: "d", Ext: "{}",
				AndroidSound: "s", HuaweiCategory: "IM", HuaweiImportance: "NORMAL", HuaweiImage: "https://x/h",
				XiaomiChannelID: "xm", OPPOChannelID: "op", OPPOCategory: "IM", OPPONotifyLevel: 2, OPPOTemplateID: "tpl",
				VivoClassification: &one, VivoCategory: "IM", FCMChannelID: "g", FCMImage: "https://x/g",
				HonorImportance: "NORMAL", HonorImage: "https://x/ho", MeizuNoticeMsgType: &one,
				IOSSound: "a.caf", IgnoreIOSBadge: true, IOSSubtitle: "sub", IOSImage: "https://x/i", IOSMutableContent: true,
			}},
		{name: "APNs title fills an empty title", body: `[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]`, info: `{"ApnsInfo":{"Title":"ios"}}`,
			elems: []protocol.Element{{Type: "text", Text: "hi"}}, pushInfo: &protocol.OfflinePushInfo{Title: "ios"}},
		{name: "push info wins over the custom element", body: `[{"MsgType":"TIMCustomElem","MsgContent":{"Data":"d","Ext":"elem","Sound":"elem.caf"}}]`, info: `{"Ext":"info"}`,
			elems: []protocol.Element{{Type: "custom", Data: "d", Ext: "elem"}}, pushInfo: &protocol.OfflinePushInfo{Ext: "info", IOSSound: "elem.caf"}},
		{name: "ErrEmpty", body: `[]`, code: 10004},
		{name: "ErrUnknownType", body: `[{"MsgType":"TIMRelayElem","MsgContent":{}}]`, code: 10004},
		{name: "ErrContentType", body: `[{"MsgType":"TIMTextElem","MsgContent":{"Text":5}}]`, code: 90001},
	} {
		t.Run(test.name, func(t *testing.T) {
			var body []tencent.MsgElem
			if err := json.Unmarshal([]byte(test.body), &body); err != nil {
				t.Fatal(err)
			}
			var info *tencent.OfflinePushInfo
			if test.info != "" {
				if err := json.Unmarshal([]byte(test.info), &info); err != nil {
					t.Fatal(err)
				}
			}
			elems, pushInfo, err := tencent.Convert(body, info)
			if test.code != 0 {
				if code, _, _ := tencent.CodeOf(err); err == nil || code != test.code {
					t.Fatalf("Convert(%s) got err %v, want code %d", test.body, err, test.code)
				}
				return
			}
			if err != nil {
				t.Fatalf("Convert(%s): %v", test.body, err)
			}
			if !reflect.DeepEqual(elems, test.elems) {
				t.Errorf("Convert(%s) elements got %+v, want %+v", test.body, elems, test.elems)
			}
			if !reflect.DeepEqual(pushInfo, test.pushInfo) {
				t.Errorf("Convert(%s, %s) push info got %+v, want %+v", test.body, test.info, pushInfo, test.pushInfo)
			}
		})
	}
}
