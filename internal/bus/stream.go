package bus

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// EnsureWorkQueue creates the JetStream stream name capturing subjects, both in b's
// namespace (StreamName, Subject), or updates it to them, as a work queue kept on disk: each message is held until one consumer acknowledges
// it, then removed. It is safe to call on every start, from every node. Changing an existing
// stream of another retention policy fails (JetStream does not allow it).
func (b *Bus) EnsureWorkQueue(ctx context.Context, name string, subjects []string) (jetstream.Stream, error) {
	name = b.StreamName(name)
	spaced := make([]string, len(subjects))
	for i, s := range subjects {
		spaced[i] = b.Subject(s)
	}
	s, err := b.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:      name,
		Subjects:  spaced,
		Retention: jetstream.WorkQueuePolicy,
		// Memory storage would lose queued push jobs on restart.
		Storage:  jetstream.FileStorage,
		Replicas: b.replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("bus: ensure work queue %s: %w", name, err)
	}
	return s, nil
}
