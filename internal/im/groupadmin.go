package im

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/internal/store"
)

// Group profile fields (store group profile tags).
const (
	groupIntroduction = "introduction"
	groupNotification = "notification"
	groupMaxMembers   = "max_members"
	groupType         = "type" // the commercial group type the group was created with
)

// Member profile fields (store member profile tags).
const (
	memberNameCard  = "name_card"
	memberMuteUntil = "mute_until" // Unix ms
)

// Group limits (the commercial defaults).
const (
	MaxGroupIntroductionBytes = 400
	MaxGroupNotificationBytes = 400
	MaxNameCardBytes          = 50
	// MaxMute is the longest mute: forbid_send_msg takes seconds up to 2^32-1.
	MaxMute = 4294967295 * time.Second
)

// GroupInfo is a group with its profile and member count.
type GroupInfo struct {
	*store.Group
	Introduction string
	Notification string
	MaxMembers   int    // 0: no bound set
	Type         string // as given at creation through the commercial API; "" if none
	MemberCount  int
}

// GroupInfo returns a group's details; GroupNotFound if it does not exist.
func (s *Service) GroupInfo(ctx context.Context, sdkAppID int64, groupID string) (*GroupInfo, error) {
	if err := checkGroupID(groupID); err != nil {
		return nil, err
	}
	g, err := s.Store.FindGroup(ctx, sdkAppID, groupID)
	if err != nil {
		return nil, notFound(err, errcode.GroupNotFound, "group %q does not exist", groupID)
	}
	p, err := s.Store.FindGroupProfile(ctx, sdkAppID, groupID)
	if err != nil {
		return nil, fmt.Errorf("find group profile: %w", err)
	}
	info := &GroupInfo{Group: g, Introduction: p[groupIntroduction], Notification: p[groupNotification], Type: p[groupType]}
	info.MaxMembers, _ = strconv.Atoi(p[groupMaxMembers])
	for after := ""; ; {
		page, err := s.Store.FindGroupMembers(ctx, sdkAppID, groupID, after, 1000)
		if err != nil {
			return nil, fmt.Errorf("find members: %w", err)
		}
		info.MemberCount += len(page)
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].UserID
	}
	return info, nil
}

// GroupChange changes a group's details; nil fields are left as they are.
type GroupChange struct {
	Name, FaceURL, Introduction, Notification *string
	MaxMembers                                *int
	// Type records the commercial group type (Public, Work…); Herald has one kind of
	// group, so it changes nothing else.
	Type *string
}

// ModifyGroup changes a group's details (the app admin's call).
func (s *Service) ModifyGroup(ctx context.Context, sdkAppID int64, groupID string, c GroupChange) error {
	if err := checkGroupID(groupID); err != nil {
		return err
	}
	if c.Name != nil && (*c.Name == "" || len(*c.Name) > 64) {
		return invalid("name must be 1-64 bytes")
	}
	if c.FaceURL != nil && *c.FaceURL != "" {
		if err := checkURL(*c.FaceURL); err != nil {
			return invalid("face_url: %v", err)
		}
	}
	items := map[string]string{}
	if c.Introduction != nil {
		if len(*c.Introduction) > MaxGroupIntroductionBytes {
			return invalid("introduction is over %d bytes", MaxGroupIntroductionBytes)
		}
		items[groupIntroduction] = *c.Introduction
	}
	if c.Notification != nil {
		if len(*c.Notification) > MaxGroupNotificationBytes {
			return invalid("notification is over %d bytes", MaxGroupNotificationBytes)
		}
		items[groupNotification] = *c.Notification
	}
	if c.MaxMembers != nil {
		if *c.MaxMembers < 0 {
			return invalid("max_members cannot be negative")
		}
		items[groupMaxMembers] = strconv.Itoa(*c.MaxMembers)
		if *c.MaxMembers == 0 {
			items[groupMaxMembers] = ""
		}
	}
	if c.Type != nil {
		if len(*c.Type) > 16 {
			return invalid("type is over 16 bytes")
		}
		items[groupType] = *c.Type
	}
	if err := s.Store.UpdateGroup(ctx, sdkAppID, groupID, store.GroupUpdate{Name: c.Name, FaceURL: c.FaceURL}); err != nil {
		return notFound(err, errcode.GroupNotFound, "group %q does not exist", groupID)
	}
	if len(items) > 0 {
		if err := s.Store.SetGroupProfile(ctx, sdkAppID, groupID, items); err != nil {
			return notFound(err, errcode.GroupNotFound, "group %q does not exist", groupID)
		}
	}
	return nil
}

// DestroyGroup dismisses a group: it and its memberships go; its messages stay in the
// members' inboxes until they expire. GroupNotFound if it does not exist.
func (s *Service) DestroyGroup(ctx context.Context, sdkAppID int64, groupID string) error {
	if err := checkGroupID(groupID); err != nil {
		return err
	}
	if err := s.Store.DeleteGroup(ctx, sdkAppID, groupID); err != nil {
		return notFound(err, errcode.GroupNotFound, "group %q does not exist", groupID)
	}
	return nil
}

// ChangeOwner hands a group to another member; the old owner becomes a plain member.
func (s *Service) ChangeOwner(ctx context.Context, sdkAppID int64, groupID, newOwner string) error {
	if err := checkGroupID(groupID); err != nil {
		return err
	}
	if err := checkUserID(newOwner, "new owner"); err != nil {
		return err
	}
	g, err := s.Store.FindGroup(ctx, sdkAppID, groupID)
	if err != nil {
		return notFound(err, errcode.GroupNotFound, "group %q does not exist", groupID)
	}
	if g.OwnerID == newOwner {
		return nil
	}
	owner, member := store.Owner, store.Member
	err = s.Store.UpdateGroupMember(ctx, sdkAppID, groupID, newOwner, store.GroupMemberUpdate{Role: &owner})
	if errors.Is(err, store.ErrNotFound) {
		return errcode.Errorf(errcode.PermissionDenied, "%q is not a member of group %q; only a member can become its owner", newOwner, groupID)
	}
	if err != nil {
		return fmt.Errorf("set new owner: %w", err)
	}
	if err := s.Store.UpdateGroup(ctx, sdkAppID, groupID, store.GroupUpdate{OwnerID: &newOwner}); err != nil {
		return fmt.Errorf("set group owner: %w", err)
	}
	// The old owner may have left (or been deleted); then there is no role to lower.
	if err := s.Store.UpdateGroupMember(ctx, sdkAppID, groupID, g.OwnerID, store.GroupMemberUpdate{Role: &member}); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("lower old owner: %w", err)
	}
	return nil
}

// MemberInfo is one member with its name card and mute.
type MemberInfo struct {
	*store.GroupMember
	NameCard  string
	MuteUntil time.Time // zero: not muted
}

// GroupMembers returns a page of a group's members (by user ID, skipping offset of
// them) and the member count.
func (s *Service) GroupMembers(ctx context.Context, sdkAppID int64, groupID string, offset, limit int) ([]*MemberInfo, int, error) {
	if err := checkGroupID(groupID); err != nil {
		return nil, 0, err
	}
	if _, err := s.Store.FindGroup(ctx, sdkAppID, groupID); err != nil {
		return nil, 0, notFound(err, errcode.GroupNotFound, "group %q does not exist", groupID)
	}
	var page []*store.GroupMember
	total := 0
	for after := ""; ; {
		ms, err := s.Store.FindGroupMembers(ctx, sdkAppID, groupID, after, 1000)
		if err != nil {
			return nil, 0, fmt.Errorf("find members: %w", err)
		}
		for _, m := range ms {
			if total >= offset && (limit <= 0 || len(page) < limit) {
				page = append(page, m)
			}
			total++
		}
		if len(ms) < 1000 {
			break
		}
		after = ms[len(ms)-1].UserID
	}
	ids := make([]string, len(page))
	for i, m := range page {
		ids[i] = m.UserID
	}
	profiles, err := s.Store.FindMemberProfiles(ctx, sdkAppID, groupID, ids)
	if err != nil {
		return nil, 0, fmt.Errorf("find member profiles: %w", err)
	}
	out := make([]*MemberInfo, len(page))
	for i, m := range page {
		p := profiles[m.UserID]
		out[i] = &MemberInfo{GroupMember: m, NameCard: p[memberNameCard], MuteUntil: muteUntil(p)}
	}
	return out, total, nil
}

func muteUntil(p map[string]string) time.Time {
	v, err := strconv.ParseInt(p[memberMuteUntil], 10, 64)
	if err != nil || v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}

// MemberChange changes one membership; nil fields are left as they are.
type MemberChange struct {
	Role     *store.GroupRole // admin or member
	RecvOpt  *store.RecvOpt
	NameCard *string
	// MuteFor mutes the member for this long from now; 0 lifts a mute.
	MuteFor *time.Duration
}

// ModifyMember changes a member's role, receive option, name card or mute (the app
// admin's call). UserNotFound if the user is not a member.
func (s *Service) ModifyMember(ctx context.Context, sdkAppID int64, groupID, userID string, c MemberChange) error {
	if err := checkGroupID(groupID); err != nil {
		return err
	}
	if err := checkUserID(userID, "member"); err != nil {
		return err
	}
	g, err := s.Store.FindGroup(ctx, sdkAppID, groupID)
	if err != nil {
		return notFound(err, errcode.GroupNotFound, "group %q does not exist", groupID)
	}
	if c.Role != nil {
		if *c.Role != store.Admin && *c.Role != store.Member {
			return invalid("role %q: use admin or member", *c.Role)
		}
		if userID == g.OwnerID {
			return errcode.Errorf(errcode.PermissionDenied, "the owner's role cannot change; change the owner instead")
		}
	}
	items := map[string]string{}
	if c.NameCard != nil {
		if len(*c.NameCard) > MaxNameCardBytes {
			return invalid("name card is over %d bytes", MaxNameCardBytes)
		}
		items[memberNameCard] = *c.NameCard
	}
	if c.MuteFor != nil {
		if *c.MuteFor < 0 || *c.MuteFor > MaxMute {
			return invalid("mute must be 0-%d seconds", int64(MaxMute/time.Second))
		}
		items[memberMuteUntil] = ""
		if *c.MuteFor > 0 {
			items[memberMuteUntil] = strconv.FormatInt(s.Now().Add(*c.MuteFor).UnixMilli(), 10)
		}
	}
	err = s.Store.UpdateGroupMember(ctx, sdkAppID, groupID, userID, store.GroupMemberUpdate{Role: c.Role, RecvOpt: c.RecvOpt})
	if err == nil && len(items) > 0 {
		err = s.Store.SetMemberProfile(ctx, sdkAppID, groupID, userID, items)
	}
	if errors.Is(err, store.ErrNotFound) {
		return errcode.Errorf(errcode.UserNotFound, "%q is not a member of group %q", userID, groupID)
	}
	if err != nil {
		return fmt.Errorf("modify member: %w", err)
	}
	return nil
}

// checkNotMuted fails with PermissionDenied while a member is muted.
func (s *Service) checkNotMuted(ctx context.Context, sdkAppID int64, groupID, userID string) error {
	p, err := s.Store.FindMemberProfiles(ctx, sdkAppID, groupID, []string{userID})
	if err != nil {
		return fmt.Errorf("find member profile: %w", err)
	}
	if until := muteUntil(p[userID]); !until.IsZero() && s.Now().Before(until) {
		return errcode.Errorf(errcode.PermissionDenied, "%q is muted in group %q until %s", userID, groupID, until.UTC().Format(time.RFC3339))
	}
	return nil
}
