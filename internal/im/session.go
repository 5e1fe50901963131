package im

import (
	"context"
	"errors"
	"fmt"

	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// MaxDeviceIDBytes bounds a client-chosen device ID.
const MaxDeviceIDBytes = 64

// LoginParams is a device logging in.
type LoginParams struct {
	SDKAppID int64
	UserID   string
	DeviceID string
	Platform string
	// Session names the new connection, as "node/session": kept in Device.NodeID so that a
	// late disconnect of an older connection does not mark the device offline.
	Session string
}

// Login records a device as online, creating the account on first login as the
// commercial system does, and ends the sessions of the devices the app's multi-device
// policy displaces: they are marked logged out (their push binding dropped) and get a
// kick event. It returns the device as stored.
func (s *Service) Login(ctx context.Context, p LoginParams) (*store.Device, error) {
	if err := checkUserID(p.UserID, "user_id"); err != nil {
		return nil, err
	}
	if p.DeviceID == "" || len(p.DeviceID) > MaxDeviceIDBytes {
		return nil, invalid("device_id must be 1-%d bytes", MaxDeviceIDBytes)
	}
	platform, err := parsePlatform(p.Platform)
	if err != nil {
		return nil, err
	}
	app, err := s.Store.FindAppByID(ctx, p.SDKAppID)
	if err != nil {
		return nil, notFound(err, errcode.UnknownApp, "no app with SDKAppID %d", p.SDKAppID)
	}
	if err := s.ensureAccount(ctx, p.SDKAppID, p.UserID); err != nil {
		return nil, err
	}

	devices, err := s.Store.FindDevices(ctx, store.DeviceFilter{SDKAppID: p.SDKAppID, UserID: &p.UserID})
	if err != nil {
		return nil, fmt.Errorf("find devices: %w", err)
	}
	var kicked []*store.Device
	for _, d := range devices {
		if d.DeviceID == p.DeviceID || d.State == store.LoggedOut || !displaces(app.DevicePolicy, platform, d.Platform) {
			continue
		}
		if err := s.endDevice(ctx, d); err != nil {
			return nil, err
		}
		kicked = append(kicked, d)
		s.stateChanged(ctx, StateChange{SDKAppID: d.SDKAppID, UserID: d.UserID, DeviceID: d.DeviceID, Platform: d.Platform, Action: StateKicked})
		s.route(ctx, p.SDKAppID, p.UserID, &Event{Kind: EventKick, DeviceID: d.DeviceID, Kicked: &protocol.Kicked{
			Code:     int(errcode.KickedOffline),
			Reason:   fmt.Sprintf("logged in on another %s device", platform),
			Platform: string(platform),
		}})
	}

	now := s.Now()
	d := &store.Device{
		SDKAppID: p.SDKAppID, UserID: p.UserID, DeviceID: p.DeviceID, Platform: platform,
		State: store.Online, LoginAt: now, LastSeen: now, NodeID: p.Session,
	}
	if err := s.Store.UpsertDevice(ctx, d); err != nil {
		return nil, fmt.Errorf("upsert device: %w", err)
	}
	// The same device logging in again (a reconnect) replaces its older connection,
	// wherever that is, without a kick.
	s.route(ctx, p.SDKAppID, p.UserID, &Event{Kind: EventKick, DeviceID: p.DeviceID, KeepSession: p.Session})
	stored, err := s.Store.FindDevice(ctx, p.SDKAppID, p.UserID, p.DeviceID)
	if err != nil {
		return nil, fmt.Errorf("find device: %w", err)
	}
	s.stateChanged(ctx, StateChange{SDKAppID: p.SDKAppID, UserID: p.UserID, DeviceID: p.DeviceID, Platform: platform, Action: StateLogin, Kicked: kicked})
	return stored, nil
}

// displaces reports whether, under policy, a login on platform ends a session on other.
func displaces(policy store.DevicePolicy, platform, other store.Platform) bool {
	switch policy {
	case store.Unlimited:
		return false
	case store.OneDevice:
		return true
	default:
		return platform == other
	}
}

// endDevice marks d logged out and drops its push binding: a logged-out or kicked device
// gets no push.
func (s *Service) endDevice(ctx context.Context, d *store.Device) error {
	state, none, zero := store.LoggedOut, "", int64(0)
	err := s.Store.UpdateDevice(ctx, d.SDKAppID, d.UserID, d.DeviceID, store.DeviceUpdate{State: &state, PushToken: &none, CertificateID: &zero})
	if err != nil {
		return fmt.Errorf("log out device: %w", err)
	}
	return nil
}

func parsePlatform(s string) (store.Platform, error) {
	for _, p := range store.Platforms {
		if string(p) == s {
			return p, nil
		}
	}
	return "", invalid("platform %q: use Android, iOS, iPad, Windows, Mac, Linux or Web", s)
}

func (s *Service) ensureAccount(ctx context.Context, sdkAppID int64, userID string) error {
	_, err := s.Store.FindAccount(ctx, sdkAppID, userID)
	if err == nil {
		return nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("find account: %w", err)
	}
	if err := s.Store.CreateAccounts(ctx, []*store.Account{{SDKAppID: sdkAppID, UserID: userID, CreatedAt: s.Now()}}); err != nil {
		return fmt.Errorf("create account: %w", err)
	}
	return nil
}

// Logout ends a device's login: it gets no more messages or pushes until it logs in again.
func (s *Service) Logout(ctx context.Context, sdkAppID int64, userID, deviceID string) error {
	d, err := s.Store.FindDevice(ctx, sdkAppID, userID, deviceID)
	if err != nil {
		return notFound(err, errcode.NotLoggedIn, "device %q is not logged in", deviceID)
	}
	if err := s.endDevice(ctx, d); err != nil {
		return err
	}
	if d.State != store.LoggedOut {
		s.stateChanged(ctx, StateChange{SDKAppID: sdkAppID, UserID: userID, DeviceID: deviceID, Platform: d.Platform, Action: StateLogout})
	}
	return nil
}

// Disconnected records that the connection session of a device ended without a logout:
// the device stays logged in (and will get pushes). deliveredSeq is the highest inbox
// sequence sent to it. A device already logged out or kicked stays so, and one that has
// since reconnected on another session stays online.
func (s *Service) Disconnected(ctx context.Context, sdkAppID int64, userID, deviceID, session string, deliveredSeq int64) error {
	d, err := s.Store.FindDevice(ctx, sdkAppID, userID, deviceID)
	if err != nil {
		return fmt.Errorf("find device: %w", err)
	}
	upd := store.DeviceUpdate{DeliveredSeq: &deliveredSeq}
	now := s.Now()
	upd.LastSeen = &now
	disconnected := d.State == store.Online && d.NodeID == session
	if disconnected {
		offline, fg := store.Offline, false
		upd.State, upd.Background = &offline, &fg
	}
	if err := s.Store.UpdateDevice(ctx, sdkAppID, userID, deviceID, upd); err != nil {
		return fmt.Errorf("update device: %w", err)
	}
	if disconnected {
		s.stateChanged(ctx, StateChange{SDKAppID: sdkAppID, UserID: userID, DeviceID: deviceID, Platform: d.Platform, Action: StateDisconnect})
	}
	return nil
}

// Ack records that a device processed every message up to ackedSeq, and that up to
// deliveredSeq was sent to it: written within AckFlushEvery while RunAcks runs, at
// once otherwise.
func (s *Service) Ack(ctx context.Context, sdkAppID int64, userID, deviceID string, ackedSeq, deliveredSeq int64) error {
	if ackedSeq < 0 {
		return invalid("inbox_seq cannot be negative")
	}
	if ackedSeq > deliveredSeq {
		return invalid("inbox_seq %d was never delivered to this device (last delivered %d)", ackedSeq, deliveredSeq)
	}
	if s.acks.note(deviceKey{sdkAppID, userID, deviceID}, ackedSeq, deliveredSeq) {
		return nil // RunAcks writes it (acks.go)
	}
	err := s.Store.UpdateDevice(ctx, sdkAppID, userID, deviceID, store.DeviceUpdate{AckedSeq: &ackedSeq, DeliveredSeq: &deliveredSeq})
	if err != nil {
		return fmt.Errorf("ack: %w", err)
	}
	return nil
}
