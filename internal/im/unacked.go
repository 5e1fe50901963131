package im

import "context"

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
