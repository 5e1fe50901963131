package im

import (
	"context"
	"fmt"
	"strings"

	"github.com/herald-im/herald/internal/store"
)

// UnackedDelivery is a stored message the gateway wrote to a connected device that did
// not acknowledge it within the ack window, or whose connection ended first: the
// device may never have seen it (a half-open socket looks online and foreground until
// its heartbeat times out), so it is pushed as if the device had been offline.
type UnackedDelivery struct {
	SDKAppID int64
	UserID   string
	DeviceID string
	// Session is the connection the message was written to, as "node/session".
	Session   string
	MessageID string
	InboxSeq  int64
	// Disconnected: the connection ended before the ack; otherwise the window passed.
	Disconnected bool
}

// UnackedFunc receives unacknowledged deliveries. It must not block.
type UnackedFunc func(ctx context.Context, ds []UnackedDelivery)

// NotAcknowledged reports deliveries the devices did not acknowledge to Unacked, if set.
func (s *Service) NotAcknowledged(ctx context.Context, ds []UnackedDelivery) {
	if s.Unacked != nil && len(ds) > 0 {
		s.Unacked(ctx, ds)
	}
}

// reapLimit bounds the unacknowledged messages looked at for one device of a dead
// node; the device syncs the rest when it reconnects.
const reapLimit = 100

// ReapSessions handles the devices of a node incarnation that died without a word
// (cluster.Liveness found it dead): each device still online on one of its sessions
// is recorded disconnected, as if its connection had ended, and the messages in its
// inbox that it did not acknowledge are reported to Unacked, which pushes those whose
// push was held back because the device was connected.
func (s *Service) ReapSessions(ctx context.Context, incarnation string) error {
	apps, err := s.Store.FindApps(ctx)
	if err != nil {
		return fmt.Errorf("find apps: %w", err)
	}
	online := store.Online
	reaped := 0
	for _, a := range apps {
		ds, err := s.Store.FindDevices(ctx, store.DeviceFilter{SDKAppID: a.SDKAppID, State: &online})
		if err != nil {
			return fmt.Errorf("find online devices: %w", err)
		}
		for _, d := range ds {
			if !strings.HasPrefix(d.NodeID, incarnation+"/") {
				continue
			}
			if err := s.Disconnected(ctx, d.SDKAppID, d.UserID, d.DeviceID, d.NodeID, d.DeliveredSeq); err != nil {
				return err
			}
			reaped++
			entries, err := s.Store.FindInbox(ctx, d.SDKAppID, d.UserID, d.AckedSeq, reapLimit)
			if err != nil {
				return fmt.Errorf("find unacknowledged messages: %w", err)
			}
			var un []UnackedDelivery
			for _, e := range entries {
				un = append(un, UnackedDelivery{SDKAppID: d.SDKAppID, UserID: d.UserID, DeviceID: d.DeviceID,
					Session: d.NodeID, MessageID: e.Message.ID, InboxSeq: e.InboxSeq, Disconnected: true})
			}
			s.NotAcknowledged(ctx, un)
		}
	}
	if reaped > 0 {
		s.Logger.Warn("devices of a dead node recorded disconnected", "incarnation", incarnation, "devices", reaped)
	}
	return nil
}
