package tencent

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/herald-im/herald/internal/im"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// CreateGroupRequest is the body of group_open_http_svc/create_group
// (cloud.tencent.com/document/product/269/1615). Herald has one kind of group: Type is
// checked but changes nothing.
type CreateGroupRequest struct {
	// OwnerAccount is the owner; absent means the app admin, whose account must exist.
	OwnerAccount string `json:"Owner_Account"`
	Type         string
	GroupID      string `json:"GroupId"` // absent = Herald picks one
	Name         string
	FaceURL      string `json:"FaceUrl"`
	Introduction string
	Notification string
	MaxMemberNum int
	MemberList   []Member
}

// Member is one entry of a MemberList. Role is Admin or Member (create_group only).
type Member struct {
	MemberAccount string `json:"Member_Account"`
	Role          string `json:",omitempty"`
}

// CreateGroupResponse answers create_group.
type CreateGroupResponse struct {
	Status
	GroupID string `json:"GroupId"`
}

// groupTypes are Tencent's group types.
var groupTypes = []string{"Private", "Work", "Public", "ChatRoom", "Meeting", "AVChatRoom", "BChatRoom", "Community"}

// Tencent's member roles in MemberList.
const roleAdmin = "Admin"

// maxGroupNameBytes bounds a group's Name, as the chat core does.
const maxGroupNameBytes = 64

func (s *Server) createGroup(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req CreateGroupRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.Type != "" && !slices.Contains(groupTypes, req.Type) {
		return nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("Type %q: use one of %s", req.Type, strings.Join(groupTypes, ", "))}
	}
	if req.Name == "" || len(req.Name) > maxGroupNameBytes {
		return nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("Name must be 1-%d bytes", maxGroupNameBytes)}
	}
	// Checked before the group exists, so that a bad one creates nothing.
	if len(req.Introduction) > im.MaxGroupIntroductionBytes || len(req.Notification) > im.MaxGroupNotificationBytes || req.MaxMemberNum < 0 {
		return nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("Introduction and Notification are at most %d bytes, MaxMemberNum not negative", im.MaxGroupIntroductionBytes)}
	}
	owner := req.OwnerAccount
	if owner == "" {
		owner = app.AdminUserID
	}
	in := protocol.CreateGroupRequest{GroupID: req.GroupID, Name: req.Name, FaceURL: req.FaceURL}
	for _, m := range req.MemberList {
		in.MemberIDs = append(in.MemberIDs, m.MemberAccount)
	}
	g, err := s.IM.CreateGroup(ctx, app.SDKAppID, owner, in)
	if err != nil {
		return nil, err
	}
	// The details beyond name and face, and the type, are kept beside the group.
	c := im.GroupChange{Introduction: &req.Introduction, Notification: &req.Notification, MaxMembers: &req.MaxMemberNum, Type: &req.Type}
	if err := s.IM.ModifyGroup(ctx, app.SDKAppID, g.ID, c); err != nil {
		return nil, err
	}
	for _, m := range req.MemberList {
		if m.Role == roleAdmin && m.MemberAccount != owner {
			err := s.IM.SetMemberRole(ctx, app.SDKAppID, app.AdminUserID, true,
				protocol.SetMemberRoleRequest{GroupID: g.ID, UserID: m.MemberAccount, Role: protocol.RoleAdmin})
			if err != nil {
				return nil, fmt.Errorf("make %q an admin: %w", m.MemberAccount, err)
			}
		}
	}
	return CreateGroupResponse{Status: statusOK, GroupID: g.ID}, nil
}

// AddGroupMemberRequest is the body of group_open_http_svc/add_group_member
// (cloud.tencent.com/document/product/269/1621). Silence is accepted; Herald sends no
// join notices either way.
type AddGroupMemberRequest struct {
	GroupID    string `json:"GroupId"`
	Silence    int
	MemberList []Member
}

// AddGroupMemberResponse answers add_group_member with a Result per account.
type AddGroupMemberResponse struct {
	Status
	MemberList []MemberResult
}

// MemberResult is the outcome for one account: 0 failed (it does not exist), 1 added,
// 2 already a member.
type MemberResult struct {
	MemberAccount string `json:"Member_Account"`
	Result        int
}

// add_group_member results.
const (
	resultFailed  = 0
	resultAdded   = 1
	resultAlready = 2
)

func (s *Server) addGroupMember(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req AddGroupMemberRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(req.MemberList))
	for _, m := range req.MemberList {
		ids = append(ids, m.MemberAccount)
	}
	// Accounts that do not exist fail one by one, as with Tencent, instead of failing
	// the call; if none exists the call fails (with the group's error first).
	have, err := s.Store.FindAccounts(ctx, app.SDKAppID, ids)
	if err != nil {
		return nil, fmt.Errorf("find accounts: %w", err)
	}
	exists := map[string]bool{}
	for _, a := range have {
		exists[a.UserID] = true
	}
	var known []string
	for _, u := range ids {
		if exists[u] {
			known = append(known, u)
		}
	}
	if len(known) == 0 {
		known = ids
	}
	added, err := s.IM.AddMembers(ctx, app.SDKAppID, app.AdminUserID, true, protocol.MembersRequest{GroupID: req.GroupID, UserIDs: known})
	if err != nil {
		return nil, err
	}
	res := AddGroupMemberResponse{Status: statusOK, MemberList: make([]MemberResult, 0, len(ids))}
	for _, u := range ids {
		r := MemberResult{MemberAccount: u, Result: resultFailed}
		switch {
		case slices.Contains(added.UserIDs, u):
			r.Result = resultAdded
		case exists[u]:
			r.Result = resultAlready
		}
		res.MemberList = append(res.MemberList, r)
	}
	return res, nil
}

// DeleteGroupMemberRequest is the body of group_open_http_svc/delete_group_member
// (cloud.tencent.com/document/product/269/1622). Silence and Reason are accepted and
// ignored.
type DeleteGroupMemberRequest struct {
	GroupID     string `json:"GroupId"`
	Silence     int
	Reason      string
	MemberToDel []string `json:"MemberToDel_Account"`
}

func (s *Server) deleteGroupMember(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req DeleteGroupMemberRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	_, err := s.IM.RemoveMembers(ctx, app.SDKAppID, app.AdminUserID, true, protocol.MembersRequest{GroupID: req.GroupID, UserIDs: req.MemberToDel})
	if err != nil {
		return nil, err
	}
	return statusOK, nil
}

// SendGroupMsgRequest is the body of group_open_http_svc/send_group_msg
// (cloud.tencent.com/document/product/269/1629).
type SendGroupMsgRequest struct {
	GroupID string `json:"GroupId"`
	// FromAccount is the sender, who need not be a member; absent means the app admin,
	// whose account must exist.
	FromAccount string `json:"From_Account"`
	// Random deduplicates like sendmsg's MsgRandom.
	Random          uint32
	MsgPriority     string // High, Normal, Low or Lowest
	MsgBody         []MsgElem
	OnlineOnlyFlag  int // 1 = online members only, not stored and not pushed
	SendMsgControl  []string
	OfflinePushInfo *OfflinePushInfo
	CloudCustomData string
	GroupAtInfo     []GroupAt
}

// GroupAt is one @-mention: everyone (GroupAtAllFlag 1) or one member.
type GroupAt struct {
	GroupAtAllFlag int
	GroupAtAccount string `json:"GroupAt_Account"`
}

// SendGroupMsgResponse answers send_group_msg.
type SendGroupMsgResponse struct {
	Status
	MsgTime int64 // Unix seconds
	MsgSeq  int64
}

// priorities maps Tencent's MsgPriority to Herald's.
var priorities = map[string]string{"": "", "High": "high", "Normal": "normal", "Low": "low", "Lowest": "low"}

func (s *Server) sendGroupMsg(ctx context.Context, app *store.App, body []byte) (any, error) {
	var req SendGroupMsgRequest
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.GroupID == "" {
		return nil, &Error{Code: CodeInvalidParam, Info: "GroupId is required"}
	}
	prio, found := priorities[req.MsgPriority]
	if !found {
		return nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("MsgPriority %q: use High, Normal, Low or Lowest", req.MsgPriority)}
	}
	msg := Msg{
		FromAccount: req.FromAccount, MsgBody: req.MsgBody, SendMsgControl: req.SendMsgControl,
		OfflinePushInfo: req.OfflinePushInfo, CloudCustomData: req.CloudCustomData,
	}
	p, err := msg.params(app)
	if err != nil {
		return nil, err
	}
	p.Request.GroupID = req.GroupID
	p.Request.ClientMsgID = clientMsgID("group", req.GroupID, req.Random)
	p.Request.Priority = prio
	p.Request.OnlineOnly = req.OnlineOnlyFlag == 1
	for i, at := range req.GroupAtInfo {
		if at.GroupAtAllFlag != 1 && at.GroupAtAccount != "" {
			if err := checkAccount(fmt.Sprintf("GroupAtInfo[%d].GroupAt_Account", i), at.GroupAtAccount); err != nil {
				return nil, err
			}
		}
		if at.GroupAtAllFlag == 1 {
			p.Request.AtAll = true
		} else if at.GroupAtAccount != "" {
			p.Request.AtUserIDs = append(p.Request.AtUserIDs, at.GroupAtAccount)
		}
	}
	if len(p.Request.AtUserIDs) > im.MaxAtUsers {
		return nil, &Error{Code: CodeInvalidParam, Info: fmt.Sprintf("GroupAtInfo mentions %d accounts; at most %d", len(p.Request.AtUserIDs), im.MaxAtUsers)}
	}
	m, err := s.IM.Send(ctx, p)
	if err != nil {
		return nil, err
	}
	return SendGroupMsgResponse{Status: statusOK, MsgTime: m.Time / 1000, MsgSeq: m.Seq}, nil
}
