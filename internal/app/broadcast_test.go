package app_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/herald-im/herald/internal/api"
	"github.com/herald-im/herald/internal/app"
	"github.com/herald-im/herald/internal/push"
	"github.com/herald-im/herald/internal/store"
)

// mustOpenBroadcastNode is a push node without the broadcast rate limit.
func mustOpenBroadcastNode(tb testing.TB, kind string) *pushNode {
	tb.Helper()
	return mustOpenPushNodeWith(tb, kind, func(m *app.Main) {
		m.ConfigureAPI = func(s *api.Server) { s.BroadcastInterval = 0 }
	})
}

// bindPhone gives user a device (in state) bound to a new phone of vendor v, straight
// in the store, and returns the phone's token.
func (n *pushNode) bindPhone(tb testing.TB, user string, v push.Vendor, state store.DeviceState) string {
	tb.Helper()
	ctx := context.Background()
	token := n.phone(v)
	d := &store.Device{SDKAppID: testAppID, UserID: user, DeviceID: "phone", Platform: store.Platform(platformOf(v)),
		State: store.Offline, LoginAt: time.Now()}
	if err := n.Store.UpsertDevice(ctx, d); err != nil {
		tb.Fatal(err)
	}
	if _, err := n.Store.BindPushToken(ctx, testAppID, user, "phone", n.certs[v], token); err != nil {
		tb.Fatal(err)
	}
	if state != store.Offline {
		if err := n.Store.UpdateDevice(ctx, testAppID, user, "phone", store.DeviceUpdate{State: &state}); err != nil {
			tb.Fatal(err)
		}
	}
	return token
}

// broadcast queues a broadcast and waits until its task is done.
func (n *pushNode) broadcast(t *testing.T, req map[string]any) api.TaskStatus {
	t.Helper()
	var res struct {
		TaskID string `json:"task_id"`
	}
	n.adminJSON("POST", "/v1/admin/push/broadcast", req, &res)
	if res.TaskID == "" {
		t.Fatal("broadcast answered no task ID")
	}
	var task api.TaskStatus
	waitFor(t, "task "+res.TaskID+" done", func() bool {
		n.adminJSON("GET", "/v1/admin/push/tasks/"+res.TaskID, nil, &task)
		return task.Status == string(store.TaskDone)
	})
	return task
}

func TestBroadcast_Tags(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := mustOpenBroadcastNode(t, kind)
		n.MustImport("a", "b", "c", "d", "gone")
		tokens := map[string]string{
			"a": n.bindPhone(t, "a", push.FCM, store.Offline),
			"b": n.bindPhone(t, "b", push.APNs, store.Offline),
			"c": n.bindPhone(t, "c", push.Huawei, store.Offline),
			"d": n.bindPhone(t, "d", push.Xiaomi, store.Offline),
		}
		vendors := map[string]push.Vendor{"a": push.FCM, "b": push.APNs, "c": push.Huawei, "d": push.Xiaomi}
		n.bindPhone(t, "gone", push.FCM, store.LoggedOut)
		for user, tags := range map[string][]string{"a": {"vip"}, "b": {"vip", "beta"}, "c": {"vip", "cn"}, "gone": {"vip"}} {
			var got struct {
				Tags []string `json:"tags"`
			}
			n.adminJSON("POST", "/v1/admin/users/"+user+"/tags", map[string]any{"tags": tags}, &got)
			if len(got.Tags) != len(tags) {
				t.Fatalf("tags of %s = %v, want %v", user, got.Tags, tags)
			}
		}

		task := n.broadcast(t, map[string]any{
			"condition": map[string]any{"tags_and": []string{"vip"}, "tags_not": []string{"cn"}},
			"title":     "Sale", "desc": "50% off today", "ext": `{"open":"sale"}`,
		})
		// a, b and the logged-out user match; the logged-out phone is skipped.
		if task.Targets != 3 || task.Pushed != 2 || task.Accepted != 2 || task.Failed != 0 || task.Skipped != 1 || task.Queued != 0 || task.FinishedAt == nil {
			t.Errorf("task: %+v; want 3 targets, 2 pushed and accepted, 1 skipped", task)
		}
		for _, u := range []string{"a", "b"} {
			got := n.waitInbox(t, vendors[u], tokens[u], 1)
			if len(got) != 1 || got[0].Title != "Sale" || got[0].Body != "50% off today" || got[0].Ext != `{"open":"sale"}` {
				t.Errorf("%s's phone: %+v", u, got)
			}
			if got[0].Badge != nil {
				t.Errorf("%s's badge = %d; a broadcast leaves badges alone", u, *got[0].Badge)
			}
		}
		for _, u := range []string{"c", "d"} {
			if got := n.sim(vendors[u]).Sim.Inbox(tokens[u]); len(got) != 0 {
				t.Errorf("%s's phone got %d notifications, want none", u, len(got))
			}
		}

		// The trace shows each device under the task ID.
		var trace struct {
			Records []api.TraceRecord `json:"records"`
		}
		n.adminJSON("GET", "/v1/admin/push/messages/"+task.TaskID+"/trace", nil, &trace)
		decisions := map[string]string{}
		for _, r := range trace.Records {
			decisions[r.UserID] = r.Decision + "/" + r.Outcome
		}
		want := map[string]string{"a": "push/accepted", "b": "push/accepted", "gone": "logged_out/"}
		if fmt.Sprint(decisions) != fmt.Sprint(want) {
			t.Errorf("trace = %v, want %v", decisions, want)
		}
	})
}

func TestBroadcast_Attrs(t *testing.T) {
	n := mustOpenBroadcastNode(t, "sqlite")
	n.MustImport("a", "b", "c")
	tokens := map[string]string{}
	for _, u := range []string{"a", "b", "c"} {
		tokens[u] = n.bindPhone(t, u, push.OPPO, store.Offline)
	}
	n.adminJSON("POST", "/v1/admin/push/attr-names", map[string]any{"names": []string{"city", "level"}}, nil)
	for user, attrs := range map[string]map[string]string{"a": {"city": "sz", "level": "2"}, "b": {"city": "sz", "level": "1"}, "c": {"city": "bj", "level": "2"}} {
		var got struct {
			Attrs map[string]string `json:"attrs"`
		}
		n.adminJSON("POST", "/v1/admin/users/"+user+"/attrs", map[string]any{"attrs": attrs}, &got)
		if fmt.Sprint(got.Attrs) != fmt.Sprint(attrs) {
			t.Fatalf("attrs of %s = %v, want %v", user, got.Attrs, attrs)
		}
	}
	// An attribute the app has not named is refused.
	n.adminErr("POST", "/v1/admin/users/a/attrs", map[string]any{"attrs": map[string]string{"sex": "f"}}, http.StatusBadRequest, 40001)

	task := n.broadcast(t, map[string]any{
		"condition": map[string]any{"attrs_and": map[string]string{"city": "sz", "level": "2"}},
		"desc":      "only a",
		"push_info": map[string]any{"oppo_channel_id": "marketing"},
	})
	if task.Targets != 1 || task.Accepted != 1 {
		t.Errorf("task: %+v; want 1 target accepted", task)
	}
	got := n.waitInbox(t, push.OPPO, tokens["a"], 1)
	if got[0].Body != "only a" || got[0].ChannelID != "marketing" {
		t.Errorf("a's phone: body %q channel %q; want the per-vendor channel of the request", got[0].Body, got[0].ChannelID)
	}
	for _, u := range []string{"b", "c"} {
		if got := n.sim(push.OPPO).Sim.Inbox(tokens[u]); len(got) != 0 {
			t.Errorf("%s's phone got %d notifications, want none", u, len(got))
		}
	}
}

func TestBroadcast_All(t *testing.T) {
	n := mustOpenBroadcastNode(t, "sqlite")
	const users = 320 // more than one page of the audience
	var ids []string
	for i := range users {
		ids = append(ids, fmt.Sprintf("u%03d", i))
	}
	n.MustImport(ids...)
	type phone struct {
		vendor push.Vendor
		token  string
	}
	phones := map[string]phone{}
	for i, u := range ids {
		v := push.Vendors[i%len(push.Vendors)]
		state := store.Offline
		if i%10 == 9 {
			state = store.LoggedOut
		}
		phones[u] = phone{v, n.bindPhone(t, u, v, state)}
	}
	// A user without a device is a target with nothing to push to.
	n.MustImport("nodevice")

	task := n.broadcast(t, map[string]any{"title": "News", "desc": "to everyone"})
	loggedOut := users / 10
	if task.Targets != users+1 || task.Pushed != users-loggedOut || task.Accepted != users-loggedOut || task.Skipped != loggedOut || task.Failed != 0 {
		t.Errorf("task: %+v; want %d targets, %d pushed and accepted, %d skipped", task, users+1, users-loggedOut, loggedOut)
	}
	for i, u := range ids {
		p := phones[u]
		got := n.sim(p.vendor).Sim.Inbox(p.token)
		want := 1
		if i%10 == 9 {
			want = 0
		}
		if len(got) != want {
			t.Errorf("%s's %s phone got %d notifications, want %d", u, p.vendor, len(got), want)
		}
	}
}

func TestBroadcast_RateLimit(t *testing.T) {
	n := MustOpenPushNode(t, "sqlite")
	n.MustImport("a")
	n.adminJSON("POST", "/v1/admin/push/broadcast", map[string]any{"desc": "first"}, nil)
	e := n.adminErr("POST", "/v1/admin/push/broadcast", map[string]any{"desc": "second"}, http.StatusTooManyRequests, 40005)
	if e.Error != "rate_limited" {
		t.Errorf("second broadcast within a second: %+v", e)
	}
	n.adminErr("POST", "/v1/admin/push/broadcast", map[string]any{"title": "no desc"}, http.StatusBadRequest, 40001)
	n.adminErr("GET", "/v1/admin/push/tasks/task-nope", nil, http.StatusNotFound, 40404)
}

func TestTencent_TimPush(t *testing.T) {
	n := mustOpenBroadcastNode(t, "sqlite")
	n.MustImport("a", "b")
	ta := n.bindPhone(t, "a", push.Vivo, store.Offline)
	tb := n.bindPhone(t, "b", push.Vivo, store.Offline)
	mustOK(t, "im_add_tag", n.node.tim("all_member_push/im_add_tag", map[string]any{
		"UserTags": []map[string]any{{"To_Account": "a", "Tags": []string{"vip"}}},
	}))
	wantFail(t, "im_add_tag of an unknown account", n.node.tim("all_member_push/im_add_tag", map[string]any{
		"UserTags": []map[string]any{{"To_Account": "nobody", "Tags": []string{"vip"}}},
	}), 70107)
	mustOK(t, "im_set_attr_name", n.node.tim("all_member_push/im_set_attr_name", map[string]any{"AttrNames": map[string]string{"0": "city"}}))
	mustOK(t, "im_set_attr", n.node.tim("all_member_push/im_set_attr", map[string]any{
		"UserAttrs": []map[string]any{{"To_Account": "b", "Attrs": map[string]string{"city": "sz"}}},
	}))
	attrs, err := n.Store.FindUserAttrs(context.Background(), testAppID, "b")
	if err != nil || attrs["city"] != "sz" {
		t.Fatalf("b's attributes = %v, %v; want city sz", attrs, err)
	}

	a := mustOK(t, "timpush/push", n.node.tim("timpush/push", map[string]any{
		"From_Account": "administrator", "MsgRandom": 1, "MsgBody": text("hello vips"),
		"Condition": map[string]any{"TagsOr": []string{"vip"}},
	}))
	if a.TaskID == "" {
		t.Fatal("timpush/push answered no TaskId")
	}
	var task api.TaskStatus
	waitFor(t, "the task done", func() bool {
		n.adminJSON("GET", "/v1/admin/push/tasks/"+a.TaskID, nil, &task)
		return task.Status == string(store.TaskDone)
	})
	if got := n.waitInbox(t, push.Vivo, ta, 1); got[0].Body != "hello vips" {
		t.Errorf("a's phone: body %q, want the message text", got[0].Body)
	}
	if got := n.sim(push.Vivo).Sim.Inbox(tb); len(got) != 0 {
		t.Errorf("b's phone got %d notifications, want none", len(got))
	}
}
