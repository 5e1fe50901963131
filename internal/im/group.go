package im

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// MaxMembersPerCall bounds the members added or removed in one call.
const MaxMembersPerCall = 500

// CreateGroup creates a group owned by owner with the given members. ByAdmin calls may
// name any existing account as owner.
func (s *Service) CreateGroup(ctx context.Context, sdkAppID int64, owner string, req protocol.CreateGroupRequest) (*protocol.Group, error) {
	if req.GroupID == "" {
		req.GroupID = "g" + strings.ReplaceAll(uuid.NewString(), "-", "")[:24]
	}
	if err := checkGroupID(req.GroupID); err != nil {
		return nil, err
	}
	if req.Name == "" || len(req.Name) > 64 {
		return nil, invalid("name must be 1-64 bytes")
	}
	if req.FaceURL != "" {
		if err := checkURL(req.FaceURL); err != nil {
			return nil, invalid("face_url: %v", err)
		}
	}
	if len(req.MemberIDs) > MaxMembersPerCall {
		return nil, invalid("member_ids: at most %d at creation; add more later", MaxMembersPerCall)
	}
	ids := append([]string{owner}, req.MemberIDs...)
	if err := s.checkAccountsExist(ctx, sdkAppID, ids); err != nil {
		return nil, err
	}
	now := s.Now()
	g := &store.Group{SDKAppID: sdkAppID, ID: req.GroupID, Name: req.Name, FaceURL: req.FaceURL, OwnerID: owner, CreatedAt: now}
	members := []*store.GroupMember{{SDKAppID: sdkAppID, GroupID: g.ID, UserID: owner, Role: store.Owner, JoinedAt: now}}
	seen := map[string]bool{owner: true}
	for _, u := range req.MemberIDs {
		if !seen[u] {
			seen[u] = true
			members = append(members, &store.GroupMember{SDKAppID: sdkAppID, GroupID: g.ID, UserID: u, Role: store.Member, JoinedAt: now})
		}
	}
	if err := s.Store.CreateGroup(ctx, g, members); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, errcode.Errorf(errcode.Conflict, "group %q already exists", g.ID)
		}
		return nil, fmt.Errorf("create group: %w", err)
	}
	return wireGroup(g, members), nil
}

func (s *Service) checkAccountsExist(ctx context.Context, sdkAppID int64, ids []string) error {
	for _, u := range ids {
		if err := checkUserID(u, "user"); err != nil {
			return err
		}
	}
	found, err := s.Store.FindAccounts(ctx, sdkAppID, ids)
	if err != nil {
		return fmt.Errorf("find accounts: %w", err)
	}
	have := make(map[string]bool, len(found))
	for _, a := range found {
		have[a.UserID] = true
	}
	for _, u := range ids {
		if !have[u] {
			return errcode.Errorf(errcode.UserNotFound, "user %q does not exist; import the account first", u)
		}
	}
	return nil
}

// GetGroup returns a group with its members; only members (or the admin) may look.
func (s *Service) GetGroup(ctx context.Context, sdkAppID int64, caller string, byAdmin bool, groupID string) (*protocol.Group, error) {
	if err := checkGroupID(groupID); err != nil {
		return nil, err
	}
	g, err := s.Store.FindGroup(ctx, sdkAppID, groupID)
	if err != nil {
		return nil, notFound(err, errcode.GroupNotFound, "group %q does not exist", groupID)
	}
	if !byAdmin {
		if _, err := s.member(ctx, sdkAppID, groupID, caller); err != nil {
			return nil, err
		}
	}
	var all []*store.GroupMember
	for after := ""; ; {
		page, err := s.Store.FindGroupMembers(ctx, sdkAppID, groupID, after, 1000)
		if err != nil {
			return nil, fmt.Errorf("find members: %w", err)
		}
		all = append(all, page...)
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].UserID
	}
	return wireGroup(g, all), nil
}

func (s *Service) member(ctx context.Context, sdkAppID int64, groupID, userID string) (*store.GroupMember, error) {
	m, err := s.Store.FindGroupMember(ctx, sdkAppID, groupID, userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errcode.Errorf(errcode.PermissionDenied, "%q is not a member of group %q; only members can do this", userID, groupID)
	}
	if err != nil {
		return nil, fmt.Errorf("find member: %w", err)
	}
	return m, nil
}

// AddMembers adds users to a group. Only the owner or an admin of the group (or the
// app admin, byAdmin) may add.
func (s *Service) AddMembers(ctx context.Context, sdkAppID int64, caller string, byAdmin bool, req protocol.MembersRequest) (*protocol.MembersResponse, error) {
	if err := s.checkMembersRequest(ctx, sdkAppID, caller, byAdmin, req, false); err != nil {
		return nil, err
	}
	if err := s.checkAccountsExist(ctx, sdkAppID, req.UserIDs); err != nil {
		return nil, err
	}
	now := s.Now()
	ms := make([]*store.GroupMember, 0, len(req.UserIDs))
	for _, u := range req.UserIDs {
		ms = append(ms, &store.GroupMember{SDKAppID: sdkAppID, GroupID: req.GroupID, UserID: u, Role: store.Member, JoinedAt: now})
	}
	added, err := s.Store.AddGroupMembers(ctx, sdkAppID, req.GroupID, ms)
	if err != nil {
		return nil, fmt.Errorf("add members: %w", err)
	}
	return &protocol.MembersResponse{UserIDs: nonNil(added)}, nil
}

// RemoveMembers removes users from a group: the owner or an admin may remove others,
// anyone may remove themselves; the owner cannot be removed.
func (s *Service) RemoveMembers(ctx context.Context, sdkAppID int64, caller string, byAdmin bool, req protocol.MembersRequest) (*protocol.MembersResponse, error) {
	self := len(req.UserIDs) == 1 && req.UserIDs[0] == caller
	if err := s.checkMembersRequest(ctx, sdkAppID, caller, byAdmin || self, req, true); err != nil {
		return nil, err
	}
	g, err := s.Store.FindGroup(ctx, sdkAppID, req.GroupID)
	if err != nil {
		return nil, notFound(err, errcode.GroupNotFound, "group %q does not exist", req.GroupID)
	}
	for _, u := range req.UserIDs {
		if u == g.OwnerID {
			return nil, errcode.Errorf(errcode.PermissionDenied, "the owner %q cannot be removed from the group", u)
		}
	}
	removed, err := s.Store.RemoveGroupMembers(ctx, sdkAppID, req.GroupID, req.UserIDs)
	if err != nil {
		return nil, fmt.Errorf("remove members: %w", err)
	}
	return &protocol.MembersResponse{UserIDs: nonNil(removed)}, nil
}

func (s *Service) checkMembersRequest(ctx context.Context, sdkAppID int64, caller string, allowed bool, req protocol.MembersRequest, removing bool) error {
	if err := checkGroupID(req.GroupID); err != nil {
		return err
	}
	if len(req.UserIDs) == 0 || len(req.UserIDs) > MaxMembersPerCall {
		return invalid("user_ids must name 1-%d users", MaxMembersPerCall)
	}
	for _, u := range req.UserIDs {
		if err := checkUserID(u, "user_ids"); err != nil {
			return err
		}
	}
	if _, err := s.Store.FindGroup(ctx, sdkAppID, req.GroupID); err != nil {
		return notFound(err, errcode.GroupNotFound, "group %q does not exist", req.GroupID)
	}
	if allowed {
		return nil
	}
	m, err := s.member(ctx, sdkAppID, req.GroupID, caller)
	if err != nil {
		return err
	}
	if m.Role != store.Owner && m.Role != store.Admin {
		verb := "add"
		if removing {
			verb = "remove"
		}
		return errcode.Errorf(errcode.PermissionDenied, "only the owner or an admin of group %q can %s members", req.GroupID, verb)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// SetMemberRole makes a member an admin or a plain member. Only the owner (or the app
// admin, byAdmin) may; the owner's own role does not change here.
func (s *Service) SetMemberRole(ctx context.Context, sdkAppID int64, caller string, byAdmin bool, req protocol.SetMemberRoleRequest) error {
	if err := checkGroupID(req.GroupID); err != nil {
		return err
	}
	if err := checkUserID(req.UserID, "user_id"); err != nil {
		return err
	}
	role := store.GroupRole(req.Role)
	if role != store.Admin && role != store.Member {
		return invalid("role %q: use admin or member", req.Role)
	}
	g, err := s.Store.FindGroup(ctx, sdkAppID, req.GroupID)
	if err != nil {
		return notFound(err, errcode.GroupNotFound, "group %q does not exist", req.GroupID)
	}
	if !byAdmin && caller != g.OwnerID {
		return errcode.Errorf(errcode.PermissionDenied, "only the owner of group %q can change roles", req.GroupID)
	}
	if req.UserID == g.OwnerID {
		return errcode.Errorf(errcode.PermissionDenied, "the owner's role cannot change")
	}
	err = s.Store.UpdateGroupMember(ctx, sdkAppID, req.GroupID, req.UserID, store.GroupMemberUpdate{Role: &role})
	if errors.Is(err, store.ErrNotFound) {
		return errcode.Errorf(errcode.UserNotFound, "%q is not a member of group %q", req.UserID, req.GroupID)
	}
	if err != nil {
		return fmt.Errorf("set role: %w", err)
	}
	return nil
}
