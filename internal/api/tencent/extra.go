package tencent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// adminSetMsgRead answers openim/admin_set_msg_read
// (cloud.tencent.com/document/product/269/50349): Report_Account has read everything
// from Peer_Account (MsgReadTime accepted; everything up to now is read). The reader's
// devices get a conversation event.
func (s *Server) adminSetMsgRead(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req struct {
		ReportAccount string `json:"Report_Account"`
		PeerAccount   string `json:"Peer_Account"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkAccount("Report_Account", req.ReportAccount); err != nil {
		return nil, err
	}
	if err := checkAccount("Peer_Account", req.PeerAccount); err != nil {
		return nil, err
	}
	_, err := s.IM.MarkRead(ctx, app.SDKAppID, req.ReportAccount, "", protocol.MarkReadRequest{ConversationID: "c2c_" + req.PeerAccount})
	if c, _ := errcode.Of(err); err != nil && c != errcode.ConversationNotFound {
		return nil, err
	}
	// No conversation yet: nothing is unread.
	return statusOK, nil
}

// getC2CUnreadMsgNum answers openim/get_c2c_unread_msg_num
// (cloud.tencent.com/document/product/269/56043): the account's total one-to-one unread
// count, and per Peer_Account when named.
func (s *Server) getC2CUnreadMsgNum(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req struct {
		ToAccount   string   `json:"To_Account"`
		PeerAccount []string `json:"Peer_Account"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkAccount("To_Account", req.ToAccount); err != nil {
		return nil, err
	}
	if len(req.PeerAccount) > 10 {
		return nil, &Error{Code: CodeInvalidParam, Info: "Peer_Account names at most 10 accounts"}
	}
	if as, err := s.Store.FindAccounts(ctx, app.SDKAppID, []string{req.ToAccount}); err != nil {
		return nil, fmt.Errorf("find account: %w", err)
	} else if len(as) == 0 {
		return nil, &Error{Code: CodeNoAccount, Info: fmt.Sprintf("account %q was never imported", req.ToAccount)}
	}
	cs, err := s.IM.Store.FindConversations(ctx, app.SDKAppID, req.ToAccount)
	if err != nil {
		return nil, fmt.Errorf("find conversations: %w", err)
	}
	type peer struct {
		PeerAccount     string `json:"Peer_Account"`
		C2CUnreadMsgNum int
	}
	unread := map[string]int{}
	total := 0
	for _, c := range cs {
		if c.Type == store.TypeC2C {
			unread[c.PeerID] = c.Unread
			total += c.Unread
		}
	}
	list := []peer{}
	for _, p := range req.PeerAccount {
		list = append(list, peer{p, unread[p]})
	}
	return struct {
		Status
		AllC2CUnreadMsgNum  int
		C2CUnreadMsgNumList []peer `json:",omitempty"`
	}{statusOK, total, list}, nil
}

// getRoleInGroup answers group_open_http_svc/get_role_in_group
// (cloud.tencent.com/document/product/269/1626): Owner, Admin, Member or NotMember.
func (s *Server) getRoleInGroup(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req struct {
		GroupID     string   `json:"GroupId"`
		UserAccount []string `json:"User_Account"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkGroup(req.GroupID); err != nil {
		return nil, err
	}
	if len(req.UserAccount) == 0 || len(req.UserAccount) > MaxGroupMsgPage*25 {
		return nil, &Error{Code: CodeInvalidParam, Info: "User_Account must name 1-500 accounts"}
	}
	if _, err := s.IM.GroupInfo(ctx, app.SDKAppID, req.GroupID); err != nil {
		return nil, err
	}
	type role struct {
		MemberAccount string `json:"Member_Account"`
		Role          string
	}
	out := make([]role, 0, len(req.UserAccount))
	for _, u := range req.UserAccount {
		m, err := s.IM.Store.FindGroupMember(ctx, app.SDKAppID, req.GroupID, u)
		switch {
		case errors.Is(err, store.ErrNotFound):
			out = append(out, role{u, "NotMember"})
		case err != nil:
			return nil, fmt.Errorf("find member: %w", err)
		default:
			out = append(out, role{u, roleNames[m.Role]})
		}
	}
	return struct {
		Status
		UserIDList []role `json:"UserIdList"`
	}{statusOK, out}, nil
}

// getGroupShuttedUin answers group_open_http_svc/get_group_shutted_uin
// (cloud.tencent.com/document/product/269/2925): the members muted now.
func (s *Server) getGroupShuttedUin(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req groupRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkGroup(req.GroupID); err != nil {
		return nil, err
	}
	ms, _, err := s.IM.GroupMembers(ctx, app.SDKAppID, req.GroupID, 0, 0)
	if err != nil {
		return nil, err
	}
	type muted struct {
		MemberAccount string `json:"Member_Account"`
		ShuttedUntil  int64
	}
	out := []muted{}
	for _, m := range ms {
		if m.MuteUntil.After(s.Now()) {
			out = append(out, muted{m.UserID, m.MuteUntil.Unix()})
		}
	}
	return struct {
		Status
		GroupID        string `json:"GroupId"`
		ShuttedUinList []muted
	}{statusOK, req.GroupID, out}, nil
}

// MaxGroupListPage bounds one get_appid_group_list page (the commercial limit).
const MaxGroupListPage = 10000

// getAppIDGroupList answers group_open_http_svc/get_appid_group_list
// (cloud.tencent.com/document/product/269/1614): the app's groups by group ID; Next is
// how many groups the next page skips (0: there is none). GroupType filters by the type
// the group was created with (absent: Public).
func (s *Server) getAppIDGroupList(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req struct {
		Limit     int
		Next      int
		GroupType string
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.Limit < 0 || req.Limit > MaxGroupListPage || req.Next < 0 {
		return nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("Limit must be 0-%d (0 = %d) and Next not negative", MaxGroupListPage, MaxGroupListPage)}
	}
	limit := req.Limit
	if limit == 0 {
		limit = MaxGroupListPage
	}
	total, err := s.IM.Store.CountGroups(ctx, app.SDKAppID)
	if err != nil {
		return nil, fmt.Errorf("count groups: %w", err)
	}
	type groupID struct {
		GroupID string `json:"GroupId"`
	}
	list := []groupID{}
	seen, next := 0, 0
	for after := ""; next == 0; {
		ids, err := s.IM.Store.FindGroupIDs(ctx, app.SDKAppID, after, 1000)
		if err != nil {
			return nil, fmt.Errorf("find groups: %w", err)
		}
		for _, id := range ids {
			seen++
			if seen <= req.Next {
				continue
			}
			if len(list) == limit {
				next = seen - 1
				break
			}
			if req.GroupType != "" {
				g, err := s.IM.GroupInfo(ctx, app.SDKAppID, id)
				if err != nil {
					continue // dismissed meanwhile
				}
				if typ := or(g.Type, defaultGroupType); typ != req.GroupType {
					continue
				}
			}
			list = append(list, groupID{id})
		}
		if len(ids) < 1000 {
			break
		}
		after = ids[len(ids)-1]
	}
	return struct {
		Status
		TotalCount  int
		GroupIDList []groupID `json:"GroupIdList"`
		Next        int
	}{statusOK, total, list, next}, nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// importGroupMember answers group_open_http_svc/import_group_member
// (cloud.tencent.com/document/product/269/1636): as add_group_member, with Role Admin
// honoured; JoinTime and UnreadMsgNum are accepted and not kept (members join now,
// with nothing unread).
func (s *Server) importGroupMember(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req AddGroupMemberRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	res, err := s.addGroupMember(ctx, app, body)
	if err != nil {
		return nil, err
	}
	for _, m := range req.MemberList {
		if m.Role == roleAdmin {
			r := store.Admin
			if err := s.IM.ModifyMember(ctx, app.SDKAppID, req.GroupID, m.MemberAccount, im.MemberChange{Role: &r}); err != nil {
				if c, _ := errcode.Of(err); c != errcode.UserNotFound {
					return nil, err
				}
			}
		}
	}
	return res, nil
}

// setNoSpeaking answers openconfigsvr/setnospeaking
// (cloud.tencent.com/document/product/269/4230): seconds from now, 0 lifts,
// 4294967295 for good; an absent field leaves that mute.
func (s *Server) setNoSpeaking(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req struct {
		SetAccount             string `json:"Set_Account"`
		C2CmsgNospeakingTime   *int64
		GroupmsgNospeakingTime *int64
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkAccount("Set_Account", req.SetAccount); err != nil {
		return nil, err
	}
	var ds [2]*time.Duration
	for i, v := range []*int64{req.C2CmsgNospeakingTime, req.GroupmsgNospeakingTime} {
		if v == nil {
			continue
		}
		d, err := shutUp([]string{"C2CmsgNospeakingTime", "GroupmsgNospeakingTime"}[i], *v)
		if err != nil {
			return nil, err
		}
		ds[i] = &d
	}
	if err := s.IM.SetNoSpeaking(ctx, app.SDKAppID, req.SetAccount, ds[0], ds[1]); err != nil {
		return nil, err
	}
	return statusOK, nil
}

// getNoSpeaking answers openconfigsvr/getnospeaking (…/4229): the seconds left of
// each mute, 0 when not muted.
func (s *Server) getNoSpeaking(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req struct {
		GetAccount string `json:"Get_Account"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkAccount("Get_Account", req.GetAccount); err != nil {
		return nil, err
	}
	ns, err := s.IM.GetNoSpeaking(ctx, app.SDKAppID, req.GetAccount)
	if err != nil {
		return nil, err
	}
	secs := func(d time.Duration) int64 { return int64((d + time.Second - 1) / time.Second) }
	return struct {
		Status
		C2CmsgNospeakingTime   int64
		GroupmsgNospeakingTime int64
	}{statusOK, secs(ns.C2C), secs(ns.Group)}, nil
}
