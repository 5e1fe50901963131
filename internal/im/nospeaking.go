package im

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/herald-im/herald/internal/errcode"
)

// Account profile tags of the app-wide mute (not profile fields: Profiles leaves them
// out): until when, in Unix ms, the user may not send one-to-one or group messages.
const (
	profileMuteC2C   = "mute_c2c_until"
	profileMuteGroup = "mute_group_until"
)

// NoSpeaking is a user's app-wide mute: how much longer each kind of send is refused.
type NoSpeaking struct {
	C2C   time.Duration
	Group time.Duration
}

// SetNoSpeaking mutes a user app-wide for the given durations from now (0 lifts that
// mute; nil leaves it). Sends from the user's devices are refused while muted; sends
// through the admin API on the user's behalf are not. UserNotFound if no account.
func (s *Service) SetNoSpeaking(ctx context.Context, sdkAppID int64, userID string, c2c, group *time.Duration) error {
	items := map[string]string{}
	for key, d := range map[string]*time.Duration{profileMuteC2C: c2c, profileMuteGroup: group} {
		if d == nil {
			continue
		}
		if *d < 0 || *d > MaxMute {
			return invalid("a mute must be 0-%d seconds", int64(MaxMute/time.Second))
		}
		items[key] = ""
		if *d > 0 {
			items[key] = strconv.FormatInt(s.Now().Add(*d).UnixMilli(), 10)
		}
	}
	if len(items) == 0 {
		return nil
	}
	if err := s.Store.SetAccountProfile(ctx, sdkAppID, userID, items); err != nil {
		return notFound(err, errcode.UserNotFound, "account %q does not exist", userID)
	}
	return nil
}

// GetNoSpeaking returns how much longer a user is muted app-wide.
func (s *Service) GetNoSpeaking(ctx context.Context, sdkAppID int64, userID string) (NoSpeaking, error) {
	if _, err := s.Store.FindAccount(ctx, sdkAppID, userID); err != nil {
		return NoSpeaking{}, notFound(err, errcode.UserNotFound, "account %q does not exist", userID)
	}
	return s.noSpeaking(ctx, sdkAppID, userID)
}

func (s *Service) noSpeaking(ctx context.Context, sdkAppID int64, userID string) (NoSpeaking, error) {
	ps, err := s.Store.FindAccountProfiles(ctx, sdkAppID, []string{userID})
	if err != nil {
		return NoSpeaking{}, fmt.Errorf("find profile: %w", err)
	}
	left := func(key string) time.Duration {
		v, err := strconv.ParseInt(ps[userID][key], 10, 64)
		if err != nil {
			return 0
		}
		return max(0, time.UnixMilli(v).Sub(s.Now()))
	}
	return NoSpeaking{C2C: left(profileMuteC2C), Group: left(profileMuteGroup)}, nil
}

// checkNoSpeaking refuses a send from a user's device while the user is muted
// app-wide for that kind of message.
func (s *Service) checkNoSpeaking(ctx context.Context, p SendParams) error {
	if p.ByAdmin {
		return nil
	}
	ns, err := s.noSpeaking(ctx, p.SDKAppID, p.From) // Send found the account already
	if err != nil {
		return err
	}
	left, kind := ns.C2C, "one-to-one"
	if p.Request.To == "" {
		left, kind = ns.Group, "group"
	}
	if left > 0 {
		return errcode.Errorf(errcode.PermissionDenied, "%q may not send %s messages for %s more (muted by the app)", p.From, kind, left.Round(time.Second))
	}
	return nil
}

// userProfileItems drops the internal tags from a profile's items.
func userProfileItems(items map[string]string) map[string]string {
	out := make(map[string]string, len(items))
	for k, v := range items {
		if ValidProfileKey(k) {
			out[k] = v
		}
	}
	return out
}
