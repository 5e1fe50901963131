package protocol

// Group roles.
const (
	RoleOwner  = "owner"
	RoleAdmin  = "admin"
	RoleMember = "member"
)

// CreateGroupRequest creates a group; the caller becomes its owner.
type CreateGroupRequest struct {
	GroupID   string   `json:"group_id,omitempty"` // empty = the server picks one
	Name      string   `json:"name"`
	FaceURL   string   `json:"face_url,omitempty"`
	MemberIDs []string `json:"member_ids,omitempty"`
}

// Group describes a group.
type Group struct {
	ID        string         `json:"id"`
	Name      string         `json:"name"`
	FaceURL   string         `json:"face_url,omitempty"`
	OwnerID   string         `json:"owner_id"`
	CreatedAt int64          `json:"created_at"` // Unix ms
	Members   []*GroupMember `json:"members,omitempty"`
}

// GroupMember is one member of a group.
type GroupMember struct {
	UserID   string `json:"user_id"`
	Role     string `json:"role"`
	JoinedAt int64  `json:"joined_at"`
}

// GetGroupRequest asks for a group and its members.
type GetGroupRequest struct {
	GroupID string `json:"group_id"`
}

// MembersRequest adds or removes members of a group (owner or admin only, or yourself
// for removal).
type MembersRequest struct {
	GroupID string   `json:"group_id"`
	UserIDs []string `json:"user_ids"`
}

// MembersResponse lists the user IDs that were actually added or removed.
type MembersResponse struct {
	UserIDs []string `json:"user_ids"`
}

// SetMemberRoleRequest makes a member an admin or a plain member (owner only).
type SetMemberRoleRequest struct {
	GroupID string `json:"group_id"`
	UserID  string `json:"user_id"`
	Role    string `json:"role"` // admin or member
}
