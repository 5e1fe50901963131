package app_test

import (
	"strconv"
	"testing"
	"time"
)

// TestTencent_RecentContactGetList: recentcontact/get_list
// (tencentcloud.com/document/product/1047/43087) with the commercial sample request,
// on every store: a user's one-to-one and group conversations, newest first, the
// commercial item shape, paging by the answered cursor, and an unknown account.
func TestTencent_RecentContactGetList(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenNode(t, MustConfig(t, kind))
		n.MustImport("id1", "id2", "id4")
		n.v4(t, "group_open_http_svc/create_group", `{"Owner_Account":"id4","Type":"Public","GroupId":"id3","Name":"g","MemberList":[{"Member_Account":"id1"}]}`, 0)
		// The one-to-one message is imported with a time 100 s ago: the group's is the newer.
		n.v4(t, "openim/importmsg", `{"SyncFromOldSystem":1,"From_Account":"id2","To_Account":"id1","MsgRandom":1,"MsgTimeStamp":`+
			strconv.FormatInt(time.Now().Unix()-100, 10)+`,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]}`, 0)
		n.v4(t, "group_open_http_svc/send_group_msg", `{"GroupId":"id3","From_Account":"id4","Random":2,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"all"}}]}`, 0)

		// The documentation's sample request.
		a := n.v4(t, "recentcontact/get_list", `{
  "From_Account": "id1",
  "TimeStamp": 0,
  "StartIndex": 0,
  "TopTimeStamp": 0,
  "TopStartIndex": 0,
  "AssistFlags": 7
}`, 0)
		items, _ := a["SessionItem"].([]any)
		if len(items) != 2 || num(a["CompleteFlag"]) != 1 {
			t.Fatalf("get_list: %v, want 2 conversations and CompleteFlag 1", a)
		}
		if field(a, "SessionItem", 0, "Type") != 2.0 || field(a, "SessionItem", 0, "GroupId") != "id3" ||
			field(a, "SessionItem", 1, "Type") != 1.0 || field(a, "SessionItem", 1, "To_Account") != "id2" {
			t.Errorf("SessionItem %v, want the group id3 (Type 2) then id2 (Type 1)", items)
		}
		t0, t1 := num(field(a, "SessionItem", 0, "MsgTime")), num(field(a, "SessionItem", 1, "MsgTime"))
		now := int(time.Now().Unix())
		if t0 <= t1 || t0 > now || now-t0 > 60 || field(a, "SessionItem", 0, "TopFlag") != 0.0 {
			t.Errorf("MsgTime %d then %d (now %d), TopFlag %v: want seconds, newest first, not pinned", t0, t1, now, field(a, "SessionItem", 0, "TopFlag"))
		}
		if _, ok := field(a, "SessionItem", 0, "To_Account").(string); ok {
			t.Errorf("a group item carries To_Account: %v", items[0])
		}

		// The cursor: the second item alone from StartIndex 1 with the answered TimeStamp.
		ts := num(a["TimeStamp"])
		if ts < t0 {
			t.Errorf("TimeStamp %d before the newest conversation %d", ts, t0)
		}
		b := n.v4(t, "recentcontact/get_list", `{"From_Account":"id1","TimeStamp":`+strconv.Itoa(ts)+`,"StartIndex":1,"TopTimeStamp":0,"TopStartIndex":0,"AssistFlags":7}`, 0)
		if items, _ := b["SessionItem"].([]any); len(items) != 1 || field(b, "SessionItem", 0, "To_Account") != "id2" || num(b["StartIndex"]) != 2 || num(b["CompleteFlag"]) != 1 {
			t.Errorf("page from StartIndex 1: %v, want id2 only, StartIndex 2, complete", b)
		}
		// Before every conversation: nothing.
		c := n.v4(t, "recentcontact/get_list", `{"From_Account":"id1","TimeStamp":`+strconv.Itoa(t1-1)+`,"StartIndex":0,"TopTimeStamp":0,"TopStartIndex":0,"AssistFlags":7}`, 0)
		if items, ok := c["SessionItem"].([]any); !ok || len(items) != 0 {
			t.Errorf("cursor before every message: %v, want an empty SessionItem", c)
		}
		n.v4(t, "recentcontact/get_list", `{"From_Account":"nobody","TimeStamp":0,"StartIndex":0,"TopTimeStamp":0,"TopStartIndex":0,"AssistFlags":7}`, 70107)
		n.v4(t, "recentcontact/get_list", `{"TimeStamp":0,"StartIndex":0}`, 10004)
	})
}
