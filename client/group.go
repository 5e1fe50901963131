package client

import (
	"context"

	"github.com/herald-im/herald/protocol"
)

// CreateGroup creates a group owned by the user, with members; groupID may be empty
// for a server-chosen one.
func (c *Client) CreateGroup(ctx context.Context, groupID, name string, memberIDs []string) (*Group, error) {
	var g Group
	err := c.call(ctx, protocol.OpCreateGroup, protocol.CreateGroupRequest{GroupID: groupID, Name: name, MemberIDs: memberIDs}, &g)
	if err != nil {
		return nil, err
	}
	return &g, nil
}

// GetGroupInfo returns a group the user belongs to, with its members.
func (c *Client) GetGroupInfo(ctx context.Context, groupID string) (*Group, error) {
	var g Group
	if err := c.call(ctx, protocol.OpGetGroup, protocol.GetGroupRequest{GroupID: groupID}, &g); err != nil {
		return nil, err
	}
	return &g, nil
}

// InviteUserToGroup adds users to a group (owner or admin); it returns who was added.
func (c *Client) InviteUserToGroup(ctx context.Context, groupID string, userIDs []string) ([]string, error) {
	var res protocol.MembersResponse
	if err := c.call(ctx, protocol.OpAddMembers, protocol.MembersRequest{GroupID: groupID, UserIDs: userIDs}, &res); err != nil {
		return nil, err
	}
	return res.UserIDs, nil
}

// KickGroupMember removes users from a group (owner or admin); it returns who was removed.
func (c *Client) KickGroupMember(ctx context.Context, groupID string, userIDs []string) ([]string, error) {
	var res protocol.MembersResponse
	if err := c.call(ctx, protocol.OpRemoveMembers, protocol.MembersRequest{GroupID: groupID, UserIDs: userIDs}, &res); err != nil {
		return nil, err
	}
	return res.UserIDs, nil
}

// QuitGroup leaves a group.
func (c *Client) QuitGroup(ctx context.Context, groupID string) error {
	c.mu.Lock()
	me := c.userID
	c.mu.Unlock()
	_, err := c.KickGroupMember(ctx, groupID, []string{me})
	return err
}

// SetGroupMemberRole makes a member an admin ("admin") or a plain member ("member");
// only the group's owner may.
func (c *Client) SetGroupMemberRole(ctx context.Context, groupID, userID, role string) error {
	return c.call(ctx, protocol.OpSetMemberRole, protocol.SetMemberRoleRequest{GroupID: groupID, UserID: userID, Role: role}, nil)
}
