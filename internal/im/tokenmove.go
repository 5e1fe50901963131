package im

import (
	"context"
	"fmt"
	"time"

	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/internal/redact"
	"github.com/herald-im/herald/internal/store"
)

// Token moves. A token moves with the phone, as in the commercial SDK: when another
// device of the app holds the token a session reports, the token leaves it. A session
// can bind a token only to its own device (the gateway passes the session's user and
// device), but a logged-in user who learns another phone's token could still take it:
// that phone stops getting pushes and the taker's messages land on its lock screen.
// So every move is recorded in the device history, a user can take only
// MaxTokenMovesPerHour tokens an hour, and an app may require (TokenMovesAfterLogout)
// that the token's holder is the same device ID and has logged out there.

// MaxTokenMovesPerHour bounds how many tokens one user may take from other devices
// in an hour. A phone changing hands takes one.
const MaxTokenMovesPerHour = 5

// checkTokenMove refuses to bind token when it would move from another device against
// the app's policy or the user's hourly allowance.
func (s *Service) checkTokenMove(ctx context.Context, sdkAppID int64, userID, deviceID string, certID int64, token string) error {
	holders, err := s.Store.FindDevices(ctx, store.DeviceFilter{SDKAppID: sdkAppID, PushToken: &token})
	if err != nil {
		return fmt.Errorf("find token holders: %w", err)
	}
	var others []*store.Device
	for _, d := range holders {
		if d.CertificateID == certID && !(d.UserID == userID && d.DeviceID == deviceID) {
			others = append(others, d)
		}
	}
	if len(others) == 0 {
		return nil
	}
	app, err := s.Store.FindAppByID(ctx, sdkAppID)
	if err != nil {
		return fmt.Errorf("find app: %w", err)
	}
	if app.TokenMoves == store.TokenMovesAfterLogout {
		for _, d := range others {
			if d.DeviceID != deviceID || d.State != store.LoggedOut {
				return errcode.Errorf(errcode.PermissionDenied,
					"this push token is bound to another device that has not logged out; log out there first (the app's token_moves is after_logout)")
			}
		}
	}
	since := s.Now().Add(-time.Hour)
	moves, err := s.Store.FindTokenMoves(ctx, store.TokenMoveFilter{SDKAppID: sdkAppID, UserID: userID, ToUser: true, Since: &since, Limit: MaxTokenMovesPerHour})
	if err != nil {
		return fmt.Errorf("find token moves: %w", err)
	}
	if len(moves) >= MaxTokenMovesPerHour {
		return errcode.Errorf(errcode.RateLimited, "this user took %d push tokens from other devices in the last hour; at most %d", len(moves), MaxTokenMovesPerHour)
	}
	return nil
}

// recordTokenMoves records each device the token left for the device history.
func (s *Service) recordTokenMoves(ctx context.Context, sdkAppID int64, userID, deviceID string, certID int64, token string, from []*store.Device) error {
	if len(from) == 0 {
		return nil
	}
	moves := make([]*store.TokenMove, len(from))
	for i, d := range from {
		moves[i] = &store.TokenMove{
			SDKAppID: sdkAppID, CertificateID: certID, Token: redact.Token(token),
			FromUser: d.UserID, FromDevice: d.DeviceID, ToUser: userID, ToDevice: deviceID, CreatedAt: s.Now(),
		}
		s.Logger.Info("push token moved", "app", sdkAppID, "certificate", certID, "token", redact.Token(token),
			"from_user", d.UserID, "from_device", d.DeviceID, "to_user", userID, "to_device", deviceID)
	}
	if err := s.Store.CreateTokenMoves(ctx, moves); err != nil {
		return fmt.Errorf("record token moves: %w", err)
	}
	return nil
}
