package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"

	"github.com/herald-im/herald/internal/bus"
	"github.com/herald-im/herald/internal/im"
)

// pubsub is what the hub needs of the bus.
type pubsub interface {
	Publish(ctx context.Context, subject string, data []byte) error
	Subscribe(subject string, handler func(data []byte)) (unsubscribe func(), err error)
}

// Hub routes events to users' devices across nodes: Route publishes on the user's
// subject, and the hub of every node that holds a session of that user delivers to its
// local sessions. It implements im.Router.
type Hub struct {
	bus    pubsub
	logger *slog.Logger

	mu    sync.Mutex // protects users
	users map[userKey]*userSessions
}

var _ im.Router = (*Hub)(nil)

type userKey struct {
	app  int64
	user string
}

type userSessions struct {
	sessions    map[*session]struct{}
	unsubscribe func()
}

// NewHub returns a hub routing over b.
func NewHub(b pubsub, logger *slog.Logger) *Hub {
	return &Hub{bus: b, logger: logger, users: map[userKey]*userSessions{}}
}

// Route publishes ev to every node holding a session of the user.
func (h *Hub) Route(ctx context.Context, sdkAppID int64, userID string, ev *im.Event) error {
	data, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("marshal event: %w", err)
	}
	return h.bus.Publish(ctx, bus.UserSubject(sdkAppID, userID), data)
}

// add registers a logged-in session, subscribing to its user's subject if it is the
// user's first session on this node.
func (h *Hub) add(s *session) error {
	k := userKey{s.app, s.user}
	h.mu.Lock()
	defer h.mu.Unlock()
	us := h.users[k]
	if us == nil {
		unsub, err := h.bus.Subscribe(bus.UserSubject(s.app, s.user), func(data []byte) { h.deliver(k, data) })
		if err != nil {
			return fmt.Errorf("subscribe: %w", err)
		}
		us = &userSessions{sessions: map[*session]struct{}{}, unsubscribe: unsub}
		h.users[k] = us
	}
	us.sessions[s] = struct{}{}
	return nil
}

// remove unregisters a session, unsubscribing when it was the user's last on this node.
func (h *Hub) remove(s *session) {
	k := userKey{s.app, s.user}
	h.mu.Lock()
	defer h.mu.Unlock()
	us := h.users[k]
	if us == nil {
		return
	}
	delete(us.sessions, s)
	if len(us.sessions) == 0 {
		us.unsubscribe()
		delete(h.users, k)
	}
}

// deliver hands one event to the user's local sessions. It never blocks: a session
// whose queue is full resynchronises from the store instead.
func (h *Hub) deliver(k userKey, data []byte) {
	ev := new(im.Event)
	if err := json.Unmarshal(data, ev); err != nil {
		h.logger.Error("decode routed event", "err", err)
		return
	}
	h.mu.Lock()
	us := h.users[k]
	targets := make([]*session, 0, 2)
	if us != nil {
		for s := range us.sessions {
			targets = append(targets, s)
		}
	}
	h.mu.Unlock()
	for _, s := range targets {
		s.enqueue(ev)
	}
}

// Sessions returns how many sessions this node holds.
func (h *Hub) Sessions() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, us := range h.users {
		n += len(us.sessions)
	}
	return n
}
