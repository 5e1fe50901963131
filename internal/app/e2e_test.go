package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/herald-im/herald/client"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

func TestHealth(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenNode(t, MustConfig(t, kind))
		for _, path := range []string{"/healthz", "/readyz"} {
			res, err := http.Get("http://" + n.Addr() + path)
			if err != nil {
				t.Fatal(err)
			}
			var body map[string]any
			json.NewDecoder(res.Body).Decode(&body)
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Errorf("%s: status %d, body %v", path, res.StatusCode, body)
			}
		}
	})
}

func TestLogin_Err(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenNode(t, MustConfig(t, kind))
		expired := func() string {
			s, _ := authGen(t, "alice", time.Second, time.Now().Add(-time.Hour))
			return s
		}()
		tests := []struct {
			name    string
			appID   int64
			user    string
			usersig string
			want    int
		}{
			{"WrongSig", testAppID, "alice", sig(t, "bob"), 40102},
			{"Expired", testAppID, "alice", expired, 40103},
			{"Garbage", testAppID, "alice", "%%%", 40102},
			{"UnknownApp", 42, "alice", sig(t, "alice"), 40104},
			{"BadUserID", testAppID, "al ice", sig(t, "alice"), 40004},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := client.New(client.Config{URL: n.wsURL(), SDKAppID: tt.appID, DeviceID: "d1", Platform: "Android"})
				err := c.Login(ctxT(t), tt.user, tt.usersig)
				if got := errCode(err); got != tt.want {
					t.Fatalf("login: got %v (code %d), want code %d", err, got, tt.want)
				}
			})
		}
		// The server still serves others.
		MustLogin(t, n, "carol", "d1", "Android")
	})
}

func TestKick_Policy(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenNode(t, MustConfig(t, kind))
		n.MustImport("alice", "bob")
		bob := MustLogin(t, n, "bob", "bob-phone", "Android")
		ctx := ctxT(t)

		// Per platform (the default): an iPad stays, a second Android phone displaces the first.
		a1 := MustLogin(t, n, "alice", "a-phone-1", "Android")
		aPad := MustLogin(t, n, "alice", "a-pad", "iPad")
		a2 := MustLogin(t, n, "alice", "a-phone-2", "Android")
		a1.waitFor(t, "kicked", func(d *device) bool { return len(d.kicked) == 1 })
		if k := a1.kicked[0]; k.Code != 40105 || k.Platform != "Android" {
			t.Errorf("kicked event: %+v", k)
		}
		if _, err := a1.SendMessage(ctx, client.NewTextMessage("x"), "bob", "", "", false, nil); err != client.ErrKicked {
			t.Errorf("send after kick: got %v, want ErrKicked", err)
		}
		dev, err := n.Store.FindDevice(ctx, testAppID, "alice", "a-phone-1")
		if err != nil || dev.State != store.LoggedOut {
			t.Fatalf("kicked device: %+v, %v; want logged_out", dev, err)
		}

		// A message after the kick reaches the live devices, not the kicked one.
		if _, err := bob.SendMessage(ctx, client.NewTextMessage("after kick"), "alice", "", "", false, nil); err != nil {
			t.Fatal(err)
		}
		a2.waitMessages(t, 1)
		aPad.waitMessages(t, 1)
		if got := a1.messageCount(); got != 0 {
			t.Errorf("kicked device got %d messages", got)
		}
		if len(aPad.kicked) != 0 {
			t.Errorf("iPad was kicked by an Android login")
		}

		// One device in all: a Mac login displaces both.
		var res map[string]any
		if st := n.admin("POST", "/v1/admin/app/settings", map[string]any{"device_policy": "single"}, &res); st != 200 {
			t.Fatalf("settings: %d %v", st, res)
		}
		MustLogin(t, n, "alice", "a-mac", "Mac")
		a2.waitFor(t, "kicked", func(d *device) bool { return len(d.kicked) == 1 })
		aPad.waitFor(t, "kicked", func(d *device) bool { return len(d.kicked) == 1 })
	})
}

func TestSend_EveryElementC2C(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenNode(t, MustConfig(t, kind))
		n.MustImport("alice", "bob")
		ctx := ctxT(t)
		alice := MustLogin(t, n, "alice", "a1", "Android")
		alice2 := MustLogin(t, n, "alice", "a2", "Windows")
		bob := MustLogin(t, n, "bob", "b1", "iOS")

		msgs := everyElement()
		push := &client.OfflinePushInfo{Title: "T", Desc: "D", Ext: `{"to":"chat"}`}
		for i, m := range msgs {
			sent, err := alice.SendMessage(ctx, m, "bob", "", "", false, push)
			if err != nil {
				t.Fatalf("send %d (%s): %v", i, m.Elements[0].Type, err)
			}
			if sent.Seq != int64(i+1) || sent.ID == "" || sent.Time == 0 {
				t.Errorf("send %d: seq %d id %q time %d", i, sent.Seq, sent.ID, sent.Time)
			}
		}
		got := bob.waitMessages(t, len(msgs))
		for i, m := range got {
			want, _ := json.Marshal(msgs[i].Elements)
			have, _ := json.Marshal(m.Elements)
			if string(want) != string(have) {
				t.Errorf("message %d elements: got %s, want %s", i, have, want)
			}
			if m.From != "alice" || m.To != "bob" || m.Type != "c2c" || m.Seq != int64(i+1) {
				t.Errorf("message %d: %+v", i, m)
			}
			if m.OfflinePushInfo == nil || m.OfflinePushInfo.Ext != `{"to":"chat"}` {
				t.Errorf("message %d push info: %+v", i, m.OfflinePushInfo)
			}
		}
		// The sender's other device gets its messages too; the sending one does not.
		alice2.waitMessages(t, len(msgs))
		if c := alice.messageCount(); c != 0 {
			t.Errorf("sending device got its own %d messages as new", c)
		}
		// History, newest first, in pages.
		page1, err := bob.GetC2CHistoryMessageList(ctx, "alice", 5, nil)
		if err != nil || len(page1) != 5 || page1[0].Seq != 9 {
			t.Fatalf("history page 1: %d msgs, %v", len(page1), err)
		}
		page2, err := bob.GetC2CHistoryMessageList(ctx, "alice", 5, page1[4])
		if err != nil || len(page2) != 4 || page2[3].Seq != 1 {
			t.Fatalf("history page 2: %d msgs, %v", len(page2), err)
		}
	})
}

// everyElement returns one message of each element type.
func everyElement() []*client.Message {
	inner := client.NewTextMessage("inner")
	return []*client.Message{
		client.NewTextMessage("hello"),
		client.NewCustomMessage(`{"k":1}`, "a custom desc", "ext"),
		client.NewImageMessage("https://cdn.example/i.png", 640, 480, 12345),
		client.NewSoundMessage("https://cdn.example/s.aac", 7, 999),
		client.NewVideoMessage("https://cdn.example/v.mp4", "https://cdn.example/v.jpg", 30, 1<<20),
		client.NewFileMessage("https://cdn.example/f.pdf", "f.pdf", 2048),
		client.NewLocationMessage("Office", 22.54, 114.05),
		client.NewFaceMessage(3, "smile"),
		client.NewMergerMessage([]*client.Message{inner}, "Chat history", []string{"alice: inner"}),
	}
}

func TestGroup_EveryElement(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenNode(t, MustConfig(t, kind))
		n.MustImport("alice", "bob")
		n.admin("POST", "/v1/admin/groups", map[string]any{"group_id": "g", "name": "G", "owner_id": "alice", "member_ids": []string{"bob"}}, nil)
		ctx := ctxT(t)
		alice := MustLogin(t, n, "alice", "a1", "Android")
		bob := MustLogin(t, n, "bob", "b1", "iOS")
		msgs := everyElement()
		for i, m := range msgs {
			if _, err := alice.SendMessage(ctx, m, "", "g", "", false, nil); err != nil {
				t.Fatalf("send %d (%s): %v", i, m.Elements[0].Type, err)
			}
		}
		for i, m := range bob.waitMessages(t, len(msgs)) {
			want, _ := json.Marshal(msgs[i].Elements)
			have, _ := json.Marshal(m.Elements)
			if string(want) != string(have) || m.GroupID != "g" || m.Seq != int64(i+1) {
				t.Errorf("group message %d: got %s seq %d, want %s", i, have, m.Seq, want)
			}
		}
	})
}

func TestGroup_SendAndPermissions(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenNode(t, MustConfig(t, kind))
		n.MustImport("alice", "bob", "carol", "dave")
		ctx := ctxT(t)
		var g protocol.Group
		if st := n.admin("POST", "/v1/admin/groups", map[string]any{"group_id": "team", "name": "Team", "owner_id": "alice", "member_ids": []string{"bob"}}, &g); st != 200 {
			t.Fatalf("create group: %d %+v", st, g)
		}
		var added protocol.MembersResponse
		n.admin("POST", "/v1/admin/groups/team/members", map[string]any{"user_ids": []string{"carol", "bob"}}, &added)
		if strings.Join(added.UserIDs, ",") != "carol" {
			t.Errorf("added: %v, want [carol] (bob was a member)", added.UserIDs)
		}
		alice := MustLogin(t, n, "alice", "a1", "Android")
		bob := MustLogin(t, n, "bob", "b1", "Android")
		carol := MustLogin(t, n, "carol", "c1", "Android")
		dave := MustLogin(t, n, "dave", "d1", "Android")

		m := client.NewTextMessage("hi all")
		m.AtUserIDs = []string{"bob"}
		if _, err := alice.SendMessage(ctx, m, "", "team", client.PriorityHigh, false, nil); err != nil {
			t.Fatal(err)
		}
		for _, d := range []*device{bob, carol} {
			got := d.waitMessages(t, 1)
			if got[0].GroupID != "team" || got[0].AtUserIDs[0] != "bob" || got[0].Priority != "high" {
				t.Errorf("%s got %+v", d.user, got[0])
			}
		}
		// A non-member may not send, nor read history.
		_, err := dave.SendMessage(ctx, client.NewTextMessage("let me in"), "", "team", "", false, nil)
		if errCode(err) != 40301 {
			t.Errorf("non-member send: %v, want 40301", err)
		}
		if _, err := dave.GetGroupHistoryMessageList(ctx, "team", 10, nil); errCode(err) != 40301 {
			t.Errorf("non-member history: %v, want 40301", err)
		}
		// Members cannot add others; the owner can; a member can quit.
		if _, err := bob.InviteUserToGroup(ctx, "team", []string{"dave"}); errCode(err) != 40301 {
			t.Errorf("member invite: %v, want 40301", err)
		}
		if err := bob.SetGroupMemberRole(ctx, "team", "carol", "admin"); errCode(err) != 40301 {
			t.Errorf("member sets role: %v, want 40301", err)
		}
		if err := alice.SetGroupMemberRole(ctx, "team", "bob", "admin"); err != nil {
			t.Fatalf("owner sets role: %v", err)
		}
		if _, err := bob.InviteUserToGroup(ctx, "team", []string{"dave"}); err != nil {
			t.Errorf("admin invite: %v", err)
		}
		if err := carol.QuitGroup(ctx, "team"); err != nil {
			t.Errorf("quit: %v", err)
		}
		if _, err := alice.SendMessage(ctx, client.NewTextMessage("second"), "", "team", "", false, nil); err != nil {
			t.Fatal(err)
		}
		dave.waitMessages(t, 1)
		bob.waitMessages(t, 2)
		// A user creates a group of their own and is its owner.
		own, err := bob.CreateGroup(ctx, "", "Bob's", []string{"dave"})
		if err != nil || own.OwnerID != "bob" || len(own.Members) != 2 {
			t.Fatalf("user-created group: %+v, %v", own, err)
		}
		info, err := dave.GetGroupInfo(ctx, own.ID)
		if err != nil || info.Name != "Bob's" {
			t.Errorf("group info: %+v, %v", info, err)
		}
		if _, err := bob.CreateGroup(ctx, own.ID, "again", nil); errCode(err) != 40901 {
			t.Errorf("duplicate group ID: %v, want 40901", err)
		}
		if _, err := alice.SendMessage(ctx, client.NewTextMessage("x"), "", "nope", "", false, nil); errCode(err) != 40402 {
			t.Errorf("unknown group: %v, want 40402", err)
		}
		h, err := bob.GetGroupHistoryMessageList(ctx, "team", 10, nil)
		if err != nil || len(h) != 2 {
			t.Errorf("history: %d, %v", len(h), err)
		}
	})
}

func TestReconnect_CatchUpInOrder(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		cfg := MustConfig(t, kind)
		n := MustOpenNode(t, cfg)
		n.MustImport("alice", "bob")
		ctx := ctxT(t)
		alice := MustLogin(t, n, "alice", "a1", "Android")
		bob := MustLogin(t, n, "bob", "b1", "Android")
		send := func(text string) {
			t.Helper()
			if _, err := alice.SendMessage(ctx, client.NewTextMessage(text), "bob", "", "", false, nil); err != nil {
				t.Fatalf("send %s: %v", text, err)
			}
		}
		send("1")
		bob.waitMessages(t, 1)
		// The app is killed: the device stays logged in while messages arrive.
		bob.Close()
		waitDeviceState(t, n, "bob", "b1", store.Offline)
		for i := 2; i <= 6; i++ {
			send(fmt.Sprint(i))
		}
		bob2 := MustLogin(t, n, "bob", "b1", "Android")
		got := bob2.waitMessages(t, 5)
		if texts(got) != "2,3,4,5,6" {
			t.Errorf("after re-login got %s, want 2,3,4,5,6", texts(got))
		}

		// The server restarts under a connected client: the SDK reconnects by itself and
		// catches up, without duplicates.
		addr := n.Addr()
		n.Close()
		cfg.Listen = addr
		n2 := MustOpenNode(t, cfg)
		alice2 := MustLogin(t, n2, "alice", "a2", "Mac")
		for i := 7; i <= 9; i++ {
			if _, err := alice2.SendMessage(ctx, client.NewTextMessage(fmt.Sprint(i)), "bob", "", "", false, nil); err != nil {
				t.Fatal(err)
			}
		}
		// A last message marks the end: the inbox is delivered in order, so a duplicate
		// would arrive before it.
		if _, err := alice2.SendMessage(ctx, client.NewTextMessage("end"), "bob", "", "", false, nil); err != nil {
			t.Fatal(err)
		}
		bob2.waitFor(t, "the end marker", func(d *device) bool {
			return len(d.messages) > 0 && d.messages[len(d.messages)-1].Elements[0].Text == "end"
		})
		if got := texts(bob2.waitMessages(t, 9)); got != "2,3,4,5,6,7,8,9,end" {
			t.Errorf("after server restart got %s, want 2,…,9,end", got)
		}
	})
}

// waitFor polls cond until it holds, or fails after 10s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitDeviceState(t *testing.T, n *node, user, deviceID string, want store.DeviceState) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := n.Store.FindDevice(context.Background(), testAppID, user, deviceID)
		if err == nil && d.State == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("device %s/%s: state %v (%v), want %s", user, deviceID, d, err, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestUnread_MarkReadAcrossDevices(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenNode(t, MustConfig(t, kind))
		n.MustImport("alice", "bob")
		ctx := ctxT(t)
		alice := MustLogin(t, n, "alice", "a1", "Android")
		bobPhone := MustLogin(t, n, "bob", "b1", "Android")
		bobPC := MustLogin(t, n, "bob", "b2", "Windows")
		for i := 0; i < 3; i++ {
			alice.SendMessage(ctx, client.NewTextMessage(fmt.Sprint(i)), "bob", "", "", false, nil)
		}
		bobPhone.waitMessages(t, 3)
		list, err := bobPC.GetConversationList(ctx)
		if err != nil || len(list.Conversations) != 1 || list.TotalUnread != 3 || list.Conversations[0].ID != "c2c_alice" {
			t.Fatalf("conversations: %+v, %v", list, err)
		}
		if lm := list.Conversations[0].LastMessage; lm == nil || lm.Elements[0].Text != "2" {
			t.Errorf("last message: %+v", lm)
		}
		conv, err := bobPhone.MarkC2CMessageAsRead(ctx, "alice")
		if err != nil || conv.Unread != 0 || conv.ReadSeq != 3 {
			t.Fatalf("mark read: %+v, %v", conv, err)
		}
		bobPC.waitFor(t, "conversation change", func(d *device) bool {
			return len(d.convs) == 1 && d.convs[0].Unread == 0 && d.convs[0].ID == "c2c_alice"
		})
		if len(bobPhone.convs) != 0 {
			t.Errorf("the reading device got its own change")
		}
		// The server knows what each device was sent and what it acknowledged.
		waitFor(t, "bob's phone acked 3", func() bool {
			d, err := n.Store.FindDevice(ctx, testAppID, "bob", "b1")
			return err == nil && d.AckedSeq == 3 && d.DeliveredSeq >= 3
		})
		list, _ = bobPC.GetConversationList(ctx)
		if list.TotalUnread != 0 {
			t.Errorf("total unread after read: %d", list.TotalUnread)
		}
		// The sender's own messages never count as unread for the sender.
		alist, _ := alice.GetConversationList(ctx)
		if alist.TotalUnread != 0 || len(alist.Conversations) != 1 {
			t.Errorf("sender's list: %+v", alist)
		}
		if _, err := bobPhone.MarkC2CMessageAsRead(ctx, "nobody"); errCode(err) != 40403 {
			t.Errorf("mark unknown conversation: %v, want 40403", err)
		}
	})
}

func TestReceiveOptions(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenNode(t, MustConfig(t, kind))
		n.MustImport("alice", "bob", "carol")
		n.admin("POST", "/v1/admin/groups", map[string]any{"group_id": "g1", "name": "G", "owner_id": "alice", "member_ids": []string{"bob"}}, nil)
		ctx := ctxT(t)
		alice := MustLogin(t, n, "alice", "a1", "Android")
		bob := MustLogin(t, n, "bob", "b1", "Android")

		if err := bob.SetC2CReceiveMessageOpt(ctx, []string{"alice"}, client.NotReceiveMessage); err != nil {
			t.Fatal(err)
		}
		if err := bob.SetC2CReceiveMessageOpt(ctx, []string{"carol"}, client.ReceiveNotNotifyMessage); err != nil {
			t.Fatal(err)
		}
		opts, err := bob.GetC2CReceiveMessageOpt(ctx, []string{"alice", "carol"})
		if err != nil || opts["alice"] != client.NotReceiveMessage || opts["carol"] != client.ReceiveNotNotifyMessage {
			t.Fatalf("c2c opts: %v, %v", opts, err)
		}
		if err := bob.SetGroupReceiveMessageOpt(ctx, "g1", client.ReceiveNotNotifyMessageExceptAt); err != nil {
			t.Fatal(err)
		}
		mem, err := n.Store.FindGroupMember(ctx, testAppID, "g1", "bob")
		if err != nil || mem.RecvOpt != store.ReceiveNoNotifyExceptAt {
			t.Errorf("group opt stored: %+v, %v", mem, err)
		}
		if err := bob.SetC2CReceiveMessageOpt(ctx, []string{"alice"}, 3); errCode(err) != 40001 {
			t.Errorf("c2c opt 3: %v, want 40001", err)
		}
		if err := bob.SetAllReceiveMessageOpt(ctx, 22, 0, 0, 8*3600); err != nil {
			t.Fatal(err)
		}
		acct, _ := n.Store.FindAccount(ctx, testAppID, "bob")
		if acct.DNDStart != 22*time.Hour || acct.DNDDuration != 8*time.Hour {
			t.Errorf("dnd stored: %v for %v", acct.DNDStart, acct.DNDDuration)
		}

		// Not receive: alice's message is stored for her, never delivered to bob.
		if _, err := alice.SendMessage(ctx, client.NewTextMessage("muted"), "bob", "", "", false, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := alice.SendMessage(ctx, client.NewTextMessage("group ok"), "", "g1", "", false, nil); err != nil {
			t.Fatal(err)
		}
		got := bob.waitMessages(t, 1)
		if got[0].Elements[0].Text != "group ok" {
			t.Errorf("bob got %q first; the muted C2C message must not arrive", got[0].Elements[0].Text)
		}
		list, _ := bob.GetConversationList(ctx)
		for _, c := range list.Conversations {
			if c.ID == "c2c_alice" {
				t.Errorf("a not-received conversation appeared: %+v", c)
			}
			if c.ID == "group_g1" && c.RecvOpt != 3 {
				t.Errorf("group conversation recv opt %d, want 3", c.RecvOpt)
			}
		}
	})
}

func TestOnlineOnly_NotStored(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenNode(t, MustConfig(t, kind))
		n.MustImport("alice", "bob")
		ctx := ctxT(t)
		alice := MustLogin(t, n, "alice", "a1", "Android")
		bob := MustLogin(t, n, "bob", "b1", "Android")
		typing := client.NewCustomMessage(`{"typing":true}`, "", "")
		if _, err := alice.SendMessage(ctx, typing, "bob", "", "", true, nil); err != nil {
			t.Fatal(err)
		}
		got := bob.waitMessages(t, 1)
		if !got[0].OnlineOnly || got[0].InboxSeq != 0 {
			t.Errorf("online message: %+v", got[0])
		}
		h, _ := bob.GetC2CHistoryMessageList(ctx, "alice", 10, nil)
		list, _ := bob.GetConversationList(ctx)
		if len(h) != 0 || list.TotalUnread != 0 || len(list.Conversations) != 0 {
			t.Errorf("online-only was stored: history %d, unread %d, conversations %d", len(h), list.TotalUnread, len(list.Conversations))
		}
		// An offline device never sees it.
		bob.Close()
		waitDeviceState(t, n, "bob", "b1", store.Offline)
		alice.SendMessage(ctx, typing, "bob", "", "", true, nil)
		alice.SendMessage(ctx, client.NewTextMessage("stored"), "bob", "", "", false, nil)
		bob2 := MustLogin(t, n, "bob", "b1", "Android")
		got = bob2.waitMessages(t, 1)
		// Online-only messages go nowhere when nobody is connected; a live one sent now
		// arrives after the stored one, so anything queued would show before it.
		alice.SendMessage(ctx, client.NewTextMessage("live"), "bob", "", "", true, nil)
		got = bob2.waitMessages(t, 2)
		if texts(got) != "stored,live" {
			t.Errorf("after reconnect got %s, want stored,live", texts(got))
		}
	})
}

// rawConn logs a bare WebSocket in, for malformed-input tests.
func rawConn(t *testing.T, n *node, user string) *websocket.Conn {
	t.Helper()
	ctx := ctxT(t)
	c, _, err := websocket.Dial(ctx, n.wsURL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	if user != "" {
		login, _ := json.Marshal(protocol.LoginRequest{SDKAppID: testAppID, UserID: user, UserSig: sig(t, user), Platform: "Web", DeviceID: "raw"})
		f := rawCall(t, c, `{"seq":1,"op":"login","data":`+string(login)+`}`)
		if f.Code != 0 {
			t.Fatalf("raw login: %+v", f)
		}
	}
	return c
}

// rawCall writes text and returns the next reply frame (skipping events).
func rawCall(t *testing.T, c *websocket.Conn, text string) protocol.Frame {
	t.Helper()
	ctx := ctxT(t)
	if err := c.Write(ctx, websocket.MessageText, []byte(text)); err != nil {
		t.Fatalf("write: %v", err)
	}
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		var f protocol.Frame
		json.Unmarshal(data, &f)
		if f.Op == protocol.EvMessage && f.Seq == 0 {
			continue
		}
		return f
	}
}

func TestBadInput(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenNode(t, MustConfig(t, kind))
		n.MustImport("alice", "bob")
		ctx := ctxT(t)
		bob := MustLogin(t, n, "bob", "b1", "Android")

		anon := rawConn(t, n, "")
		if f := rawCall(t, anon, `{"seq":5,"op":"send","data":{}}`); f.Code != 40101 || f.Seq != 5 {
			t.Errorf("send before login: %+v", f)
		}
		c := rawConn(t, n, "alice")
		big := strings.Repeat("x", 13*1024)
		tests := []struct {
			name  string
			frame string
			code  int
		}{
			{"NotJSON", `{{{`, 40001},
			{"NoOp", `{"seq":2}`, 40001},
			{"NoSeq", `{"op":"conversations"}`, 40001},
			{"UnknownOp", `{"seq":3,"op":"fly"}`, 40002},
			{"BadData", `{"seq":4,"op":"send","data":{"to":5}}`, 40001},
			{"NoElements", `{"seq":5,"op":"send","data":{"to":"bob","elements":[]}}`, 40001},
			{"UnknownElement", `{"seq":6,"op":"send","data":{"to":"bob","elements":[{"type":"hologram"}]}}`, 40001},
			{"TooLarge", `{"seq":7,"op":"send","data":{"to":"bob","elements":[{"type":"text","text":"` + big + `"}]}}`, 40003},
			{"UnknownUser", `{"seq":8,"op":"send","data":{"to":"nobody","elements":[{"type":"text","text":"hi"}]}}`, 40401},
			{"BadUserID", `{"seq":9,"op":"send","data":{"to":"no body","elements":[{"type":"text","text":"hi"}]}}`, 40004},
			{"NotMember", `{"seq":10,"op":"send","data":{"group_id":"nogroup","elements":[{"type":"text","text":"hi"}]}}`, 40402},
			{"ImageNoURL", `{"seq":11,"op":"send","data":{"to":"bob","elements":[{"type":"image"}]}}`, 40001},
			{"Binary", "", 40001},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var f protocol.Frame
				if tt.name == "Binary" {
					c.Write(ctx, websocket.MessageBinary, []byte{1, 2})
					_, data, err := c.Read(ctx)
					if err != nil {
						t.Fatal(err)
					}
					json.Unmarshal(data, &f)
				} else {
					f = rawCall(t, c, tt.frame)
				}
				if f.Code != tt.code || f.Message == "" || f.Error == "" {
					t.Errorf("got code %d %q %q, want %d with a message", f.Code, f.Error, f.Message, tt.code)
				}
			})
		}
		// After all that, the same connection still works, and so does everyone else.
		f := rawCall(t, c, `{"seq":99,"op":"send","data":{"to":"bob","elements":[{"type":"text","text":"still here"}]}}`)
		if f.Code != 0 || f.Seq != 99 {
			t.Fatalf("good send after bad ones: %+v", f)
		}
		if got := bob.waitMessages(t, 1); got[0].Elements[0].Text != "still here" {
			t.Errorf("bob got %+v", got[0])
		}
	})
}

func TestAdminAPI(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenNode(t, MustConfig(t, kind))
		n.MustImport("alice", "bob", "carol")
		bob := MustLogin(t, n, "bob", "b1", "Android")
		carol := MustLogin(t, n, "carol", "c1", "Android")

		var e map[string]any
		if st := n.adminAs("administrator", sig(t, "alice"), "POST", "/v1/admin/accounts/import", map[string]any{}, &e); st != 401 || e["code"] != float64(40102) {
			t.Errorf("wrong admin sig: %d %v", st, e)
		}
		if st := n.adminAs("alice", sig(t, "alice"), "POST", "/v1/admin/accounts/import", map[string]any{}, &e); st != 403 {
			t.Errorf("non-admin identifier: %d %v", st, e)
		}
		if st := n.admin("POST", "/v1/admin/messages", map[string]any{"from": "alice", "to": "bob", "elements": []map[string]string{{"type": "text", "text": "from admin"}}}, &e); st != 200 {
			t.Fatalf("admin send: %d %v", st, e)
		}
		if got := bob.waitMessages(t, 1); got[0].From != "alice" {
			t.Errorf("bob got %+v", got[0])
		}
		var batch struct {
			Results []struct {
				To   string
				Code int
			}
		}
		st := n.admin("POST", "/v1/admin/messages/batch", map[string]any{"from": "alice", "to_users": []string{"bob", "carol", "ghost"}, "elements": []map[string]string{{"type": "text", "text": "batch"}}}, &batch)
		if st != 200 || len(batch.Results) != 3 || batch.Results[0].Code != 0 || batch.Results[2].Code != 40401 {
			t.Errorf("batch: %d %+v", st, batch)
		}
		carol.waitMessages(t, 1)
		if st := n.admin("POST", "/v1/admin/messages", map[string]any{"from": "alice", "to": "bob", "bogus": 1}, &e); st != 400 || e["code"] != float64(40001) {
			t.Errorf("unknown field: %d %v", st, e)
		}
		if st := n.admin("GET", "/v1/admin/nothing", nil, &e); st != 404 {
			t.Errorf("unknown path: %d %v", st, e)
		}
	})
}

func TestHeartbeatTimeout(t *testing.T) {
	cfg := MustConfig(t, "sqlite")
	cfg.Heartbeat = time.Second
	n := MustOpenNode(t, cfg)
	n.MustImport("alice")
	c := rawConn(t, n, "alice")
	// Say nothing: the server must drop the connection within two heartbeat periods.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	for {
		if _, _, err := c.Read(ctx); err != nil {
			if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
				t.Fatalf("closed with %v, want policy violation (heartbeat timeout)", err)
			}
			break
		}
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("dropped after %v, want within 2s", d)
	}
	waitDeviceState(t, n, "alice", "raw", store.Offline)
}
