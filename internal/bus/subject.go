package bus

import (
	"context"
	"fmt"
	"strconv"
)

// SubjectPrefix starts every subject Herald uses.
const SubjectPrefix = "herald"

// UserSubject returns the subject on which the node holding userID's connections in app
// sdkAppID receives that user's deliveries: "herald.user.<sdkAppID>.<userID>".
// userID must be a valid user ID (auth.ValidUserID): [A-Za-z0-9_-] never breaks a subject.
func UserSubject(sdkAppID int64, userID string) string {
	return SubjectPrefix + ".user." + strconv.FormatInt(sdkAppID, 10) + "." + userID
}

// Subscribe calls handler with the payload of each message published on subject (which may
// hold the wildcards * and >), in b's namespace, until unsubscribe is called or b is closed. Calls for one
// subject are serial and in order, on a dispatch goroutine the bus shares among many
// subscriptions, so handler must not block: a subscriber that falls behind loses messages
// (and the loss is logged). handler owns the slice it is given.
func (b *Bus) Subscribe(subject string, handler func(data []byte)) (unsubscribe func(), err error) {
	sub, err := b.dispatch.subscribe(b.conn, b.Subject(subject), handler)
	if err != nil {
		return nil, fmt.Errorf("bus: subscribe %s: %w", subject, err)
	}
	return func() { b.dispatch.unsubscribe(sub) }, nil
}

// Publish sends data on subject, in b's namespace, over core NATS: at most once, to whoever is subscribed now.
// It returns when the message is buffered for sending, not when it is delivered; use
// JetStream (EnsureWorkQueue) for anything that must not be lost.
func (b *Bus) Publish(ctx context.Context, subject string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bus: publish %s: %w", subject, err)
	}
	if err := b.conn.Publish(b.Subject(subject), data); err != nil {
		return fmt.Errorf("bus: publish %s: %w", subject, err)
	}
	return nil
}
