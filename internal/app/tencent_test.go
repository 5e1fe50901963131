package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/auth"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// timAnswer holds every field the Tencent-compatible answers carry.
type timAnswer struct {
	ActionStatus string
	ErrorCode    int
	ErrorInfo    string
	MsgKey       string
	MsgTime      int64
	MsgSeq       int64
	GroupID      string `json:"GroupId"`
	FailAccounts []string
	ErrorList    []struct {
		ToAccount string `json:"To_Account"`
		ErrorCode int
	}
	MemberList []struct {
		MemberAccount string `json:"Member_Account"`
		Result        int
	}
	TaskID      string `json:"TaskId"` // timpush/push
	QueryResult []struct {
		ToAccount string `json:"To_Account"`
		Status    string
		Detail    []struct{ Platform, Status string }
	}
}

// tim calls POST /v4/<command> as the app admin with body (JSON-encoded unless it is
// a string) and returns the answer, which must come with HTTP 200.
func (n *node) tim(command string, body any) timAnswer {
	n.tb.Helper()
	q := fmt.Sprintf("sdkappid=%d&identifier=administrator&usersig=%s&random=%d&contenttype=json",
		testAppID, url.QueryEscape(sig(n.tb, "administrator")), time.Now().UnixNano()%1e9)
	return n.timRaw("POST", command, q, body)
}

func (n *node) timRaw(method, command, query string, body any) timAnswer {
	n.tb.Helper()
	data, isString := body.(string)
	if !isString {
		b, err := json.Marshal(body)
		if err != nil {
			n.tb.Fatal(err)
		}
		data = string(b)
	}
	req, _ := http.NewRequest(method, "http://"+n.Addr()+"/v4/"+command+"?"+query, strings.NewReader(data))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		n.tb.Fatalf("%s: %v", command, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		n.tb.Fatalf("%s: HTTP %d, want 200 (Tencent answers errors in the body)", command, res.StatusCode)
	}
	var a timAnswer
	if err := json.NewDecoder(res.Body).Decode(&a); err != nil {
		n.tb.Fatalf("decode %s: %v", command, err)
	}
	return a
}

// mustOK fails unless a is an OK answer.
func mustOK(tb testing.TB, what string, a timAnswer) timAnswer {
	tb.Helper()
	if a.ActionStatus != "OK" || a.ErrorCode != 0 {
		tb.Fatalf("%s: %s %d %q, want OK", what, a.ActionStatus, a.ErrorCode, a.ErrorInfo)
	}
	return a
}

// wantFail checks that a is a FAIL answer with code.
func wantFail(tb testing.TB, what string, a timAnswer, code int) {
	tb.Helper()
	if a.ActionStatus != "FAIL" || a.ErrorCode != code || a.ErrorInfo == "" {
		tb.Errorf("%s: %s %d %q, want FAIL %d with an ErrorInfo", what, a.ActionStatus, a.ErrorCode, a.ErrorInfo, code)
	}
}

func text(s string) []map[string]any {
	return []map[string]any{{"MsgType": "TIMTextElem", "MsgContent": map[string]any{"Text": s}}}
}

// countMessages returns how many messages are stored between a and b.
func countMessages(tb testing.TB, n *node, a, b string) int {
	tb.Helper()
	ms, err := n.Store.FindMessages(context.Background(), store.MessageFilter{SDKAppID: testAppID, Channel: store.C2CChannel(a, b), Limit: 100})
	if err != nil {
		tb.Fatal(err)
	}
	return len(ms)
}

func TestTencent_AccountImport(t *testing.T) {
	n := MustOpenNode(t, MustConfig(t, "sqlite"))
	ctx := ctxT(t)
	mustOK(t, "account_import", n.tim("im_open_login_svc/account_import", map[string]any{"UserID": "alice", "Nick": "Alice", "FaceUrl": "https://img.example.com/a.png"}))
	a, err := n.Store.FindAccount(ctx, testAppID, "alice")
	if err != nil || a.Nickname != "Alice" || a.FaceURL != "https://img.example.com/a.png" {
		t.Fatalf("alice after import: %+v, %v", a, err)
	}

	res := mustOK(t, "multiaccount_import", n.tim("im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"alice", "bob", "bad id!"}}))
	if !reflect.DeepEqual(res.FailAccounts, []string{"bad id!"}) {
		t.Errorf("FailAccounts %q, want the invalid ID only", res.FailAccounts)
	}
	if _, err := n.Store.FindAccount(ctx, testAppID, "bob"); err != nil {
		t.Errorf("bob not imported: %v", err)
	}
	if a, _ := n.Store.FindAccount(ctx, testAppID, "alice"); a.Nickname != "Alice" {
		t.Errorf("re-importing alice changed her nickname to %q", a.Nickname)
	}
	wantFail(t, "account_import without a UserID", n.tim("im_open_login_svc/account_import", map[string]any{"Nick": "x"}), 10004)
}

func TestTencent_SendMsg(t *testing.T) {
	n := MustOpenNode(t, MustConfig(t, "sqlite"))
	n.MustImport("alice", "bob")
	bob := MustLogin(t, n, "bob", "b1", "Android")

	body := []map[string]any{
		{"MsgType": "TIMTextElem", "MsgContent": map[string]any{"Text": "hi"}},
		{"MsgType": "TIMCustomElem", "MsgContent": map[string]any{"Data": `{"k":1}`, "Desc": "a card", "Ext": "e", "Sound": "dingdong.aiff"}},
		{"MsgType": "TIMImageElem", "MsgContent": map[string]any{"UUID": "u1", "ImageFormat": 1, "ImageInfoArray": []map[string]any{
			{"Type": 1, "Size": 1000, "Width": 640, "Height": 480, "URL": "https://img.example.com/o.jpg"},
			{"Type": 3, "Size": 100, "Width": 64, "Height": 48, "URL": "https://img.example.com/t.jpg"},
		}}},
		{"MsgType": "TIMSoundElem", "MsgContent": map[string]any{"Url": "https://media.example.com/s.m4a", "Size": 2000, "Second": 7}},
		{"MsgType": "TIMVideoFileElem", "MsgContent": map[string]any{"VideoUrl": "https://media.example.com/v.mp4", "VideoSize": 5000, "VideoSecond": 12,
			"ThumbUrl": "https://media.example.com/v.jpg", "ThumbWidth": 320, "ThumbHeight": 240}},
		{"MsgType": "TIMFileElem", "MsgContent": map[string]any{"Url": "https://media.example.com/f.pdf", "FileSize": 3000, "FileName": "f.pdf"}},
		{"MsgType": "TIMLocationElem", "MsgContent": map[string]any{"Desc": "Shenzhen", "Latitude": 22.54, "Longitude": 114.06}},
		{"MsgType": "TIMFaceElem", "MsgContent": map[string]any{"Index": 3, "Data": "smile"}},
	}
	want := []protocol.Element{
		{Type: "text", Text: "hi"},
		{Type: "custom", Data: `{"k":1}`, Desc: "a card", Ext: "e"},
		{Type: "image", URL: "https://img.example.com/o.jpg", ThumbURL: "https://img.example.com/t.jpg", Size: 1000, Width: 640, Height: 480},
		{Type: "sound", URL: "https://media.example.com/s.m4a", Size: 2000, Duration: 7},
		{Type: "video", URL: "https://media.example.com/v.mp4", ThumbURL: "https://media.example.com/v.jpg", Size: 5000, Width: 320, Height: 240, Duration: 12},
		{Type: "file", URL: "https://media.example.com/f.pdf", Size: 3000, Name: "f.pdf"},
		{Type: "location", Desc: "Shenzhen", Latitude: 22.54, Longitude: 114.06},
		{Type: "face", Index: 3, Data: "smile"},
	}
	send := map[string]any{"SyncOtherMachine": 2, "From_Account": "alice", "To_Account": "bob", "MsgRandom": 42, "MsgBody": body}
	res := mustOK(t, "sendmsg", n.tim("openim/sendmsg", send))
	if res.MsgKey == "" || time.Since(time.Unix(res.MsgTime, 0)).Abs() > time.Minute {
		t.Errorf("MsgKey %q MsgTime %d: want the message ID and the time now", res.MsgKey, res.MsgTime)
	}
	got := bob.waitMessages(t, 1)[0]
	if got.ID != res.MsgKey || got.From != "alice" || !reflect.DeepEqual(got.Elements, want) {
		t.Errorf("bob got %s from %s with elements\n%+v\nwant %s from alice with\n%+v", got.ID, got.From, got.Elements, res.MsgKey, want)
	}
	// The custom element's Sound is the APNs sound, its Ext the APNs ext.
	if pi := got.OfflinePushInfo; pi == nil || pi.IOSSound != "dingdong.aiff" || pi.Ext != "e" {
		t.Errorf("push info from the custom element: %+v", got.OfflinePushInfo)
	}

	// The same MsgRandom again: the same message, nothing new stored or delivered.
	again := mustOK(t, "sendmsg again", n.tim("openim/sendmsg", send))
	if again.MsgKey != res.MsgKey {
		t.Errorf("resend MsgKey %q, want %q", again.MsgKey, res.MsgKey)
	}
	mustOK(t, "sendmsg next", n.tim("openim/sendmsg", map[string]any{"From_Account": "alice", "To_Account": "bob", "MsgRandom": 43, "MsgBody": text("next")}))
	if ms := bob.waitMessages(t, 2); ms[1].Elements[0].Text != "next" {
		t.Errorf("second delivery %q, want next (the resend delivered twice?)", ms[1].Elements[0].Text)
	}

	// MsgLifeTime 0: online users only, never stored.
	online := mustOK(t, "sendmsg online", n.tim("openim/sendmsg", map[string]any{"From_Account": "alice", "To_Account": "bob", "MsgRandom": 44, "MsgLifeTime": 0, "MsgBody": text("now")}))
	if m := bob.waitMessages(t, 3)[2]; !m.OnlineOnly || m.ID != online.MsgKey {
		t.Errorf("online-only delivery: %+v", m)
	}
	if c := countMessages(t, n, "alice", "bob"); c != 2 {
		t.Errorf("%d messages stored, want 2 (not the resend, not the online-only one)", c)
	}

	wantFail(t, "unknown sender", n.tim("openim/sendmsg", map[string]any{"From_Account": "ghost", "To_Account": "bob", "MsgBody": text("x")}), 70107)
	wantFail(t, "unknown recipient", n.tim("openim/sendmsg", map[string]any{"From_Account": "alice", "To_Account": "ghost", "MsgBody": text("x")}), 70107)
	wantFail(t, "unknown MsgType", n.tim("openim/sendmsg", map[string]any{"From_Account": "alice", "To_Account": "bob",
		"MsgBody": []map[string]any{{"MsgType": "TIMNoSuchElem", "MsgContent": map[string]any{}}}}), 10004)
	wantFail(t, "too long", n.tim("openim/sendmsg", map[string]any{"From_Account": "alice", "To_Account": "bob", "MsgBody": text(strings.Repeat("x", 13*1024))}), 93000)
}

func TestTencent_BatchSendMsg(t *testing.T) {
	n := MustOpenNode(t, MustConfig(t, "sqlite"))
	n.MustImport("alice", "bob", "carol")
	carol := MustLogin(t, n, "carol", "c1", "Web")
	res := mustOK(t, "batchsendmsg", n.tim("openim/batchsendmsg", map[string]any{
		"From_Account": "alice", "To_Account": []string{"bob", "ghost", "carol"}, "MsgRandom": 7, "MsgBody": text("to all"),
	}))
	if len(res.ErrorList) != 1 || res.ErrorList[0].ToAccount != "ghost" || res.ErrorList[0].ErrorCode != 70107 || res.MsgKey == "" {
		t.Errorf("ErrorList %+v MsgKey %q: want ghost with 70107 and a MsgKey", res.ErrorList, res.MsgKey)
	}
	if m := carol.waitMessages(t, 1)[0]; m.Elements[0].Text != "to all" {
		t.Errorf("carol got %q", m.Elements[0].Text)
	}
	if b, c := countMessages(t, n, "alice", "bob"), countMessages(t, n, "alice", "carol"); b != 1 || c != 1 {
		t.Errorf("stored for bob %d, carol %d; want 1 each", b, c)
	}
	many := make([]string, 501)
	for i := range many {
		many[i] = fmt.Sprintf("u%d", i)
	}
	wantFail(t, "only unknown recipients", n.tim("openim/batchsendmsg", map[string]any{"From_Account": "alice", "To_Account": []string{"ghost"}, "MsgBody": text("x")}), 70107)
	wantFail(t, "501 recipients", n.tim("openim/batchsendmsg", map[string]any{"From_Account": "alice", "To_Account": many, "MsgBody": text("x")}), 10004)
}

func TestTencent_Group(t *testing.T) {
	n := MustOpenNode(t, MustConfig(t, "sqlite"))
	n.MustImport("alice", "bob", "carol", "dave")
	ctx := ctxT(t)
	carol := MustLogin(t, n, "carol", "c1", "Android")

	res := mustOK(t, "create_group", n.tim("group_open_http_svc/create_group", map[string]any{
		"Owner_Account": "alice", "Type": "Public", "GroupId": "team1", "Name": "Team",
		"MemberList": []map[string]any{{"Member_Account": "bob", "Role": "Admin"}, {"Member_Account": "carol"}},
	}))
	if res.GroupID != "team1" {
		t.Errorf("GroupId %q", res.GroupID)
	}
	roles := func() map[string]string {
		g, err := n.IM.GetGroup(ctx, testAppID, "administrator", true, "team1")
		if err != nil {
			t.Fatal(err)
		}
		r := map[string]string{}
		for _, m := range g.Members {
			r[m.UserID] = m.Role
		}
		return r
	}
	if r := roles(); !reflect.DeepEqual(r, map[string]string{"alice": "owner", "bob": "admin", "carol": "member"}) {
		t.Errorf("members %v", r)
	}
	wantFail(t, "the same GroupId again", n.tim("group_open_http_svc/create_group", map[string]any{"Owner_Account": "alice", "Type": "Public", "GroupId": "team1", "Name": "T"}), 10021)

	add := mustOK(t, "add_group_member", n.tim("group_open_http_svc/add_group_member", map[string]any{
		"GroupId": "team1", "MemberList": []map[string]any{{"Member_Account": "dave"}, {"Member_Account": "carol"}, {"Member_Account": "ghost"}},
	}))
	results := map[string]int{}
	for _, m := range add.MemberList {
		results[m.MemberAccount] = m.Result
	}
	if !reflect.DeepEqual(results, map[string]int{"dave": 1, "carol": 2, "ghost": 0}) {
		t.Errorf("add results %v, want dave added, carol already in, ghost failed", results)
	}

	sent := mustOK(t, "send_group_msg", n.tim("group_open_http_svc/send_group_msg", map[string]any{
		"GroupId": "team1", "From_Account": "alice", "Random": 9, "MsgPriority": "High", "MsgBody": text("standup"),
		"GroupAtInfo": []map[string]any{{"GroupAtAllFlag": 0, "GroupAt_Account": "bob"}, {"GroupAtAllFlag": 1}},
	}))
	if sent.MsgSeq < 1 || sent.MsgTime == 0 {
		t.Errorf("MsgSeq %d MsgTime %d", sent.MsgSeq, sent.MsgTime)
	}
	m := carol.waitMessages(t, 1)[0]
	if m.GroupID != "team1" || m.Seq != sent.MsgSeq || !reflect.DeepEqual(m.AtUserIDs, []string{"bob"}) || !m.AtAll || m.Priority != "high" {
		t.Errorf("carol got %+v", m)
	}

	mustOK(t, "delete_group_member", n.tim("group_open_http_svc/delete_group_member", map[string]any{"GroupId": "team1", "MemberToDel_Account": []string{"carol"}}))
	if _, in := roles()["carol"]; in {
		t.Errorf("carol is still a member")
	}
	wantFail(t, "delete the owner", n.tim("group_open_http_svc/delete_group_member", map[string]any{"GroupId": "team1", "MemberToDel_Account": []string{"alice"}}), 10007)
	wantFail(t, "send to no group", n.tim("group_open_http_svc/send_group_msg", map[string]any{"GroupId": "nope", "From_Account": "alice", "MsgBody": text("x")}), 10010)
	wantFail(t, "@ a non-member", n.tim("group_open_http_svc/send_group_msg", map[string]any{"GroupId": "team1", "From_Account": "alice", "MsgBody": text("x"),
		"GroupAtInfo": []map[string]any{{"GroupAt_Account": "carol"}}}), 10004)
	// tencent-im-push.md §3.3: "GroupAtInfo … (≤30 mentioned)".
	var ats []map[string]any
	for range 31 {
		ats = append(ats, map[string]any{"GroupAtAllFlag": 0, "GroupAt_Account": "bob"})
	}
	a := n.tim("group_open_http_svc/send_group_msg", map[string]any{"GroupId": "team1", "From_Account": "alice", "MsgBody": text("x"),
		"GroupAtInfo": ats})
	wantFail(t, "31 @-mentions", a, 10004)
	if !strings.Contains(a.ErrorInfo, "at most 30") {
		t.Errorf("31 @-mentions: ErrorInfo %q, want it to name the bound of 30", a.ErrorInfo)
	}
	if strings.Contains(a.ErrorInfo, "at_user_ids") {
		t.Errorf("31 @-mentions: ErrorInfo %q names Herald's field, not GroupAtInfo", a.ErrorInfo)
	}
}

func TestTencent_OfflinePushInfo(t *testing.T) {
	n := MustOpenPushNode(t, "sqlite")
	n.MustImport("alice", "bob", "carol", "dan")
	ctx := ctxT(t)
	// bind logs user in on a phone of vendor v, binds its token and kills the app.
	bind := func(user string, v push.Vendor) string {
		t.Helper()
		token := n.phone(v)
		d := MustLogin(t, n.node, user, "phone", platformOf(v))
		if err := d.SetOfflinePushConfig(ctx, n.certs[v], token); err != nil {
			t.Fatal(err)
		}
		d.Close()
		waitDeviceState(t, n.node, user, "phone", store.Offline)
		return token
	}
	sendTo := func(to string, info map[string]any) string {
		t.Helper()
		return mustOK(t, "sendmsg to "+to, n.tim("openim/sendmsg", map[string]any{
			"From_Account": "alice", "To_Account": to, "MsgBody": text("body of " + to), "OfflinePushInfo": info,
		})).MsgKey
	}

	// OPPO: PushFlag 1 sends nothing; the channel ID, title, desc and ext arrive.
	oppo := bind("bob", push.OPPO)
	quiet := sendTo("bob", map[string]any{"PushFlag": 1, "Desc": "never"})
	sendTo("bob", map[string]any{"Title": "T", "Desc": "D", "Ext": `{"open":"chat"}`, "AndroidInfo": map[string]any{"OPPOChannelID": "im_channel"}})
	got := n.waitInbox(t, push.OPPO, oppo, 1)
	if len(got) != 1 || got[0].Title != "T" || got[0].Body != "D" || got[0].Ext != `{"open":"chat"}` || got[0].ChannelID != "im_channel" {
		t.Errorf("oppo notifications: %+v", got)
	}
	if rs, _ := n.Store.FindPushRecords(ctx, testAppID, quiet); len(rs) != 0 {
		t.Errorf("a PushFlag 1 message has %d push records", len(rs))
	}

	// Huawei: the category.
	hw := bind("carol", push.Huawei)
	sendTo("carol", map[string]any{"AndroidInfo": map[string]any{"HuaWeiCategory": "IM"}})
	if got := n.waitInbox(t, push.Huawei, hw, 1)[0]; got.Category != "IM" || got.Body != "body of carol" {
		t.Errorf("huawei notification: category %q body %q", got.Category, got.Body)
	}

	// APNs: sound, subtitle, and BadgeMode 1 leaves the badge alone.
	apns := bind("dan", push.APNs)
	sendTo("dan", map[string]any{"ApnsInfo": map[string]any{"Sound": "ring.caf", "BadgeMode": 1, "SubTitle": "sub", "Title": "iOS title"}})
	sendTo("dan", map[string]any{"ApnsInfo": map[string]any{"BadgeMode": 0}})
	got = n.waitInbox(t, push.APNs, apns, 2)
	// The two pushes may arrive in either order; the first one has the subtitle.
	first, second := got[0], got[1]
	if second.Subtitle == "sub" {
		first, second = second, first
	}
	if first.Sound != "ring.caf" || first.Subtitle != "sub" || first.Title != "iOS title" || first.Badge != nil {
		t.Errorf("first apns notification: sound %q subtitle %q title %q badge %v", first.Sound, first.Subtitle, first.Title, first.Badge)
	}
	if second.Badge == nil || second.Sound != "default" {
		t.Errorf("second apns notification: badge %v sound %q; BadgeMode 0 counts it, no sound means default", second.Badge, second.Sound)
	}
}

func TestTencent_QueryState(t *testing.T) {
	n := MustOpenNode(t, MustConfig(t, "sqlite"))
	n.MustImport("on", "bg", "killed", "out", "never")
	ctx := ctxT(t)
	MustLogin(t, n, "on", "d", "iOS")
	bg := MustLogin(t, n, "bg", "d", "Android")
	if err := bg.DoBackground(ctx, 0); err != nil {
		t.Fatal(err)
	}
	MustLogin(t, n, "killed", "d", "Android").Close()
	waitDeviceState(t, n, "killed", "d", store.Offline)
	out := MustLogin(t, n, "out", "d", "Windows")
	if err := out.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	waitDeviceState(t, n, "out", "d", store.LoggedOut)
	waitFor(t, "bg in the background", func() bool {
		d, _ := n.Store.FindDevice(ctx, testAppID, "bg", "d")
		return d != nil && d.Background
	})

	res := mustOK(t, "querystate", n.tim("openim/querystate", map[string]any{"IsNeedDetail": 1, "To_Account": []string{"on", "bg", "killed", "out", "never", "ghost"}}))
	states := map[string]string{}
	for _, r := range res.QueryResult {
		states[r.ToAccount] = r.Status
		if r.ToAccount == "on" && (len(r.Detail) != 1 || r.Detail[0].Platform != "iPhone" || r.Detail[0].Status != "Online") {
			t.Errorf("on's detail %+v", r.Detail)
		}
	}
	want := map[string]string{"on": "Online", "bg": "PushOnline", "killed": "PushOnline", "out": "Offline", "never": "Offline"}
	if !reflect.DeepEqual(states, want) {
		t.Errorf("states %v, want %v", states, want)
	}
	if len(res.ErrorList) != 1 || res.ErrorList[0].ToAccount != "ghost" || res.ErrorList[0].ErrorCode != 70107 {
		t.Errorf("ErrorList %+v", res.ErrorList)
	}
}

func TestTencent_Errors(t *testing.T) {
	n := MustOpenNode(t, MustConfig(t, "sqlite"))
	n.MustImport("alice", "bob")
	query := func(appID int64, identifier, usersig string) string {
		return fmt.Sprintf("sdkappid=%d&identifier=%s&usersig=%s&random=1&contenttype=json", appID, identifier, url.QueryEscape(usersig))
	}
	admin := sig(t, "administrator")
	body := map[string]any{"From_Account": "alice", "To_Account": "bob", "MsgBody": text("x")}

	otherKey, _ := auth.GenUserSig(testAppID, strings.Repeat("0", 64), "administrator", time.Hour, time.Now())
	expired, _ := authGen(t, "administrator", time.Second, time.Now().Add(-time.Hour))
	aliceSig := sig(t, "alice")
	bobSig, _ := authGen(t, "bob", time.Hour, time.Now())
	for _, c := range []struct {
		name, method, command, query string
		body                         any
		code                         int
	}{
		{"bad json", "POST", "openim/sendmsg", query(testAppID, "administrator", admin), `{"From_Account": "alice",`, 90001},
		{"wrong field type", "POST", "openim/sendmsg", query(testAppID, "administrator", admin), `{"To_Account": 5}`, 90001},
		{"usersig of another key", "POST", "openim/sendmsg", query(testAppID, "administrator", otherKey), body, 70009},
		{"garbage usersig", "POST", "openim/sendmsg", query(testAppID, "administrator", "not-a-sig"), body, 70003},
		{"expired usersig", "POST", "openim/sendmsg", query(testAppID, "administrator", expired), body, 70001},
		{"usersig of another user", "POST", "openim/sendmsg", query(testAppID, "administrator", bobSig), body, 70013},
		{"not the admin", "POST", "openim/sendmsg", query(testAppID, "alice", aliceSig), body, 60010},
		{"no sdkappid", "POST", "openim/sendmsg", "identifier=administrator", body, 60012},
		{"unknown sdkappid", "POST", "openim/sendmsg", query(1400999999, "administrator", admin), body, 70020},
		{"unknown command", "POST", "openim/no_such_thing", query(testAppID, "administrator", admin), body, 60009},
		{"GET", "GET", "openim/sendmsg", query(testAppID, "administrator", admin), body, 60002},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantFail(t, c.name, n.timRaw(c.method, c.command, c.query, c.body), c.code)
		})
	}
	if c := countMessages(t, n, "alice", "bob"); c != 0 {
		t.Errorf("%d messages stored by failed calls", c)
	}
	a := n.timRaw("POST", "openim/no_such_thing", query(testAppID, "administrator", admin), body)
	if !strings.Contains(a.ErrorInfo, "openim/no_such_thing") {
		t.Errorf("unknown command ErrorInfo %q does not name the command", a.ErrorInfo)
	}

	// A refusal names the commercial fields the caller sent, never Herald's own
	// (elements, name, at_user_ids): the "the error text uses Herald's internal names".
	el := map[string]any{"MsgType": "TIMTextElem", "MsgContent": map[string]any{"Text": "x"}}
	var many []map[string]any
	for range 21 {
		many = append(many, el)
	}
	for _, c := range []struct {
		name, command string
		body          any
		want          string
	}{
		{"empty text", "openim/sendmsg", map[string]any{"From_Account": "alice", "To_Account": "bob",
			"MsgBody": []map[string]any{{"MsgType": "TIMTextElem", "MsgContent": map[string]any{"Text": ""}}}}, "MsgBody[0] (TIMTextElem)"},
		{"image without a URL", "openim/sendmsg", map[string]any{"From_Account": "alice", "To_Account": "bob",
			"MsgBody": []map[string]any{{"MsgType": "TIMImageElem", "MsgContent": map[string]any{}}}}, "MsgBody[0] (TIMImageElem)"},
		{"21 elements", "openim/sendmsg", map[string]any{"From_Account": "alice", "To_Account": "bob", "MsgBody": many}, "MsgBody has 21 elements"},
		{"group without a name", "group_open_http_svc/create_group", map[string]any{"Owner_Account": "alice", "Type": "Public", "Name": ""}, "Name"},
	} {
		a := n.timRaw("POST", c.command, query(testAppID, "administrator", admin), c.body)
		wantFail(t, c.name, a, 10004)
		if !strings.Contains(a.ErrorInfo, c.want) {
			t.Errorf("%s: ErrorInfo %q, want it to name %q", c.name, a.ErrorInfo, c.want)
		}
		for _, internal := range []string{"elements[", "a message has", "name must", "at_user_ids", "group_id"} {
			if strings.Contains(a.ErrorInfo, internal) {
				t.Errorf("%s: ErrorInfo %q uses Herald's name %q", c.name, a.ErrorInfo, internal)
			}
		}
	}
}
