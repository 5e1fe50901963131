package tencent

import (
	"context"
	"fmt"
	"time"

	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/store"
)

// groupRequest is the body of destroy_group and of the commands that name one group.
type groupRequest struct {
	GroupID string `json:"GroupId"`
}

func checkGroup(id string) error {
	if id == "" {
		return &Error{Code: CodeInvalidParam, Info: "GroupId is required"}
	}
	return nil
}

// destroyGroup answers group_open_http_svc/destroy_group
// (cloud.tencent.com/document/product/269/1624).
func (s *Server) destroyGroup(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req groupRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkGroup(req.GroupID); err != nil {
		return nil, err
	}
	if err := s.IM.DestroyGroup(ctx, app.SDKAppID, req.GroupID); err != nil {
		return nil, err
	}
	return statusOK, nil
}

// GroupInfo is one group in get_group_info's answer; a group that does not exist has
// only GroupId, ErrorCode and ErrorInfo.
type GroupInfo struct {
	GroupID      string `json:"GroupId"`
	ErrorCode    int
	ErrorInfo    string
	Type         string `json:",omitempty"`
	Name         string `json:",omitempty"`
	Introduction string `json:",omitempty"`
	Notification string `json:",omitempty"`
	FaceURL      string `json:"FaceUrl,omitempty"`
	OwnerAccount string `json:"Owner_Account,omitempty"`
	CreateTime   int64  `json:",omitempty"`
	MemberNum    int    `json:",omitempty"`
	MaxMemberNum int    `json:",omitempty"`
}

// MaxGroupInfo bounds one get_group_info (the commercial limit).
const MaxGroupInfo = 50

// defaultGroupType is answered for groups created without a type.
const defaultGroupType = "Public"

// getGroupInfo answers group_open_http_svc/get_group_info
// (cloud.tencent.com/document/product/269/1616); ResponseFilter is accepted and every
// field Herald keeps is answered.
func (s *Server) getGroupInfo(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req struct {
		GroupIDList []string `json:"GroupIdList"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if len(req.GroupIDList) == 0 || len(req.GroupIDList) > MaxGroupInfo {
		return nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("GroupIdList must name 1-%d groups", MaxGroupInfo)}
	}
	out := make([]GroupInfo, 0, len(req.GroupIDList))
	for _, id := range req.GroupIDList {
		g, err := s.IM.GroupInfo(ctx, app.SDKAppID, id)
		if err != nil {
			code, info, internal := codeOf(err)
			if internal {
				return nil, err
			}
			out = append(out, GroupInfo{GroupID: id, ErrorCode: code, ErrorInfo: info})
			continue
		}
		typ := g.Type
		if typ == "" {
			typ = defaultGroupType
		}
		out = append(out, GroupInfo{
			GroupID: id, Type: typ, Name: g.Name, Introduction: g.Introduction, Notification: g.Notification,
			FaceURL: g.FaceURL, OwnerAccount: g.OwnerID, CreateTime: g.CreatedAt.Unix(), MemberNum: g.MemberCount,
			MaxMemberNum: g.MaxMembers,
		})
	}
	return struct {
		Status
		GroupInfo []GroupInfo
	}{statusOK, out}, nil
}

// Tencent's member roles and message flags.
var (
	roleNames = map[store.GroupRole]string{store.Owner: "Owner", store.Admin: "Admin", store.Member: "Member"}
	msgFlags  = map[store.RecvOpt]string{
		store.Receive: "AcceptAndNotify", store.NotReceive: "Discard",
		store.ReceiveNoNotify: "AcceptNotNotify", store.ReceiveNoNotifyExceptAt: "AcceptNotNotify",
	}
)

// GroupMemberInfo is one member in get_group_member_info's answer.
type GroupMemberInfo struct {
	MemberAccount string `json:"Member_Account"`
	Role          string
	JoinTime      int64
	MsgFlag       string
	ShutUpUntil   int64 // Unix seconds; 0 = not muted
	NameCard      string
}

// MaxMemberPage bounds one get_group_member_info page (the commercial limit).
const MaxMemberPage = 6000

// getGroupMemberInfo answers group_open_http_svc/get_group_member_info
// (cloud.tencent.com/document/product/269/1617) with Limit/Offset paging.
func (s *Server) getGroupMemberInfo(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req struct {
		GroupID string `json:"GroupId"`
		Limit   int
		Offset  int
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkGroup(req.GroupID); err != nil {
		return nil, err
	}
	if req.Limit < 0 || req.Limit > MaxMemberPage || req.Offset < 0 {
		return nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("Limit must be 0-%d (0 = all) and Offset not negative", MaxMemberPage)}
	}
	limit := req.Limit
	if limit == 0 {
		limit = MaxMemberPage
	}
	ms, total, err := s.IM.GroupMembers(ctx, app.SDKAppID, req.GroupID, req.Offset, limit)
	if err != nil {
		return nil, err
	}
	out := make([]GroupMemberInfo, 0, len(ms))
	for _, m := range ms {
		gm := GroupMemberInfo{MemberAccount: m.UserID, Role: roleNames[m.Role], JoinTime: m.JoinedAt.Unix(), MsgFlag: msgFlags[m.RecvOpt], NameCard: m.NameCard}
		if !m.MuteUntil.IsZero() && m.MuteUntil.After(s.Now()) {
			gm.ShutUpUntil = m.MuteUntil.Unix()
		}
		out = append(out, gm)
	}
	return struct {
		Status
		MemberNum  int
		MemberList []GroupMemberInfo
	}{statusOK, total, out}, nil
}

// getJoinedGroupList answers group_open_http_svc/get_joined_group_list
// (cloud.tencent.com/document/product/269/1625) with Limit/Offset paging, by group ID.
func (s *Server) getJoinedGroupList(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req struct {
		MemberAccount string `json:"Member_Account"`
		Limit, Offset int
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkAccount("Member_Account", req.MemberAccount); err != nil {
		return nil, err
	}
	if req.Limit < 0 || req.Offset < 0 {
		return nil, &Error{Code: CodeInvalidParam, Info: "Limit and Offset cannot be negative"}
	}
	if as, err := s.Store.FindAccounts(ctx, app.SDKAppID, []string{req.MemberAccount}); err != nil {
		return nil, fmt.Errorf("find account: %w", err)
	} else if len(as) == 0 {
		return nil, &Error{Code: CodeNoAccount, Info: fmt.Sprintf("account %q was never imported", req.MemberAccount)}
	}
	gs, err := s.IM.Store.FindUserGroups(ctx, app.SDKAppID, req.MemberAccount)
	if err != nil {
		return nil, fmt.Errorf("find user groups: %w", err)
	}
	type groupID struct {
		GroupID string `json:"GroupId"`
	}
	list := []groupID{}
	for i, g := range gs {
		if i >= req.Offset && (req.Limit == 0 || len(list) < req.Limit) {
			list = append(list, groupID{g.ID})
		}
	}
	return struct {
		Status
		TotalCount  int
		GroupIDList []groupID `json:"GroupIdList"`
	}{statusOK, len(gs), list}, nil
}

// ModifyGroupBaseInfoRequest is the body of modify_group_base_info
// (cloud.tencent.com/document/product/269/1620). ApplyJoinOption and ShutUpAllMember
// are accepted and ignored; AppDefinedData is not kept.
type ModifyGroupBaseInfoRequest struct {
	GroupID      string `json:"GroupId"`
	Name         *string
	Introduction *string
	Notification *string
	FaceURL      *string `json:"FaceUrl"`
	MaxMemberNum *int
}

func (s *Server) modifyGroupBaseInfo(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req ModifyGroupBaseInfoRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkGroup(req.GroupID); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		v    *string
		max  int
	}{{"Name", req.Name, maxGroupNameBytes}, {"Introduction", req.Introduction, im.MaxGroupIntroductionBytes}, {"Notification", req.Notification, im.MaxGroupNotificationBytes}} {
		if f.v != nil && len(*f.v) > f.max {
			return nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("%s is over %d bytes", f.name, f.max)}
		}
	}
	if req.Name != nil && *req.Name == "" {
		return nil, &Error{Code: CodeInvalidParam, Info: "Name cannot be empty"}
	}
	if req.FaceURL != nil && *req.FaceURL != "" && !validURL(*req.FaceURL) {
		return nil, &Error{Code: CodeInvalidParam, Info: "FaceUrl must be an absolute http or https URL"}
	}
	if req.MaxMemberNum != nil && *req.MaxMemberNum < 0 {
		return nil, &Error{Code: CodeInvalidParam, Info: "MaxMemberNum cannot be negative"}
	}
	err := s.IM.ModifyGroup(ctx, app.SDKAppID, req.GroupID, im.GroupChange{
		Name: req.Name, FaceURL: req.FaceURL, Introduction: req.Introduction, Notification: req.Notification, MaxMembers: req.MaxMemberNum,
	})
	if err != nil {
		return nil, err
	}
	return statusOK, nil
}

// ModifyGroupMemberInfoRequest is the body of modify_group_member_info
// (cloud.tencent.com/document/product/269/1623).
type ModifyGroupMemberInfoRequest struct {
	GroupID       string `json:"GroupId"`
	MemberAccount string `json:"Member_Account"`
	Role          string // Admin or Member
	MsgFlag       string // AcceptAndNotify, AcceptNotNotify or Discard
	NameCard      *string
	ShutUpTime    *int64 // seconds from now; 0 lifts a mute
}

func (s *Server) modifyGroupMemberInfo(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req ModifyGroupMemberInfoRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkGroup(req.GroupID); err != nil {
		return nil, err
	}
	if err := checkAccount("Member_Account", req.MemberAccount); err != nil {
		return nil, err
	}
	var c im.MemberChange
	switch req.Role {
	case "":
	case "Admin", "Member":
		r := store.Admin
		if req.Role == "Member" {
			r = store.Member
		}
		c.Role = &r
	default:
		return nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("Role %q: use Admin or Member", req.Role)}
	}
	if req.MsgFlag != "" {
		var opt store.RecvOpt
		switch req.MsgFlag {
		case "AcceptAndNotify":
			opt = store.Receive
		case "AcceptNotNotify":
			opt = store.ReceiveNoNotify
		case "Discard":
			opt = store.NotReceive
		default:
			return nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("MsgFlag %q: use AcceptAndNotify, AcceptNotNotify or Discard", req.MsgFlag)}
		}
		c.RecvOpt = &opt
	}
	if req.NameCard != nil {
		if len(*req.NameCard) > im.MaxNameCardBytes {
			return nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("NameCard is over %d bytes", im.MaxNameCardBytes)}
		}
		c.NameCard = req.NameCard
	}
	if req.ShutUpTime != nil {
		d, err := shutUp("ShutUpTime", *req.ShutUpTime)
		if err != nil {
			return nil, err
		}
		c.MuteFor = &d
	}
	if err := s.IM.ModifyMember(ctx, app.SDKAppID, req.GroupID, req.MemberAccount, c); err != nil {
		return nil, err
	}
	return statusOK, nil
}

// shutUp checks a ShutUpTime in seconds.
func shutUp(field string, secs int64) (time.Duration, error) {
	if secs < 0 || secs > int64(im.MaxMute/time.Second) {
		return 0, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("%s must be 0-%d seconds (0 lifts the mute)", field, int64(im.MaxMute/time.Second))}
	}
	return time.Duration(secs) * time.Second, nil
}

// changeGroupOwner answers group_open_http_svc/change_group_owner
// (cloud.tencent.com/document/product/269/1633): the new owner must be a member.
func (s *Server) changeGroupOwner(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req struct {
		GroupID         string `json:"GroupId"`
		NewOwnerAccount string `json:"NewOwner_Account"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkGroup(req.GroupID); err != nil {
		return nil, err
	}
	if err := checkAccount("NewOwner_Account", req.NewOwnerAccount); err != nil {
		return nil, err
	}
	if err := s.IM.ChangeOwner(ctx, app.SDKAppID, req.GroupID, req.NewOwnerAccount); err != nil {
		return nil, err
	}
	return statusOK, nil
}

// MaxForbidMembers bounds one forbid_send_msg (the commercial limit).
const MaxForbidMembers = 500

// forbidSendMsg answers group_open_http_svc/forbid_send_msg
// (cloud.tencent.com/document/product/269/1627): the members cannot send to the group
// (from their devices) for ShutUpTime seconds; 0 lifts the mute.
func (s *Server) forbidSendMsg(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req struct {
		GroupID        string   `json:"GroupId"`
		MembersAccount []string `json:"Members_Account"`
		ShutUpTime     int64
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if err := checkGroup(req.GroupID); err != nil {
		return nil, err
	}
	if len(req.MembersAccount) == 0 || len(req.MembersAccount) > MaxForbidMembers {
		return nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("Members_Account must name 1-%d members", MaxForbidMembers)}
	}
	d, err := shutUp("ShutUpTime", req.ShutUpTime)
	if err != nil {
		return nil, err
	}
	for _, u := range req.MembersAccount {
		if err := checkAccount("Members_Account", u); err != nil {
			return nil, err
		}
		if err := s.IM.ModifyMember(ctx, app.SDKAppID, req.GroupID, u, im.MemberChange{MuteFor: &d}); err != nil {
			return nil, err
		}
	}
	return statusOK, nil
}
