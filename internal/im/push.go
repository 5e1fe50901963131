package im

import (
	"context"
	"errors"
	"fmt"

	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// MaxPushTokenBytes bounds a vendor device token.
const MaxPushTokenBytes = 512

// SetPushConfig binds the device's vendor token to a certificate of the app (the
// commercial SDK's setOfflinePushConfig). The token moves: any other device that held
// it is unbound, so a phone's previous user never gets a push on it again. An empty
// token unbinds the device: it gets no offline push.
func (s *Service) SetPushConfig(ctx context.Context, sdkAppID int64, userID, deviceID string, req protocol.SetPushConfigRequest) error {
	if len(req.Token) > MaxPushTokenBytes {
		return invalid("token is %d bytes; at most %d", len(req.Token), MaxPushTokenBytes)
	}
	if req.Token != "" {
		d, err := s.Store.FindDevice(ctx, sdkAppID, userID, deviceID)
		if err != nil {
			return fmt.Errorf("find device: %w", err)
		}
		c, err := s.Store.FindCertificateByID(ctx, sdkAppID, req.CertificateID)
		if errors.Is(err, store.ErrNotFound) {
			return errcode.Errorf(errcode.InvalidRequest, "certificate_id %d is not a push certificate of this app; see the console", req.CertificateID)
		}
		if err != nil {
			return fmt.Errorf("find certificate: %w", err)
		}
		if apple := c.Vendor == "apns"; apple != (d.Platform == store.IOS || d.Platform == store.IPad || d.Platform == store.Mac) {
			return errcode.Errorf(errcode.InvalidRequest, "certificate %d is for %s, which does not push to %s devices", c.ID, c.Vendor, d.Platform)
		}
	}
	certID := req.CertificateID
	if req.Token == "" {
		certID = 0
	} else if err := s.checkTokenMove(ctx, sdkAppID, userID, deviceID, certID, req.Token); err != nil {
		return err
	}
	unbound, err := s.Store.BindPushToken(ctx, sdkAppID, userID, deviceID, certID, req.Token)
	if err != nil {
		return fmt.Errorf("bind push token: %w", err)
	}
	return s.recordTokenMoves(ctx, sdkAppID, userID, deviceID, certID, req.Token, unbound)
}

// SetBackground records that the app went to the background (DoBackground) with unread
// as its badge: while connected in the background the device gets offline pushes too.
// DoForeground (background false) stops them and resets the badge.
func (s *Service) SetBackground(ctx context.Context, sdkAppID int64, userID, deviceID string, background bool, unread int) error {
	if unread < 0 {
		return invalid("unread cannot be negative")
	}
	if !background {
		unread = 0
	}
	err := s.Store.UpdateDevice(ctx, sdkAppID, userID, deviceID, store.DeviceUpdate{Background: &background, Badge: &unread})
	if err != nil {
		return fmt.Errorf("update device: %w", err)
	}
	return nil
}
