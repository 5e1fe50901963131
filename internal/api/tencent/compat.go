package tencent

import (
	"fmt"
	"sort"
	"strings"
)

// Catalog lists every command of the commercial server REST API, as its overview
// (cloud.tencent.com/document/product/269/1520, trtc.io "RESTful API List") and the
// Push service pages name them, with a note: for a command Herald serves, what to know;
// for one it does not, why. Whether a command is served comes from the router alone
// (CompatTable), so the table in docs/tencent-api.md cannot drift: compat_test.go fails
// when the two disagree, and when the router serves a command the catalog lacks.
var Catalog = []struct{ Command, Note string }{
	{"im_open_login_svc/account_import", "`Identifier` accepted as the older name of `UserID`"},
	{"im_open_login_svc/multiaccount_import", ""},
	{"im_open_login_svc/account_delete", "devices logged out; profile, tags, memberships, inbox go; sent messages stay until they expire"},
	{"im_open_login_svc/account_check", ""},
	{"im_open_login_svc/kick", "every device logged out, sent a kick, push binding dropped"},
	{"openim/querystate", "legacy: `Status` per account"},
	{"openim/query_online_status", "`State` per account, `Status` per device"},
	{"openim/sendmsg", ""},
	{"openim/batchsendmsg", ""},
	{"openim/importmsg", "stored with its time; never delivered online nor pushed"},
	{"openim/admin_getroammsg", "newest first; `MsgFlagBits` 2 = recalled"},
	{"openim/admin_msgwithdraw", "recalled for every device (online event, inbox, history)"},
	{"openim/admin_set_msg_read", "everything from the peer up to now is read; the reader's devices get a `conversation` event"},
	{"openim/get_c2c_unread_msg_num", ""},
	{"openim/modify_c2c_msg", "messages are immutable in Herald"},
	{"openim/delete_c2c_msg_ramble", "not yet: messages go by the app's retention"},
	{"openim_dirty_words/get", "no content filtering in Herald"},
	{"openim_dirty_words/add", "no content filtering in Herald"},
	{"openim_dirty_words/delete", "no content filtering in Herald"},
	{"profile/portrait_set", "standard tags Herald keeps and `Tag_Profile_Custom_*`"},
	{"profile/portrait_get", ""},
	{"sns/friend_add", "no relationship chain (friends, blocklist) in Herald"},
	{"sns/friend_import", "no relationship chain in Herald"},
	{"sns/friend_update", "no relationship chain in Herald"},
	{"sns/friend_delete", "no relationship chain in Herald"},
	{"sns/friend_delete_all", "no relationship chain in Herald"},
	{"sns/friend_check", "no relationship chain in Herald"},
	{"sns/friend_get", "no relationship chain in Herald"},
	{"sns/friend_get_list", "no relationship chain in Herald"},
	{"sns/black_list_add", "no relationship chain in Herald"},
	{"sns/black_list_delete", "no relationship chain in Herald"},
	{"sns/black_list_get", "no relationship chain in Herald"},
	{"sns/black_list_check", "no relationship chain in Herald"},
	{"sns/group_add", "no relationship chain in Herald"},
	{"sns/group_delete", "no relationship chain in Herald"},
	{"sns/group_get", "no relationship chain in Herald"},
	{"recentcontact/get_list", "newest first, 100 a page; no pinned conversations (`TopFlag` 0)"},
	{"recentcontact/delete", "not yet"},
	{"recentcontact/create_contact_group", "no conversation groups in Herald"},
	{"recentcontact/del_contact_group", "no conversation groups in Herald"},
	{"recentcontact/update_contact_group", "no conversation groups in Herald"},
	{"recentcontact/search_contact_group", "no conversation groups in Herald"},
	{"recentcontact/mark_contact", "no conversation marks in Herald"},
	{"recentcontact/get_contact_group", "no conversation groups in Herald"},
	{"group_open_http_svc/get_appid_group_list", "`Next` is an offset; `GroupType` filters by the type given at creation"},
	{"group_open_http_svc/create_group", "`Type`, `Introduction`, `Notification`, `MaxMemberNum` kept"},
	{"group_open_http_svc/get_group_info", "every field Herald keeps; `ResponseFilter` accepted"},
	{"group_open_http_svc/get_group_member_info", "`Limit`/`Offset` paging"},
	{"group_open_http_svc/modify_group_base_info", "`ApplyJoinOption`, `ShutUpAllMember`, `AppDefinedData` ignored"},
	{"group_open_http_svc/add_group_member", ""},
	{"group_open_http_svc/delete_group_member", ""},
	{"group_open_http_svc/modify_group_member_info", "`Role`, `MsgFlag`, `NameCard`, `ShutUpTime`"},
	{"group_open_http_svc/destroy_group", ""},
	{"group_open_http_svc/get_joined_group_list", "`Limit`/`Offset` paging, by group ID"},
	{"group_open_http_svc/get_role_in_group", "`NotMember` for a non-member"},
	{"group_open_http_svc/forbid_send_msg", "mutes sends from the member's devices; admin sends pass"},
	{"group_open_http_svc/get_group_shutted_uin", "members muted now"},
	{"group_open_http_svc/send_group_msg", ""},
	{"group_open_http_svc/send_group_system_notification", "no system notifications in groups (not pushed either)"},
	{"group_open_http_svc/change_group_owner", "the new owner must be a member; the old one becomes a member"},
	{"group_open_http_svc/group_msg_recall", "per `MsgSeq` `RetCode`: 0, 10030 no such message, 10031 recalled already"},
	{"group_open_http_svc/import_group", "not yet: create_group then import_group_msg"},
	{"group_open_http_svc/import_group_msg", "stored with its time; never delivered online nor pushed"},
	{"group_open_http_svc/import_group_member", "`Role` kept; `JoinTime`, `UnreadMsgNum` not (members join now)"},
	{"group_open_http_svc/set_unread_msg_num", "not yet"},
	{"group_open_http_svc/delete_group_msg_by_sender", "not yet"},
	{"group_open_http_svc/group_msg_get_simple", "newest first; recalled ones with `IsPlaceMsg` 1 and no body"},
	{"group_open_http_svc/get_online_member_num", "not yet"},
	{"group_open_http_svc/modify_group_msg", "messages are immutable in Herald"},
	{"group_open_http_svc/get_group_attr", "no group attributes in Herald"},
	{"group_open_http_svc/modify_group_attr", "no group attributes in Herald"},
	{"group_open_http_svc/clear_group_attr", "no group attributes in Herald"},
	{"group_open_http_svc/set_group_attr", "no group attributes in Herald"},
	{"group_open_http_svc/send_broadcast_msg", "no audio-video chat rooms in Herald"},
	{"group_open_http_svc/ban_group_member", "no audio-video chat rooms in Herald"},
	{"group_open_http_svc/unban_group_member", "no audio-video chat rooms in Herald"},
	{"group_open_http_svc/get_group_ban_member", "no audio-video chat rooms in Herald"},
	{"group_open_http_svc/create_topic", "no communities (topics) in Herald"},
	{"group_open_http_svc/get_topic", "no communities (topics) in Herald"},
	{"group_open_http_svc/modify_topic", "no communities (topics) in Herald"},
	{"group_open_http_svc/destroy_topic", "no communities (topics) in Herald"},
	{"group_open_http_svc/get_group_counter", "no group counters in Herald"},
	{"group_open_http_svc/update_group_counter", "no group counters in Herald"},
	{"group_open_http_svc/delete_group_counter", "no group counters in Herald"},
	{"openconfigsvr/setnospeaking", "refuses sends from the user's devices (40301); admin sends pass"},
	{"openconfigsvr/getnospeaking", "seconds left of each mute"},
	{"openconfigsvr/getappinfo", "operations data: Herald has /metrics and the console"},
	{"open_msg_svc/get_history", "no hourly message archives; use admin_getroammsg"},
	{"ConfigSvc/GetIPList", "a self-hosted server has no published IP list"},
	{"all_member_push/im_push", "legacy all-user push: use timpush/push (the same broadcast)"},
	{"all_member_push/im_add_tag", ""},
	{"all_member_push/im_remove_tag", ""},
	{"all_member_push/im_get_tag", ""},
	{"all_member_push/im_remove_all_tags", ""},
	{"all_member_push/im_set_attr_name", ""},
	{"all_member_push/im_get_attr_name", ""},
	{"all_member_push/im_set_attr", ""},
	{"all_member_push/im_get_attr", "unknown accounts in `ErrorList`"},
	{"all_member_push/im_remove_attr", "as timpush/remove_attr"},
	{"all_member_push/im_get_push_report", "legacy; Herald's task status: GET /v1/admin/push/tasks/{id}"},
	{"timpush/push", "all users, or tags/attributes in `Condition`"},
	{"timpush/add_tag", "unknown accounts in `ErrorList`"},
	{"timpush/remove_tag", ""},
	{"timpush/get_tag", ""},
	{"timpush/remove_all_tags", ""},
	{"timpush/set_attr_name", ""},
	{"timpush/get_attr_name", ""},
	{"timpush/set_attr", "unknown accounts in `ErrorList`; an unknown name 90033"},
	{"timpush/get_attr", "unknown accounts in `ErrorList`"},
	{"timpush/remove_attr", ""},
	{"timpush/add_sched_task", "not yet: no scheduled broadcasts"},
	{"timpush/normal_push_statistics", "not yet: GET /v1/admin/push/stats"},
	{"timpush/all_member_push_statistics", "not yet: GET /v1/admin/push/tasks/{id}"},
	{"timpush/normal_push_loss", "not yet: the push trace, GET /v1/admin/push/messages/{id}/trace"},
}

// CompatTable returns the Markdown table of every catalogued command, served or not
// according to the router of s, in service and command order.
func (s *Server) CompatTable() string {
	routed := s.commands()
	rows := make([]string, 0, len(Catalog))
	for _, c := range Catalog {
		served := "no"
		if _, ok := routed[c.Command]; ok {
			served = "**yes**"
		}
		rows = append(rows, fmt.Sprintf("| `%s` | %s | %s |", c.Command, served, c.Note))
	}
	sort.Strings(rows)
	return "| command | served | note |\n| --- | --- | --- |\n" + strings.Join(rows, "\n") + "\n"
}

// Uncatalogued returns the routed commands the catalog lacks: each must be added.
func (s *Server) Uncatalogued() []string {
	known := map[string]bool{}
	for _, c := range Catalog {
		known[c.Command] = true
	}
	var out []string
	for name := range s.commands() {
		if !known[name] {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
