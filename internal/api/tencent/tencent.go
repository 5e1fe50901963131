// Package tencent serves a Tencent Cloud IM compatible REST API under /v4/, so that an
// app server written against Tencent IM's server API works against Herald by changing
// only the domain (docs/tencent-api.md).
//
// Every call is POST /v4/<service>/<command>?sdkappid=&identifier=&usersig=&random=&contenttype=json
// with a JSON body, authenticated with a UserSig of the app's admin identifier. Every
// answer is HTTP 200 with {"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""} and the
// command's fields, or "FAIL" with a Tencent error code (codes.go). The adapter only
// translates: the chat core (im.Service) does the work, exactly as for the native API.
package tencent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/herald-im/herald/internal/auth"
	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/store"
)

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 1 << 20

// Store is what the adapter needs of the store beside the im service: the app for
// authentication, accounts for multi-account import and per-account errors, and
// devices for querystate.
type Store interface {
	FindAppByID(ctx context.Context, sdkAppID int64) (*store.App, error)
	FindAccounts(ctx context.Context, sdkAppID int64, userIDs []string) ([]*store.Account, error)
	FindDevices(ctx context.Context, f store.DeviceFilter) ([]*store.Device, error)
}

// Server is the Tencent-compatible REST API. Set IM and Store (NewServer does), then
// serve Handler; it is safe for concurrent use.
type Server struct {
	IM    *im.Service
	Store Store
	// Broadcaster queues timpush/push broadcasts, and Audience holds tags and
	// attributes; while nil, those commands are refused.
	Broadcaster broadcaster
	Audience    audienceStore
	Now         func() time.Time
	Logger      *slog.Logger
}

// NewServer returns a Server with defaults.
func NewServer(svc *im.Service, st Store) *Server {
	return &Server{IM: svc, Store: st, Now: time.Now, Logger: slog.Default()}
}

// command serves one /v4/<service>/<command> call for an authenticated app; body is
// the raw request body. It returns the answer, which embeds Status.
type command func(ctx context.Context, app *store.App, body []byte) (any, error)

// Status is the envelope every answer carries.
type Status struct {
	ActionStatus string // OK or FAIL
	ErrorCode    int
	ErrorInfo    string
}

// statusOK is the status of a successful call.
var statusOK = Status{ActionStatus: "OK"}

// commands returns the router: each command served, by "<service>/<command>".
// docs/tencent-api.md's compatibility table is checked against it (compat_test.go).
func (s *Server) commands() map[string]command {
	cmds := map[string]command{
		"im_open_login_svc/account_import":          s.accountImport,
		"im_open_login_svc/multiaccount_import":     s.multiAccountImport,
		"im_open_login_svc/account_check":           s.accountCheck,
		"im_open_login_svc/account_delete":          s.accountDelete,
		"im_open_login_svc/kick":                    s.kick,
		"openim/sendmsg":                            s.sendMsg,
		"openim/batchsendmsg":                       s.batchSendMsg,
		"openim/importmsg":                          s.importMsg,
		"openim/admin_getroammsg":                   s.adminGetRoamMsg,
		"openim/admin_msgwithdraw":                  s.adminMsgWithdraw,
		"openim/admin_set_msg_read":                 s.adminSetMsgRead,
		"openim/get_c2c_unread_msg_num":             s.getC2CUnreadMsgNum,
		"group_open_http_svc/get_role_in_group":     s.getRoleInGroup,
		"group_open_http_svc/get_appid_group_list":  s.getAppIDGroupList,
		"group_open_http_svc/import_group_member":   s.importGroupMember,
		"group_open_http_svc/get_group_shutted_uin": s.getGroupShuttedUin,
		"openim/querystate":                         s.queryState,
		"openconfigsvr/setnospeaking":               s.setNoSpeaking,
		"openconfigsvr/getnospeaking":               s.getNoSpeaking,
		"openim/query_online_status":                s.queryOnlineStatus,
		"profile/portrait_set":                      s.portraitSet,
		"profile/portrait_get":                      s.portraitGet,
		"recentcontact/get_list":                    s.getList,

		"group_open_http_svc/create_group":             s.createGroup,
		"group_open_http_svc/destroy_group":            s.destroyGroup,
		"group_open_http_svc/get_group_info":           s.getGroupInfo,
		"group_open_http_svc/get_group_member_info":    s.getGroupMemberInfo,
		"group_open_http_svc/get_joined_group_list":    s.getJoinedGroupList,
		"group_open_http_svc/modify_group_base_info":   s.modifyGroupBaseInfo,
		"group_open_http_svc/modify_group_member_info": s.modifyGroupMemberInfo,
		"group_open_http_svc/change_group_owner":       s.changeGroupOwner,
		"group_open_http_svc/forbid_send_msg":          s.forbidSendMsg,
		"group_open_http_svc/add_group_member":         s.addGroupMember,
		"group_open_http_svc/delete_group_member":      s.deleteGroupMember,
		"group_open_http_svc/send_group_msg":           s.sendGroupMsg,
		"group_open_http_svc/group_msg_get_simple":     s.groupMsgGetSimple,
		"group_open_http_svc/import_group_msg":         s.importGroupMsg,
		"group_open_http_svc/group_msg_recall":         s.groupMsgRecall,
		"timpush/push":                                 s.timPush,
	}
	if s.Audience != nil {
		// The same tag and attribute calls under the older all_member_push service
		// (im_ names) and the Push service (timpush).
		for name, cmd := range map[string]command{
			"add_tag": s.changeTags(true), "remove_tag": s.changeTags(false), "get_tag": s.getTags,
			"remove_all_tags": s.removeAllTags, "set_attr_name": s.setAttrName, "get_attr_name": s.getAttrName,
			"set_attr": s.setAttr, "get_attr": s.getAttr, "remove_attr": s.removeAttr,
		} {
			cmds["all_member_push/im_"+name] = cmd
			cmds["timpush/"+name] = cmd
		}
	}
	return cmds
}

// Handler returns the routes under /v4/.
func (s *Server) Handler() http.Handler {
	cmds := s.commands()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := s.serve(w, r, cmds)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, res)
	})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, cmds map[string]command) (any, error) {
	if r.Method != http.MethodPost {
		return nil, &Error{Code: CodeBadHTTP, Info: "REST calls are POST requests with a JSON body"}
	}
	app, err := s.authenticate(r)
	if err != nil {
		return nil, err
	}
	name := strings.TrimPrefix(r.URL.Path, "/v4/")
	cmd, found := cmds[name]
	if !found {
		return nil, &Error{Code: CodeUnknownCommand, Info: fmt.Sprintf("Herald does not serve v4/%s; docs/tencent-api.md lists the supported commands", name)}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &Error{Code: CodeMessageTooLong, Info: fmt.Sprintf("the request body is over %d bytes", MaxBodyBytes)}
		}
		return nil, &Error{Code: CodeBadHTTP, Info: "the request body could not be read", Err: err}
	}
	return cmd(r.Context(), app, body)
}

// authenticate checks the query's sdkappid, identifier (the app admin) and usersig.
func (s *Server) authenticate(r *http.Request) (*store.App, error) {
	q := r.URL.Query()
	id, err := strconv.ParseInt(q.Get("sdkappid"), 10, 64)
	if err != nil {
		return nil, &Error{Code: CodeNoAppID, Info: "set the query parameters sdkappid, identifier and usersig"}
	}
	app, err := s.Store.FindAppByID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &Error{Code: CodeUnknownApp, Info: fmt.Sprintf("no app with SDKAppID %d", id)}
	}
	if err != nil {
		return nil, fmt.Errorf("find app: %w", err)
	}
	identifier := q.Get("identifier")
	if identifier != app.AdminUserID {
		return nil, &Error{Code: CodeNotAdmin, Info: fmt.Sprintf("identifier %q is not this app's admin; use the admin identifier set for the app with its UserSig", identifier)}
	}
	if err := auth.VerifyUserSig(app.SDKAppID, app.SecretKey, identifier, q.Get("usersig"), s.Now()); err != nil {
		return nil, sigError(err)
	}
	return app, nil
}

// decode reads a JSON body into v. Unknown fields are ignored: Tencent's callers send
// many that Herald does not use (docs/tencent-api.md says which).
func decode(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return &Error{Code: CodeBadJSON, Info: "the body is not the JSON this command takes: " + err.Error(), Err: err}
	}
	return nil
}

// writeError answers FAIL with err's Tencent code; internal errors are logged once here
// and shown only as "internal error".
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code, info, internal := codeOf(err)
	if internal {
		s.Logger.Error("tencent api", "path", r.URL.Path, "err", err)
	}
	writeJSON(w, Status{ActionStatus: "FAIL", ErrorCode: code, ErrorInfo: info})
}

// writeJSON answers HTTP 200, as Tencent does for errors too (the code is in the body).
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	json.NewEncoder(w).Encode(v)
}
