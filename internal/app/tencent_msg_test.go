package app_test

import (
	"reflect"
	"testing"

	"github.com/herald-im/herald/client"
)

func TestTencent_ImportAndRoam(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenNode(t, MustConfig(t, kind))
		n.MustImport("leckie", "peter")
		peter := MustLogin(t, n, "peter", "p", "Android")
		// importmsg (…/2568) sample: a live import, unread for peter, never delivered
		// online nor pushed.
		a := n.v4(t, "openim/importmsg", `{
			"SyncFromOldSystem": 1,
			"From_Account": "leckie",
			"To_Account": "peter",
			"MsgRandom": 1287657,
			"MsgTimeStamp": 1556178721,
			"MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi, beauty"}}]
		}`, 0)
		if num(a["MsgTime"]) != 1556178721 {
			t.Errorf("MsgTime %v, want the imported time", a["MsgTime"])
		}
		// The same MsgRandom again is not stored twice.
		n.v4(t, "openim/importmsg", `{"SyncFromOldSystem": 1, "From_Account": "leckie", "To_Account": "peter", "MsgRandom": 1287657,
			"MsgTimeStamp": 1556178721, "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi, beauty"}}]}`, 0)
		n.v4(t, "openim/importmsg", `{"SyncFromOldSystem": 2, "From_Account": "leckie", "To_Account": "peter", "MsgTimeStamp": 1556178800,
			"MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "history only"}}]}`, 0)
		if c := countMessages(t, n, "leckie", "peter"); c != 2 {
			t.Errorf("%d messages stored, want 2", c)
		}
		if recs, _ := n.Store.FindPushRecords(ctxT(t), testAppID, a["MsgKey"].(string)); len(recs) != 0 {
			t.Errorf("an imported message was considered for push: %d records", len(recs))
		}
		if c, _ := n.Store.FindConversation(ctxT(t), testAppID, "peter", "c2c_leckie"); c == nil || c.Unread != 1 {
			t.Errorf("peter's conversation %+v, want 1 unread (only the live import)", c)
		}
		n.v4(t, "openim/importmsg", `{"SyncFromOldSystem": 3, "From_Account": "leckie", "To_Account": "peter", "MsgTimeStamp": 1556178800,
			"MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "x"}}]}`, 10004)

		n.v4(t, "openim/sendmsg", `{"From_Account":"leckie","To_Account":"peter","MsgRandom":7,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"live"}}]}`, 0)
		peter.waitMessages(t, 1)

		// admin_getroammsg (…/42794) over the imported window, one message a page.
		body := `{"Operator_Account":"peter","Peer_Account":"leckie","MaxCnt":1,"MinTime":1556178000,"MaxTime":1556179000}`
		a = n.v4(t, "openim/admin_getroammsg", body, 0)
		if num(a["Complete"]) != 0 || num(a["MsgCnt"]) != 1 || field(a, "MsgList", 0, "MsgBody", 0, "MsgContent", "Text") != "history only" {
			t.Fatalf("first page: %v", a)
		}
		a = n.v4(t, "openim/admin_getroammsg", `{"Operator_Account":"peter","Peer_Account":"leckie","MaxCnt":1,"MinTime":1556178000,"MaxTime":1556179000,"LastMsgKey":"`+a["LastMsgKey"].(string)+`"}`, 0)
		if num(a["Complete"]) != 1 || field(a, "MsgList", 0, "MsgBody", 0, "MsgContent", "Text") != "hi, beauty" || num(field(a, "MsgList", 0, "MsgRandom")) != 1287657 {
			t.Errorf("second page: %v", a)
		}
		if field(a, "MsgList", 0, "From_Account") != "leckie" || field(a, "MsgList", 0, "To_Account") != "peter" {
			t.Errorf("second page's sides: %v", field(a, "MsgList", 0))
		}
	})
}

func TestTencent_GroupMessages(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenNode(t, MustConfig(t, kind))
		n.MustImport("leckie", "peter")
		n.v4(t, "group_open_http_svc/create_group", `{"Owner_Account":"leckie","Type":"Public","GroupId":"g1","Name":"G","MemberList":[{"Member_Account":"peter"}]}`, 0)
		// import_group_msg (…/1635) sample shape: two messages, one repeated.
		a := n.v4(t, "group_open_http_svc/import_group_msg", `{
			"GroupId": "g1",
			"RecentContactFlag": 1,
			"MsgList": [
				{"From_Account": "leckie", "SendTime": 1620808101, "Random": 8912345,
				 "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "first message"}}]},
				{"From_Account": "peter", "SendTime": 1620892821,
				 "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "second message"}}]},
				{"From_Account": "leckie", "SendTime": 1620808101, "Random": 8912345,
				 "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "first message"}}]}
			]
		}`, 0)
		var results []int
		for i := range 3 {
			results = append(results, num(field(a, "ImportMsgResult", i, "Result")))
		}
		if !reflect.DeepEqual(results, []int{0, 0, 2}) || num(field(a, "ImportMsgResult", 1, "MsgSeq")) != 2 {
			t.Errorf("ImportMsgResult %v", a["ImportMsgResult"])
		}
		n.v4(t, "group_open_http_svc/send_group_msg", `{"GroupId":"g1","From_Account":"leckie","Random":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"third"}}]}`, 0)

		// group_msg_get_simple (…/2738) sample: the two newest, then from seq 1.
		a = n.v4(t, "group_open_http_svc/group_msg_get_simple", `{"GroupId": "g1", "ReqMsgNumber": 2}`, 0)
		if num(a["IsFinished"]) != 0 || num(field(a, "RspMsgList", 0, "MsgSeq")) != 3 || num(field(a, "RspMsgList", 1, "MsgSeq")) != 2 {
			t.Errorf("newest two: %v", a)
		}
		a = n.v4(t, "group_open_http_svc/group_msg_get_simple", `{"GroupId": "g1", "ReqMsgNumber": 2, "ReqMsgSeq": 1}`, 0)
		if num(a["IsFinished"]) != 1 || len(a["RspMsgList"].([]any)) != 1 || field(a, "RspMsgList", 0, "MsgBody", 0, "MsgContent", "Text") != "first message" {
			t.Errorf("from seq 1: %v", a)
		}
		n.v4(t, "group_open_http_svc/group_msg_get_simple", `{"GroupId": "nope", "ReqMsgNumber": 2}`, 10010)
	})
}

func TestTencent_Recall(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenNode(t, MustConfig(t, kind))
		n.MustImport("vinson", "dramon", "third")
		ctx := ctxT(t)
		phone := MustLogin(t, n, "dramon", "phone", "Android")
		pad := MustLogin(t, n, "dramon", "pad", "iPad")
		a := n.v4(t, "openim/sendmsg", `{"From_Account":"vinson","To_Account":"dramon","MsgRandom":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"oops"}}]}`, 0)
		key := a["MsgKey"].(string)
		phone.waitMessages(t, 1)
		pad.waitMessages(t, 1)
		waitFor(t, "the pad's ack", func() bool {
			d, _ := n.Store.FindDevice(ctx, testAppID, "dramon", "pad")
			return d != nil && d.AckedSeq >= 1
		})
		pad.Close() // the pad is away when the recall happens
		waitDeviceState(t, n, "dramon", "pad", "offline")

		// admin_msgwithdraw (…/38980) sample.
		n.v4(t, "openim/admin_msgwithdraw", `{"From_Account": "vinson", "To_Account": "dramon", "MsgKey": "`+key+`"}`, 0)
		phone.waitFor(t, "the recall", func(d *device) bool { return len(d.revoked) == 1 })
		if r := phone.revoked[0]; r.ID != key || !r.Recalled || len(r.Elements) != 0 {
			t.Errorf("recall notice %+v", r)
		}
		// The pad learns of it when it comes back, from its inbox.
		pad2 := MustLogin(t, n, "dramon", "pad", "iPad")
		pad2.waitFor(t, "the recall after reconnecting", func(d *device) bool { return len(d.revoked) == 1 })
		if pad2.messageCount() != 0 {
			t.Errorf("the pad got %d new messages, want only the recall", pad2.messageCount())
		}
		// The conversation list shows it recalled too.
		list, err := phone.GetConversationList(ctx)
		if err != nil || len(list.Conversations) == 0 || list.Conversations[0].LastMessage == nil ||
			!list.Conversations[0].LastMessage.Recalled || len(list.Conversations[0].LastMessage.Elements) != 0 {
			t.Errorf("conversation list after the recall: %+v, %v", list, err)
		}
		// History shows it recalled, with no content.
		hist, err := phone.GetC2CHistoryMessageList(ctx, "vinson", 10, nil)
		if err != nil || len(hist) != 1 || !hist[0].Recalled || len(hist[0].Elements) != 0 {
			t.Errorf("history after the recall: %+v, %v", hist, err)
		}
		a = n.v4(t, "openim/admin_getroammsg", `{"Operator_Account":"vinson","Peer_Account":"dramon","MaxCnt":10,"MinTime":1,"MaxTime":4102444800}`, 0)
		if num(field(a, "MsgList", 0, "MsgFlagBits")) != 2 {
			t.Errorf("admin_getroammsg MsgFlagBits %v, want 2 (recalled)", field(a, "MsgList", 0, "MsgFlagBits"))
		}
		n.v4(t, "openim/admin_msgwithdraw", `{"From_Account": "vinson", "To_Account": "dramon", "MsgKey": "`+key+`"}`, 20023)
		n.v4(t, "openim/admin_msgwithdraw", `{"From_Account": "vinson", "To_Account": "dramon", "MsgKey": "no-such-key"}`, 20022)

		// group_msg_recall (…/12341) sample shape: one message that exists, one that does not.
		n.v4(t, "group_open_http_svc/create_group", `{"Owner_Account":"vinson","GroupId":"g1","Name":"G","MemberList":[{"Member_Account":"dramon"}]}`, 0)
		n.v4(t, "group_open_http_svc/send_group_msg", `{"GroupId":"g1","From_Account":"vinson","Random":5,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"group oops"}}]}`, 0)
		phone.waitMessages(t, 2)
		a = n.v4(t, "group_open_http_svc/group_msg_recall", `{"GroupId": "g1", "MsgSeqList": [{"MsgSeq": 1}, {"MsgSeq": 99}], "Reason": "reason"}`, 0)
		if c0, c1 := num(field(a, "RecallRetList", 0, "RetCode")), num(field(a, "RecallRetList", 1, "RetCode")); c0 != 0 || c1 != 10030 {
			t.Errorf("RecallRetList %v", a["RecallRetList"])
		}
		phone.waitFor(t, "the group recall", func(d *device) bool { return len(d.revoked) == 2 })
		a = n.v4(t, "group_open_http_svc/group_msg_get_simple", `{"GroupId": "g1", "ReqMsgNumber": 5}`, 0)
		if num(field(a, "RspMsgList", 0, "IsPlaceMsg")) != 1 || len(field(a, "RspMsgList", 0, "MsgBody").([]any)) != 0 {
			t.Errorf("a recalled group message: %v", field(a, "RspMsgList", 0))
		}
	})
}

func TestClient_RevokeMessage(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenNode(t, MustConfig(t, kind))
		n.MustImport("alice", "bob", "carol")
		ctx := ctxT(t)
		alice := MustLogin(t, n, "alice", "a", "Android")
		bob := MustLogin(t, n, "bob", "b", "iOS")
		m, err := alice.SendMessage(ctx, client.NewTextMessage("typo"), "bob", "", "", false, nil)
		if err != nil {
			t.Fatal(err)
		}
		bob.waitMessages(t, 1)
		if _, err := bob.RevokeMessage(ctx, m); errCode(err) != 40301 {
			t.Errorf("bob revoking alice's message: %v, want 40301", err)
		}
		r, err := alice.RevokeMessage(ctx, m)
		if err != nil || !r.Recalled || r.RecalledBy != "alice" {
			t.Fatalf("RevokeMessage = %+v, %v", r, err)
		}
		bob.waitFor(t, "the recall", func(d *device) bool { return len(d.revoked) == 1 && d.revoked[0].ID == m.ID })
		if _, err := alice.RevokeMessage(ctx, m); errCode(err) != 40901 {
			t.Errorf("second revoke: %v, want 40901", err)
		}

		// A group admin may recall a member's message; a plain member may not.
		g, err := alice.CreateGroup(ctx, "grp", "G", []string{"bob", "carol"})
		if err != nil {
			t.Fatal(err)
		}
		carol := MustLogin(t, n, "carol", "c", "Android")
		gm, err := carol.SendMessage(ctx, client.NewTextMessage("spam"), "", g.ID, "", false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bob.RevokeMessage(ctx, gm); errCode(err) != 40301 {
			t.Errorf("a plain member revoking: %v, want 40301", err)
		}
		if _, err := alice.RevokeMessage(ctx, gm); err != nil {
			t.Errorf("the owner revoking: %v", err)
		}
		carol.waitFor(t, "the group recall", func(d *device) bool { return len(d.revoked) == 1 })
	})
}
