package im

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// Profile fields beyond nickname and face URL (the commercial SDK's standard profile
// and its custom fields). Values are strings; the API layer gives them types.
const (
	ProfileGender    = "gender"     // Gender_Type_Unknown, Gender_Type_Female, Gender_Type_Male
	ProfileBirthday  = "birthday"   // YYYYMMDD
	ProfileLocation  = "location"   // free text
	ProfileSignature = "signature"  // free text
	ProfileAllowType = "allow_type" // friend requests: AllowType_Type_*
	ProfileLanguage  = "language"
	ProfileLevel     = "level"
	ProfileRole      = "role"
	// ProfileCustomPrefix starts a custom field's key: custom_<name>, name 1-8 bytes of
	// A-Z a-z 0-9 _ (the commercial limit on custom profile keys).
	ProfileCustomPrefix = "custom_"
)

// Profile limits.
const (
	MaxProfileValueBytes = 500
	MaxProfileUsers      = 100
)

var profileFields = []string{ProfileGender, ProfileBirthday, ProfileLocation, ProfileSignature, ProfileAllowType,
	ProfileLanguage, ProfileLevel, ProfileRole}

var customProfileKey = regexp.MustCompile(`^custom_[A-Za-z0-9_]{1,8}$`)

// ValidProfileKey reports whether key is a profile field SetProfileItems accepts.
func ValidProfileKey(key string) bool {
	return slices.Contains(profileFields, key) || customProfileKey.MatchString(key)
}

// Profile is a user's profile: the nickname and face URL and the other fields.
type Profile struct {
	UserID   string
	Nickname string
	FaceURL  string
	Items    map[string]string
}

// ProfileChange changes a profile; nil Nickname or FaceURL are left as they are, and an
// empty value in Items removes that field.
type ProfileChange struct {
	Nickname *string
	FaceURL  *string
	Items    map[string]string
}

// SetProfileItems changes a user's profile. Errors name the field as the caller gave
// it (keys of Items), so that each API can translate.
func (s *Service) SetProfileItems(ctx context.Context, sdkAppID int64, userID string, c ProfileChange) error {
	if err := s.SetProfile(ctx, sdkAppID, userID, protocol.SetProfileRequest{Nickname: c.Nickname, FaceURL: c.FaceURL}); err != nil {
		return err
	}
	for k, v := range c.Items {
		if !ValidProfileKey(k) {
			return invalid("profile field %q is not one Herald keeps", k)
		}
		if len(v) > MaxProfileValueBytes {
			return invalid("profile field %q is over %d bytes", k, MaxProfileValueBytes)
		}
	}
	if len(c.Items) == 0 {
		return nil
	}
	if err := s.Store.SetAccountProfile(ctx, sdkAppID, userID, c.Items); err != nil {
		return notFound(err, errcode.UserNotFound, "account %q does not exist", userID)
	}
	return nil
}

// Profiles returns the profiles of the users that exist among userIDs, by user ID.
func (s *Service) Profiles(ctx context.Context, sdkAppID int64, userIDs []string) (map[string]*Profile, error) {
	if len(userIDs) == 0 || len(userIDs) > MaxProfileUsers {
		return nil, invalid("name 1-%d users", MaxProfileUsers)
	}
	as, err := s.Store.FindAccounts(ctx, sdkAppID, userIDs)
	if err != nil {
		return nil, fmt.Errorf("find accounts: %w", err)
	}
	items, err := s.Store.FindAccountProfiles(ctx, sdkAppID, userIDs)
	if err != nil {
		return nil, fmt.Errorf("find profiles: %w", err)
	}
	out := make(map[string]*Profile, len(as))
	for _, a := range as {
		p := &Profile{UserID: a.UserID, Nickname: a.Nickname, FaceURL: a.FaceURL, Items: userProfileItems(items[a.UserID])}
		out[a.UserID] = p
	}
	return out, nil
}

// Kick ends the login of every device of a user, as a login elsewhere does: each gets a
// kick event, loses its push binding and needs a new login. It returns how many devices
// were logged in, or UserNotFound.
func (s *Service) Kick(ctx context.Context, sdkAppID int64, userID string) (int, error) {
	if err := checkUserID(userID, "user"); err != nil {
		return 0, err
	}
	if _, err := s.Store.FindAccount(ctx, sdkAppID, userID); err != nil {
		return 0, notFound(err, errcode.UserNotFound, "account %q does not exist", userID)
	}
	devices, err := s.Store.FindDevices(ctx, store.DeviceFilter{SDKAppID: sdkAppID, UserID: &userID})
	if err != nil {
		return 0, fmt.Errorf("find devices: %w", err)
	}
	n := 0
	for _, d := range devices {
		if d.State == store.LoggedOut {
			continue
		}
		if err := s.endDevice(ctx, d); err != nil {
			return n, err
		}
		n++
		s.stateChanged(ctx, StateChange{SDKAppID: sdkAppID, UserID: userID, DeviceID: d.DeviceID, Platform: d.Platform, Action: StateKicked})
		s.route(ctx, sdkAppID, userID, &Event{Kind: EventKick, DeviceID: d.DeviceID, Kicked: &protocol.Kicked{
			Code: int(errcode.KickedOffline), Reason: "the app's server ended this login",
		}})
	}
	return n, nil
}

// DeleteAccount kicks a user's devices and removes the account with its devices, tags,
// attributes, profile, memberships and inbox. Messages it sent stay until they expire;
// a group it owned keeps it as owner until the owner changes. The app admin's account
// cannot be deleted. UserNotFound if it does not exist.
func (s *Service) DeleteAccount(ctx context.Context, sdkAppID int64, userID string) error {
	app, err := s.Store.FindAppByID(ctx, sdkAppID)
	if err != nil {
		return notFound(err, errcode.UnknownApp, "no app with SDKAppID %d", sdkAppID)
	}
	if userID == app.AdminUserID {
		return errcode.Errorf(errcode.PermissionDenied, "%q is the app admin; its account cannot be deleted", userID)
	}
	if _, err := s.Kick(ctx, sdkAppID, userID); err != nil {
		return err
	}
	if err := s.Store.DeleteAccount(ctx, sdkAppID, userID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errcode.Errorf(errcode.UserNotFound, "account %q does not exist", userID)
		}
		return fmt.Errorf("delete account: %w", err)
	}
	return nil
}
