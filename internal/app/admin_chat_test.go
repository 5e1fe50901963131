package app_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/herald-im/herald/client"
)

// The native admin calls behind the /v4 commands, on every store.
func TestAdmin_ChatCalls(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind string) {
		n := MustOpenNode(t, MustConfig(t, kind))
		n.MustImport("alice", "bob", "carol")
		ctx := ctxT(t)

		n.adminJSON("POST", "/v1/admin/users/alice/profile", map[string]any{"nickname": "Al", "items": map[string]string{"gender": "f", "custom_lvl": "9"}}, nil)
		var p struct {
			Nickname string            `json:"nickname"`
			Items    map[string]string `json:"items"`
		}
		n.adminJSON("GET", "/v1/admin/users/alice/profile", nil, &p)
		if p.Nickname != "Al" || p.Items["gender"] != "f" || p.Items["custom_lvl"] != "9" {
			t.Errorf("profile %+v", p)
		}
		n.adminErr("POST", "/v1/admin/users/alice/profile", map[string]any{"items": map[string]string{"shoe": "9"}}, http.StatusBadRequest, 40001)

		n.adminJSON("POST", "/v1/admin/groups", map[string]any{"group_id": "g1", "name": "G", "owner_id": "alice", "member_ids": []string{"bob", "carol"}}, nil)
		var info struct {
			Introduction string `json:"introduction"`
			MemberCount  int    `json:"member_count"`
			OwnerID      string `json:"owner_id"`
		}
		n.adminJSON("PATCH", "/v1/admin/groups/g1", map[string]any{"introduction": "about"}, &info)
		if info.Introduction != "about" || info.MemberCount != 3 {
			t.Errorf("group info %+v", info)
		}
		n.adminJSON("PATCH", "/v1/admin/groups/g1/members/carol", map[string]any{"name_card": "C", "mute_seconds": 60, "role": "admin"}, nil)
		var members struct {
			Total   int `json:"total"`
			Members []struct {
				UserID    string `json:"user_id"`
				Role      string `json:"role"`
				NameCard  string `json:"name_card"`
				MuteUntil int64  `json:"mute_until"`
			} `json:"members"`
		}
		n.adminJSON("GET", "/v1/admin/groups/g1/members?offset=2&limit=1", nil, &members)
		if c := members.Members; members.Total != 3 || len(c) != 1 || c[0].UserID != "carol" || c[0].Role != "admin" || c[0].NameCard != "C" || c[0].MuteUntil < time.Now().UnixMilli() {
			t.Errorf("members page %+v", members)
		}
		n.adminJSON("POST", "/v1/admin/groups/g1/owner", map[string]any{"user_id": "bob"}, nil)
		n.adminJSON("GET", "/v1/admin/groups/g1/info", nil, &info)
		if info.OwnerID != "bob" {
			t.Errorf("owner %q after the change", info.OwnerID)
		}

		bob := MustLogin(t, n, "bob", "b", "Android")
		var sent struct{ Message *client.Message }
		n.adminJSON("POST", "/v1/admin/messages", map[string]any{"from": "alice", "to": "bob", "elements": []map[string]string{{"type": "text", "text": "x"}}}, &sent)
		bob.waitMessages(t, 1)
		var recalled client.Message
		n.adminJSON("POST", "/v1/admin/messages/"+sent.Message.ID+"/recall", nil, &recalled)
		if !recalled.Recalled || recalled.RecalledBy != "administrator" {
			t.Errorf("recall answer %+v", recalled)
		}
		bob.waitFor(t, "the recall", func(d *device) bool { return len(d.revoked) == 1 })
		n.adminErr("POST", "/v1/admin/messages/"+sent.Message.ID+"/recall", nil, http.StatusConflict, 40901)

		var imported struct{ Message *client.Message }
		n.adminJSON("POST", "/v1/admin/messages/import", map[string]any{"from": "carol", "to": "bob", "time": time.Now().Add(-time.Hour).UnixMilli(),
			"elements": []map[string]string{{"type": "text", "text": "old"}}}, &imported)
		if imported.Message == nil || imported.Message.Time > time.Now().Add(-59*time.Minute).UnixMilli() {
			t.Errorf("imported %+v", imported.Message)
		}

		var kicked map[string]int
		n.adminJSON("POST", "/v1/admin/users/bob/kick", nil, &kicked)
		if kicked["kicked_devices"] != 1 {
			t.Errorf("kick answer %v", kicked)
		}
		bob.waitFor(t, "the kick", func(d *device) bool { return len(d.kicked) == 1 })
		n.adminJSON("DELETE", "/v1/admin/users/carol", nil, nil)
		if _, err := n.Store.FindAccount(ctx, testAppID, "carol"); err == nil {
			t.Error("carol still exists")
		}
		if _, err := n.Store.FindGroupMember(ctx, testAppID, "g1", "carol"); err == nil {
			t.Error("carol is still a member of g1")
		}
		n.adminErr("DELETE", "/v1/admin/users/administrator", nil, http.StatusForbidden, 40301)
		n.adminJSON("DELETE", "/v1/admin/groups/g1", nil, nil)
		if _, err := n.Store.FindGroup(ctx, testAppID, "g1"); err == nil {
			t.Error("g1 still exists")
		}
	})
}
