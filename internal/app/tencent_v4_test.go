package app_test

// End-to-end tests of the /v4 commands a chat app's server calls daily, each with the
// request bodies the commercial documentation shows (quoted; only the account and group
// IDs are made to exist here), on every store.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/herald-im/herald/client"
	"github.com/herald-im/herald/internal/store"
)

// v4 calls command with a raw JSON body as the app admin and returns the answer as a
// generic map; it fails unless the answer is OK (or, with wantCode != 0, FAIL with it).
func (n *node) v4(tb testing.TB, command, body string, wantCode int) map[string]any {
	tb.Helper()
	q := fmt.Sprintf("sdkappid=%d&identifier=administrator&usersig=%s&random=%d&contenttype=json",
		testAppID, url.QueryEscape(sig(tb, "administrator")), time.Now().UnixNano()%1e9)
	res, err := http.Post("http://"+n.Addr()+"/v4/"+command+"?"+q, "application/json", strings.NewReader(body))
	if err != nil {
		tb.Fatalf("%s: %v", command, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var a map[string]any
	if err := json.Unmarshal(raw, &a); err != nil || res.StatusCode != 200 {
		tb.Fatalf("%s: HTTP %d %s", command, res.StatusCode, raw)
	}
	code := int(a["ErrorCode"].(float64))
	if wantCode == 0 && (a["ActionStatus"] != "OK" || code != 0) {
		tb.Fatalf("%s: %s, want OK", command, raw)
	}
	if wantCode != 0 && (a["ActionStatus"] != "FAIL" || code != wantCode || a["ErrorInfo"] == "") {
		tb.Fatalf("%s: %s, want FAIL %d with an ErrorInfo", command, raw, wantCode)
	}
	return a
}

// field walks a decoded answer: keys for objects, ints for arrays.
func field(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func num(v any) int { f, _ := v.(float64); return int(f) }

func TestTencent_Accounts(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenNode(t, MustConfig(t, kind))
		ctx := ctxT(t)

		// account_import (cloud.tencent.com/document/product/269/1608) with the older
		// Identifier field, as older servers send it.
		n.v4(t, "im_open_login_svc/account_import", `{"Identifier":"test","Nick":"test","FaceUrl":"http://www.qq.com"}`, 0)
		if a, err := n.Store.FindAccount(ctx, testAppID, "test"); err != nil || a.Nickname != "test" {
			t.Fatalf("imported with Identifier: %+v, %v", a, err)
		}
		a := n.v4(t, "im_open_login_svc/account_import", `{"Nick":"x"}`, 10004)
		if info := a["ErrorInfo"].(string); !strings.Contains(info, "UserID") || strings.Contains(info, "user_id") || strings.Contains(info, "accounts[") {
			t.Errorf("ErrorInfo %q: must name the commercial field UserID, not Herald's", info)
		}
		a = n.v4(t, "im_open_login_svc/account_import", `{"UserID":"bad id!"}`, 10004)
		if info := a["ErrorInfo"].(string); strings.Contains(info, "user_id") || strings.Contains(info, "accounts[") {
			t.Errorf("ErrorInfo %q uses Herald's internal names", info)
		}

		n.MustImport("UserID_1")
		// account_check (…/38417) sample.
		a = n.v4(t, "im_open_login_svc/account_check", `{"CheckItem":[{"UserID":"UserID_1"},{"UserID":"UserID_2"}]}`, 0)
		got := map[string]string{}
		for i := range 2 {
			got[field(a, "ResultItem", i, "UserID").(string)] = field(a, "ResultItem", i, "AccountStatus").(string)
		}
		if want := map[string]string{"UserID_1": "Imported", "UserID_2": "NotImported"}; !reflect.DeepEqual(got, want) {
			t.Errorf("account_check: %v, want %v", got, want)
		}

		// kick (…/3853): the logged-in device is told and logged out.
		d := MustLogin(t, n, "UserID_1", "phone", "Android")
		n.v4(t, "im_open_login_svc/kick", `{"UserID":"UserID_1"}`, 0)
		d.waitFor(t, "a kick", func(d *device) bool { return len(d.kicked) == 1 })
		waitDeviceState(t, n, "UserID_1", "phone", store.LoggedOut)
		n.v4(t, "im_open_login_svc/kick", `{"UserID":"nobody"}`, 70107)

		// account_delete (…/36443) sample: one existing account, one never imported.
		if err := n.Store.AddUserTags(ctx, testAppID, "UserID_1", []string{"vip"}); err != nil {
			t.Fatal(err)
		}
		a = n.v4(t, "im_open_login_svc/account_delete", `{"DeleteItem":[{"UserID":"UserID_1"},{"UserID":"UserID_2"}]}`, 0)
		if c := num(field(a, "ResultItem", 0, "ResultCode")); c != 0 {
			t.Errorf("delete UserID_1: ResultCode %d", c)
		}
		if c := num(field(a, "ResultItem", 1, "ResultCode")); c != 70107 || field(a, "ResultItem", 1, "ResultInfo") == "" {
			t.Errorf("delete UserID_2 (never imported): %v", field(a, "ResultItem", 1))
		}
		if _, err := n.Store.FindAccount(ctx, testAppID, "UserID_1"); err == nil {
			t.Error("UserID_1 still exists after account_delete")
		}
		if tags, _ := n.Store.FindUserTags(ctx, testAppID, "UserID_1"); len(tags) != 0 {
			t.Errorf("UserID_1's tags outlived it: %v", tags)
		}
	})
}

func TestTencent_QueryOnlineStatus(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenNode(t, MustConfig(t, kind))
		n.MustImport("id1", "id2")
		MustLogin(t, n, "id1", "d", "iOS")
		// query_online_status (…/2566) sample with details.
		a := n.v4(t, "openim/query_online_status", `{"IsNeedDetail": 1, "To_Account": ["id1", "id2", "id4"]}`, 0)
		states := map[string]string{}
		for i := range 2 {
			states[field(a, "QueryResult", i, "To_Account").(string)], _ = field(a, "QueryResult", i, "State").(string)
		}
		if want := map[string]string{"id1": "Online", "id2": "Offline"}; !reflect.DeepEqual(states, want) {
			t.Errorf("State per account %v, want %v", states, want)
		}
		if p, s := field(a, "QueryResult", 0, "Detail", 0, "Platform"), field(a, "QueryResult", 0, "Detail", 0, "Status"); p != "iPhone" || s != "Online" {
			t.Errorf("id1's Detail: %v %v", p, s)
		}
		if field(a, "ErrorList", 0, "To_Account") != "id4" || num(field(a, "ErrorList", 0, "ErrorCode")) != 70107 {
			t.Errorf("ErrorList %v", a["ErrorList"])
		}
	})
}

func TestTencent_Portrait(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenNode(t, MustConfig(t, kind))
		n.MustImport("id1", "id2")
		// portrait_set (…/1640): the sample's fields, plus a numeric one.
		n.v4(t, "profile/portrait_set", `{
			"From_Account":"id1",
			"ProfileItem":[
				{"Tag":"Tag_Profile_IM_Nick","Value":"MyNickName"},
				{"Tag":"Tag_Profile_IM_Gender","Value":"Gender_Type_Male"},
				{"Tag":"Tag_Profile_IM_AllowType","Value":"AllowType_Type_NeedConfirm"},
				{"Tag":"Tag_Profile_IM_Level","Value":3},
				{"Tag":"Tag_Profile_Custom_Test","Value":"Custom value"}
			]
		}`, 0)
		if a, _ := n.Store.FindAccount(ctxT(t), testAppID, "id1"); a.Nickname != "MyNickName" {
			t.Errorf("nickname %q after portrait_set", a.Nickname)
		}
		n.v4(t, "profile/portrait_set", `{"From_Account":"id1","ProfileItem":[{"Tag":"Tag_Profile_IM_Gender","Value":"Robot"}]}`, 40001)
		n.v4(t, "profile/portrait_set", `{"From_Account":"id1","ProfileItem":[{"Tag":"Tag_Profile_IM_Nope","Value":"x"}]}`, 40001)
		n.v4(t, "profile/portrait_set", `{"From_Account":"ghost","ProfileItem":[{"Tag":"Tag_Profile_IM_Nick","Value":"x"}]}`, 40003)

		// portrait_get (…/1639) sample: "Read multiple profile fields of multiple users".
		a := n.v4(t, "profile/portrait_get", `{"To_Account":["id1","id2","id3"],"TagList":["Tag_Profile_IM_Nick","Tag_Profile_IM_AllowType","Tag_Profile_IM_SelfSignature","Tag_Profile_Custom_Test","Tag_Profile_IM_Level"]}`, 0)
		items := map[string]any{}
		for i := range 5 {
			items[field(a, "UserProfileItem", 0, "ProfileItem", i, "Tag").(string)] = field(a, "UserProfileItem", 0, "ProfileItem", i, "Value")
		}
		want := map[string]any{"Tag_Profile_IM_Nick": "MyNickName", "Tag_Profile_IM_AllowType": "AllowType_Type_NeedConfirm",
			"Tag_Profile_IM_SelfSignature": "", "Tag_Profile_Custom_Test": "Custom value", "Tag_Profile_IM_Level": float64(3)}
		if !reflect.DeepEqual(items, want) {
			t.Errorf("id1's profile %v, want %v", items, want)
		}
		if c := num(field(a, "UserProfileItem", 2, "ResultCode")); c != 40003 {
			t.Errorf("id3 (never imported): ResultCode %d, want 40003", c)
		}
		if !reflect.DeepEqual(a["FailAccount"], []any{"id3"}) {
			t.Errorf("FailAccount %v", a["FailAccount"])
		}
	})
}

func TestTencent_GroupAdmin(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenNode(t, MustConfig(t, kind))
		n.MustImport("leckie", "peter", "bob")
		n.v4(t, "group_open_http_svc/create_group", `{"Owner_Account":"leckie","Type":"Work","GroupId":"MyFirstGroup","Name":"TestGroup",
			"Introduction":"This is group Introduction","MemberList":[{"Member_Account":"peter"},{"Member_Account":"bob"}]}`, 0)

		// modify_group_base_info (…/1620) sample.
		n.v4(t, "group_open_http_svc/modify_group_base_info", `{
			"GroupId": "MyFirstGroup",
			"Name": "NewName",
			"Introduction": "NewIntroduction",
			"Notification": "NewNotification",
			"FaceUrl": "http://this.is.new.face.url",
			"MaxMemberNum": 500
		}`, 0)
		// get_group_info (…/1616) sample, with one group that does not exist.
		a := n.v4(t, "group_open_http_svc/get_group_info", `{"GroupIdList": ["MyFirstGroup", "NoSuchGroup"]}`, 0)
		g := field(a, "GroupInfo", 0).(map[string]any)
		for k, want := range map[string]any{"Name": "NewName", "Introduction": "NewIntroduction", "Notification": "NewNotification",
			"FaceUrl": "http://this.is.new.face.url", "Owner_Account": "leckie", "Type": "Work", "MemberNum": float64(3), "MaxMemberNum": float64(500)} {
			if g[k] != want {
				t.Errorf("get_group_info %s = %v, want %v", k, g[k], want)
			}
		}
		if c := num(field(a, "GroupInfo", 1, "ErrorCode")); c != 10010 {
			t.Errorf("missing group: ErrorCode %d, want 10010", c)
		}

		// modify_group_member_info (…/1623) sample.
		n.v4(t, "group_open_http_svc/modify_group_member_info", `{
			"GroupId": "MyFirstGroup",
			"Member_Account": "bob",
			"Role": "Admin",
			"MsgFlag": "AcceptNotNotify",
			"NameCard": "bob",
			"ShutUpTime": 0
		}`, 0)
		// get_group_member_info (…/1617) sample.
		a = n.v4(t, "group_open_http_svc/get_group_member_info", `{"GroupId":"MyFirstGroup","Limit":2,"Offset":0}`, 0)
		if num(a["MemberNum"]) != 3 || len(a["MemberList"].([]any)) != 2 {
			t.Errorf("MemberNum %v, %d members in a page of 2", a["MemberNum"], len(a["MemberList"].([]any)))
		}
		bob := field(a, "MemberList", 0).(map[string]any)
		if bob["Member_Account"] != "bob" || bob["Role"] != "Admin" || bob["MsgFlag"] != "AcceptNotNotify" || bob["NameCard"] != "bob" {
			t.Errorf("bob: %v", bob)
		}

		// forbid_send_msg (…/1627) sample: peter cannot send from his device for 60 s.
		n.v4(t, "group_open_http_svc/forbid_send_msg", `{"GroupId": "MyFirstGroup", "Members_Account": ["peter"], "ShutUpTime": 60}`, 0)
		peter := MustLogin(t, n, "peter", "p", "Android")
		if _, err := peter.SendMessage(ctxT(t), client.NewTextMessage("hi"), "", "MyFirstGroup", "", false, nil); errCode(err) != 40301 {
			t.Errorf("a muted member's send: %v, want 40301", err)
		}
		a = n.v4(t, "group_open_http_svc/get_group_member_info", `{"GroupId":"MyFirstGroup","Limit":3,"Offset":1}`, 0)
		if until := num(field(a, "MemberList", 1, "ShutUpUntil")); field(a, "MemberList", 1, "Member_Account") != "peter" || until < int(time.Now().Unix()) {
			t.Errorf("peter's ShutUpUntil %d", until)
		}
		n.v4(t, "group_open_http_svc/forbid_send_msg", `{"GroupId": "MyFirstGroup", "Members_Account": ["peter"], "ShutUpTime": 0}`, 0)
		if _, err := peter.SendMessage(ctxT(t), client.NewTextMessage("hi"), "", "MyFirstGroup", "", false, nil); err != nil {
			t.Errorf("send after the mute was lifted: %v", err)
		}

		// change_group_owner (…/1633) sample.
		n.v4(t, "group_open_http_svc/change_group_owner", `{"GroupId": "MyFirstGroup", "NewOwner_Account": "peter"}`, 0)
		if g, _ := n.Store.FindGroup(ctxT(t), testAppID, "MyFirstGroup"); g.OwnerID != "peter" {
			t.Errorf("owner %q after change_group_owner", g.OwnerID)
		}
		if m, _ := n.Store.FindGroupMember(ctxT(t), testAppID, "MyFirstGroup", "leckie"); m.Role != store.Member {
			t.Errorf("old owner's role %q", m.Role)
		}
		n.v4(t, "group_open_http_svc/change_group_owner", `{"GroupId": "MyFirstGroup", "NewOwner_Account": "stranger"}`, 10007)

		// get_joined_group_list (…/1625) sample.
		a = n.v4(t, "group_open_http_svc/get_joined_group_list", `{"Member_Account": "bob", "Limit": 10, "Offset": 0}`, 0)
		if num(a["TotalCount"]) != 1 || field(a, "GroupIdList", 0, "GroupId") != "MyFirstGroup" {
			t.Errorf("get_joined_group_list: %v", a)
		}

		// destroy_group (…/1624) sample.
		n.v4(t, "group_open_http_svc/destroy_group", `{"GroupId": "MyFirstGroup"}`, 0)
		a = n.v4(t, "group_open_http_svc/get_group_info", `{"GroupIdList": ["MyFirstGroup"]}`, 0)
		if c := num(field(a, "GroupInfo", 0, "ErrorCode")); c != 10010 {
			t.Errorf("destroyed group: ErrorCode %d, want 10010", c)
		}
		n.v4(t, "group_open_http_svc/destroy_group", `{"GroupId": "MyFirstGroup"}`, 10010)
	})
}

// TestTencent_ErrorTextsNameCommercialFields: a bad field is named as the caller wrote
// it, never by Herald's internal name.
func TestTencent_ErrorTextsNameCommercialFields(t *testing.T) {
	n := MustOpenNode(t, MustConfig(t, "sqlite"))
	n.MustImport("alice", "bob")
	for _, c := range []struct{ command, body, field string }{
		{"openim/sendmsg", `{"From_Account":"bad id!","To_Account":"bob","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}`, "From_Account"},
		{"openim/sendmsg", `{"From_Account":"alice","To_Account":"bad id!","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}`, "To_Account"},
		{"openim/sendmsg", `{"From_Account":"alice","To_Account":"alice","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}`, "To_Account"},
		{"im_open_login_svc/kick", `{"UserID":""}`, "UserID"},
		{"group_open_http_svc/modify_group_member_info", `{"GroupId":"g","Member_Account":"a b"}`, "Member_Account"},
	} {
		a := n.v4(t, c.command, c.body, 10004)
		info := a["ErrorInfo"].(string)
		if !strings.Contains(info, c.field) {
			t.Errorf("%s %s: ErrorInfo %q does not name %s", c.command, c.body, info, c.field)
		}
		for _, internal := range []string{"user_id", "from:", "to:", "accounts["} {
			if strings.Contains(info, internal) {
				t.Errorf("%s: ErrorInfo %q uses Herald's name %q", c.command, info, internal)
			}
		}
	}
}

func TestTencent_ReadRolesMutes(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenNode(t, MustConfig(t, kind))
		n.MustImport("dramon", "teleni", "leckie", "peter")
		for _, text := range []string{"a", "b"} {
			n.v4(t, "openim/sendmsg", `{"From_Account":"teleni","To_Account":"dramon","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"`+text+`"}}]}`, 0)
		}
		// get_c2c_unread_msg_num (…/56043) sample.
		a := n.v4(t, "openim/get_c2c_unread_msg_num", `{"To_Account": "dramon", "Peer_Account": ["teleni", "leckie"]}`, 0)
		if num(a["AllC2CUnreadMsgNum"]) != 2 || num(field(a, "C2CUnreadMsgNumList", 0, "C2CUnreadMsgNum")) != 2 || num(field(a, "C2CUnreadMsgNumList", 1, "C2CUnreadMsgNum")) != 0 {
			t.Errorf("get_c2c_unread_msg_num %v", a)
		}
		// admin_set_msg_read (…/50349) sample.
		n.v4(t, "openim/admin_set_msg_read", `{"Report_Account": "dramon", "Peer_Account": "teleni"}`, 0)
		a = n.v4(t, "openim/get_c2c_unread_msg_num", `{"To_Account": "dramon"}`, 0)
		if num(a["AllC2CUnreadMsgNum"]) != 0 {
			t.Errorf("unread after admin_set_msg_read: %v", a["AllC2CUnreadMsgNum"])
		}
		n.v4(t, "openim/admin_set_msg_read", `{"Report_Account": "dramon", "Peer_Account": "peter"}`, 0) // no conversation: nothing to read

		n.v4(t, "group_open_http_svc/create_group", `{"Owner_Account":"leckie","GroupId":"g1","Name":"G","MemberList":[{"Member_Account":"peter"}]}`, 0)
		// get_role_in_group (…/1626) sample shape.
		a = n.v4(t, "group_open_http_svc/get_role_in_group", `{"GroupId": "g1", "User_Account": ["leckie", "peter", "dramon"]}`, 0)
		roles := []any{field(a, "UserIdList", 0, "Role"), field(a, "UserIdList", 1, "Role"), field(a, "UserIdList", 2, "Role")}
		if want := []any{"Owner", "Member", "NotMember"}; !reflect.DeepEqual(roles, want) {
			t.Errorf("roles %v, want %v", roles, want)
		}
		// get_group_shutted_uin (…/2925) sample.
		n.v4(t, "group_open_http_svc/forbid_send_msg", `{"GroupId": "g1", "Members_Account": ["peter"], "ShutUpTime": 600}`, 0)
		a = n.v4(t, "group_open_http_svc/get_group_shutted_uin", `{"GroupId": "g1"}`, 0)
		if list, _ := a["ShuttedUinList"].([]any); len(list) != 1 || field(a, "ShuttedUinList", 0, "Member_Account") != "peter" || num(field(a, "ShuttedUinList", 0, "ShuttedUntil")) < int(time.Now().Unix()+590) {
			t.Errorf("get_group_shutted_uin %v", a)
		}
	})
}

func TestTencent_AppGroupListAndImportMember(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenNode(t, MustConfig(t, kind))
		n.MustImport("leckie", "tommy", "jared")
		for _, g := range []string{`"GroupId":"a1","Type":"Public"`, `"GroupId":"a2","Type":"Work"`, `"GroupId":"a3"`} {
			n.v4(t, "group_open_http_svc/create_group", `{"Owner_Account":"leckie","Name":"G",`+g+`}`, 0)
		}
		// get_appid_group_list (…/1614) sample, one group a page.
		a := n.v4(t, "group_open_http_svc/get_appid_group_list", `{"Limit": 1, "Next": 0}`, 0)
		if num(a["TotalCount"]) != 3 || field(a, "GroupIdList", 0, "GroupId") != "a1" || num(a["Next"]) != 1 {
			t.Fatalf("first page %v", a)
		}
		a = n.v4(t, "group_open_http_svc/get_appid_group_list", `{"Limit": 1, "Next": 1}`, 0)
		if field(a, "GroupIdList", 0, "GroupId") != "a2" {
			t.Errorf("second page %v", a)
		}
		a = n.v4(t, "group_open_http_svc/get_appid_group_list", `{"Limit": 1000, "Next": 0, "GroupType": "Public"}`, 0)
		if got := a["GroupIdList"].([]any); len(got) != 2 || num(a["Next"]) != 0 {
			t.Errorf("Public groups %v, want a1 and a3 (no type is Public) and no next page", got)
		}

		// import_group_member (…/1636) sample.
		a = n.v4(t, "group_open_http_svc/import_group_member", `{
			"GroupId": "a1",
			"MemberList": [
				{"Member_Account": "tommy", "Role": "Admin", "JoinTime": 1448357837, "UnreadMsgNum": 5},
				{"Member_Account": "jared", "JoinTime": 1448357857, "UnreadMsgNum": 2},
				{"Member_Account": "ghost"}
			]
		}`, 0)
		results := []int{num(field(a, "MemberList", 0, "Result")), num(field(a, "MemberList", 1, "Result")), num(field(a, "MemberList", 2, "Result"))}
		if !reflect.DeepEqual(results, []int{1, 1, 0}) {
			t.Errorf("import_group_member results %v", results)
		}
		a = n.v4(t, "group_open_http_svc/get_role_in_group", `{"GroupId": "a1", "User_Account": ["tommy", "jared"]}`, 0)
		if field(a, "UserIdList", 0, "Role") != "Admin" || field(a, "UserIdList", 1, "Role") != "Member" {
			t.Errorf("roles after import %v", a["UserIdList"])
		}
	})
}

func TestTencent_NoSpeaking(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenNode(t, MustConfig(t, kind))
		n.MustImport("xx", "bob")
		ctx := ctxT(t)
		// setnospeaking (…/4230) sample: one-to-one for good, groups for 2 hours.
		n.v4(t, "openconfigsvr/setnospeaking", `{"Set_Account": "xx", "C2CmsgNospeakingTime": 4294967295, "GroupmsgNospeakingTime": 7200}`, 0)
		a := n.v4(t, "openconfigsvr/getnospeaking", `{"Get_Account": "xx"}`, 0)
		if c, g := num(a["C2CmsgNospeakingTime"]), num(a["GroupmsgNospeakingTime"]); c < 4294967000 || g < 7190 || g > 7200 {
			t.Errorf("getnospeaking %d %d", c, g)
		}
		xx := MustLogin(t, n, "xx", "d", "Android")
		if _, err := xx.SendMessage(ctx, client.NewTextMessage("hi"), "bob", "", "", false, nil); errCode(err) != 40301 {
			t.Errorf("a muted user's send: %v, want 40301", err)
		}
		// The app's server may still send on its behalf.
		n.v4(t, "openim/sendmsg", `{"From_Account":"xx","To_Account":"bob","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"by admin"}}]}`, 0)
		n.v4(t, "openconfigsvr/setnospeaking", `{"Set_Account": "xx", "C2CmsgNospeakingTime": 0}`, 0)
		if _, err := xx.SendMessage(ctx, client.NewTextMessage("hi"), "bob", "", "", false, nil); err != nil {
			t.Errorf("send after the mute was lifted: %v", err)
		}
		a = n.v4(t, "openconfigsvr/getnospeaking", `{"Get_Account": "xx"}`, 0)
		if num(a["C2CmsgNospeakingTime"]) != 0 || num(a["GroupmsgNospeakingTime"]) == 0 {
			t.Errorf("after lifting the one-to-one mute: %v", a)
		}
		// The mute is not a profile field.
		var p struct{ Items map[string]string }
		n.adminJSON("GET", "/v1/admin/users/xx/profile", nil, &p)
		if len(p.Items) != 0 {
			t.Errorf("profile items %v, want none", p.Items)
		}
		n.v4(t, "openconfigsvr/getnospeaking", `{"Get_Account": "ghost"}`, 70107)
	})
}
