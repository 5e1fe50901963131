package im

import (
	"context"
	"fmt"
	"time"

	"github.com/herald-im/herald/internal/errcode"
	"github.com/herald-im/herald/internal/store"
	"github.com/herald-im/herald/protocol"
)

// MaxDeviceIDBytes bounds a client-chosen device ID.
const MaxDeviceIDBytes = 64

// batchTimeout bounds the store write of one batch of logins or disconnects: a batch
// runs without the deadlines of the calls it serves (internal/batch).
const batchTimeout = 10 * time.Second

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
// kick event. It returns what the login did, with the device as stored. Concurrent
// logins are written together, in one store call (LoginDevices), in the order they
// arrive.
func (s *Service) Login(ctx context.Context, p LoginParams) (*store.LoginResult, error) {
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
	res, err := s.logins.Do(ctx, &store.Login{
		SDKAppID: p.SDKAppID, UserID: p.UserID, DeviceID: p.DeviceID, Platform: platform,
		Session: p.Session, At: s.Now(), Policy: app.DevicePolicy,
	}, s.recordLogins)
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	return res, nil
}

// recordLogins stores a batch of logins and then, in the same order, routes their
// kicks and reports their state changes. Kicks leave in the order the logins were
// stored, batch after batch, so that of two logins of one device the later session is
// the one that survives.
func (s *Service) recordLogins(ctx context.Context, logins []*store.Login) ([]*store.LoginResult, error) {
	sctx, cancel := context.WithTimeout(ctx, batchTimeout)
	results, err := s.Store.LoginDevices(sctx, logins)
	cancel()
	if err != nil {
		return nil, err
	}
	for i, res := range results {
		s.loggedIn(ctx, logins[i], res)
	}
	return results, nil
}

// loggedIn ends the sessions one stored login displaced and reports the changes.
func (s *Service) loggedIn(ctx context.Context, l *store.Login, res *store.LoginResult) {
	for _, d := range res.Kicked {
		s.stateChanged(ctx, StateChange{SDKAppID: d.SDKAppID, UserID: d.UserID, DeviceID: d.DeviceID, Platform: d.Platform, Action: StateKicked})
		s.route(ctx, l.SDKAppID, l.UserID, &Event{Kind: EventKick, DeviceID: d.DeviceID, Kicked: &protocol.Kicked{
			Code:     int(errcode.KickedOffline),
			Reason:   fmt.Sprintf("logged in on another %s device", l.Platform),
			Platform: string(l.Platform),
		}})
	}
	// The same device logging in again (a reconnect) replaces its older connection,
	// wherever that is, without a kick. A device that was not online has no connection
	// to replace: its last session ended (recorded disconnected), or it was logged out
	// or kicked, which ended its session with a kick of its own. A session whose login
	// is not stored yet is not one either: when its login is stored, after this one, it
	// finds this session online and replaces it.
	if res.Replaces != "" {
		s.route(ctx, l.SDKAppID, l.UserID, &Event{Kind: EventKick, DeviceID: l.DeviceID, KeepSession: l.Session})
	}
	s.stateChanged(ctx, StateChange{SDKAppID: l.SDKAppID, UserID: l.UserID, DeviceID: l.DeviceID, Platform: l.Platform, Action: StateLogin, Kicked: res.Kicked})
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
	d, err := s.disconnects.Do(ctx, &store.Disconnect{SDKAppID: sdkAppID, UserID: userID, DeviceID: deviceID,
		Session: session, DeliveredSeq: deliveredSeq, At: s.Now()}, s.recordDisconnects)
	if err != nil {
		return fmt.Errorf("record disconnect: %w", err)
	}
	if d == nil {
		return fmt.Errorf("record disconnect: %w", store.ErrNotFound)
	}
	if d.State == store.Online && d.NodeID == session {
		s.stateChanged(ctx, StateChange{SDKAppID: sdkAppID, UserID: userID, DeviceID: deviceID, Platform: d.Platform, Action: StateDisconnect})
	}
	return nil
}

// recordDisconnects stores a batch of disconnects.
func (s *Service) recordDisconnects(ctx context.Context, ds []*store.Disconnect) ([]*store.Device, error) {
	ctx, cancel := context.WithTimeout(ctx, batchTimeout)
	defer cancel()
	return s.Store.DisconnectDevices(ctx, ds)
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
